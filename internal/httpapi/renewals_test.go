package httpapi_test

import (
	"testing"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

// TestRenewalRateFromLoads: the insurer's loads move renewal dates on; each
// move of at least a term is recorded as a renewal once, and the KPI
// report's renewal rate counts those records. Today is 2026-11-23 in
// Shanghai; the period is 1–22 November, the previous one 10–31 October.
func TestRenewalRateFromLoads(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		pas := e.IntegratorToken(t, "pas", "customers:write", "policies:write")
		put := func(path string, body any) {
			t.Helper()
			res := e.Do(t, apptest.Request{Method: "PUT", Path: path, Token: pas, Body: body})
			if res.Status != 200 && res.Status != 201 {
				t.Fatalf("PUT %s: %d %s", path, res.Status, res.Body)
			}
		}
		put("/v1/integrations/customers/C1", map[string]any{"name": "王芳", "agent_username": "agent1"})
		policy := func(ext, renewal, status string) {
			t.Helper()
			b := policyBody("C1", "NO-"+ext, 856000)
			b["renewal_date"], b["status"] = renewal, status
			put("/v1/integrations/policies/"+ext, b)
		}
		policy("P1", "2026-11-10", "active") // renewed below
		policy("P2", "2026-11-15", "active") // passes without renewing
		policy("P3", "2026-11-12", "active") // corrected by two days: not a renewal
		policy("P4", "2026-10-15", "active") // renewed below (previous period)
		policy("P5", "2026-11-05", "active") // moved a year on but lapsed: not a renewal
		policy("P1", "2027-11-10", "active")
		policy("P1", "2027-11-10", "active") // a replay records nothing twice
		policy("P3", "2026-11-14", "active")
		policy("P4", "2027-10-15", "grace")
		policy("P5", "2027-11-05", "lapsed")

		n, err := e.App.DB.Client.PolicyRenewal.Query().Count(apptest.Sys())
		if err != nil || n != 2 {
			t.Fatalf("recorded renewals = %d, %v; want 2 (P1, P4)", n, err)
		}
		res := e.Do(t, apptest.Request{Method: "GET", Token: tm.admin,
			Path: "/v1/reports/kpis?agent_id=" + tm.ids["agent1"].String() + "&from=2026-11-01&to=2026-11-22"})
		if res.Status != 200 {
			t.Fatalf("report: %d %s", res.Status, res.Body)
		}
		var r api.KpiReport
		res.JSON(t, &r)
		// November: P1 renewed; P2 and P3 passed (P3's date, moved by two
		// days, is still in the period and past). P5's date moved out
		// without a renewal. October: P4 of P4. 1/3 − 1/1 = −66.67 points.
		k := kpiOf(t, r, api.RenewalRateChange)
		if k.Numerator != 1 || k.Denominator != 3 || k.Value == nil || *k.Value != -66.67 || k.Met == nil || *k.Met {
			t.Errorf("renewal rate change = %+v (value %v)", k, deref(k.Value))
		}
	})
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
