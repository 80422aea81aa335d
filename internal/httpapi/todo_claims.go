package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The claims operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in claims.go.

// ListClaims is not implemented yet.
func (s *Server) ListClaims(ctx context.Context, request api.ListClaimsRequestObject) (api.ListClaimsResponseObject, error) {
	return nil, notImplemented("ListClaims")
}

// CreateClaim is not implemented yet.
func (s *Server) CreateClaim(ctx context.Context, request api.CreateClaimRequestObject) (api.CreateClaimResponseObject, error) {
	return nil, notImplemented("CreateClaim")
}

// GetClaim is not implemented yet.
func (s *Server) GetClaim(ctx context.Context, request api.GetClaimRequestObject) (api.GetClaimResponseObject, error) {
	return nil, notImplemented("GetClaim")
}

// UpdateClaim is not implemented yet.
func (s *Server) UpdateClaim(ctx context.Context, request api.UpdateClaimRequestObject) (api.UpdateClaimResponseObject, error) {
	return nil, notImplemented("UpdateClaim")
}
