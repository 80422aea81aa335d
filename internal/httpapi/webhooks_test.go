package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/config"
	"github.com/agentdesk/agentdesk/internal/webhook"
)

// eachLoopback runs fn on both databases with loopback webhook targets
// allowed, as a test receiver needs.
func eachLoopback(t *testing.T, fn func(t *testing.T, e *apptest.Env)) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			fn(t, apptest.NewWith(t, d, func(c *config.Config) {
				c.WebhookAllowedNetworks = []string{"127.0.0.0/8", "::1"}
			}))
		})
	}
}

// hookReceiver records the calls a webhook endpoint gets.
type hookReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	calls []hookCall
}

type hookCall struct {
	header http.Header
	body   []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.calls = append(h.calls, hookCall{header: r.Header.Clone(), body: b})
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) got() []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookCall(nil), h.calls...)
}

func runWebhooks(t *testing.T, e *apptest.Env) webhook.RunStats {
	t.Helper()
	st, err := e.App.Webhooks.RunOnce(context.Background(), e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestWebhookLifecycle(t *testing.T) {
	eachLoopback(t, func(t *testing.T, e *apptest.Env) {
		rc := newHookReceiver(t)
		crm := e.IntegratorToken(t, "crm", "webhooks:manage")
		agent := e.Agent(t, "agent1", auth.RoleAgent, "A")
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/webhooks", Token: crm, Body: map[string]any{
			"url": rc.URL + "/hooks", "events": []string{"customer.created", "customer.updated"}, "description": "CRM"}})
		if res.Status != 201 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var created api.WebhookSubscriptionCreated
		res.JSON(t, &created)
		if created.Secret == "" || res.Header.Get("Location") != "/v1/webhooks/"+created.Id.String() || res.Header.Get("ETag") == "" {
			t.Fatalf("created %+v, headers %v", created, res.Header)
		}
		path := "/v1/webhooks/" + created.Id.String()
		got := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: crm})
		if got.Status != 200 || strings.Contains(string(got.Body), created.Secret) || strings.Contains(string(got.Body), "secret") {
			t.Fatalf("get: %d %s", got.Status, got.Body)
		}

		// An agent records a customer; the integrator hears of it, signed.
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers", Token: e.Token(t, agent),
			Body: map[string]any{"name": "张伟", "phone": "13800138000"}})
		if res.Status != 201 {
			t.Fatalf("create customer: %d %s", res.Status, res.Body)
		}
		var cust api.Customer
		res.JSON(t, &cust)
		if st := runWebhooks(t, e); st.Drain.Delivered != 1 {
			t.Fatalf("run: %+v", st)
		}
		calls := rc.got()
		if len(calls) != 1 {
			t.Fatalf("%d calls", len(calls))
		}
		c := calls[0]
		if err := webhook.Verify(created.Secret, c.header.Get("AgentDesk-Signature"), c.body, e.Clock.Now(), 5*time.Minute); err != nil {
			t.Fatalf("signature: %v", err)
		}
		var ev api.WebhookEvent
		if err := json.Unmarshal(c.body, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type != "customer.created" || ev.SubjectId != cust.Id || ev.Data["name"] != "张伟" ||
			c.header.Get("AgentDesk-Event") != "customer.created" {
			t.Fatalf("event %s", c.body)
		}
		if strings.Contains(string(c.body), "13800138000") {
			t.Fatalf("the event carries the phone number unmasked: %s", c.body)
		}

		// The delivery and its attempt are visible.
		res = e.Do(t, apptest.Request{Method: "GET", Path: path + "/deliveries", Token: crm})
		var page api.WebhookDeliveryPage
		res.JSON(t, &page)
		if res.Status != 200 || len(page.Items) != 1 || page.Items[0].Status != "delivered" ||
			len(page.Items[0].Attempts) != 1 || *page.Items[0].Attempts[0].StatusCode != 200 ||
			page.Items[0].EventId != ev.Id || c.header.Get("AgentDesk-Delivery") != page.Items[0].Id.String() {
			t.Fatalf("deliveries: %d %s", res.Status, res.Body)
		}
		res = e.Do(t, apptest.Request{Method: "GET", Path: path + "/deliveries?status=failed", Token: crm})
		if res.Status != 200 || !strings.Contains(string(res.Body), `"items":[]`) {
			t.Fatalf("failed deliveries: %d %s", res.Status, res.Body)
		}

		// Manual redelivery: same event, a new delivery.
		redeliver := apptest.Request{Method: "POST", Path: path + "/deliveries/" + page.Items[0].Id.String() + "/redeliver",
			Token: crm, Header: http.Header{"Idempotency-Key": {"redeliver-1"}}}
		res = e.Do(t, redeliver)
		var again, replayed api.WebhookDelivery
		res.JSON(t, &again)
		if res.Status != 202 || again.EventId != ev.Id || again.Id == page.Items[0].Id || again.Status != "pending" {
			t.Fatalf("redeliver: %d %s", res.Status, res.Body)
		}
		// The same request again (a lost answer) queues nothing more.
		e.Do(t, redeliver).JSON(t, &replayed)
		if replayed.Id != again.Id {
			t.Fatalf("replayed redelivery %s, want %s", replayed.Id, again.Id)
		}
		runWebhooks(t, e)
		calls = rc.got()
		var ev2 api.WebhookEvent
		if len(calls) != 2 || json.Unmarshal(calls[1].body, &ev2) != nil || ev2.Id != ev.Id ||
			calls[1].header.Get("AgentDesk-Delivery") != again.Id.String() {
			t.Fatalf("redelivered calls %d", len(calls))
		}

		// Pause with If-Match; a stale tag is refused.
		etag := got.Header.Get("ETag")
		e.Clock.Advance(time.Second)
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: crm, Header: http.Header{"If-Match": {etag}},
			Body: map[string]any{"active": false}})
		if res.Status != 200 || !strings.Contains(string(res.Body), `"active":false`) || res.Header.Get("ETag") == etag {
			t.Fatalf("pause: %d %s", res.Status, res.Body)
		}
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: crm, Header: http.Header{"If-Match": {etag}},
			Body: map[string]any{"active": true}})
		if res.Status != 412 {
			t.Fatalf("stale If-Match: %d %s", res.Status, res.Body)
		}
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: crm, Body: map[string]any{"url": "http://169.254.169.254/"}})
		if res.Status != 400 {
			t.Fatalf("patch to metadata address: %d %s", res.Status, res.Body)
		}

		res = e.Do(t, apptest.Request{Method: "DELETE", Path: path, Token: crm})
		if res.Status != 204 {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: crm}); res.Status != 404 {
			t.Fatalf("get after delete: %d", res.Status)
		}
	})
}

func TestWebhookAuthorization(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		admin := e.Token(t, e.Agent(t, "admin", auth.RoleAdmin, ""))
		agent := e.Token(t, e.Agent(t, "agent1", auth.RoleAgent, "A"))
		lead := e.Token(t, e.Agent(t, "lead1", auth.RoleTeamLead, "A"))
		crm := e.IntegratorToken(t, "crm", "webhooks:manage")
		other := e.IntegratorToken(t, "other", "webhooks:manage")
		noScope := e.IntegratorToken(t, "reader", "customers:read")
		body := map[string]any{"url": "https://8.8.8.8/hooks", "events": []string{"complaint.breached"}}
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/webhooks", Token: crm, Body: body})
		if res.Status != 201 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var sub api.WebhookSubscriptionCreated
		res.JSON(t, &sub)
		path := "/v1/webhooks/" + sub.Id.String()
		tests := []struct {
			name, method, path, token string
			body                      any
			want                      int
		}{
			{"anonymous list", "GET", "/v1/webhooks", "", nil, 401},
			{"agent list", "GET", "/v1/webhooks", agent, nil, 403},
			{"team lead create", "POST", "/v1/webhooks", lead, body, 403},
			{"agent get", "GET", path, agent, nil, 403},
			{"integrator without scope list", "GET", "/v1/webhooks", noScope, nil, 403},
			{"integrator without scope create", "POST", "/v1/webhooks", noScope, body, 403},
			{"other integrator get", "GET", path, other, nil, 404},
			{"other integrator patch", "PATCH", path, other, map[string]any{"active": false}, 404},
			{"other integrator delete", "DELETE", path, other, nil, 404},
			{"other integrator deliveries", "GET", path + "/deliveries", other, nil, 404},
			{"owner get", "GET", path, crm, nil, 200},
			{"admin get", "GET", path, admin, nil, 200},
			{"admin deliveries", "GET", path + "/deliveries", admin, nil, 200},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := e.Do(t, apptest.Request{Method: tt.method, Path: tt.path, Token: tt.token, Body: tt.body})
				if res.Status != tt.want {
					t.Fatalf("%s %s: %d %s, want %d", tt.method, tt.path, res.Status, res.Body, tt.want)
				}
			})
		}
		// Lists: the other integrator sees none, the admin sees it.
		for token, want := range map[string]int{other: 0, crm: 1, admin: 1} {
			res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/webhooks", Token: token})
			var page api.WebhookSubscriptionPage
			res.JSON(t, &page)
			if len(page.Items) != want {
				t.Fatalf("list: %d items, want %d", len(page.Items), want)
			}
		}
	})
}

func TestWebhookTargetsRefused(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		crm := e.IntegratorToken(t, "crm", "webhooks:manage")
		for _, u := range []string{
			"http://127.0.0.1:8080/hook", "http://[::1]/hook", "http://169.254.169.254/latest/meta-data/",
			"http://10.1.2.3/hook", "http://172.16.5.4/hook", "http://192.168.0.10/hook", "http://[fc00::1]/hook",
			"http://[fd00::abcd]/hook", "http://localhost/hook", "ftp://8.8.8.8/hook", "file:///etc/passwd",
		} {
			res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/webhooks", Token: crm,
				Body: map[string]any{"url": u, "events": []string{"customer.updated"}}})
			if res.Status != 400 {
				t.Errorf("%s: %d %s, want 400", u, res.Status, res.Body)
			}
		}
		res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/webhooks", Token: crm})
		if !strings.Contains(string(res.Body), `"items":[]`) {
			t.Fatalf("a refused subscription was stored: %s", res.Body)
		}
	})
}

// TestWebhookEventsFromRemindersAndClocks follows the two events that do
// not come from the change log: a reminder recorded sent by the reminder
// worker, and a complaint whose acknowledgement clock runs out.
func TestWebhookEventsFromRemindersAndClocks(t *testing.T) {
	eachLoopback(t, func(t *testing.T, e *apptest.Env) {
		rc := newHookReceiver(t)
		crm := e.IntegratorToken(t, "crm", "webhooks:manage")
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/webhooks", Token: crm, Body: map[string]any{
			"url": rc.URL, "events": []string{"policy.reminder_sent", "complaint.breached"}}})
		if res.Status != 201 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		a := e.Agent(t, "agent1", auth.RoleAgent, "A")
		c := pushCustomer(t, e, a.ID, "王芳", false)
		// Due in 3 days: the 3-day window's reminder goes now.
		p := duePolicy(t, e, c.ID, "P20260001", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
		if st, err := e.App.Reminders.RunOnce(context.Background(), e.Clock.Now()); err != nil || st.Drain.Sent != 1 {
			t.Fatalf("reminders: %+v %v", st, err)
		}
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/complaints", Token: e.Token(t, a),
			Body: map[string]any{"customer_id": c.ID, "summary": "理赔太慢", "category": "claim_timeliness"}})
		if res.Status != 201 {
			t.Fatalf("complaint: %d %s", res.Status, res.Body)
		}
		var cp api.Complaint
		res.JSON(t, &cp)
		runWebhooks(t, e)
		types := func() []string {
			var out []string
			for _, c := range rc.got() {
				var ev api.WebhookEvent
				if err := json.Unmarshal(c.body, &ev); err != nil {
					t.Fatal(err)
				}
				out = append(out, string(ev.Type)+":"+ev.SubjectId.String())
			}
			return out
		}
		if got := types(); len(got) != 1 || got[0] != "policy.reminder_sent:"+p.ID.String() {
			t.Fatalf("after the reminder: %v", got)
		}
		// Past every clock of the complaint: one breach, announced once.
		for range 3 {
			e.Clock.Advance(4 * 24 * time.Hour)
			runWebhooks(t, e)
		}
		if got := types(); len(got) != 2 || got[1] != "complaint.breached:"+cp.Id.String() {
			t.Fatalf("after the clocks ran out: %v", got)
		}
	})
}

func TestWebhookIdempotency(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		crm := e.IntegratorToken(t, "crm", "webhooks:manage")
		key := http.Header{"Idempotency-Key": {"0f8c6a52-5d0e-4c6b-9b1e-6b3f2f4a1c11"}}
		body := map[string]any{"url": "https://8.8.8.8/hooks", "events": []string{"customer.updated"}}
		var first, second api.WebhookSubscriptionCreated
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/webhooks", Token: crm, Body: body, Header: key})
		res.JSON(t, &first)
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/webhooks", Token: crm, Body: body, Header: key})
		res.JSON(t, &second)
		if res.Status != 201 || second.Id != first.Id || second.Secret != first.Secret {
			t.Fatalf("replay: %d %+v, first %+v", res.Status, second, first)
		}
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/webhooks", Token: crm, Header: key,
			Body: map[string]any{"url": "https://8.8.4.4/hooks", "events": []string{"customer.updated"}}})
		if res.Status != 409 {
			t.Fatalf("same key, other body: %d %s", res.Status, res.Body)
		}
		// Another caller's key space is its own.
		other := e.IntegratorToken(t, "other", "webhooks:manage")
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/webhooks", Token: other, Body: body, Header: key})
		var third api.WebhookSubscriptionCreated
		res.JSON(t, &third)
		if res.Status != 201 || third.Id == first.Id {
			t.Fatalf("other caller: %d %s", res.Status, res.Body)
		}
		page := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/webhooks", Token: crm})
		var subs api.WebhookSubscriptionPage
		page.JSON(t, &subs)
		if len(subs.Items) != 1 {
			t.Fatalf("%d subscriptions after a replay, want 1", len(subs.Items))
		}
	})
}
