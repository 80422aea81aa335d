package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

func TestClaimWorkflow(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newBook(t, e)
		now := e.Clock.Now()
		policy := b.policy(t, b.c1, "P-001")
		otherPolicy := b.policy(t, b.c3, "P-003")

		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/claims", Token: b.tok(t, "agent1"), Body: map[string]any{
			"customer_id": b.c1, "policy_id": policy, "description": "急性阑尾炎住院 5 天", "amount_claimed_cents": 1560000, "currency": "CNY",
		}})
		outcome{status: 201}.check(t, res)
		var c api.Claim
		res.JSON(t, &c)
		wantSLA := api.ClaimSla{AcceptDueAt: now.Add(72 * time.Hour), CloseDueAt: now.Add(168 * time.Hour), State: api.OnTrack}
		if diff := cmp.Diff(wantSLA, c.Sla); diff != "" {
			t.Errorf("sla mismatch (-want +got):\n%s", diff)
		}
		if c.Status != api.ClaimStatusFiled || idOf(c.AgentId) != b.id("agent1") || c.Currency != "CNY" || c.AmountPaidCents != nil ||
			c.AmountClaimedCents == nil || *c.AmountClaimedCents != 1560000 || c.Decision != nil ||
			res.Header.Get("ETag") != `"1"` || res.Header.Get("Location") != "/v1/claims/"+c.Id.String() {
			t.Fatalf("filed %+v, ETag %q", c, res.Header.Get("ETag"))
		}

		t.Run("file refused", func(t *testing.T) {
			ok := func(extra map[string]any) map[string]any {
				m := map[string]any{"customer_id": b.c1, "policy_id": policy, "description": "门诊"}
				for k, v := range extra {
					m[k] = v
				}
				return m
			}
			tests := []struct {
				name, token string
				body        map[string]any
				want        outcome
			}{
				{"description missing", b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "policy_id": policy}, outcome{status: 400, fields: []string{"/description"}}},
				{"negative amount", b.tok(t, "agent1"), ok(map[string]any{"amount_claimed_cents": -1}), outcome{status: 400, fields: []string{"/amount_claimed_cents"}}},
				{"another currency", b.tok(t, "agent1"), ok(map[string]any{"currency": "USD"}), outcome{status: 400, fields: []string{"/currency"}}},
				{"filed in the future", b.tok(t, "agent1"), ok(map[string]any{"filed_at": rfc3339(now.Add(time.Hour))}), outcome{status: 400, fields: []string{"/filed_at"}}},
				{"policy of another customer", b.tok(t, "admin"), ok(map[string]any{"policy_id": otherPolicy}), outcome{status: 400, fields: []string{"/policy_id"}}},
				{"customer of another team", b.tok(t, "agent3"), ok(nil), outcome{status: 400, fields: []string{"/customer_id"}}},
				{"id taken", b.tok(t, "agent1"), ok(map[string]any{"id": c.Id}), outcome{status: 409}},
				{"integrator", e.IntegratorToken(t, "crm", "claims:read", "customers:write"), ok(nil), outcome{status: 403}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.want.check(t, e.Do(t, apptest.Request{Method: "POST", Path: "/v1/claims", Token: tt.token, Body: tt.body}))
				})
			}
		})

		t.Run("read scope", func(t *testing.T) {
			tests := []struct {
				name, token string
				want        outcome
			}{
				{"owner", b.tok(t, "agent1"), outcome{status: 200}},
				{"lead", b.tok(t, "lead1"), outcome{status: 200}},
				{"teammate", b.tok(t, "agent2"), outcome{status: 404}},
				{"agent of another team", b.tok(t, "agent3"), outcome{status: 404}},
				{"integrator with claims:read", e.IntegratorToken(t, "crm", "claims:read"), outcome{status: 200}},
				{"integrator without", e.IntegratorToken(t, "crm", "complaints:read"), outcome{status: 403}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.want.check(t, e.Do(t, apptest.Request{Method: "GET", Path: "/v1/claims/" + c.Id.String(), Token: tt.token}))
				})
			}
		})

		// A declined claim: accepted before the documents are complete
		// (先受理、后补证), then decided and closed without payment.
		steps := []struct {
			name    string
			token   string
			etag    string
			body    map[string]any
			want    outcome
			status  api.ClaimStatus
			version int64
		}{
			{name: "documents before acceptance", body: map[string]any{"transition": "documents_complete"},
				want: outcome{status: 409, detail: "cannot documents_complete a claim that is filed"}},
			{name: "amount with accept", body: map[string]any{"transition": "accept", "amount_paid_cents": 100},
				want: outcome{status: 400, fields: []string{"/amount_paid_cents"}}},
			{name: "agent of another team", token: "agent3", body: map[string]any{"transition": "accept"}, want: outcome{status: 404}},
			{name: "transition missing", body: map[string]any{"note": "x"}, want: outcome{status: 400, fields: []string{"/transition"}}},
			{name: "accept", etag: `"1"`, body: map[string]any{"transition": "accept", "note": "先受理"}, want: outcome{status: 200},
				status: api.ClaimStatusAccepted, version: 2},
			{name: "stale If-Match", etag: `"1"`, body: map[string]any{"transition": "documents_complete"}, want: outcome{status: 412}},
			{name: "pay before the decision", body: map[string]any{"transition": "pay", "amount_paid_cents": 100},
				want: outcome{status: 409, detail: "pay moves decided (approved) → paid"}},
			{name: "documents complete", token: "lead1", etag: `"2"`, body: map[string]any{"transition": "documents_complete"}, want: outcome{status: 200},
				status: api.ClaimStatusDocumentsComplete, version: 3},
			{name: "decide without a decision", body: map[string]any{"transition": "decide"}, want: outcome{status: 400, fields: []string{"/decision"}}},
			{name: "decline", body: map[string]any{"transition": "decide", "decision": "declined"}, want: outcome{status: 200},
				status: api.ClaimStatusDecided, version: 4},
			{name: "pay a declined claim", body: map[string]any{"transition": "pay", "amount_paid_cents": 100},
				want: outcome{status: 409, detail: "decided (declined)"}},
			{name: "close", body: map[string]any{"transition": "close"}, want: outcome{status: 200}, status: api.ClaimStatusClosed, version: 5},
			{name: "close again", body: map[string]any{"transition": "close"}, want: outcome{status: 409, detail: "closed"}},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				token := st.token
				if token == "" {
					token = "agent1"
				}
				var h http.Header
				if st.etag != "" {
					h = ifMatch(st.etag)
				}
				res := e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/claims/" + c.Id.String(), Token: b.tok(t, token), Header: h, Body: st.body})
				st.want.check(t, res)
				if res.Status != 200 {
					return
				}
				var got api.Claim
				res.JSON(t, &got)
				if got.Status != st.status || got.Version != st.version || res.Header.Get("ETag") != `"`+strconv.FormatInt(st.version, 10)+`"` {
					t.Errorf("status %s version %d ETag %s, want %s %d", got.Status, got.Version, res.Header.Get("ETag"), st.status, st.version)
				}
			})
		}
		var declined api.Claim
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/claims/" + c.Id.String(), Token: b.tok(t, "agent1")}).JSON(t, &declined)
		if declined.Decision == nil || *declined.Decision != api.Declined || declined.AmountPaidCents != nil || declined.Sla.State != api.OnTrack {
			t.Errorf("declined claim = %+v", declined)
		}

		// The history keeps each transition with its note and who made it;
		// the refused ones left nothing.
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/claims/" + c.Id.String() + "/events", Token: b.tok(t, "agent1")})
		outcome{status: 200}.check(t, res)
		var hist api.ClaimEventList
		res.JSON(t, &hist)
		type ev struct {
			Tr       api.ClaimTransition
			From, To api.ClaimStatus
			Note     string
			Agent    uuid.UUID
		}
		var gotHist []ev
		for _, x := range hist.Items {
			if x.ClaimId != c.Id || x.At.IsZero() || x.RecordedAt.IsZero() {
				t.Errorf("event %+v", x)
			}
			n := ""
			if x.Note != nil {
				n = *x.Note
			}
			gotHist = append(gotHist, ev{x.Transition, x.FromStatus, x.ToStatus, n, idOf(x.AgentId)})
		}
		wantHist := []ev{
			{api.ClaimTransitionAccept, api.ClaimStatusFiled, api.ClaimStatusAccepted, "先受理", b.id("agent1")},
			{api.ClaimTransitionDocumentsComplete, api.ClaimStatusAccepted, api.ClaimStatusDocumentsComplete, "", b.id("lead1")},
			{api.ClaimTransitionDecide, api.ClaimStatusDocumentsComplete, api.ClaimStatusDecided, "", b.id("agent1")},
			{api.ClaimTransitionClose, api.ClaimStatusDecided, api.ClaimStatusClosed, "", b.id("agent1")},
		}
		if diff := cmp.Diff(wantHist, gotHist); diff != "" {
			t.Errorf("history (-want +got):\n%s", diff)
		}
		outcome{status: 404}.check(t, e.Do(t, apptest.Request{Method: "GET", Path: "/v1/claims/" + c.Id.String() + "/events", Token: b.tok(t, "agent3")}))

		// An approved claim is paid, then closed.
		paid := createClaim(t, e, b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "policy_id": policy, "description": "门诊"})
		for _, body := range []map[string]any{
			{"transition": "accept"}, {"transition": "documents_complete"}, {"transition": "decide", "decision": "approved"},
			{"transition": "pay", "amount_paid_cents": 88000},
		} {
			res := e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/claims/" + paid.Id.String(), Token: b.tok(t, "agent1"), Body: body})
			outcome{status: 200}.check(t, res)
			res.JSON(t, &paid)
		}
		if paid.Status != api.ClaimStatusPaid || paid.AmountPaidCents == nil || *paid.AmountPaidCents != 88000 || paid.PaidAt == nil {
			t.Errorf("paid claim = %+v", paid)
		}
	})
}

func createClaim(t *testing.T, e *apptest.Env, token string, body map[string]any) api.Claim {
	t.Helper()
	res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/claims", Token: token, Body: body})
	outcome{status: 201}.check(t, res)
	var c api.Claim
	res.JSON(t, &c)
	return c
}

func TestClaimList(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newBook(t, e)
		now := e.Clock.Now()
		p1, p1b, p2, p3 := b.policy(t, b.c1, "P-1"), b.policy(t, b.c1, "P-1b"), b.policy(t, b.c2, "P-2"), b.policy(t, b.c3, "P-3")
		// Filed 4 days ago and never accepted: the 3-day clock ran out.
		late := createClaim(t, e, b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "policy_id": p1, "description": "住院",
			"filed_at": rfc3339(now.Add(-96 * time.Hour))})
		other := createClaim(t, e, b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "policy_id": p1b, "description": "门诊",
			"filed_at": rfc3339(now.Add(-time.Hour))})
		teammate := createClaim(t, e, b.tok(t, "agent2"), map[string]any{"customer_id": b.c2, "policy_id": p2, "description": "意外"})
		foreign := createClaim(t, e, b.tok(t, "agent3"), map[string]any{"customer_id": b.c3, "policy_id": p3, "description": "重疾"})
		if late.Sla.State != api.Breached || other.Sla.State != api.OnTrack {
			t.Errorf("SLA states: late %s, other %s", late.Sla.State, other.Sla.State)
		}
		outcome{status: 200}.check(t, e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/claims/" + other.Id.String(), Token: b.tok(t, "agent1"),
			Body: map[string]any{"transition": "accept"}}))

		crm := e.IntegratorToken(t, "crm", "claims:read")
		tests := []struct {
			name, token, query string
			want               []uuid.UUID
		}{
			{"agent1, newest first", b.tok(t, "agent1"), "", []uuid.UUID{other.Id, late.Id}},
			{"lead, the team", b.tok(t, "lead1"), "", []uuid.UUID{teammate.Id, other.Id, late.Id}},
			{"agent3", b.tok(t, "agent3"), "", []uuid.UUID{foreign.Id}},
			{"integrator", crm, "", []uuid.UUID{foreign.Id, teammate.Id, other.Id, late.Id}},
			{"by policy", crm, "&policy_id=" + p1.String(), []uuid.UUID{late.Id}},
			{"by customer", crm, "&customer_id=" + b.c2.String(), []uuid.UUID{teammate.Id}},
			{"accepted", b.tok(t, "lead1"), "&status=accepted", []uuid.UUID{other.Id}},
			{"agent3 asks for c1", b.tok(t, "agent3"), "&customer_id=" + b.c1.String(), []uuid.UUID{}},
			{"changed later", crm, "&updated_since=" + rfc3339(now.Add(time.Minute)), []uuid.UUID{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := []uuid.UUID{}
				path := "/v1/claims?limit=1" + tt.query
				for range 10 {
					res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tt.token})
					outcome{status: 200}.check(t, res)
					var page api.ClaimPage
					res.JSON(t, &page)
					if page.Items == nil {
						t.Fatal("items is null")
					}
					for _, c := range page.Items {
						got = append(got, c.Id)
					}
					if page.NextCursor == nil {
						break
					}
					path = "/v1/claims?limit=1" + tt.query + "&cursor=" + *page.NextCursor
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("claims mismatch (-want +got):\n%s", diff)
				}
			})
		}
		outcome{status: 403}.check(t, e.Do(t, apptest.Request{Method: "GET", Path: "/v1/claims", Token: e.IntegratorToken(t, "crm", "complaints:read")}))
		outcome{status: 400, fields: []string{"cursor"}}.check(t, e.Do(t, apptest.Request{Method: "GET", Path: "/v1/claims?cursor=AAAA", Token: crm}))
	})
}
