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

// inShanghai returns a time of the Shanghai wall clock.
func inShanghai(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, time.FixedZone("CST", 8*3600)).UTC()
}

func createComplaint(t *testing.T, e *apptest.Env, token string, body map[string]any) api.Complaint {
	t.Helper()
	res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/complaints", Token: token, Body: body})
	outcome{status: 201}.check(t, res)
	var c api.Complaint
	res.JSON(t, &c)
	return c
}

func TestComplaintWorkflow(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newBook(t, e)
		now := e.Clock.Now() // Monday 2026-11-23 10:00 in Shanghai
		policy := b.policy(t, b.c1, "P-001")
		otherPolicy := b.policy(t, b.c3, "P-003")

		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/complaints", Token: b.tok(t, "agent1"), Body: map[string]any{
			"customer_id": b.c1, "policy_id": policy, "category": "claim_timeliness", "summary": "理赔材料提交后一周无进展",
		}})
		outcome{status: 201}.check(t, res)
		var c api.Complaint
		res.JSON(t, &c)
		wantSLA := api.ComplaintSla{
			AcknowledgeDueAt: now.Add(24 * time.Hour),
			AnswerDueAt:      inShanghai(2026, 11, 25, 10, 0), // 2 working days
			CloseDueAt:       inShanghai(2026, 12, 2, 10, 0),  // 7 working days, a weekend between
			State:            api.OnTrack,
		}
		if diff := cmp.Diff(wantSLA, c.Sla); diff != "" {
			t.Errorf("sla mismatch (-want +got):\n%s", diff)
		}
		if c.Status != api.ComplaintStatusReceived || c.Severity != api.SeverityMedium || idOf(c.AgentId) != b.id("agent1") ||
			c.RootCause != nil || res.Header.Get("ETag") != `"1"` || res.Header.Get("Location") != "/v1/complaints/"+c.Id.String() {
			t.Fatalf("created %+v, ETag %q", c, res.Header.Get("ETag"))
		}
		path := "/v1/complaints/" + c.Id.String()

		t.Run("create refused", func(t *testing.T) {
			tests := []struct {
				name, token string
				body        map[string]any
				want        outcome
			}{
				{"summary missing", b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "category": "billing"}, outcome{status: 400, fields: []string{"/summary"}}},
				{"unknown category", b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "category": "weather", "summary": "x"}, outcome{status: 400, fields: []string{"/category"}}},
				{"received in the future", b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "category": "billing", "summary": "x",
					"received_at": rfc3339(now.Add(time.Hour))}, outcome{status: 400, fields: []string{"/received_at"}}},
				{"policy of another customer", b.tok(t, "admin"), map[string]any{"customer_id": b.c1, "category": "billing", "summary": "x",
					"policy_id": otherPolicy}, outcome{status: 400, fields: []string{"/policy_id"}}},
				{"customer of another team", b.tok(t, "agent3"), map[string]any{"customer_id": b.c1, "category": "billing", "summary": "x"},
					outcome{status: 400, fields: []string{"/customer_id"}}},
				{"id taken", b.tok(t, "agent1"), map[string]any{"id": c.Id, "customer_id": b.c1, "category": "billing", "summary": "x"}, outcome{status: 409}},
				{"integrator", e.IntegratorToken(t, "crm", "complaints:read", "customers:write"),
					map[string]any{"customer_id": b.c1, "category": "billing", "summary": "x"}, outcome{status: 403}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.want.check(t, e.Do(t, apptest.Request{Method: "POST", Path: "/v1/complaints", Token: tt.token, Body: tt.body}))
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
				{"admin", b.tok(t, "admin"), outcome{status: 200}},
				{"agent of another team", b.tok(t, "agent3"), outcome{status: 404}},
				{"integrator with complaints:read", e.IntegratorToken(t, "crm", "complaints:read"), outcome{status: 200}},
				{"integrator without", e.IntegratorToken(t, "crm", "interactions:read"), outcome{status: 403}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.want.check(t, e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tt.token}))
				})
			}
		})

		// The workflow, step by step; each step names the version it is
		// based on when it sends If-Match.
		steps := []struct {
			name    string
			token   string
			etag    string
			body    map[string]any
			want    outcome
			status  api.ComplaintStatus
			version int64
		}{
			{name: "resolve before acknowledging", body: map[string]any{"transition": "resolve", "resolution": "x"},
				want: outcome{status: 409, detail: "cannot resolve a complaint that is received"}},
			{name: "unknown transition", body: map[string]any{"transition": "archive"}, want: outcome{status: 400, fields: []string{"/transition"}}},
			{name: "malformed If-Match", etag: "seven", body: map[string]any{"transition": "acknowledge"}, want: outcome{status: 400, fields: []string{"If-Match"}}},
			{name: "agent of another team", token: "agent3", body: map[string]any{"transition": "acknowledge"}, want: outcome{status: 404}},
			{name: "acknowledge", etag: `"1"`, body: map[string]any{"transition": "acknowledge"}, want: outcome{status: 200},
				status: api.ComplaintStatusAcknowledged, version: 2},
			{name: "acknowledge twice", body: map[string]any{"transition": "acknowledge"}, want: outcome{status: 409, detail: "acknowledged"}},
			{name: "stale If-Match", etag: `"1"`, body: map[string]any{"transition": "investigate"}, want: outcome{status: 412}},
			{name: "If-Match of no version", etag: `"0"`, body: map[string]any{"transition": "investigate"}, want: outcome{status: 412}},
			{name: "investigate", etag: `"2"`, body: map[string]any{"transition": "investigate", "severity": "high"}, want: outcome{status: 200},
				status: api.ComplaintStatusInvestigating, version: 3},
			{name: "resolve without a resolution", body: map[string]any{"transition": "resolve"}, want: outcome{status: 400, fields: []string{"/resolution"}}},
			{name: "resolve", token: "lead1", body: map[string]any{"transition": "resolve", "resolution": "已加急受理并致歉"}, want: outcome{status: 200},
				status: api.ComplaintStatusResolved, version: 4},
			{name: "close without root cause and corrective action", body: map[string]any{"transition": "close"},
				want: outcome{status: 400, fields: []string{"/corrective_action", "/root_cause"}, detail: "set root_cause, corrective_action"}},
			{name: "close", body: map[string]any{"transition": "close", "root_cause": "材料在分支机构滞留", "corrective_action": "当日扫描录入"},
				want: outcome{status: 200}, status: api.ComplaintStatusClosed, version: 5},
			{name: "edit a closed complaint", body: map[string]any{"severity": "low"}, want: outcome{status: 409, detail: "reopen"}},
			{name: "reopen", etag: `"5"`, body: map[string]any{"transition": "reopen"}, want: outcome{status: 200},
				status: api.ComplaintStatusInvestigating, version: 6},
			{name: "edit fields only", body: map[string]any{"details": "x"}, want: outcome{status: 400, fields: []string{"/details"}}},
			{name: "escalate", body: map[string]any{"transition": "escalate"}, want: outcome{status: 200}, status: api.ComplaintStatusEscalated, version: 7},
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
				res := e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: b.tok(t, token), Header: h, Body: st.body})
				st.want.check(t, res)
				if res.Status != 200 {
					return
				}
				var got api.Complaint
				res.JSON(t, &got)
				if got.Status != st.status || got.Version != st.version || res.Header.Get("ETag") != `"`+strconv.FormatInt(st.version, 10)+`"` {
					t.Errorf("status %s version %d ETag %s, want %s %d", got.Status, got.Version, res.Header.Get("ETag"), st.status, st.version)
				}
			})
		}
		var final api.Complaint
		e.Do(t, apptest.Request{Method: "GET", Path: path, Token: b.tok(t, "agent1")}).JSON(t, &final)
		if final.AcknowledgedAt == nil || final.EscalatedAt == nil || final.ResolvedAt != nil || final.ClosedAt != nil ||
			final.Severity != api.SeverityHigh || final.RootCause == nil || *final.RootCause != "材料在分支机构滞留" {
			t.Errorf("final complaint = %+v", final)
		}
	})
}

func TestComplaintListAndSLA(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newBook(t, e)
		now := e.Clock.Now()
		// received 20 h ago: 4 h of the 24 left to acknowledge → at risk.
		atRisk := createComplaint(t, e, b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "category": "service_attitude",
			"summary": "电话未接", "received_at": rfc3339(now.Add(-20 * time.Hour))})
		// received 3 days ago (Friday) and never acknowledged → breached.
		breached := createComplaint(t, e, b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "category": "billing",
			"summary": "扣费有误", "received_at": rfc3339(now.Add(-72 * time.Hour))})
		fresh := createComplaint(t, e, b.tok(t, "agent2"), map[string]any{"customer_id": b.c2, "category": "other", "summary": "咨询无人回复"})
		foreign := createComplaint(t, e, b.tok(t, "agent3"), map[string]any{"customer_id": b.c3, "category": "other", "summary": "B组投诉"})

		gotStates := map[string]api.SlaState{"atRisk": atRisk.Sla.State, "breached": breached.Sla.State, "fresh": fresh.Sla.State}
		wantStates := map[string]api.SlaState{"atRisk": api.AtRisk, "breached": api.Breached, "fresh": api.OnTrack}
		if diff := cmp.Diff(wantStates, gotStates); diff != "" {
			t.Errorf("SLA states mismatch (-want +got):\n%s", diff)
		}
		// Acknowledging the at-risk one in time puts it back on track.
		res := e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/complaints/" + atRisk.Id.String(), Token: b.tok(t, "agent1"),
			Body: map[string]any{"transition": "acknowledge"}})
		outcome{status: 200}.check(t, res)
		var acked api.Complaint
		res.JSON(t, &acked)
		if acked.Sla.State != api.OnTrack {
			t.Errorf("acknowledged in time: state %s", acked.Sla.State)
		}

		crm := e.IntegratorToken(t, "crm", "complaints:read")
		tests := []struct {
			name, token, query string
			want               []uuid.UUID
		}{
			{"agent1, newest first", b.tok(t, "agent1"), "", []uuid.UUID{atRisk.Id, breached.Id}},
			{"lead, the team", b.tok(t, "lead1"), "", []uuid.UUID{fresh.Id, atRisk.Id, breached.Id}},
			{"agent3", b.tok(t, "agent3"), "", []uuid.UUID{foreign.Id}},
			{"agent3 asks for c1", b.tok(t, "agent3"), "&customer_id=" + b.c1.String(), []uuid.UUID{}},
			{"integrator", crm, "", []uuid.UUID{foreign.Id, fresh.Id, atRisk.Id, breached.Id}},
			{"breached", crm, "&breached=true", []uuid.UUID{breached.Id}},
			{"not breached", b.tok(t, "lead1"), "&breached=false", []uuid.UUID{fresh.Id, atRisk.Id}},
			{"acknowledged", crm, "&status=acknowledged", []uuid.UUID{atRisk.Id}},
			{"of c2", crm, "&customer_id=" + b.c2.String(), []uuid.UUID{fresh.Id}},
			{"changed since now", crm, "&updated_since=" + rfc3339(now), []uuid.UUID{foreign.Id, fresh.Id, atRisk.Id, breached.Id}},
			{"changed later", crm, "&updated_since=" + rfc3339(now.Add(time.Minute)), []uuid.UUID{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Pages of one, to walk the cursor through every filter.
				got := []uuid.UUID{}
				path := "/v1/complaints?limit=1" + tt.query
				for range 10 {
					res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tt.token})
					outcome{status: 200}.check(t, res)
					var page api.ComplaintPage
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
					path = "/v1/complaints?limit=1" + tt.query + "&cursor=" + *page.NextCursor
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("complaints mismatch (-want +got):\n%s", diff)
				}
			})
		}
		outcome{status: 403}.check(t, e.Do(t, apptest.Request{Method: "GET", Path: "/v1/complaints", Token: e.IntegratorToken(t, "crm", "claims:read")}))
	})
}
