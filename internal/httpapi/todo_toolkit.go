package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The toolkit operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in toolkit.go.

// ListToolkitItems is not implemented yet.
func (s *Server) ListToolkitItems(ctx context.Context, request api.ListToolkitItemsRequestObject) (api.ListToolkitItemsResponseObject, error) {
	return nil, notImplemented("ListToolkitItems")
}

// CreateToolkitItem is not implemented yet.
func (s *Server) CreateToolkitItem(ctx context.Context, request api.CreateToolkitItemRequestObject) (api.CreateToolkitItemResponseObject, error) {
	return nil, notImplemented("CreateToolkitItem")
}

// GetToolkitItem is not implemented yet.
func (s *Server) GetToolkitItem(ctx context.Context, request api.GetToolkitItemRequestObject) (api.GetToolkitItemResponseObject, error) {
	return nil, notImplemented("GetToolkitItem")
}

// UpdateToolkitItem is not implemented yet.
func (s *Server) UpdateToolkitItem(ctx context.Context, request api.UpdateToolkitItemRequestObject) (api.UpdateToolkitItemResponseObject, error) {
	return nil, notImplemented("UpdateToolkitItem")
}

// PublishToolkitItem is not implemented yet.
func (s *Server) PublishToolkitItem(ctx context.Context, request api.PublishToolkitItemRequestObject) (api.PublishToolkitItemResponseObject, error) {
	return nil, notImplemented("PublishToolkitItem")
}

// RenderToolkitItem is not implemented yet.
func (s *Server) RenderToolkitItem(ctx context.Context, request api.RenderToolkitItemRequestObject) (api.RenderToolkitItemResponseObject, error) {
	return nil, notImplemented("RenderToolkitItem")
}

// RetireToolkitItem is not implemented yet.
func (s *Server) RetireToolkitItem(ctx context.Context, request api.RetireToolkitItemRequestObject) (api.RetireToolkitItemResponseObject, error) {
	return nil, notImplemented("RetireToolkitItem")
}

// ListToolkitItemRevisions is not implemented yet.
func (s *Server) ListToolkitItemRevisions(ctx context.Context, request api.ListToolkitItemRevisionsRequestObject) (api.ListToolkitItemRevisionsResponseObject, error) {
	return nil, notImplemented("ListToolkitItemRevisions")
}
