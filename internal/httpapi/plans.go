package httpapi

import (
	"context"
	"math"
	"strconv"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/plan"
)

// GetCustomerServicePlan returns a customer's service plan, generating it
// first when it never was.
func (s *Server) GetCustomerServicePlan(ctx context.Context, req api.GetCustomerServicePlanRequestObject) (api.GetCustomerServicePlanResponseObject, error) {
	v, err := plan.GetPlan(ctx, s.db, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetCustomerServicePlan200JSONResponse{Body: servicePlanToAPI(v.Plan, v.Steps),
		Headers: api.GetCustomerServicePlan200ResponseHeaders{ETag: customer.ETag(v.Plan.Version)}}, nil
}

// ruleETag is a rule's entity tag: its revision.
func ruleETag(r plan.Rule) string { return customer.ETag(int64(r.Revision)) }

// recomputeSoon wakes the background recompute rather than leaving the
// change to its next round: the rules or the published toolkit moved, so
// the book is swept.
func (s *Server) recomputeSoon() {
	if s.recompute != nil {
		s.recompute.Enqueue()
	}
}

// ListPlanRules lists the plan rules by key (admins).
func (s *Server) ListPlanRules(ctx context.Context, req api.ListPlanRulesRequestObject) (api.ListPlanRulesResponseObject, error) {
	p := req.Params
	in := plan.ListRulesInput{Enabled: p.Enabled, Cursor: derefString(p.Cursor), Limit: pageLimit(p.Limit)}
	if p.Scenario != nil {
		in.Scenario = string(*p.Scenario)
	}
	page, err := plan.ListRules(ctx, s.db, in)
	if err != nil {
		return nil, err
	}
	out := api.ListPlanRules200JSONResponse{Items: make([]api.PlanRule, 0, len(page.Items))}
	for _, r := range page.Items {
		out.Items = append(out.Items, planRuleToAPI(r))
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return out, nil
}

// CreatePlanRule validates and stores a new rule (admins); plans follow in
// the background.
func (s *Server) CreatePlanRule(ctx context.Context, req api.CreatePlanRuleRequestObject) (api.CreatePlanRuleResponseObject, error) {
	r, err := plan.CreateRule(ctx, s.db, planRuleFromAPI(*req.Body))
	if err != nil {
		return nil, err
	}
	s.recomputeSoon()
	return api.CreatePlanRule201JSONResponse{Body: planRuleToAPI(r), Headers: api.CreatePlanRule201ResponseHeaders{
		ETag: ruleETag(r), Location: "/v1/plan-rules/" + r.ID.String()}}, nil
}

// GetPlanRule returns one rule (admins).
func (s *Server) GetPlanRule(ctx context.Context, req api.GetPlanRuleRequestObject) (api.GetPlanRuleResponseObject, error) {
	r, err := plan.GetRule(ctx, s.db, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetPlanRule200JSONResponse{Body: planRuleToAPI(r), Headers: api.GetPlanRule200ResponseHeaders{ETag: ruleETag(r)}}, nil
}

// ReplacePlanRule replaces a rule as a whole (admins), when If-Match is
// its current revision.
func (s *Server) ReplacePlanRule(ctx context.Context, req api.ReplacePlanRuleRequestObject) (api.ReplacePlanRuleResponseObject, error) {
	rev, err := ruleRevision(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	r, err := plan.UpdateRule(ctx, s.db, req.Id, rev, planRuleFromAPI(*req.Body))
	if err != nil {
		return nil, err
	}
	s.recomputeSoon()
	return api.ReplacePlanRule200JSONResponse{Body: planRuleToAPI(r), Headers: api.ReplacePlanRule200ResponseHeaders{ETag: ruleETag(r)}}, nil
}

// DeletePlanRule deletes a rule (admins); built-in rules can only be
// disabled (409).
func (s *Server) DeletePlanRule(ctx context.Context, req api.DeletePlanRuleRequestObject) (api.DeletePlanRuleResponseObject, error) {
	rev, err := ruleRevision(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := plan.DeleteRule(ctx, s.db, req.Id, rev); err != nil {
		return nil, err
	}
	s.recomputeSoon()
	return api.DeletePlanRule204Response{}, nil
}

// ruleRevision reads If-Match as a rule revision; 0 (no check) when
// absent.
func ruleRevision(ifMatch *string) (int, error) {
	v, err := baseVersion(ifMatch)
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt32 {
		return 0, apperr.PreconditionFailed("If-Match " + strconv.Quote(derefString(ifMatch)) + " matches no revision: reload the rule and retry")
	}
	return int(v), nil
}
