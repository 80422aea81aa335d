package quality

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/apperr"
)

// maxNPSCommentLength is the longest NPS comment, in characters.
const maxNPSCommentLength = 2000

// NPSInput is one answer of a customer to the NPS survey ("how likely are
// you to recommend us", 0–10).
type NPSInput struct {
	// ID is the client-generated ID; generated when nil.
	ID         *uuid.UUID
	CustomerID uuid.UUID
	Score      int
	Comment    string
	// InteractionID is the interaction during which the question was
	// asked; it must be the same customer's.
	InteractionID *uuid.UUID
	// AnsweredAt is when the customer answered; now when nil.
	AnsweredAt *time.Time
}

// RecordNPS stores an NPS answer. The answer is credited to the agent of
// the interaction it was asked in, else to the customer's agent. A
// customer the caller cannot see is apperr.NotFound.
func (s *Service) RecordNPS(ctx context.Context, in NPSInput) (*ent.NpsAnswer, error) {
	now := s.clock.Now()
	answered := eventTime(in.AnsweredAt, now)
	var p problems
	if in.Score < 0 || in.Score > 10 {
		p.add("/score", "range", "must be between 0 and 10")
	}
	p.maxLen("/comment", in.Comment, maxNPSCommentLength)
	p.notFuture("/answered_at", &answered, now)
	if err := p.err("the NPS answer is invalid"); err != nil {
		return nil, err
	}
	var out *ent.NpsAnswer
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		cust, err := loadCustomer(ctx, tx, in.CustomerID, func() error { return apperr.NotFound("customer not found") })
		if err != nil {
			return err
		}
		agentID := cust.AgentID
		if id := in.InteractionID; id != nil {
			it, err := tx.Interaction.Get(ctx, *id)
			switch {
			case ent.IsNotFound(err):
				p.add("/interaction_id", "not_found", "no such interaction")
			case err != nil:
				return fmt.Errorf("load interaction %s: %w", *id, err)
			case it.CustomerID != in.CustomerID:
				p.add("/interaction_id", "customer_mismatch", "is an interaction of another customer")
			case it.AgentID != nil:
				agentID = it.AgentID
			}
		}
		if err := p.err("the NPS answer is invalid"); err != nil {
			return err
		}
		create := tx.NpsAnswer.Create().SetCustomerID(in.CustomerID).SetNillableAgentID(agentID).
			SetNillableInteractionID(in.InteractionID).SetScore(in.Score).SetComment(in.Comment).
			SetAnsweredAt(answered).SetCreatedAt(now).SetUpdatedAt(now)
		if in.ID != nil {
			create.SetID(*in.ID)
		}
		out, err = create.Save(ctx)
		if err != nil {
			return createErr("NPS answer", idOr(in.ID), err)
		}
		return nil
	})
	return out, err
}
