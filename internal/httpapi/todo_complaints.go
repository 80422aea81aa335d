package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The complaints operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in complaints.go.

// ListComplaints is not implemented yet.
func (s *Server) ListComplaints(ctx context.Context, request api.ListComplaintsRequestObject) (api.ListComplaintsResponseObject, error) {
	return nil, notImplemented("ListComplaints")
}

// CreateComplaint is not implemented yet.
func (s *Server) CreateComplaint(ctx context.Context, request api.CreateComplaintRequestObject) (api.CreateComplaintResponseObject, error) {
	return nil, notImplemented("CreateComplaint")
}

// GetComplaint is not implemented yet.
func (s *Server) GetComplaint(ctx context.Context, request api.GetComplaintRequestObject) (api.GetComplaintResponseObject, error) {
	return nil, notImplemented("GetComplaint")
}

// UpdateComplaint is not implemented yet.
func (s *Server) UpdateComplaint(ctx context.Context, request api.UpdateComplaintRequestObject) (api.UpdateComplaintResponseObject, error) {
	return nil, notImplemented("UpdateComplaint")
}
