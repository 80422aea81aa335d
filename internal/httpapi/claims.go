package httpapi

import (
	"context"
	"fmt"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/quality"
)

// ListClaims lists the claims in the caller's scope newest first: by
// filed_at, then by ID, both descending.
func (s *Server) ListClaims(ctx context.Context, req api.ListClaimsRequestObject) (api.ListClaimsResponseObject, error) {
	p := req.Params
	after, err := decodeTimeCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	q := s.db.Client.Claim.Query()
	if p.CustomerId != nil {
		q.Where(claim.CustomerID(*p.CustomerId))
	}
	if p.PolicyId != nil {
		q.Where(claim.PolicyID(*p.PolicyId))
	}
	if p.Status != nil {
		q.Where(claim.StatusEQ(claim.Status(*p.Status)))
	}
	if p.UpdatedSince != nil {
		q.Where(claim.UpdatedAtGTE(p.UpdatedSince.UTC()))
	}
	if after != nil {
		q.Where(claim.Or(claim.FiledAtLT(after.at), claim.And(claim.FiledAt(after.at), claim.IDLT(after.id))))
	}
	limit := pageLimit(p.Limit)
	rows, err := q.Order(ent.Desc(claim.FieldFiledAt), ent.Desc(claim.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list claims: %w", err)
	}
	now := s.clock.Now()
	page := api.ListClaims200JSONResponse{Items: make([]api.Claim, 0, min(len(rows), limit))}
	for _, r := range rows[:min(len(rows), limit)] {
		page.Items = append(page.Items, claimToAPI(r, now))
	}
	if len(rows) > limit {
		last := rows[limit-1]
		next := encodeTimeCursor(timeKey{at: last.FiledAt, id: last.ID})
		page.NextCursor = &next
	}
	return page, nil
}

// CreateClaim files a claim; its clocks start at filed_at. Claims are in
// CNY: the record has no currency of its own.
func (s *Server) CreateClaim(ctx context.Context, req api.CreateClaimRequestObject) (api.CreateClaimResponseObject, error) {
	b := req.Body
	if b.Currency != nil && *b.Currency != claimCurrency {
		return nil, apperr.Invalid("the claim is invalid",
			apperr.FieldError{Field: "/currency", Code: "unsupported", Message: "claims are recorded in CNY"})
	}
	in := quality.ClaimInput{
		ID: b.Id, CustomerID: b.CustomerId, PolicyID: b.PolicyId, Description: b.Description, FiledAt: b.FiledAt,
	}
	if b.AmountClaimedCents != nil {
		in.AmountClaimedCents = *b.AmountClaimedCents
	}
	c, err := s.quality.OpenClaim(ctx, in)
	if err != nil {
		return nil, denied(err)
	}
	return api.CreateClaim201JSONResponse{
		Body: claimToAPI(c, s.clock.Now()),
		Headers: api.CreateClaim201ResponseHeaders{
			ETag: customer.ETag(c.Version), Location: "/v1/claims/" + c.ID.String(),
		},
	}, nil
}

// GetClaim returns one claim with its SLA state now.
func (s *Server) GetClaim(ctx context.Context, req api.GetClaimRequestObject) (api.GetClaimResponseObject, error) {
	c, err := s.db.Client.Claim.Get(ctx, req.Id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("claim not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get claim %s: %w", req.Id, err)
	}
	return api.GetClaim200JSONResponse{Body: claimToAPI(c, s.clock.Now()),
		Headers: api.GetClaim200ResponseHeaders{ETag: customer.ETag(c.Version)}}, nil
}

// UpdateClaim applies a transition with its data; If-Match is the version
// the change is based on. The note is kept in the claim's history.
func (s *Server) UpdateClaim(ctx context.Context, req api.UpdateClaimRequestObject) (api.UpdateClaimResponseObject, error) {
	base, err := baseVersion(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c, err := s.quality.TransitionClaim(ctx, req.Id, base, quality.ClaimTransition(b.Transition), quality.ClaimFields{
		Decision:        enumPtr[claim.Decision](b.Decision),
		AmountPaidCents: b.AmountPaidCents,
		Note:            b.Note,
	})
	if err != nil {
		return nil, denied(err)
	}
	return api.UpdateClaim200JSONResponse{Body: claimToAPI(c, s.clock.Now()),
		Headers: api.UpdateClaim200ResponseHeaders{ETag: customer.ETag(c.Version)}}, nil
}

// ListClaimEvents returns a claim's history, oldest first.
func (s *Server) ListClaimEvents(ctx context.Context, req api.ListClaimEventsRequestObject) (api.ListClaimEventsResponseObject, error) {
	evs, err := s.quality.ClaimEvents(ctx, req.Id)
	if err != nil {
		return nil, denied(err)
	}
	out := api.ClaimEventList{Items: make([]api.ClaimEvent, len(evs))}
	for i, ev := range evs {
		out.Items[i] = api.ClaimEvent{
			Id: ev.ID, ClaimId: ev.ClaimID, Transition: api.ClaimTransition(ev.Transition),
			FromStatus: api.ClaimStatus(ev.FromStatus), ToStatus: api.ClaimStatus(ev.ToStatus),
			Note: ev.Note, AgentId: ev.AgentID, At: ev.At.UTC(), RecordedAt: ev.RecordedAt.UTC(),
		}
	}
	return api.ListClaimEvents200JSONResponse(out), nil
}
