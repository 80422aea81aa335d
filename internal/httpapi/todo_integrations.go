package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The integrations operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in integrations.go.

// ImportIntegrationBatch is not implemented yet.
func (s *Server) ImportIntegrationBatch(ctx context.Context, request api.ImportIntegrationBatchRequestObject) (api.ImportIntegrationBatchResponseObject, error) {
	return nil, notImplemented("ImportIntegrationBatch")
}

// ListIntegrationChanges is not implemented yet.
func (s *Server) ListIntegrationChanges(ctx context.Context, request api.ListIntegrationChangesRequestObject) (api.ListIntegrationChangesResponseObject, error) {
	return nil, notImplemented("ListIntegrationChanges")
}

// UpsertIntegrationCustomer is not implemented yet.
func (s *Server) UpsertIntegrationCustomer(ctx context.Context, request api.UpsertIntegrationCustomerRequestObject) (api.UpsertIntegrationCustomerResponseObject, error) {
	return nil, notImplemented("UpsertIntegrationCustomer")
}

// UpsertIntegrationPolicy is not implemented yet.
func (s *Server) UpsertIntegrationPolicy(ctx context.Context, request api.UpsertIntegrationPolicyRequestObject) (api.UpsertIntegrationPolicyResponseObject, error) {
	return nil, notImplemented("UpsertIntegrationPolicy")
}
