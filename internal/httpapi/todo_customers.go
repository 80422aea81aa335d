package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The customers operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in customers.go.

// ListCustomers is not implemented yet.
func (s *Server) ListCustomers(ctx context.Context, request api.ListCustomersRequestObject) (api.ListCustomersResponseObject, error) {
	return nil, notImplemented("ListCustomers")
}

// CreateCustomer is not implemented yet.
func (s *Server) CreateCustomer(ctx context.Context, request api.CreateCustomerRequestObject) (api.CreateCustomerResponseObject, error) {
	return nil, notImplemented("CreateCustomer")
}

// DeleteCustomer is not implemented yet.
func (s *Server) DeleteCustomer(ctx context.Context, request api.DeleteCustomerRequestObject) (api.DeleteCustomerResponseObject, error) {
	return nil, notImplemented("DeleteCustomer")
}

// GetCustomer is not implemented yet.
func (s *Server) GetCustomer(ctx context.Context, request api.GetCustomerRequestObject) (api.GetCustomerResponseObject, error) {
	return nil, notImplemented("GetCustomer")
}

// UpdateCustomer is not implemented yet.
func (s *Server) UpdateCustomer(ctx context.Context, request api.UpdateCustomerRequestObject) (api.UpdateCustomerResponseObject, error) {
	return nil, notImplemented("UpdateCustomer")
}

// CreateCustomerNpsAnswer is not implemented yet.
func (s *Server) CreateCustomerNpsAnswer(ctx context.Context, request api.CreateCustomerNpsAnswerRequestObject) (api.CreateCustomerNpsAnswerResponseObject, error) {
	return nil, notImplemented("CreateCustomerNpsAnswer")
}

// GetCustomerPortrait is not implemented yet.
func (s *Server) GetCustomerPortrait(ctx context.Context, request api.GetCustomerPortraitRequestObject) (api.GetCustomerPortraitResponseObject, error) {
	return nil, notImplemented("GetCustomerPortrait")
}
