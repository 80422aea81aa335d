package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The plans operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in plans.go.

// GetCustomerServicePlan is not implemented yet.
func (s *Server) GetCustomerServicePlan(ctx context.Context, request api.GetCustomerServicePlanRequestObject) (api.GetCustomerServicePlanResponseObject, error) {
	return nil, notImplemented("GetCustomerServicePlan")
}

// ListPlanRules is not implemented yet.
func (s *Server) ListPlanRules(ctx context.Context, request api.ListPlanRulesRequestObject) (api.ListPlanRulesResponseObject, error) {
	return nil, notImplemented("ListPlanRules")
}

// CreatePlanRule is not implemented yet.
func (s *Server) CreatePlanRule(ctx context.Context, request api.CreatePlanRuleRequestObject) (api.CreatePlanRuleResponseObject, error) {
	return nil, notImplemented("CreatePlanRule")
}

// DeletePlanRule is not implemented yet.
func (s *Server) DeletePlanRule(ctx context.Context, request api.DeletePlanRuleRequestObject) (api.DeletePlanRuleResponseObject, error) {
	return nil, notImplemented("DeletePlanRule")
}

// GetPlanRule is not implemented yet.
func (s *Server) GetPlanRule(ctx context.Context, request api.GetPlanRuleRequestObject) (api.GetPlanRuleResponseObject, error) {
	return nil, notImplemented("GetPlanRule")
}

// ReplacePlanRule is not implemented yet.
func (s *Server) ReplacePlanRule(ctx context.Context, request api.ReplacePlanRuleRequestObject) (api.ReplacePlanRuleResponseObject, error) {
	return nil, notImplemented("ReplacePlanRule")
}
