package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The customers operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in customers.go.

// CreateCustomerNpsAnswer is not implemented yet.
func (s *Server) CreateCustomerNpsAnswer(ctx context.Context, request api.CreateCustomerNpsAnswerRequestObject) (api.CreateCustomerNpsAnswerResponseObject, error) {
	return nil, notImplemented("CreateCustomerNpsAnswer")
}

// GetCustomerPortrait is not implemented yet.
func (s *Server) GetCustomerPortrait(ctx context.Context, request api.GetCustomerPortraitRequestObject) (api.GetCustomerPortraitResponseObject, error) {
	return nil, notImplemented("GetCustomerPortrait")
}
