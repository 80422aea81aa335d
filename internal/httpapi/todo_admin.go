package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The admin operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in admin.go.

// ListAgents is not implemented yet.
func (s *Server) ListAgents(ctx context.Context, request api.ListAgentsRequestObject) (api.ListAgentsResponseObject, error) {
	return nil, notImplemented("ListAgents")
}

// CreateAgent is not implemented yet.
func (s *Server) CreateAgent(ctx context.Context, request api.CreateAgentRequestObject) (api.CreateAgentResponseObject, error) {
	return nil, notImplemented("CreateAgent")
}

// GetAgent is not implemented yet.
func (s *Server) GetAgent(ctx context.Context, request api.GetAgentRequestObject) (api.GetAgentResponseObject, error) {
	return nil, notImplemented("GetAgent")
}

// UpdateAgent is not implemented yet.
func (s *Server) UpdateAgent(ctx context.Context, request api.UpdateAgentRequestObject) (api.UpdateAgentResponseObject, error) {
	return nil, notImplemented("UpdateAgent")
}

// GetWorkingCalendar is not implemented yet.
func (s *Server) GetWorkingCalendar(ctx context.Context, request api.GetWorkingCalendarRequestObject) (api.GetWorkingCalendarResponseObject, error) {
	return nil, notImplemented("GetWorkingCalendar")
}

// SetCalendarDay is not implemented yet.
func (s *Server) SetCalendarDay(ctx context.Context, request api.SetCalendarDayRequestObject) (api.SetCalendarDayResponseObject, error) {
	return nil, notImplemented("SetCalendarDay")
}

// ListIntegratorClients is not implemented yet.
func (s *Server) ListIntegratorClients(ctx context.Context, request api.ListIntegratorClientsRequestObject) (api.ListIntegratorClientsResponseObject, error) {
	return nil, notImplemented("ListIntegratorClients")
}

// CreateIntegratorClient is not implemented yet.
func (s *Server) CreateIntegratorClient(ctx context.Context, request api.CreateIntegratorClientRequestObject) (api.CreateIntegratorClientResponseObject, error) {
	return nil, notImplemented("CreateIntegratorClient")
}

// DeleteIntegratorClient is not implemented yet.
func (s *Server) DeleteIntegratorClient(ctx context.Context, request api.DeleteIntegratorClientRequestObject) (api.DeleteIntegratorClientResponseObject, error) {
	return nil, notImplemented("DeleteIntegratorClient")
}

// ListTeams is not implemented yet.
func (s *Server) ListTeams(ctx context.Context, request api.ListTeamsRequestObject) (api.ListTeamsResponseObject, error) {
	return nil, notImplemented("ListTeams")
}

// CreateTeam is not implemented yet.
func (s *Server) CreateTeam(ctx context.Context, request api.CreateTeamRequestObject) (api.CreateTeamResponseObject, error) {
	return nil, notImplemented("CreateTeam")
}
