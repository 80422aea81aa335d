package httpapi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/portrait/portraittest"
)

func policyIDs(t *testing.T, e *apptest.Env, token, query string) []uuid.UUID {
	t.Helper()
	res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/policies" + query, Token: token})
	if res.Status != 200 {
		t.Fatalf("list policies%s: %d %s", query, res.Status, res.Body)
	}
	var page api.PolicyPage
	res.JSON(t, &page)
	ids := make([]uuid.UUID, 0, len(page.Items))
	for _, p := range page.Items {
		ids = append(ids, p.Id)
	}
	return ids
}

func sortedIDs(ps ...*ent.InsurancePolicy) []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(ps))
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return ids
}

func TestPolicies(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newPlanBook(t, e)
		life := b.policy // premium due 2026-11-25, renewal 2027-11-25
		health := b.seed.Policy(b.wang, portraittest.Day(2025, 3, 1), func(p *ent.InsurancePolicyCreate) {
			p.SetLine(insurancepolicy.LineHealth).SetStatus(insurancepolicy.StatusLapsed).
				SetNextPremiumDueDate(portraittest.Day(2026, 12, 31)).SetRenewalDate(portraittest.Day(2026, 12, 1))
		})
		second := b.seed.Customer(b.agent1, apptest.Start, nil)
		accident := b.seed.Policy(second, portraittest.Day(2026, 1, 1), func(p *ent.InsurancePolicyCreate) {
			p.SetLine(insurancepolicy.LineAccident).SetExternalID("PAS-1")
		})
		foreign := b.seed.Policy(b.other, portraittest.Day(2026, 1, 1), nil)

		for _, c := range []struct {
			name, token, query string
			want               []uuid.UUID
		}{
			{"agent's book", b.team.agent1, "", sortedIDs(life, health, accident)},
			{"by customer", b.team.agent1, "?customer_id=" + b.wang.ID.String(), sortedIDs(life, health)},
			{"by status", b.team.agent1, "?status=lapsed", sortedIDs(health)},
			{"by line", b.team.agent1, "?line=accident", sortedIDs(accident)},
			{"premium due on or before", b.team.agent1, "?premium_due_before=2026-11-25", sortedIDs(life)},
			{"renewal on or before", b.team.agent1, "?renewal_before=2026-12-01", sortedIDs(health)},
			{"filters combine", b.team.agent1, "?customer_id=" + b.wang.ID.String() + "&line=accident", sortedIDs()},
			{"updated since now", b.team.agent1, "?updated_since=" + e.Clock.Now().Add(time.Hour).UTC().Format(time.RFC3339), sortedIDs()},
			{"another customer's filter out of scope", b.team.agent1, "?customer_id=" + b.other.ID.String(), sortedIDs()},
			{"lead sees the team", b.team.lead1, "", sortedIDs(life, health, accident)},
			{"same team, other book", b.team.agent2, "", sortedIDs()},
			{"other team", b.team.agent3, "", sortedIDs(foreign)},
			{"admin", b.team.admin, "", sortedIDs(life, health, accident, foreign)},
			{"integrator", e.IntegratorToken(t, "pas", "policies:read"), "", sortedIDs(life, health, accident, foreign)},
		} {
			if got := policyIDs(t, e, c.token, c.query); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}

		// Pages in ID order.
		var page api.PolicyPage
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/policies?limit=2", Token: b.team.agent1}).JSON(t, &page)
		if len(page.Items) != 2 || page.NextCursor == nil {
			t.Fatalf("first page: %+v", page)
		}
		got := []uuid.UUID{page.Items[0].Id, page.Items[1].Id}
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/policies?limit=2&cursor=" + *page.NextCursor, Token: b.team.agent1}).JSON(t, &page)
		got = append(got, page.Items[0].Id)
		if !slices.Equal(got, sortedIDs(life, health, accident)) || page.NextCursor != nil {
			t.Errorf("pages = %v, next %v", got, page.NextCursor)
		}

		// One policy.
		res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/policies/" + accident.ID.String(), Token: b.team.agent1})
		var p api.Policy
		res.JSON(t, &p)
		if res.Status != 200 || etagOf(t, res) != `"1"` || p.ExternalId == nil || *p.ExternalId != "PAS-1" || p.Line != "accident" ||
			p.StartDate.Format("2006-01-02") != "2026-01-01" || p.NextPremiumDueDate != nil || p.Currency != "CNY" {
			t.Errorf("policy: %d %+v", res.Status, p)
		}
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/policies/" + life.ID.String(), Token: b.team.agent1})
		res.JSON(t, &p)
		if p.NextPremiumDueDate == nil || p.NextPremiumDueDate.Format("2006-01-02") != "2026-11-25" || p.HolderName != "王芳" {
			t.Errorf("life policy: %+v", p)
		}
		for _, c := range []struct {
			name, token string
			want        int
		}{
			{"other team", b.team.agent3, 404},
			{"integrator without policies:read", e.IntegratorToken(t, "crm", "customers:read"), 403},
		} {
			if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/policies/" + life.ID.String(), Token: c.token}); res.Status != c.want {
				t.Errorf("%s: %d, want %d", c.name, res.Status, c.want)
			}
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/policies", Token: e.IntegratorToken(t, "crm", "customers:read")}); res.Status != 403 {
			t.Errorf("integrator without policies:read lists: %d", res.Status)
		}
	})
}
