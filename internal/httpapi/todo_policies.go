package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The policies operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in policies.go.

// ListPolicies is not implemented yet.
func (s *Server) ListPolicies(ctx context.Context, request api.ListPoliciesRequestObject) (api.ListPoliciesResponseObject, error) {
	return nil, notImplemented("ListPolicies")
}

// GetPolicy is not implemented yet.
func (s *Server) GetPolicy(ctx context.Context, request api.GetPolicyRequestObject) (api.GetPolicyResponseObject, error) {
	return nil, notImplemented("GetPolicy")
}
