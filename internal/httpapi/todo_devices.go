package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The devices operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in devices.go.

// RegisterDevice is not implemented yet.
func (s *Server) RegisterDevice(ctx context.Context, request api.RegisterDeviceRequestObject) (api.RegisterDeviceResponseObject, error) {
	return nil, notImplemented("RegisterDevice")
}

// DeleteDevice is not implemented yet.
func (s *Server) DeleteDevice(ctx context.Context, request api.DeleteDeviceRequestObject) (api.DeleteDeviceResponseObject, error) {
	return nil, notImplemented("DeleteDevice")
}
