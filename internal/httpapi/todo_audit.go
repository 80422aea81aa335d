package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The audit operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in audit.go.

// ListAuditEntries is not implemented yet.
func (s *Server) ListAuditEntries(ctx context.Context, request api.ListAuditEntriesRequestObject) (api.ListAuditEntriesResponseObject, error) {
	return nil, notImplemented("ListAuditEntries")
}
