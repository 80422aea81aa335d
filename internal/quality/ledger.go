package quality

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/apperr"
)

// Limits of an interaction, as in openapi.yaml's InteractionCreate.
const (
	MaxContentLength  = 20000
	MaxResultLength   = 5000
	MaxFeedbackLength = 5000
	MaxToolkitItems   = 50
)

// InteractionInput is a new entry of the consultation ledger.
type InteractionInput struct {
	// ID is the client-generated ID (offline capture); generated when nil.
	ID         *uuid.UUID
	CustomerID uuid.UUID
	// AgentID is the agent who handled it; when nil, the calling agent,
	// else the customer's agent.
	AgentID  *uuid.UUID
	Channel  interaction.Channel
	Type     interaction.Type
	Content  string
	Result   string
	Feedback string
	// ReceivedAt is when the request reached the agent or the contact
	// began; now when nil.
	ReceivedAt *time.Time
	// FirstResponseAt is when the agent first responded, if already.
	FirstResponseAt *time.Time
	// AnswersInteractionID names an earlier consultation of the same
	// customer that this interaction answers: it closes that
	// consultation's first-response clock at this one's ReceivedAt.
	AnswersInteractionID *uuid.UUID
	TaskID               *uuid.UUID
	PlanStepID           *uuid.UUID
	// ToolkitItemIDs are the toolkit items used; each use is recorded as a
	// ToolkitUsage, the input of the toolkit-usage KPI.
	ToolkitItemIDs []uuid.UUID
}

// RecordInteraction validates and stores an interaction in a transaction
// of its own. See RecordInteractionTx.
func (s *Service) RecordInteraction(ctx context.Context, in InteractionInput) (*ent.Interaction, error) {
	var out *ent.Interaction
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		var err error
		out, err = s.RecordInteractionTx(ctx, tx, in)
		return err
	})
	return out, err
}

// RecordInteractionTx validates and stores an interaction inside a
// transaction the caller opened with store.DB.WithTx (ctx must be the one
// WithTx passed), as the sync push does. It records a ToolkitUsage per
// toolkit item, and when the interaction answers a consultation it sets
// that consultation's first_response_at, unless an earlier response
// already closed the clock.
//
// A customer the caller cannot see is apperr.NotFound; every other
// problem of the input is apperr.Invalid naming the JSON fields.
func (s *Service) RecordInteractionTx(ctx context.Context, tx *ent.Tx, in InteractionInput) (*ent.Interaction, error) {
	now := s.clock.Now()
	received := eventTime(in.ReceivedAt, now)
	var p problems
	if err := interaction.ChannelValidator(in.Channel); err != nil {
		p.add("/channel", "enum", "must be one of phone, visit, wechat, app, email, branch")
	}
	if err := interaction.TypeValidator(in.Type); err != nil {
		p.add("/type", "enum", "must be one of consultation, needs_analysis, revisit, payment, renewal, claim_assistance, complaint, care")
	}
	if in.Content == "" {
		p.add("/content", "required", "must not be empty")
	}
	p.maxLen("/content", in.Content, MaxContentLength)
	p.maxLen("/result", in.Result, MaxResultLength)
	p.maxLen("/feedback", in.Feedback, MaxFeedbackLength)
	p.notFuture("/received_at", &received, now)
	p.notFuture("/first_response_at", in.FirstResponseAt, now)
	if in.FirstResponseAt != nil && in.FirstResponseAt.Before(received) {
		p.add("/first_response_at", "before_received", "must not be before received_at")
	}
	if len(in.ToolkitItemIDs) > MaxToolkitItems {
		p.add("/toolkit_item_ids", "maxItems", fmt.Sprintf("must list at most %d items", MaxToolkitItems))
	}
	if in.ID != nil && in.AnswersInteractionID != nil && *in.ID == *in.AnswersInteractionID {
		p.add("/answers_interaction_id", "self", "must name another interaction")
	}
	if err := p.err("the interaction is invalid"); err != nil {
		return nil, err
	}

	cust, err := loadCustomer(ctx, tx, in.CustomerID, func() error { return apperr.NotFound("customer not found") })
	if err != nil {
		return nil, err
	}
	answered, err := s.checkRefs(ctx, tx, &p, in, received)
	if err != nil {
		return nil, err
	}
	items, err := toolkitRevisions(ctx, tx, &p, in.ToolkitItemIDs)
	if err != nil {
		return nil, err
	}
	if err := p.err("the interaction is invalid"); err != nil {
		return nil, err
	}

	agentID := in.AgentID
	if agentID == nil {
		agentID = viewerAgent(ctx)
	}
	if agentID == nil {
		agentID = cust.AgentID
	}
	ids := make([]uuid.UUID, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.id)
	}
	create := tx.Interaction.Create().SetCustomerID(in.CustomerID).SetNillableAgentID(agentID).
		SetChannel(in.Channel).SetType(in.Type).SetContent(in.Content).SetResult(in.Result).
		SetFeedback(in.Feedback).SetReceivedAt(received).SetNillableFirstResponseAt(utcPtr(in.FirstResponseAt)).
		SetNillableAnswersInteractionID(in.AnswersInteractionID).SetNillableTaskID(in.TaskID).
		SetNillablePlanStepID(in.PlanStepID).SetToolkitItemIds(ids).SetCreatedAt(now).SetUpdatedAt(now)
	if in.ID != nil {
		create.SetID(*in.ID)
	}
	row, err := create.Save(ctx)
	if err != nil {
		return nil, createErr("interaction", idOr(in.ID), err)
	}
	if len(items) > 0 {
		uses := make([]*ent.ToolkitUsageCreate, 0, len(items))
		for _, it := range items {
			uses = append(uses, tx.ToolkitUsage.Create().SetItemID(it.id).SetRevision(it.revision).
				SetNillableAgentID(agentID).SetCustomerID(in.CustomerID).SetInteractionID(row.ID).
				SetNillableTaskID(in.TaskID).SetUsedAt(received))
		}
		if err := tx.ToolkitUsage.CreateBulk(uses...).Exec(ctx); err != nil {
			return nil, fmt.Errorf("record toolkit usage: %w", err)
		}
	}
	if answered != nil && (answered.FirstResponseAt == nil || received.Before(*answered.FirstResponseAt)) {
		err := tx.Interaction.UpdateOneID(answered.ID).SetFirstResponseAt(received).SetUpdatedAt(now).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("close first-response clock of %s: %w", answered.ID, err)
		}
	}
	return row, nil
}

// checkRefs validates the interactions, task and plan step that in names,
// and returns the consultation it answers.
func (s *Service) checkRefs(ctx context.Context, tx *ent.Tx, p *problems, in InteractionInput, received time.Time) (*ent.Interaction, error) {
	var answered *ent.Interaction
	if id := in.AnswersInteractionID; id != nil {
		a, err := tx.Interaction.Get(ctx, *id)
		switch {
		case ent.IsNotFound(err):
			p.add("/answers_interaction_id", "not_found", "no such interaction")
		case err != nil:
			return nil, fmt.Errorf("load answered interaction %s: %w", *id, err)
		case a.CustomerID != in.CustomerID:
			p.add("/answers_interaction_id", "customer_mismatch", "is an interaction of another customer")
		case a.Type != interaction.TypeConsultation:
			p.add("/answers_interaction_id", "not_consultation", "must name a consultation")
		case received.Before(a.ReceivedAt):
			p.add("/received_at", "before_answered", "must not be before the consultation it answers")
		default:
			answered = a
		}
	}
	if id := in.TaskID; id != nil {
		t, err := tx.Task.Get(ctx, *id)
		switch {
		case ent.IsNotFound(err):
			p.add("/task_id", "not_found", "no such task")
		case err != nil:
			return nil, fmt.Errorf("load task %s: %w", *id, err)
		case t.CustomerID != in.CustomerID:
			p.add("/task_id", "customer_mismatch", "is a task of another customer")
		}
	}
	if id := in.PlanStepID; id != nil {
		st, err := tx.PlanStep.Get(ctx, *id)
		if err != nil && !ent.IsNotFound(err) {
			return nil, fmt.Errorf("load plan step %s: %w", *id, err)
		}
		var plan *ent.ServicePlan
		if err == nil {
			plan, err = tx.ServicePlan.Get(ctx, st.PlanID)
			if err != nil && !ent.IsNotFound(err) {
				return nil, fmt.Errorf("load plan %s: %w", st.PlanID, err)
			}
		}
		switch {
		case plan == nil:
			p.add("/plan_step_id", "not_found", "no such plan step")
		case plan.CustomerID != in.CustomerID:
			p.add("/plan_step_id", "customer_mismatch", "is a plan step of another customer")
		}
	}
	return answered, nil
}

type itemRevision struct {
	id       uuid.UUID
	revision int
}

// toolkitRevisions resolves the toolkit items used (duplicates dropped,
// order kept) to their published revisions.
func toolkitRevisions(ctx context.Context, tx *ent.Tx, p *problems, ids []uuid.UUID) ([]itemRevision, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var uniq []uuid.UUID
	for _, id := range ids {
		if !slices.Contains(uniq, id) {
			uniq = append(uniq, id)
		}
	}
	rows, err := tx.ToolkitItem.Query().Where(toolkititem.IDIn(uniq...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load toolkit items: %w", err)
	}
	rev := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		rev[r.ID] = r.Revision
	}
	out := make([]itemRevision, 0, len(uniq))
	for _, id := range uniq {
		r, ok := rev[id]
		if !ok {
			p.add(fmt.Sprintf("/toolkit_item_ids/%d", slices.Index(ids, id)), "not_found", "no such toolkit item")
			continue
		}
		out = append(out, itemRevision{id: id, revision: r})
	}
	return out, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func idOr(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}
