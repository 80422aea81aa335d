package httpapi_test

import (
	"testing"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/store"
)

func TestAdminAgentsTeamsClients(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		// Only admins create accounts.
		body := map[string]any{"username": "agent9", "display_name": "赵九", "password": "a-long-password", "role": "agent"}
		if res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/admin/agents", Token: tm.lead1, Body: body}); res.Status != 403 {
			t.Errorf("lead creates an agent: %d", res.Status)
		}
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/admin/agents", Token: tm.admin, Body: body})
		if res.Status != 201 {
			t.Fatalf("admin creates an agent: %d %s", res.Status, res.Body)
		}
		var a api.Agent
		res.JSON(t, &a)
		if res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/admin/agents", Token: tm.admin, Body: body}); res.Status != 409 {
			t.Errorf("duplicate username: %d", res.Status)
		}
		bad := map[string]any{"username": "Bad Name", "display_name": "x", "password": "short", "role": "agent", "time_zone": "Mars/Base"}
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/admin/agents", Token: tm.admin, Body: bad})
		if res.Status != 400 {
			t.Errorf("invalid agent: %d %s", res.Status, res.Body)
		}
		// The new agent logs in, then gets disabled: the refresh token dies.
		login := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]any{"username": "agent9", "password": "a-long-password"}})
		if login.Status != 200 {
			t.Fatalf("login: %d %s", login.Status, login.Body)
		}
		var pair api.TokenPair
		login.JSON(t, &pair)
		var me api.Me
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/me", Token: pair.AccessToken}).JSON(t, &me)
		if me.Username != "agent9" || me.Role != "agent" {
			t.Errorf("me = %+v", me)
		}
		path := "/v1/admin/agents/" + a.Id.String()
		if res := e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: tm.admin, Body: map[string]any{"disabled": true}}); res.Status != 200 {
			t.Fatalf("disable: %d %s", res.Status, res.Body)
		}
		if res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]any{"refresh_token": pair.RefreshToken}}); res.Status != 401 {
			t.Errorf("refresh after disable: %d", res.Status)
		}
		// A team move is recorded for sync.
		var teams api.TeamPage
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/admin/teams", Token: tm.admin}).JSON(t, &teams)
		var teamB api.Team
		for _, x := range teams.Items {
			if x.Name == "B组" {
				teamB = x
			}
		}
		before := e.App.DB.Client.ChangeLog.Query().Where(changelog.Collection(store.Agents)).CountX(apptest.Sys())
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/admin/agents/" + tm.ids["agent2"].String(), Token: tm.admin,
			Body: map[string]any{"team_id": teamB.Id}})
		if res.Status != 200 {
			t.Fatalf("team move: %d %s", res.Status, res.Body)
		}
		after := e.App.DB.Client.ChangeLog.Query().Where(changelog.Collection(store.Agents)).CountX(apptest.Sys())
		if after != before+1 {
			t.Errorf("team move events: %d → %d", before, after)
		}
		// Leads see their team's agents only.
		var agents api.AgentPage
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/admin/agents", Token: tm.lead1}).JSON(t, &agents)
		for _, x := range agents.Items {
			if x.Username == "agent3" || x.Username == "admin" {
				t.Errorf("lead sees %s", x.Username)
			}
		}
		// Integrator clients: the secret is shown once and works.
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/admin/clients", Token: tm.admin,
			Body: map[string]any{"client_id": "crm", "name": "CRM", "scopes": []string{"customers:read"}}})
		if res.Status != 201 {
			t.Fatalf("create client: %d %s", res.Status, res.Body)
		}
		var created api.IntegratorClientCreated
		res.JSON(t, &created)
		tok := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/oauth/token",
			Header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body:   "grant_type=client_credentials&client_id=crm&client_secret=" + created.ClientSecret})
		if tok.Status != 200 {
			t.Fatalf("client credentials: %d %s", tok.Status, tok.Body)
		}
		var clients api.IntegratorClientPage
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/admin/clients", Token: tm.admin}).JSON(t, &clients)
		if len(clients.Items) != 1 {
			t.Fatalf("clients: %+v", clients.Items)
		}
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: "/v1/admin/clients/" + clients.Items[0].Id.String(), Token: tm.admin}); res.Status != 204 {
			t.Errorf("delete client: %d", res.Status)
		}
		tok = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/oauth/token",
			Header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body:   "grant_type=client_credentials&client_id=crm&client_secret=" + created.ClientSecret})
		if tok.Status != 401 {
			t.Errorf("deleted client still gets tokens: %d", tok.Status)
		}
	})
}
