package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The notifications operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in notifications.go.

// ListNotifications is not implemented yet.
func (s *Server) ListNotifications(ctx context.Context, request api.ListNotificationsRequestObject) (api.ListNotificationsResponseObject, error) {
	return nil, notImplemented("ListNotifications")
}

// MarkNotificationRead is not implemented yet.
func (s *Server) MarkNotificationRead(ctx context.Context, request api.MarkNotificationReadRequestObject) (api.MarkNotificationReadResponseObject, error) {
	return nil, notImplemented("MarkNotificationRead")
}
