package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The adapters of the sync protocol (WatermelonDB, RxDB) are designed in
// openapi.yaml but not implemented yet: each answers 501. The native
// protocol is in sync.go.

// PullRxdbDocuments is not implemented yet.
func (s *Server) PullRxdbDocuments(ctx context.Context, request api.PullRxdbDocumentsRequestObject) (api.PullRxdbDocumentsResponseObject, error) {
	return nil, notImplemented("PullRxdbDocuments")
}

// StreamRxdbChanges is not implemented yet.
func (s *Server) StreamRxdbChanges(ctx context.Context, request api.StreamRxdbChangesRequestObject) (api.StreamRxdbChangesResponseObject, error) {
	return nil, notImplemented("StreamRxdbChanges")
}

// PushRxdbDocuments is not implemented yet.
func (s *Server) PushRxdbDocuments(ctx context.Context, request api.PushRxdbDocumentsRequestObject) (api.PushRxdbDocumentsResponseObject, error) {
	return nil, notImplemented("PushRxdbDocuments")
}
