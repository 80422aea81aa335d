package httpapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	entcustomer "github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/privacy"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/quality"
)

// ListCustomerInteractions lists one customer's ledger newest first: by
// received_at, then by ID, both descending (the order of the contract;
// the cursor carries both).
func (s *Server) ListCustomerInteractions(ctx context.Context, req api.ListCustomerInteractionsRequestObject) (api.ListCustomerInteractionsResponseObject, error) {
	if err := s.customerVisible(ctx, req.Id); err != nil {
		return nil, err
	}
	p := req.Params
	after, err := decodeTimeCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	q := s.db.Client.Interaction.Query().Where(interaction.CustomerID(req.Id))
	if p.UpdatedSince != nil {
		q.Where(interaction.UpdatedAtGTE(p.UpdatedSince.UTC()))
	}
	if after != nil {
		q.Where(interaction.Or(interaction.ReceivedAtLT(after.at),
			interaction.And(interaction.ReceivedAt(after.at), interaction.IDLT(after.id))))
	}
	limit := pageLimit(p.Limit)
	rows, err := q.Order(ent.Desc(interaction.FieldReceivedAt), ent.Desc(interaction.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list interactions of customer %s: %w", req.Id, err)
	}
	page := api.ListCustomerInteractions200JSONResponse{Items: make([]api.Interaction, 0, min(len(rows), limit))}
	for _, r := range rows[:min(len(rows), limit)] {
		page.Items = append(page.Items, interactionToAPI(r))
	}
	if len(rows) > limit {
		last := rows[limit-1]
		next := encodeTimeCursor(timeKey{at: last.ReceivedAt, id: last.ID})
		page.NextCursor = &next
	}
	return page, nil
}

// customerVisible reports a customer outside the caller's scope as not
// found. An integrator reading the ledger with interactions:read but
// without customers:read cannot query customers; its scope covers every
// customer's ledger, so for it only the customer's existence matters.
func (s *Server) customerVisible(ctx context.Context, id uuid.UUID) error {
	_, err := s.db.Client.Customer.Get(ctx, id)
	if errors.Is(err, privacy.Deny) {
		var ok bool
		ok, err = s.db.Client.Customer.Query().Where(entcustomer.ID(id)).Exist(auth.SystemContext(ctx))
		if err == nil && !ok {
			return apperr.NotFound("customer not found")
		}
	}
	switch {
	case ent.IsNotFound(err):
		return apperr.NotFound("customer not found")
	case err != nil:
		return fmt.Errorf("load customer %s: %w", id, err)
	}
	return nil
}

// CreateCustomerInteraction records an entry of the ledger; an entry that
// answers a consultation closes its first-response clock.
func (s *Server) CreateCustomerInteraction(ctx context.Context, req api.CreateCustomerInteractionRequestObject) (api.CreateCustomerInteractionResponseObject, error) {
	b := req.Body
	in := quality.InteractionInput{
		ID:                   b.Id,
		CustomerID:           req.Id,
		Channel:              interaction.Channel(b.Channel),
		Type:                 interaction.Type(b.Type),
		Content:              b.Content,
		Result:               derefString(b.Result),
		Feedback:             derefString(b.Feedback),
		ReceivedAt:           b.ReceivedAt,
		FirstResponseAt:      b.FirstResponseAt,
		AnswersInteractionID: b.AnswersInteractionId,
		TaskID:               b.TaskId,
		PlanStepID:           b.PlanStepId,
	}
	if b.ToolkitItemIds != nil {
		in.ToolkitItemIDs = *b.ToolkitItemIds
	}
	row, err := s.quality.RecordInteraction(ctx, in)
	if err != nil {
		return nil, denied(err)
	}
	return api.CreateCustomerInteraction201JSONResponse{
		Body: interactionToAPI(row),
		Headers: api.CreateCustomerInteraction201ResponseHeaders{
			ETag: customer.ETag(row.Version), Location: "/v1/interactions/" + row.ID.String(),
		},
	}, nil
}

// ListInteractions lists the ledger across the caller's scope in ID order
// (creation order).
func (s *Server) ListInteractions(ctx context.Context, req api.ListInteractionsRequestObject) (api.ListInteractionsResponseObject, error) {
	p := req.Params
	after, err := afterID(p.Cursor)
	if err != nil {
		return nil, err
	}
	q := s.db.Client.Interaction.Query()
	if p.CustomerId != nil {
		q.Where(interaction.CustomerID(*p.CustomerId))
	}
	if p.UpdatedSince != nil {
		q.Where(interaction.UpdatedAtGTE(p.UpdatedSince.UTC()))
	}
	if after != nil {
		q.Where(interaction.IDGT(*after))
	}
	limit := pageLimit(p.Limit)
	rows, err := q.Order(ent.Asc(interaction.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list interactions: %w", err)
	}
	page := api.ListInteractions200JSONResponse{Items: make([]api.Interaction, 0, min(len(rows), limit))}
	for _, r := range rows[:min(len(rows), limit)] {
		page.Items = append(page.Items, interactionToAPI(r))
	}
	if len(rows) > limit {
		next := customer.EncodeCursor(rows[limit-1].ID)
		page.NextCursor = &next
	}
	return page, nil
}

// GetInteraction returns one entry of the ledger.
func (s *Server) GetInteraction(ctx context.Context, req api.GetInteractionRequestObject) (api.GetInteractionResponseObject, error) {
	row, err := s.db.Client.Interaction.Get(ctx, req.Id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("interaction not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get interaction %s: %w", req.Id, err)
	}
	return api.GetInteraction200JSONResponse{Body: interactionToAPI(row),
		Headers: api.GetInteraction200ResponseHeaders{ETag: customer.ETag(row.Version)}}, nil
}

// CreateCustomerNpsAnswer records a customer's answer to the NPS survey.
func (s *Server) CreateCustomerNpsAnswer(ctx context.Context, req api.CreateCustomerNpsAnswerRequestObject) (api.CreateCustomerNpsAnswerResponseObject, error) {
	b := req.Body
	a, err := s.quality.RecordNPS(ctx, quality.NPSInput{
		ID: b.Id, CustomerID: req.Id, Score: int(b.Score), Comment: derefString(b.Comment),
		InteractionID: b.InteractionId, AnsweredAt: b.AnsweredAt,
	})
	if err != nil {
		return nil, denied(err)
	}
	return api.CreateCustomerNpsAnswer201JSONResponse(npsAnswerToAPI(a)), nil
}
