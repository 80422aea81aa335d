package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/report"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// targets are PRODUCT.md's, written out again so that a change of the
// implementation's table shows here.
var targets = map[report.Key]struct {
	label  string
	unit   report.Unit
	target float64
	cmp    report.Comparison
}{
	report.FirstResponse12hRate:       {"12 小时内首次响应率", "ratio", 0.9, "gte"},
	report.FirstResponseMedianMinutes: {"首次响应时长中位数", "minutes", 1440, "lte"},
	report.FirstResponse5minShare:     {"5 分钟内首次响应占比", "ratio", 0.9, "gte"},
	report.ClaimAccepted3dRate:        {"理赔 3 日受理率", "ratio", 0.85, "gte"},
	report.ClaimClosureMedianDays:     {"理赔结案中位天数", "days", 7, "lte"},
	report.ComplaintAck24hRate:        {"投诉 24 小时确认率", "ratio", 1, "gte"},
	report.ComplaintAnswer2wdRate:     {"投诉 2 个工作日答复率", "ratio", 1, "gte"},
	report.ComplaintClose7wdRate:      {"投诉 7 个工作日结案率", "ratio", 1, "gte"},
	report.ToolkitUsageRate:           {"工具包使用率", "ratio", 0.8, "gte"},
	report.KeyNodeCoverage:            {"关键节点覆盖率", "ratio", 0.95, "gte"},
	report.StandardSuggestionRate:     {"标准化建议率", "ratio", 0.85, "gte"},
	report.NPS:                        {"净推荐值", "score", 40, "gte"},
	report.RenewalRateChange:          {"续保率变化", "points", 15, "gte"},
}

// row is an expected KPI: value (nil for null), numerator, denominator
// and whether the target is met (nil for null).
type row struct {
	value    *float64
	num, den float64
	met      *bool
}

func v(x float64, num, den float64, met bool) row { return row{&x, num, den, &met} }

func null(num, den float64) row { return row{num: num, den: den} }

// kpis expands expected rows into the KPIs of a report, in key order.
func kpis(rows map[report.Key]row) []report.KPI {
	var out []report.KPI
	for _, k := range report.Keys() {
		r, ok := rows[k]
		if !ok {
			continue
		}
		d := targets[k]
		out = append(out, report.KPI{Key: k, Label: d.label, Value: r.value, Numerator: r.num, Denominator: r.den,
			Unit: d.unit, Target: d.target, Comparison: d.cmp, Met: r.met})
	}
	return out
}

// only keeps the KPIs of a report whose keys rows has.
func only(got []report.KPI, rows map[report.Key]row) []report.KPI {
	var out []report.KPI
	for _, k := range got {
		if _, ok := rows[k.Key]; ok {
			out = append(out, k)
		}
	}
	return out
}

var february = report.Query{From: day("2026-02-01"), To: day("2026-02-28"), Now: now}

func TestKPIs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := build(t, db)
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			scope report.Scope
			mod   func(*report.Query)
			want  map[report.Key]row
		}{
			{"agent a1 (Shanghai)", report.Scope{AgentID: &w.a1}, nil, map[report.Key]row{
				report.FirstResponse12hRate:       v(0.6667, 4, 6, false), // c1 c3 c7 c11 of c1 c2 c3 c4 c7 c11
				report.FirstResponseMedianMinutes: v(60, 5, 5, true),      // 2, 5, 60, 720, 720.02
				report.FirstResponse5minShare:     v(0.2857, 2, 7, false), // c3 c7 of those and c5
				report.ClaimAccepted3dRate:        v(0.3333, 1, 3, false), // k1 of k1 k2 k4
				report.ClaimClosureMedianDays:     v(9, 3, 3, false),      // 6, 9, 10
				report.ComplaintAck24hRate:        v(0.3333, 1, 3, false), // m1 of m1 m2 m3
				report.ComplaintAnswer2wdRate:     v(0.5, 1, 2, false),    // m1 of m1 m2
				report.ComplaintClose7wdRate:      v(1, 2, 2, true),       // m1 m2
				report.ToolkitUsageRate:           v(0.3, 3, 10, false),   // c1 a7 r1
				report.KeyNodeCoverage:            v(0.4, 2, 5, false),
				report.StandardSuggestionRate:     v(0.5, 1, 2, false), // cA1 of cA1 cA1c
				report.NPS:                        v(40, 2, 5, true),   // 10 9 9 7 3
				report.RenewalRateChange:          v(25, 3, 4, true),   // 3/4 − 1/2: p1 p7 p8 of + p2; p4 of + p5
			}},
			{"team 1 (a1 Shanghai, a2 Berlin)", report.Scope{TeamID: &w.t1}, nil, map[report.Key]row{
				report.FirstResponse12hRate:       v(0.7143, 5, 7, false), // + c8
				report.FirstResponseMedianMinutes: v(32.5, 6, 6, true),    // 2, 3, 5 | 60, 720, 720.02
				report.FirstResponse5minShare:     v(0.375, 3, 8, false),
				report.ClaimAccepted3dRate:        v(0.5, 2, 4, false), // + k6
				report.ClaimClosureMedianDays:     v(7.5, 4, 4, false), // 4.5, 6, 9, 10
				report.ComplaintAck24hRate:        v(0.5, 2, 4, false), // + m5
				report.ComplaintAnswer2wdRate:     v(0.6667, 2, 3, false),
				report.ComplaintClose7wdRate:      v(1, 2, 2, true),
				report.ToolkitUsageRate:           v(0.2727, 3, 11, false),
				report.KeyNodeCoverage:            v(0.5, 3, 6, false),
				report.StandardSuggestionRate:     v(0.6667, 2, 3, false),
				report.NPS:                        v(16.67, 1, 6, false),
				report.RenewalRateChange:          v(10, 3, 5, false), // 3/5 − 1/2: + p9
			}},
			{"everyone", report.Scope{}, nil, map[report.Key]row{
				report.FirstResponse12hRate:       v(0.75, 6, 8, false), // + c10
				report.FirstResponseMedianMinutes: v(5, 7, 7, true),
				report.FirstResponse5minShare:     v(0.4444, 4, 9, false),
				report.ClaimAccepted3dRate:        v(0.6, 3, 5, false), // + k7
				report.ClaimClosureMedianDays:     v(7.5, 4, 4, false),
				report.ComplaintAck24hRate:        v(0.6, 3, 5, false), // + m6
				report.ComplaintAnswer2wdRate:     v(0.5, 2, 4, false),
				report.ComplaintClose7wdRate:      v(0.6667, 2, 3, false),
				report.ToolkitUsageRate:           v(0.3333, 4, 12, false),
				report.KeyNodeCoverage:            v(0.5714, 4, 7, false), // + the task of cX, nobody's
				report.StandardSuggestionRate:     v(0.4, 2, 5, false),
				report.NPS:                        v(28.57, 2, 7, false),
				report.RenewalRateChange:          v(26.67, 3, 5, true), // 3/5 − 1/3: + pX
			}},
			{"agent a2: no renewal due in January", report.Scope{AgentID: &w.a2}, nil, map[report.Key]row{
				report.RenewalRateChange:   null(0, 1),
				report.ClaimAccepted3dRate: v(1, 1, 1, true),
			}},
			{"team 1 in Berlin's days", report.Scope{TeamID: &w.t1}, func(q *report.Query) { q.Location = berlin }, map[report.Key]row{
				report.FirstResponse12hRate:       v(0.7143, 5, 7, false), // c7 and a7 leave, c9 comes
				report.FirstResponseMedianMinutes: v(32.5, 6, 6, true),    // 1, 3, 5 | 60, 720, 720.02
				report.FirstResponse5minShare:     v(0.375, 3, 8, false),
				report.ToolkitUsageRate:           v(0.2, 2, 10, false),
			}},
			{"a month with nothing", report.Scope{}, func(q *report.Query) {
				q.From, q.To = day("2025-06-01"), day("2025-06-30")
			}, map[report.Key]row{
				report.FirstResponse12hRate: null(0, 0), report.FirstResponseMedianMinutes: null(0, 0),
				report.FirstResponse5minShare: null(0, 0), report.ClaimAccepted3dRate: null(0, 0),
				report.ClaimClosureMedianDays: null(0, 0), report.ComplaintAck24hRate: null(0, 0),
				report.ComplaintAnswer2wdRate: null(0, 0), report.ComplaintClose7wdRate: null(0, 0),
				report.ToolkitUsageRate: null(0, 0), report.KeyNodeCoverage: null(0, 0),
				report.StandardSuggestionRate: null(0, 0), report.NPS: null(0, 0), report.RenewalRateChange: null(0, 0),
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := february
				q.Scope = tt.scope
				if tt.mod != nil {
					tt.mod(&q)
				}
				got, err := report.KPIs(context.Background(), db, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(got.KPIs) != len(report.Keys()) {
					t.Errorf("%d KPIs, want %d", len(got.KPIs), len(report.Keys()))
				}
				if diff := cmp.Diff(kpis(tt.want), only(got.KPIs, tt.want)); diff != "" {
					t.Errorf("KPIs mismatch (-want +got):\n%s", diff)
				}
				if !got.From.Equal(q.From) || !got.To.Equal(q.To) || !got.GeneratedAt.Equal(now) {
					t.Errorf("period %s–%s generated %s", got.From, got.To, got.GeneratedAt)
				}
			})
		}

		// The same scope asked two ways gives the same figures.
		for _, pair := range [][2]report.Scope{
			{{TeamID: &w.t2}, {AgentID: &w.b1}},
			{{TeamID: &w.t1, AgentID: &w.a1}, {AgentID: &w.a1}},
		} {
			var reports [2]*report.Report
			for i, s := range pair {
				q := february
				q.Scope = s
				if reports[i], err = report.KPIs(context.Background(), db, q); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(reports[0].KPIs, reports[1].KPIs); diff != "" {
				t.Errorf("scopes %+v and %+v differ (-first +second):\n%s", pair[0], pair[1], diff)
			}
		}
	})
}

func TestKPIsEnglishLabels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q := february
		q.Locale = "en"
		got, err := report.KPIs(context.Background(), db, q)
		if err != nil {
			t.Fatal(err)
		}
		if got.KPIs[0].Label != "First response within 12 h" || got.KPIs[11].Label != "Net Promoter Score" {
			t.Errorf("labels: %q, %q", got.KPIs[0].Label, got.KPIs[11].Label)
		}
	})
}

func TestKPIsPeriodValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tt := range []struct {
			from, to time.Time
			field    string
		}{
			{day("2026-02-10"), day("2026-02-09"), "to"},
			{day("2024-01-01"), day("2026-02-09"), "from"},
		} {
			_, err := report.KPIs(context.Background(), db, report.Query{From: tt.from, To: tt.to, Now: now})
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Errorf("%s–%s: %v, want invalid %s", tt.from, tt.to, err, tt.field)
			}
		}
	})
}

func TestResolveScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := build(t, db)
		agent := func(id uuid.UUID, role auth.Role, team *uuid.UUID) *auth.Viewer {
			return &auth.Viewer{Kind: auth.KindAgent, AgentID: id, Role: role, TeamID: team}
		}
		lead := agent(uuid.New(), auth.RoleTeamLead, &w.t1)
		admin := agent(uuid.New(), auth.RoleAdmin, nil)
		unknown := uuid.New()
		tests := []struct {
			name   string
			viewer *auth.Viewer
			req    report.Scope
			want   report.Scope
			kind   apperr.Kind
		}{
			{"agent: self by default", agent(w.a1, auth.RoleAgent, &w.t1), report.Scope{}, report.Scope{AgentID: &w.a1}, 0},
			{"agent: self asked", agent(w.a1, auth.RoleAgent, &w.t1), report.Scope{AgentID: &w.a1}, report.Scope{AgentID: &w.a1}, 0},
			{"agent: a colleague", agent(w.a1, auth.RoleAgent, &w.t1), report.Scope{AgentID: &w.a2}, report.Scope{}, apperr.KindForbidden},
			{"agent: the team", agent(w.a1, auth.RoleAgent, &w.t1), report.Scope{TeamID: &w.t1}, report.Scope{}, apperr.KindForbidden},
			{"lead: the team by default", lead, report.Scope{}, report.Scope{TeamID: &w.t1}, 0},
			{"lead: a member", lead, report.Scope{AgentID: &w.a2}, report.Scope{TeamID: &w.t1, AgentID: &w.a2}, 0},
			{"lead: another team's agent", lead, report.Scope{AgentID: &w.b1}, report.Scope{}, apperr.KindForbidden},
			{"lead: another team", lead, report.Scope{TeamID: &w.t2}, report.Scope{}, apperr.KindForbidden},
			{"lead without team", agent(uuid.New(), auth.RoleTeamLead, nil), report.Scope{}, report.Scope{}, apperr.KindForbidden},
			{"admin: everyone", admin, report.Scope{}, report.Scope{}, 0},
			{"admin: any agent", admin, report.Scope{AgentID: &w.b1}, report.Scope{AgentID: &w.b1}, 0},
			{"admin: agent outside the team", admin, report.Scope{TeamID: &w.t1, AgentID: &w.b1}, report.Scope{}, apperr.KindInvalid},
			{"admin: unknown agent", admin, report.Scope{AgentID: &unknown}, report.Scope{}, apperr.KindNotFound},
			{"admin: unknown team", admin, report.Scope{TeamID: &unknown}, report.Scope{}, apperr.KindNotFound},
			{"integrator with reports:read", &auth.Viewer{Kind: auth.KindIntegrator, Scopes: []string{"reports:read"}},
				report.Scope{TeamID: &w.t2}, report.Scope{TeamID: &w.t2}, 0},
			{"integrator without", &auth.Viewer{Kind: auth.KindIntegrator, Scopes: []string{"customers:read"}},
				report.Scope{}, report.Scope{}, apperr.KindForbidden},
			{"nobody", nil, report.Scope{}, report.Scope{}, apperr.KindUnauthenticated},
		}
		for _, tt := range tests {
			ctx := context.Background()
			if tt.viewer != nil {
				ctx = auth.WithViewer(ctx, tt.viewer)
			}
			got, err := report.ResolveScope(ctx, db, tt.req)
			if tt.kind != 0 {
				if apperr.KindOf(err) != tt.kind {
					t.Errorf("%s: %v, want %s", tt.name, err, tt.kind)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}
