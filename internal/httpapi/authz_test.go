package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

// TestAuthorizationMatrix checks, for every caller and a record inside and
// outside their scope, the status of each endpoint: the book of agent1
// (team A) and the book of agent3 (team B); agents see their own, the
// lead of team A the team's, the admin all, integrators what their scopes
// allow. A record outside scope answers 404, never 403: no existence
// leak.
func TestAuthorizationMatrix(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		mk := func(token, name string) string {
			res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers", Token: token, Body: map[string]any{"name": name, "phone": testPhone}})
			if res.Status != 201 {
				t.Fatalf("fixture %s: %d %s", name, res.Status, res.Body)
			}
			var c api.Customer
			res.JSON(t, &c)
			return c.Id.String()
		}
		a1 := mk(tm.agent1, "王芳") // in team A
		a3 := mk(tm.agent3, "赵敏") // in team B
		callers := map[string]string{
			"agent1": tm.agent1, "agent3": tm.agent3, "lead1": tm.lead1, "admin": tm.admin,
			"int:read":  e.IntegratorToken(t, "crm", "customers:read"),
			"int:write": e.IntegratorToken(t, "crm", "customers:read", "customers:write"),
			"int:none":  e.IntegratorToken(t, "crm", "policies:read"),
		}
		type row struct {
			method, path string
			body         any
			want         map[string]int
		}
		rows := []row{
			{"GET", "/v1/customers/" + a1, nil, map[string]int{"agent1": 200, "agent3": 404, "lead1": 200, "admin": 200, "int:read": 200, "int:write": 200, "int:none": 403}},
			{"GET", "/v1/customers/" + a3, nil, map[string]int{"agent1": 404, "agent3": 200, "lead1": 404, "admin": 200, "int:read": 200, "int:write": 200, "int:none": 403}},
			{"PATCH", "/v1/customers/" + a1, map[string]any{"occupation": "教师"}, map[string]int{"agent1": 200, "agent3": 404, "lead1": 200, "admin": 200, "int:read": 403, "int:write": 200, "int:none": 403}},
			{"PATCH", "/v1/customers/" + a3, map[string]any{"occupation": "医生"}, map[string]int{"agent1": 404, "agent3": 200, "lead1": 404, "admin": 200, "int:read": 403, "int:write": 200, "int:none": 403}},
			{"GET", "/v1/customers", nil, map[string]int{"agent1": 200, "agent3": 200, "lead1": 200, "admin": 200, "int:read": 200, "int:write": 200, "int:none": 403}},
			{"GET", "/v1/me", nil, map[string]int{"agent1": 200, "agent3": 200, "lead1": 200, "admin": 200, "int:read": 403, "int:write": 403, "int:none": 403}},
			{"GET", "/v1/audit", nil, map[string]int{"agent1": 403, "agent3": 403, "lead1": 403, "admin": 200, "int:read": 403, "int:write": 403, "int:none": 403}},
			{"GET", "/v1/admin/clients", nil, map[string]int{"agent1": 403, "agent3": 403, "lead1": 403, "admin": 200, "int:read": 403, "int:write": 403, "int:none": 403}},
			{"DELETE", "/v1/customers/" + a3 + "?erase=true", nil, map[string]int{"agent1": 404, "agent3": 403, "lead1": 404, "int:read": 403, "int:none": 403}},
		}
		for _, r := range rows {
			for caller, want := range r.want {
				t.Run(fmt.Sprintf("%s %s as %s", r.method, strings.Split(r.path, "?")[0], caller), func(t *testing.T) {
					res := e.Do(t, apptest.Request{Method: r.method, Path: r.path, Token: callers[caller], Body: r.body})
					if res.Status != want {
						t.Errorf("status %d, want %d: %.200s", res.Status, want, res.Body)
					}
				})
			}
		}
		// Lists hold only the book.
		for caller, wantN := range map[string]int{"agent1": 1, "agent3": 1, "lead1": 1, "admin": 2, "int:read": 2} {
			var page api.CustomerPage
			e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers", Token: callers[caller]}).JSON(t, &page)
			if len(page.Items) != wantN {
				t.Errorf("%s lists %d customers, want %d", caller, len(page.Items), wantN)
			}
		}
	})
}
