package httpapi_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent/auditentry"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/customer"
)

type team struct {
	agent1, agent2, lead1, agent3, admin string
	ids                                  map[string]uuid.UUID
}

func newTeam(t *testing.T, e *apptest.Env) team {
	t.Helper()
	a1 := e.Agent(t, "agent1", auth.RoleAgent, "A组")
	a2 := e.Agent(t, "agent2", auth.RoleAgent, "A组")
	l1 := e.Agent(t, "lead1", auth.RoleTeamLead, "A组")
	a3 := e.Agent(t, "agent3", auth.RoleAgent, "B组")
	ad := e.Agent(t, "admin", auth.RoleAdmin, "")
	return team{
		agent1: e.Token(t, a1), agent2: e.Token(t, a2), lead1: e.Token(t, l1), agent3: e.Token(t, a3), admin: e.Token(t, ad),
		ids: map[string]uuid.UUID{"agent1": a1.ID, "agent2": a2.ID, "lead1": l1.ID, "agent3": a3.ID, "admin": ad.ID},
	}
}

const (
	testPhone = "13912345678"
	testID    = "11010519900307123X"
)

func TestCustomersLifecycleAndScope(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		// An agent captures a prospect with only a name.
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers", Token: tm.agent1, Body: map[string]any{"name": "李雷"}})
		if res.Status != 201 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var prospect api.Customer
		res.JSON(t, &prospect)
		if prospect.AgentId == nil || *prospect.AgentId != tm.ids["agent1"] || res.Header.Get("ETag") != `"1"` {
			t.Fatalf("prospect = %+v, etag %q", prospect, res.Header.Get("ETag"))
		}
		// With personal data.
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers", Token: tm.agent1, Body: map[string]any{
			"name": "王芳", "phone": "139 1234 5678", "id_number": testID, "health_notes": "高血压", "tags": []string{"续保关注"},
		}})
		if res.Status != 201 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var c api.Customer
		res.JSON(t, &c)
		path := "/v1/customers/" + c.Id.String()

		// The agent sees the phone (audited), the ID number masked.
		res = e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tm.agent1})
		c = api.Customer{}
		res.JSON(t, &c)
		if res.Status != 200 || c.Phone == nil || *c.Phone != testPhone || c.IdNumber == nil || *c.IdNumber != "**************123X" {
			t.Fatalf("agent1 GET: %d phone=%v id=%v", res.Status, c.Phone, c.IdNumber)
		}
		n := e.App.DB.Client.AuditEntry.Query().Where(auditentry.SubjectID(c.Id.String()), auditentry.Action("pii.read")).CountX(apptest.Sys())
		if n == 0 {
			t.Error("reading the unmasked phone wrote no audit entry")
		}
		// The admin sees the full ID number.
		res = e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tm.admin})
		c = api.Customer{}
		res.JSON(t, &c)
		if c.IdNumber == nil || *c.IdNumber != testID {
			t.Errorf("admin sees id %v", c.IdNumber)
		}
		// Lists mask.
		var page api.CustomerPage
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers?limit=10", Token: tm.agent1}).JSON(t, &page)
		if len(page.Items) != 2 {
			t.Fatalf("agent1 lists %d customers, want 2", len(page.Items))
		}
		for _, it := range page.Items {
			if it.Phone != nil && *it.Phone == testPhone {
				t.Error("a list shows an unmasked phone")
			}
		}
		// Exact search by phone, through the keyed hash.
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers?phone=139-1234-5678", Token: tm.agent1}).JSON(t, &page)
		if len(page.Items) != 1 || page.Items[0].Id != c.Id {
			t.Errorf("phone search found %d", len(page.Items))
		}
		// Pagination.
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers?limit=1", Token: tm.agent1}).JSON(t, &page)
		if len(page.Items) != 1 || page.NextCursor == nil {
			t.Fatalf("first page: %+v", page)
		}
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers?limit=1&cursor=" + *page.NextCursor, Token: tm.agent1}).JSON(t, &page)
		if len(page.Items) != 1 || page.NextCursor != nil {
			t.Fatalf("second page: %+v", page)
		}

		// Another team's agent: not found, for every verb.
		for _, r := range []apptest.Request{
			{Method: "GET", Path: path}, {Method: "PATCH", Path: path, Body: map[string]any{"name": "x"}},
			{Method: "DELETE", Path: path},
		} {
			r.Token = tm.agent3
			if res := e.Do(t, r); res.Status != 404 {
				t.Errorf("agent3 %s: %d, want 404", r.Method, res.Status)
			}
		}
		// An agent cannot reassign; the lead can, within the team.
		if res := e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: tm.agent1, Body: map[string]any{"agent_id": tm.ids["agent2"]}}); res.Status != 403 {
			t.Errorf("agent reassigns: %d, want 403", res.Status)
		}
		if res := e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: tm.lead1, Body: map[string]any{"agent_id": tm.ids["agent3"]}}); res.Status != 403 {
			t.Errorf("lead assigns outside the team: %d, want 403", res.Status)
		}
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: tm.lead1,
			Header: map[string][]string{"If-Match": {`"1"`}}, Body: map[string]any{"agent_id": tm.ids["agent2"]}})
		if res.Status != 200 || res.Header.Get("ETag") != `"2"` {
			t.Fatalf("lead reassigns: %d %s", res.Status, res.Body)
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tm.agent1}); res.Status != 404 {
			t.Errorf("old owner still sees the customer: %d", res.Status)
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tm.agent2}); res.Status != 200 {
			t.Errorf("new owner: %d", res.Status)
		}
		// Stale If-Match.
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: tm.agent2,
			Header: map[string][]string{"If-Match": {`"1"`}}, Body: map[string]any{"occupation": "教师"}})
		if res.Status != 412 {
			t.Errorf("stale If-Match: %d, want 412", res.Status)
		}
		// Validation names the field.
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: tm.agent2, Body: map[string]any{"phone": "12"}})
		if res.Status != 400 || !strings.Contains(string(res.Body), `"/phone"`) {
			t.Errorf("bad phone: %d %s", res.Status, res.Body)
		}
		// Integrators by scope.
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers", Token: e.IntegratorToken(t, "crm", "customers:read")}); res.Status != 200 {
			t.Errorf("integrator with customers:read: %d", res.Status)
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers", Token: e.IntegratorToken(t, "crm", "policies:read")}); res.Status != 403 {
			t.Errorf("integrator without customers:read: %d", res.Status)
		}
		// An integrator's subscription: the next change's event data is
		// captured (with the name); the erasure drops it.
		if err := e.App.DB.Client.WebhookSubscription.Create().SetURL("https://crm.example.com/hook").
			SetEvents([]string{"customer.updated"}).SetSecretEnc("x").Exec(apptest.Sys()); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(6 * time.Second) // written behind the server's back: seen once its cache of subscriptions expires
		if res := e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: tm.agent2, Body: map[string]any{"occupation": "医生"}}); res.Status != 200 {
			t.Fatalf("patch: %d %s", res.Status, res.Body)
		}
		eventData := func() string {
			rows, err := e.App.DB.Client.WebhookSnapshot.Query().All(apptest.Sys())
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			for _, r := range rows {
				all = append(all, r.Data)
			}
			return strings.Join(all, "\n")
		}
		if !strings.Contains(eventData(), "王芳") {
			t.Fatalf("no event data captured of the change: %q", eventData())
		}
		// Erasure by an admin only.
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: path + "?erase=true", Token: tm.lead1}); res.Status != 403 {
			t.Errorf("lead erases: %d, want 403", res.Status)
		}
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: path + "?erase=true", Token: tm.admin}); res.Status != 204 {
			t.Fatalf("admin erases: %d %s", res.Status, res.Body)
		}
		if d := eventData(); strings.Contains(d, "王芳") || !strings.Contains(d, customer.ErasedName) {
			t.Errorf("event data after the erasure: %q (the erased version only)", d)
		}
		var erased api.Customer
		e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tm.agent2}).JSON(t, &erased)
		if erased.Phone != nil || erased.IdNumber != nil || erased.HealthNotes != nil || erased.Name == "王芳" || len(erased.Tags) != 0 {
			t.Errorf("erased customer still shows personal data: %+v", erased)
		}
		// Delete a prospect.
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: "/v1/customers/" + prospect.Id.String(), Token: tm.agent1}); res.Status != 204 {
			t.Errorf("delete prospect: %d %s", res.Status, res.Body)
		}
		if strings.Contains(e.Logs.String(), testPhone) || strings.Contains(e.Logs.String(), "高血压") {
			t.Error("personal data reached the log")
		}
	})
}

// TestNoPlaintextAtRest writes personal data through the API and reads
// the SQLite files: only ciphertext may be there.
func TestNoPlaintextAtRest(t *testing.T) {
	e := apptest.New(t, dialect.SQLite)
	tm := newTeam(t, e)
	res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers", Token: tm.agent1,
		Body: map[string]any{"name": "王芳", "phone": testPhone, "id_number": testID, "health_notes": "糖尿病史"}})
	if res.Status != 201 {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	e.App.Close()
	dbFiles, _ := filepath.Glob(filepath.Join(e.DataDir, "*"))
	if len(dbFiles) == 0 {
		t.Fatal("no database files found")
	}
	for _, f := range dbFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, secret := range []string{testPhone, testID, "糖尿病史"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds %q in plaintext", filepath.Base(f), secret)
			}
		}
	}
}
