package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The reports operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in reports.go.

// GetReminderReport is not implemented yet.
func (s *Server) GetReminderReport(ctx context.Context, request api.GetReminderReportRequestObject) (api.GetReminderReportResponseObject, error) {
	return nil, notImplemented("GetReminderReport")
}
