package httpapi_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

// consultation records a consultation received at `at` and, unless
// answerAfter is 0, the call that answers it answerAfter later.
func consultation(t *testing.T, e *apptest.Env, token string, customer uuid.UUID, at time.Time, answerAfter time.Duration) {
	t.Helper()
	path := "/v1/customers/" + customer.String() + "/interactions"
	res := e.Do(t, apptest.Request{Method: "POST", Path: path, Token: token, Body: map[string]any{
		"channel": "wechat", "type": "consultation", "content": "续期缴费方式？", "received_at": rfc3339(at),
	}})
	outcome{status: 201}.check(t, res)
	if answerAfter == 0 {
		return
	}
	var c api.Interaction
	res.JSON(t, &c)
	outcome{status: 201}.check(t, e.Do(t, apptest.Request{Method: "POST", Path: path, Token: token, Body: map[string]any{
		"channel": "phone", "type": "consultation", "content": "回电说明", "received_at": rfc3339(at.Add(answerAfter)), "answers_interaction_id": c.Id,
	}}))
}

// kpiOf returns one KPI of a report.
func kpiOf(t *testing.T, r api.KpiReport, key api.KpiKey) api.Kpi {
	t.Helper()
	for _, k := range r.Kpis {
		if k.Key == key {
			return k
		}
	}
	t.Fatalf("the report has no %s", key)
	return api.Kpi{}
}

func TestKpiReport(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newBook(t, e)
		teamA, teamB := *b.agents["agent1"].TeamID, *b.agents["agent3"].TeamID
		// In the default period (the 30 days before today, 2026-11-23):
		// agent1 answers one consultation in 3 minutes and leaves one
		// unanswered; agent2 answers after 13 hours; agent3 in 30 minutes.
		consultation(t, e, b.tok(t, "agent1"), b.c1, inShanghai(2026, 11, 20, 10, 0), 3*time.Minute)
		consultation(t, e, b.tok(t, "agent1"), b.c1, inShanghai(2026, 11, 19, 10, 0), 0)
		consultation(t, e, b.tok(t, "agent2"), b.c2, inShanghai(2026, 11, 18, 10, 0), 13*time.Hour)
		consultation(t, e, b.tok(t, "agent3"), b.c3, inShanghai(2026, 11, 18, 10, 0), 30*time.Minute)

		type rate struct {
			Value          *float64
			Num, Den       float64
			Met            *bool
			Scope          api.ReportScope
			From, To       string
			MedianMinutes  *float64
			MedianOverThis float64
		}
		f := func(v float64) *float64 { return &v }
		bl := func(v bool) *bool { return &v }
		agent := func(name string) *uuid.UUID { id := b.id(name); return &id }
		tests := []struct {
			name, token, query string
			status             int
			want               rate
		}{
			{"agent: self", b.tok(t, "agent1"), "", 200, rate{f(0.5), 1, 2, bl(false), api.ReportScope{AgentId: agent("agent1")},
				"2026-10-24", "2026-11-22", f(3), 1}},
			{"agent names self", b.tok(t, "agent1"), "?agent_id=" + b.id("agent1").String(), 200,
				rate{f(0.5), 1, 2, bl(false), api.ReportScope{AgentId: agent("agent1")}, "2026-10-24", "2026-11-22", f(3), 1}},
			{"agent asks for another agent", b.tok(t, "agent1"), "?agent_id=" + b.id("agent2").String(), 403, rate{}},
			{"agent asks for the team", b.tok(t, "agent1"), "?team_id=" + teamA.String(), 403, rate{}},
			{"lead: the team", b.tok(t, "lead1"), "", 200, rate{f(0.3333), 1, 3, bl(false), api.ReportScope{TeamId: &teamA},
				"2026-10-24", "2026-11-22", f(391.5), 2}},
			{"lead: a member", b.tok(t, "lead1"), "?agent_id=" + b.id("agent2").String(), 200,
				rate{f(0), 0, 1, bl(false), api.ReportScope{TeamId: &teamA, AgentId: agent("agent2")}, "2026-10-24", "2026-11-22", f(13 * 60), 1}},
			{"lead asks for another team", b.tok(t, "lead1"), "?team_id=" + teamB.String(), 403, rate{}},
			{"lead asks for an agent of another team", b.tok(t, "lead1"), "?agent_id=" + b.id("agent3").String(), 403, rate{}},
			{"admin: everyone", b.tok(t, "admin"), "", 200, rate{f(0.5), 2, 4, bl(false), api.ReportScope{},
				"2026-10-24", "2026-11-22", f(30), 3}},
			{"admin: an agent of team B", b.tok(t, "admin"), "?agent_id=" + b.id("agent3").String(), 200,
				rate{f(1), 1, 1, bl(true), api.ReportScope{AgentId: agent("agent3")}, "2026-10-24", "2026-11-22", f(30), 1}},
			{"admin: team B", b.tok(t, "admin"), "?team_id=" + teamB.String(), 200,
				rate{f(1), 1, 1, bl(true), api.ReportScope{TeamId: &teamB}, "2026-10-24", "2026-11-22", f(30), 1}},
			{"admin: an empty period", b.tok(t, "admin"), "?from=2026-11-21&to=2026-11-22", 200,
				rate{nil, 0, 0, nil, api.ReportScope{}, "2026-11-21", "2026-11-22", nil, 0}},
			{"admin: unknown agent", b.tok(t, "admin"), "?agent_id=" + uuid.Must(uuid.NewV7()).String(), 400, rate{}},
			{"admin: unknown team", b.tok(t, "admin"), "?team_id=" + uuid.Must(uuid.NewV7()).String() + "&agent_id=" + b.id("agent1").String(), 400, rate{}},
			{"integrator with reports:read", e.IntegratorToken(t, "bi", "reports:read"), "?from=2026-11-18&to=2026-11-18", 200,
				rate{f(0.5), 1, 2, bl(false), api.ReportScope{}, "2026-11-18", "2026-11-18", f(405), 2}},
			{"integrator without", e.IntegratorToken(t, "bi", "complaints:read"), "", 403, rate{}},
			{"period ends before it starts", b.tok(t, "agent1"), "?from=2026-11-10&to=2026-11-01", 400, rate{}},
			{"malformed date", b.tok(t, "agent1"), "?from=yesterday", 400, rate{}},
		}
		problemFields := map[string][]string{
			"admin: unknown agent": {"agent_id"}, "admin: unknown team": {"team_id"},
			"period ends before it starts": {"to"}, "malformed date": {"from"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/reports/kpis" + tt.query, Token: tt.token})
				outcome{status: tt.status, fields: problemFields[tt.name]}.check(t, res)
				if tt.status != 200 {
					return
				}
				var r api.KpiReport
				res.JSON(t, &r)
				if len(r.Kpis) != 13 {
					t.Errorf("%d KPIs, want 13", len(r.Kpis))
				}
				k, med := kpiOf(t, r, "first_response_12h_rate"), kpiOf(t, r, "first_response_median_minutes")
				got := rate{k.Value, k.Numerator, k.Denominator, k.Met, r.Scope, r.From.String(), r.To.String(), med.Value, med.Denominator}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("report mismatch (-want +got):\n%s", diff)
				}
				if k.Target != 0.9 || k.Comparison != "gte" || k.Unit != "ratio" || !r.GeneratedAt.Equal(e.Clock.Now()) {
					t.Errorf("KPI %+v generated %v", k, r.GeneratedAt)
				}
			})
		}
	})
}

func TestKpiReportCSV(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newBook(t, e)
		consultation(t, e, b.tok(t, "agent1"), b.c1, inShanghai(2026, 11, 20, 10, 0), 3*time.Minute)
		consultation(t, e, b.tok(t, "agent1"), b.c1, inShanghai(2026, 11, 19, 10, 0), 0)
		tests := []struct {
			accept string
			csv    bool
		}{
			{"", false},
			{"text/csv", true},
			{"text/csv; charset=utf-8", true},
			{"application/json", false},
			{"*/*", false},
			{"text/*", true},
			{"text/csv;q=0.5, application/json", false},
			{"application/json;q=0.4, text/csv;q=0.8", true},
			{"text/csv, application/json", true},
			{"application/json, text/csv", false},
			{"text/csv;q=0", false},
		}
		for _, tt := range tests {
			t.Run(tt.accept, func(t *testing.T) {
				var h http.Header
				if tt.accept != "" {
					h = http.Header{"Accept": {tt.accept}}
				}
				res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/reports/kpis", Token: b.tok(t, "agent1"), Header: h})
				if res.Status != 200 {
					t.Fatalf("status %d: %s", res.Status, res.Body)
				}
				ct := res.Header.Get("Content-Type")
				if !tt.csv {
					if !strings.HasPrefix(ct, "application/json") {
						t.Errorf("Content-Type %q, want JSON", ct)
					}
					return
				}
				if ct != "text/csv; charset=utf-8" {
					t.Fatalf("Content-Type %q, want CSV", ct)
				}
				rows, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != 14 {
					t.Fatalf("%d rows, want a header and 13 KPIs:\n%s", len(rows), res.Body)
				}
				header := []string{"key", "label", "value", "numerator", "denominator", "unit", "target", "comparison", "met"}
				if diff := cmp.Diff(header, rows[0]); diff != "" {
					t.Errorf("header mismatch (-want +got):\n%s", diff)
				}
				first := []string{"first_response_12h_rate", "12 小时内首次响应率", "0.5", "1", "2", "ratio", "0.9", "gte", "false"}
				if diff := cmp.Diff(first, rows[1]); diff != "" {
					t.Errorf("first row mismatch (-want +got):\n%s", diff)
				}
				for _, r := range rows[1:] {
					if r[0] == "claim_accepted_3d_rate" && (r[2] != "" || r[8] != "" || r[4] != "0") {
						t.Errorf("a KPI without denominator: %q", r)
					}
				}
			})
		}
	})
}
