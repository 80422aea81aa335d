package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The interactions operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in interactions.go.

// ListCustomerInteractions is not implemented yet.
func (s *Server) ListCustomerInteractions(ctx context.Context, request api.ListCustomerInteractionsRequestObject) (api.ListCustomerInteractionsResponseObject, error) {
	return nil, notImplemented("ListCustomerInteractions")
}

// CreateCustomerInteraction is not implemented yet.
func (s *Server) CreateCustomerInteraction(ctx context.Context, request api.CreateCustomerInteractionRequestObject) (api.CreateCustomerInteractionResponseObject, error) {
	return nil, notImplemented("CreateCustomerInteraction")
}

// ListInteractions is not implemented yet.
func (s *Server) ListInteractions(ctx context.Context, request api.ListInteractionsRequestObject) (api.ListInteractionsResponseObject, error) {
	return nil, notImplemented("ListInteractions")
}

// GetInteraction is not implemented yet.
func (s *Server) GetInteraction(ctx context.Context, request api.GetInteractionRequestObject) (api.GetInteractionResponseObject, error) {
	return nil, notImplemented("GetInteraction")
}
