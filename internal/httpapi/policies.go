package httpapi

import (
	"context"
	"fmt"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/customer"
)

// ListPolicies lists the policies in the caller's scope by ID: the access
// rules keep an agent to the book, a lead to the team's.
func (s *Server) ListPolicies(ctx context.Context, req api.ListPoliciesRequestObject) (api.ListPoliciesResponseObject, error) {
	p := req.Params
	after, err := afterID(p.Cursor)
	if err != nil {
		return nil, err
	}
	q := s.db.Client.InsurancePolicy.Query()
	if p.CustomerId != nil {
		q.Where(insurancepolicy.CustomerID(*p.CustomerId))
	}
	if p.Status != nil {
		q.Where(insurancepolicy.StatusEQ(insurancepolicy.Status(*p.Status)))
	}
	if p.Line != nil {
		q.Where(insurancepolicy.LineEQ(insurancepolicy.Line(*p.Line)))
	}
	// Dates are stored as midnight UTC of the day, as the contract's dates
	// parse: "on or before" compares them directly.
	if p.PremiumDueBefore != nil {
		q.Where(insurancepolicy.NextPremiumDueDateLTE(p.PremiumDueBefore.Time.UTC()))
	}
	if p.RenewalBefore != nil {
		q.Where(insurancepolicy.RenewalDateLTE(p.RenewalBefore.Time.UTC()))
	}
	if p.UpdatedSince != nil {
		q.Where(insurancepolicy.UpdatedAtGTE(p.UpdatedSince.UTC()))
	}
	if after != nil {
		q.Where(insurancepolicy.IDGT(*after))
	}
	limit := pageLimit(p.Limit)
	rows, err := q.Order(ent.Asc(insurancepolicy.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	page := api.ListPolicies200JSONResponse{Items: make([]api.Policy, 0, min(len(rows), limit))}
	for _, r := range rows[:min(len(rows), limit)] {
		page.Items = append(page.Items, policyToAPI(r))
	}
	if len(rows) > limit {
		next := customer.EncodeCursor(rows[limit-1].ID)
		page.NextCursor = &next
	}
	return page, nil
}

// GetPolicy returns one policy of the caller's scope.
func (s *Server) GetPolicy(ctx context.Context, req api.GetPolicyRequestObject) (api.GetPolicyResponseObject, error) {
	row, err := s.db.Client.InsurancePolicy.Get(ctx, req.Id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("policy not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get policy %s: %w", req.Id, err)
	}
	return api.GetPolicy200JSONResponse{Body: policyToAPI(row), Headers: api.GetPolicy200ResponseHeaders{ETag: customer.ETag(row.Version)}}, nil
}
