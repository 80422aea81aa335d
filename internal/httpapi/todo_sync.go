package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The WatermelonDB adapter of the sync protocol is designed in openapi.yaml
// but not implemented yet: each operation answers 501. The native protocol
// is in sync.go, the RxDB adapter in sync_rxdb.go.

// PullWatermelonChanges is not implemented yet.
func (s *Server) PullWatermelonChanges(ctx context.Context, request api.PullWatermelonChangesRequestObject) (api.PullWatermelonChangesResponseObject, error) {
	return nil, notImplemented("PullWatermelonChanges")
}

// PushWatermelonChanges is not implemented yet.
func (s *Server) PushWatermelonChanges(ctx context.Context, request api.PushWatermelonChangesRequestObject) (api.PushWatermelonChangesResponseObject, error) {
	return nil, notImplemented("PushWatermelonChanges")
}
