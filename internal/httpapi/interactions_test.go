package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/auth"
)

// book is the cast of the service-quality tests: team A (agent1, agent2,
// lead1), team B (agent3), an admin, and a customer of agent1 (c1),
// agent2 (c2) and agent3 (c3). Tokens are signed on demand, so that they
// stay valid when a test moves the fake clock.
type book struct {
	e      *apptest.Env
	agents map[string]*ent.Agent
	c1     uuid.UUID
	c2     uuid.UUID
	c3     uuid.UUID
}

func newBook(t *testing.T, e *apptest.Env) *book {
	t.Helper()
	b := &book{e: e, agents: map[string]*ent.Agent{
		"agent1": e.Agent(t, "agent1", auth.RoleAgent, "A组"),
		"agent2": e.Agent(t, "agent2", auth.RoleAgent, "A组"),
		"lead1":  e.Agent(t, "lead1", auth.RoleTeamLead, "A组"),
		"agent3": e.Agent(t, "agent3", auth.RoleAgent, "B组"),
		"admin":  e.Agent(t, "admin", auth.RoleAdmin, ""),
	}}
	b.c1 = b.customer(t, "agent1", "王芳")
	b.c2 = b.customer(t, "agent2", "李强")
	b.c3 = b.customer(t, "agent3", "张伟")
	return b
}

// tok signs an access token for one of the book's accounts.
func (b *book) tok(t *testing.T, name string) string {
	t.Helper()
	return b.e.Token(t, b.agents[name])
}

func (b *book) id(name string) uuid.UUID { return b.agents[name].ID }

// customer creates a customer in an agent's book through the API.
func (b *book) customer(t *testing.T, agent, name string) uuid.UUID {
	t.Helper()
	res := b.e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers", Token: b.tok(t, agent), Body: map[string]any{"name": name}})
	if res.Status != 201 {
		t.Fatalf("create customer: %d %s", res.Status, res.Body)
	}
	var c api.Customer
	res.JSON(t, &c)
	return c.Id
}

// policy loads a policy of a customer, as the insurer's systems do.
func (b *book) policy(t *testing.T, customerID uuid.UUID, number string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := b.e.App.DB.WithTx(apptest.Sys(), func(ctx context.Context, tx *ent.Tx) error {
		p, err := tx.InsurancePolicy.Create().SetCustomerID(customerID).SetNumber(number).SetLine(insurancepolicy.LineHealth).
			SetPremiumCents(360000).SetStartDate(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)).Save(ctx)
		if err == nil {
			id = p.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// toolkitItem publishes a toolkit item.
func (b *book) toolkitItem(t *testing.T, key string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := b.e.App.DB.WithTx(apptest.Sys(), func(ctx context.Context, tx *ent.Tx) error {
		it, err := tx.ToolkitItem.Create().SetKey(key).SetKind(toolkititem.KindScript).SetScenario(toolkititem.ScenarioConsultation).
			SetTitle("首次咨询话术").SetStatus(toolkititem.StatusPublished).SetRevision(1).Save(ctx)
		if err == nil {
			id = it.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// outcome is the expected result of one request of a scenario table: the
// status, and for a problem the fields it names and a part of its detail.
type outcome struct {
	status int
	fields []string
	detail string
}

// check compares a response with w.
func (w outcome) check(t *testing.T, res apptest.Response) {
	t.Helper()
	if res.Status != w.status {
		t.Fatalf("status %d, want %d: %s", res.Status, w.status, res.Body)
	}
	if res.Status < 400 {
		return
	}
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	res.JSON(t, &p)
	var fields []string
	for _, f := range p.Errors {
		fields = append(fields, f.Field)
	}
	if w.fields != nil {
		slices.Sort(fields)
		if diff := cmp.Diff(w.fields, fields); diff != "" {
			t.Errorf("problem fields mismatch (-want +got):\n%s\nbody: %s", diff, res.Body)
		}
	}
	if !strings.Contains(p.Detail, w.detail) {
		t.Errorf("detail %q does not say %q", p.Detail, w.detail)
	}
}

// ifMatch is the header of a change based on etag.
func ifMatch(etag string) http.Header { return http.Header{"If-Match": {etag}} }

// rfc3339 formats a time as the API does.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func TestInteractions(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newBook(t, e)
		item := b.toolkitItem(t, "consult-script")
		now := e.Clock.Now()
		ledger := "/v1/customers/" + b.c1.String() + "/interactions"

		// A consultation captured offline with its own id, then the call
		// that answers it: the answer closes the consultation's clock.
		consult := uuid.Must(uuid.NewV7())
		res := e.Do(t, apptest.Request{Method: "POST", Path: ledger, Token: b.tok(t, "agent1"), Body: map[string]any{
			"id": consult, "channel": "wechat", "type": "consultation", "content": "重疾险能否改为月缴？", "received_at": rfc3339(now.Add(-2 * time.Hour)),
		}})
		outcome{status: 201}.check(t, res)
		var got api.Interaction
		res.JSON(t, &got)
		if got.Id != consult || idOf(got.AgentId) != b.id("agent1") || got.FirstResponseAt != nil || got.Result != nil ||
			res.Header.Get("ETag") != `"1"` || res.Header.Get("Location") != "/v1/interactions/"+consult.String() {
			t.Fatalf("created %+v, ETag %q, Location %q", got, res.Header.Get("ETag"), res.Header.Get("Location"))
		}
		res = e.Do(t, apptest.Request{Method: "POST", Path: ledger, Token: b.tok(t, "agent1"), Body: map[string]any{
			"channel": "phone", "type": "consultation", "content": "回电说明年缴与月缴差异", "result": "维持年缴",
			"received_at": rfc3339(now.Add(-time.Hour)), "answers_interaction_id": consult, "toolkit_item_ids": []uuid.UUID{item},
		}})
		outcome{status: 201}.check(t, res)
		var answer api.Interaction
		res.JSON(t, &answer)
		if answer.Result == nil || *answer.Result != "维持年缴" || !slices.Equal(answer.ToolkitItemIds, []uuid.UUID{item}) {
			t.Errorf("answer = %+v", answer)
		}
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/interactions/" + consult.String(), Token: b.tok(t, "agent1")})
		got = api.Interaction{}
		res.JSON(t, &got)
		if got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(now.Add(-time.Hour)) || res.Header.Get("ETag") != `"2"` {
			t.Errorf("consultation after the answer: first_response_at %v, ETag %q", got.FirstResponseAt, res.Header.Get("ETag"))
		}
		// agent3's customer has a ledger of its own.
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers/" + b.c3.String() + "/interactions", Token: b.tok(t, "agent3"),
			Body: map[string]any{"channel": "visit", "type": "care", "content": "生日关怀"}})
		outcome{status: 201}.check(t, res)
		var other api.Interaction
		res.JSON(t, &other)

		t.Run("create", func(t *testing.T) {
			tests := []struct {
				name  string
				token string
				path  string
				body  map[string]any
				want  outcome
			}{
				{"content missing", "agent1", ledger, map[string]any{"channel": "phone", "type": "consultation"}, outcome{status: 400, fields: []string{"/content"}}},
				{"unknown channel", "agent1", ledger, map[string]any{"channel": "fax", "type": "consultation", "content": "x"}, outcome{status: 400, fields: []string{"/channel"}}},
				{"received in the future", "agent1", ledger, map[string]any{"channel": "phone", "type": "consultation", "content": "x",
					"received_at": rfc3339(now.Add(time.Hour))}, outcome{status: 400, fields: []string{"/received_at"}}},
				{"response before receipt", "agent1", ledger, map[string]any{"channel": "phone", "type": "consultation", "content": "x",
					"received_at": rfc3339(now.Add(-time.Hour)), "first_response_at": rfc3339(now.Add(-2 * time.Hour))}, outcome{status: 400, fields: []string{"/first_response_at"}}},
				{"answers another customer's interaction", "agent1", ledger, map[string]any{"channel": "phone", "type": "revisit", "content": "x",
					"answers_interaction_id": other.Id}, outcome{status: 400, fields: []string{"/answers_interaction_id"}}},
				{"unknown toolkit item", "agent1", ledger, map[string]any{"channel": "phone", "type": "revisit", "content": "x",
					"toolkit_item_ids": []uuid.UUID{uuid.Must(uuid.NewV7())}}, outcome{status: 400, fields: []string{"/toolkit_item_ids/0"}}},
				{"id taken", "agent1", ledger, map[string]any{"id": consult, "channel": "phone", "type": "revisit", "content": "x"}, outcome{status: 409}},
				{"customer of another team", "agent3", ledger, map[string]any{"channel": "phone", "type": "revisit", "content": "x"}, outcome{status: 404}},
				{"unknown customer", "agent1", "/v1/customers/" + uuid.Must(uuid.NewV7()).String() + "/interactions",
					map[string]any{"channel": "phone", "type": "revisit", "content": "x"}, outcome{status: 404}},
				{"lead in the team's book", "lead1", ledger, map[string]any{"channel": "branch", "type": "revisit", "content": "组长回访",
					"received_at": rfc3339(now.Add(-3 * time.Hour))}, outcome{status: 201}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.want.check(t, e.Do(t, apptest.Request{Method: "POST", Path: tt.path, Token: b.tok(t, tt.token), Body: tt.body}))
				})
			}
			res := e.Do(t, apptest.Request{Method: "POST", Path: ledger, Token: e.IntegratorToken(t, "crm", "interactions:read", "customers:write"),
				Body: map[string]any{"channel": "phone", "type": "revisit", "content": "x"}})
			outcome{status: 403}.check(t, res)
		})

		t.Run("customer ledger", func(t *testing.T) {
			// Newest first: the answer (1 h ago), the consultation (2 h),
			// the lead's revisit (3 h).
			var page api.InteractionPage
			e.Do(t, apptest.Request{Method: "GET", Path: ledger, Token: b.tok(t, "agent1")}).JSON(t, &page)
			if len(page.Items) != 3 || page.Items[0].Id != answer.Id || page.Items[1].Id != consult || page.NextCursor != nil {
				t.Fatalf("ledger = %+v", page)
			}
			var ids []uuid.UUID
			path := ledger + "?limit=2"
			for range 3 {
				page = api.InteractionPage{}
				e.Do(t, apptest.Request{Method: "GET", Path: path, Token: b.tok(t, "agent1")}).JSON(t, &page)
				for _, it := range page.Items {
					ids = append(ids, it.Id)
				}
				if page.NextCursor == nil {
					break
				}
				path = ledger + "?limit=2&cursor=" + *page.NextCursor
			}
			if len(ids) != 3 || ids[0] != answer.Id || ids[1] != consult {
				t.Errorf("paged ledger = %v", ids)
			}
			tests := []struct {
				name, token, path string
				want              outcome
			}{
				{"lead", b.tok(t, "lead1"), ledger, outcome{status: 200}},
				{"admin", b.tok(t, "admin"), ledger, outcome{status: 200}},
				{"agent of another team", b.tok(t, "agent3"), ledger, outcome{status: 404}},
				{"integrator with interactions:read", e.IntegratorToken(t, "crm", "interactions:read"), ledger, outcome{status: 200}},
				{"integrator, unknown customer", e.IntegratorToken(t, "crm", "interactions:read"),
					"/v1/customers/" + uuid.Must(uuid.NewV7()).String() + "/interactions", outcome{status: 404}},
				{"integrator without the scope", e.IntegratorToken(t, "crm", "customers:read"), ledger, outcome{status: 403}},
				{"malformed cursor", b.tok(t, "agent1"), ledger + "?cursor=xyz", outcome{status: 400, fields: []string{"cursor"}}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.want.check(t, e.Do(t, apptest.Request{Method: "GET", Path: tt.path, Token: tt.token}))
				})
			}
		})

		t.Run("ledger across the scope", func(t *testing.T) {
			count := func(token, query string) int {
				t.Helper()
				res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/interactions" + query, Token: token})
				outcome{status: 200}.check(t, res)
				var page api.InteractionPage
				res.JSON(t, &page)
				return len(page.Items)
			}
			crm := e.IntegratorToken(t, "crm", "interactions:read")
			got := map[string]int{
				"agent1":                   count(b.tok(t, "agent1"), ""),
				"agent2":                   count(b.tok(t, "agent2"), ""),
				"lead1":                    count(b.tok(t, "lead1"), ""),
				"agent3":                   count(b.tok(t, "agent3"), ""),
				"integrator":               count(crm, ""),
				"integrator, c3":           count(crm, "?customer_id="+b.c3.String()),
				"integrator, since now":    count(crm, "?updated_since="+rfc3339(now.Add(time.Second))),
				"agent3 asks for c1":       count(b.tok(t, "agent3"), "?customer_id="+b.c1.String()),
				"integrator, first page":   count(crm, "?limit=3"),
				"agent1, page after first": count(b.tok(t, "agent1"), "?cursor="+firstCursor(t, e, b.tok(t, "agent1"))),
			}
			wantCounts := map[string]int{
				"agent1": 3, "agent2": 0, "lead1": 3, "agent3": 1, "integrator": 4, "integrator, c3": 1,
				"integrator, since now": 0, "agent3 asks for c1": 0, "integrator, first page": 3, "agent1, page after first": 2,
			}
			if diff := cmp.Diff(wantCounts, got); diff != "" {
				t.Errorf("visible interactions mismatch (-want +got):\n%s", diff)
			}
			outcome{status: 403}.check(t, e.Do(t, apptest.Request{Method: "GET", Path: "/v1/interactions", Token: e.IntegratorToken(t, "crm", "complaints:read")}))
		})

		t.Run("get", func(t *testing.T) {
			path := "/v1/interactions/" + consult.String()
			tests := []struct {
				name, token string
				want        outcome
			}{
				{"owner", b.tok(t, "agent1"), outcome{status: 200}},
				{"lead", b.tok(t, "lead1"), outcome{status: 200}},
				{"teammate", b.tok(t, "agent2"), outcome{status: 404}},
				{"agent of another team", b.tok(t, "agent3"), outcome{status: 404}},
				{"integrator with interactions:read", e.IntegratorToken(t, "crm", "interactions:read"), outcome{status: 200}},
				{"integrator without", e.IntegratorToken(t, "crm", "customers:read"), outcome{status: 403}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.want.check(t, e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tt.token}))
				})
			}
		})
	})
}

// firstCursor returns the next_cursor of agent's first page of one.
func firstCursor(t *testing.T, e *apptest.Env, token string) string {
	t.Helper()
	var page api.InteractionPage
	e.Do(t, apptest.Request{Method: "GET", Path: "/v1/interactions?limit=1", Token: token}).JSON(t, &page)
	if page.NextCursor == nil {
		t.Fatal("no next page")
	}
	return *page.NextCursor
}

func TestNpsAnswers(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newBook(t, e)
		now := e.Clock.Now()
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers/" + b.c1.String() + "/interactions", Token: b.tok(t, "agent1"),
			Body: map[string]any{"channel": "visit", "type": "revisit", "content": "保单送达回访"}})
		outcome{status: 201}.check(t, res)
		var visit api.Interaction
		res.JSON(t, &visit)
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers/" + b.c3.String() + "/interactions", Token: b.tok(t, "agent3"),
			Body: map[string]any{"channel": "visit", "type": "revisit", "content": "回访"}})
		var foreign api.Interaction
		res.JSON(t, &foreign)
		nps := "/v1/customers/" + b.c1.String() + "/nps"

		tests := []struct {
			name, token, path string
			body              map[string]any
			want              outcome
		}{
			{"score with the visit", b.tok(t, "agent1"), nps, map[string]any{"score": 9, "comment": "服务很及时", "interaction_id": visit.Id,
				"answered_at": rfc3339(now.Add(-time.Minute))}, outcome{status: 201}},
			{"score only", b.tok(t, "lead1"), nps, map[string]any{"score": 0}, outcome{status: 201}},
			{"score above 10", b.tok(t, "agent1"), nps, map[string]any{"score": 11}, outcome{status: 400, fields: []string{"/score"}}},
			{"score missing", b.tok(t, "agent1"), nps, map[string]any{"comment": "x"}, outcome{status: 400, fields: []string{"/score"}}},
			{"answered in the future", b.tok(t, "agent1"), nps, map[string]any{"score": 7, "answered_at": rfc3339(now.Add(time.Hour))},
				outcome{status: 400, fields: []string{"/answered_at"}}},
			{"interaction of another customer", b.tok(t, "admin"), nps, map[string]any{"score": 7, "interaction_id": foreign.Id},
				outcome{status: 400, fields: []string{"/interaction_id"}}},
			{"customer of another team", b.tok(t, "agent3"), nps, map[string]any{"score": 7}, outcome{status: 404}},
			{"integrator without customers:write", e.IntegratorToken(t, "crm", "customers:read"), nps, map[string]any{"score": 7}, outcome{status: 403}},
			// The contract admits integrators with customers:write, but the
			// access rules (access.NpsAnswer) let only agents write answers.
			{"integrator with customers:write", e.IntegratorToken(t, "crm", "customers:write"), nps, map[string]any{"score": 7}, outcome{status: 403}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := e.Do(t, apptest.Request{Method: "POST", Path: tt.path, Token: tt.token, Body: tt.body})
				tt.want.check(t, res)
				if res.Status != 201 {
					return
				}
				var a api.NpsAnswer
				res.JSON(t, &a)
				if a.CustomerId != b.c1 || int(a.Score) != int(tt.body["score"].(int)) {
					t.Errorf("answer = %+v", a)
				}
			})
		}
	})
}
