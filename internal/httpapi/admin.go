package httpapi

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/account"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/customer"
)

func agentToAPI(a *ent.Agent) api.Agent {
	return api.Agent{
		Id: a.ID, Username: a.Username, DisplayName: a.DisplayName, Role: api.Role(a.Role), TeamId: a.TeamID,
		TimeZone: a.TimeZone, Locale: api.Locale(a.Locale), Disabled: a.Disabled,
		CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(),
	}
}

// agentETag is opaque: agents carry no version, so their last change is
// the tag.
func agentETag(a *ent.Agent) string { return `"` + strconv.FormatInt(a.UpdatedAt.UnixNano(), 36) + `"` }

func pageArgs(cursor *api.Cursor, limit *api.Limit) (*uuid.UUID, int, error) {
	n := 50
	if limit != nil {
		n = int(*limit)
	}
	if cursor == nil {
		return nil, n, nil
	}
	after, err := customer.DecodeCursor(*cursor)
	if err != nil {
		return nil, 0, err
	}
	return &after, n, nil
}

func nextCursor(n, limit int, last uuid.UUID) *string {
	if n < limit {
		return nil
	}
	c := customer.EncodeCursor(last)
	return &c
}

// ListAgents lists the agents the caller may see.
func (s *Server) ListAgents(ctx context.Context, req api.ListAgentsRequestObject) (api.ListAgentsResponseObject, error) {
	after, limit, err := pageArgs(req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.accounts.ListAgents(ctx, req.Params.TeamId, strPtr(req.Params.Role), req.Params.Disabled, after, limit)
	if err != nil {
		return nil, err
	}
	page := api.ListAgents200JSONResponse{Items: make([]api.Agent, 0, len(rows))}
	for _, a := range rows {
		page.Items = append(page.Items, agentToAPI(a))
	}
	if len(rows) > 0 {
		page.NextCursor = nextCursor(len(rows), limit, rows[len(rows)-1].ID)
	}
	return page, nil
}

// CreateAgent adds an account.
func (s *Server) CreateAgent(ctx context.Context, req api.CreateAgentRequestObject) (api.CreateAgentResponseObject, error) {
	b := req.Body
	role := string(b.Role)
	a, err := s.accounts.CreateAgent(ctx, account.AgentInput{
		Username: b.Username, DisplayName: &b.DisplayName, Password: &b.Password, Role: &role, TeamID: b.TeamId,
		TimeZone: b.TimeZone, Locale: strPtr(b.Locale),
	})
	if err != nil {
		return nil, err
	}
	return api.CreateAgent201JSONResponse{Body: agentToAPI(a), Headers: api.CreateAgent201ResponseHeaders{
		ETag: agentETag(a), Location: "/v1/admin/agents/" + a.ID.String()}}, nil
}

// GetAgent returns an agent the caller may see.
func (s *Server) GetAgent(ctx context.Context, req api.GetAgentRequestObject) (api.GetAgentResponseObject, error) {
	a, err := s.accounts.GetAgent(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetAgent200JSONResponse{Body: agentToAPI(a), Headers: api.GetAgent200ResponseHeaders{ETag: agentETag(a)}}, nil
}

// UpdateAgent changes an account: role, team, disabled, password, profile.
func (s *Server) UpdateAgent(ctx context.Context, req api.UpdateAgentRequestObject) (api.UpdateAgentResponseObject, error) {
	if m := req.Params.IfMatch; m != nil && strings.TrimSpace(*m) != "*" {
		cur, err := s.accounts.GetAgent(ctx, req.Id)
		if err != nil {
			return nil, err
		}
		if strings.TrimPrefix(strings.TrimSpace(*m), "W/") != agentETag(cur) {
			return nil, apperr.PreconditionFailed("the agent changed meanwhile; reload and retry")
		}
	}
	b := req.Body
	a, err := s.accounts.UpdateAgent(ctx, req.Id, account.AgentInput{
		DisplayName: b.DisplayName, Password: b.Password, Role: strPtr(b.Role), TeamID: b.TeamId,
		TimeZone: b.TimeZone, Locale: strPtr(b.Locale), Disabled: b.Disabled,
	})
	if err != nil {
		return nil, err
	}
	return api.UpdateAgent200JSONResponse{Body: agentToAPI(a), Headers: api.UpdateAgent200ResponseHeaders{ETag: agentETag(a)}}, nil
}

func teamToAPI(t account.TeamWithLead) api.Team {
	return api.Team{Id: t.ID, Name: t.Name, LeadId: t.LeadID, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()}
}

// ListTeams lists the teams the caller may see.
func (s *Server) ListTeams(ctx context.Context, req api.ListTeamsRequestObject) (api.ListTeamsResponseObject, error) {
	after, limit, err := pageArgs(req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.accounts.ListTeams(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	page := api.ListTeams200JSONResponse{Items: make([]api.Team, 0, len(rows))}
	for _, t := range rows {
		page.Items = append(page.Items, teamToAPI(t))
	}
	if len(rows) > 0 {
		page.NextCursor = nextCursor(len(rows), limit, rows[len(rows)-1].ID)
	}
	return page, nil
}

// CreateTeam adds a team.
func (s *Server) CreateTeam(ctx context.Context, req api.CreateTeamRequestObject) (api.CreateTeamResponseObject, error) {
	t, err := s.accounts.CreateTeam(ctx, req.Body.Name, req.Body.LeadId)
	if err != nil {
		return nil, err
	}
	return api.CreateTeam201JSONResponse{Body: teamToAPI(t), Headers: api.CreateTeam201ResponseHeaders{
		Location: "/v1/admin/teams/" + t.ID.String()}}, nil
}

func clientScopes(s []string) []api.IntegratorScope {
	out := make([]api.IntegratorScope, 0, len(s))
	for _, x := range s {
		out = append(out, api.IntegratorScope(x))
	}
	return out
}

// ListIntegratorClients lists the active integrator clients.
func (s *Server) ListIntegratorClients(ctx context.Context, req api.ListIntegratorClientsRequestObject) (api.ListIntegratorClientsResponseObject, error) {
	after, limit, err := pageArgs(req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.accounts.ListClients(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	page := api.ListIntegratorClients200JSONResponse{Items: make([]api.IntegratorClient, 0, len(rows))}
	for _, c := range rows {
		page.Items = append(page.Items, api.IntegratorClient{Id: c.ID, ClientId: c.ClientID, Name: c.Name,
			Scopes: clientScopes(c.Scopes), CreatedAt: c.CreatedAt.UTC(), LastUsedAt: c.LastUsedAt})
	}
	if len(rows) > 0 {
		page.NextCursor = nextCursor(len(rows), limit, rows[len(rows)-1].ID)
	}
	return page, nil
}

// CreateIntegratorClient registers a client and shows its secret once.
func (s *Server) CreateIntegratorClient(ctx context.Context, req api.CreateIntegratorClientRequestObject) (api.CreateIntegratorClientResponseObject, error) {
	scopes := make([]string, 0, len(req.Body.Scopes))
	for _, sc := range req.Body.Scopes {
		scopes = append(scopes, string(sc))
	}
	c, secret, err := s.accounts.CreateClient(ctx, req.Body.ClientId, req.Body.Name, scopes)
	if err != nil {
		return nil, err
	}
	return api.CreateIntegratorClient201JSONResponse{
		Body: api.IntegratorClientCreated{Id: c.ID, ClientId: c.ClientID, ClientSecret: secret, Name: c.Name,
			Scopes: clientScopes(c.Scopes), CreatedAt: c.CreatedAt.UTC()},
		Headers: api.CreateIntegratorClient201ResponseHeaders{Location: fmt.Sprintf("/v1/admin/clients/%s", c.ID)},
	}, nil
}

// DeleteIntegratorClient disables a client.
func (s *Server) DeleteIntegratorClient(ctx context.Context, req api.DeleteIntegratorClientRequestObject) (api.DeleteIntegratorClientResponseObject, error) {
	if err := s.accounts.DeleteClient(ctx, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteIntegratorClient204Response{}, nil
}
