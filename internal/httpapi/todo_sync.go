package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The sync operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in sync.go.

// GetSyncChecksum is not implemented yet.
func (s *Server) GetSyncChecksum(ctx context.Context, request api.GetSyncChecksumRequestObject) (api.GetSyncChecksumResponseObject, error) {
	return nil, notImplemented("GetSyncChecksum")
}

// StreamSyncEvents is not implemented yet.
func (s *Server) StreamSyncEvents(ctx context.Context, request api.StreamSyncEventsRequestObject) (api.StreamSyncEventsResponseObject, error) {
	return nil, notImplemented("StreamSyncEvents")
}

// PullChanges is not implemented yet.
func (s *Server) PullChanges(ctx context.Context, request api.PullChangesRequestObject) (api.PullChangesResponseObject, error) {
	return nil, notImplemented("PullChanges")
}

// PushChanges is not implemented yet.
func (s *Server) PushChanges(ctx context.Context, request api.PushChangesRequestObject) (api.PushChangesResponseObject, error) {
	return nil, notImplemented("PushChanges")
}

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

// PullWatermelonChanges is not implemented yet.
func (s *Server) PullWatermelonChanges(ctx context.Context, request api.PullWatermelonChangesRequestObject) (api.PullWatermelonChangesResponseObject, error) {
	return nil, notImplemented("PullWatermelonChanges")
}

// PushWatermelonChanges is not implemented yet.
func (s *Server) PushWatermelonChanges(ctx context.Context, request api.PushWatermelonChangesRequestObject) (api.PushWatermelonChangesResponseObject, error) {
	return nil, notImplemented("PushWatermelonChanges")
}
