package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The webhooks operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in webhooks.go.

// ListWebhooks is not implemented yet.
func (s *Server) ListWebhooks(ctx context.Context, request api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	return nil, notImplemented("ListWebhooks")
}

// CreateWebhook is not implemented yet.
func (s *Server) CreateWebhook(ctx context.Context, request api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	return nil, notImplemented("CreateWebhook")
}

// DeleteWebhook is not implemented yet.
func (s *Server) DeleteWebhook(ctx context.Context, request api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	return nil, notImplemented("DeleteWebhook")
}

// GetWebhook is not implemented yet.
func (s *Server) GetWebhook(ctx context.Context, request api.GetWebhookRequestObject) (api.GetWebhookResponseObject, error) {
	return nil, notImplemented("GetWebhook")
}

// UpdateWebhook is not implemented yet.
func (s *Server) UpdateWebhook(ctx context.Context, request api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	return nil, notImplemented("UpdateWebhook")
}

// ListWebhookDeliveries is not implemented yet.
func (s *Server) ListWebhookDeliveries(ctx context.Context, request api.ListWebhookDeliveriesRequestObject) (api.ListWebhookDeliveriesResponseObject, error) {
	return nil, notImplemented("ListWebhookDeliveries")
}

// RedeliverWebhookDelivery is not implemented yet.
func (s *Server) RedeliverWebhookDelivery(ctx context.Context, request api.RedeliverWebhookDeliveryRequestObject) (api.RedeliverWebhookDeliveryResponseObject, error) {
	return nil, notImplemented("RedeliverWebhookDelivery")
}
