package httpapi_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/portrait/portraittest"
)

// planBook is a team with customers seeded as the system: agent1's customer
// 王芳 with a life policy whose premium is due in two days (on the
// agents' calendar, Asia/Shanghai) and agent3's customer in another team.
type planBook struct {
	team
	seed           *portraittest.Seed
	agent1, agent3 *ent.Agent
	wang, other    *ent.Customer
	policy         *ent.InsurancePolicy
}

func newPlanBook(t *testing.T, e *apptest.Env) planBook {
	t.Helper()
	tm := newTeam(t, e)
	b := planBook{team: tm, seed: portraittest.New(t, e.App.DB)}
	b.agent1 = e.Agent(t, "agent1", auth.RoleAgent, "A组")
	b.agent3 = e.Agent(t, "agent3", auth.RoleAgent, "B组")
	b.wang = b.seed.Customer(b.agent1, apptest.Start.AddDate(-2, 0, 0), func(c *ent.CustomerCreate) {
		c.SetName("王芳").SetBirthDate(portraittest.Day(1988, 6, 15)).SetTags([]string{"VIP"})
	})
	b.other = b.seed.Customer(b.agent3, apptest.Start.AddDate(-1, 0, 0), func(c *ent.CustomerCreate) { c.SetName("赵强") })
	b.policy = b.seed.Policy(b.wang, portraittest.Day(2024, 11, 25), func(p *ent.InsurancePolicyCreate) {
		p.SetNextPremiumDueDate(portraittest.Day(2026, 11, 25)).SetRenewalDate(portraittest.Day(2027, 11, 25)).
			SetHolderName("王芳").SetInsuredName("王芳")
	})
	return b
}

func etagOf(t *testing.T, res apptest.Response) string {
	t.Helper()
	tag := res.Header.Get("ETag")
	if tag == "" {
		t.Fatalf("no ETag in %d %s", res.Status, res.Body)
	}
	return tag
}

func TestCustomerPortrait(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newPlanBook(t, e)
		b.seed.Policy(b.wang, portraittest.Day(2025, 1, 10), func(p *ent.InsurancePolicyCreate) {
			p.SetLine(insurancepolicy.LineHealth).SetStatus(insurancepolicy.StatusLapsed).SetMissedPayments(2)
		})
		b.seed.Interaction(b.wang, apptest.Start.AddDate(0, 0, -40), "咨询续保")
		b.seed.NPS(b.wang, 9, apptest.Start.AddDate(0, 0, -40))
		path := "/v1/customers/" + b.wang.ID.String() + "/portrait"

		res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: b.team.agent1})
		if res.Status != 200 {
			t.Fatalf("portrait: %d %s", res.Status, res.Body)
		}
		var p api.Portrait
		res.JSON(t, &p)
		if etagOf(t, res) != `"`+strconv.FormatInt(p.Version, 10)+`"` {
			t.Errorf("ETag %s for version %d", res.Header.Get("ETag"), p.Version)
		}
		if p.CustomerId != b.wang.ID || p.Customer.Id != b.wang.ID || p.Customer.Name != "王芳" {
			t.Errorf("customer = %v %+v", p.CustomerId, p.Customer)
		}
		s := p.PoliciesSummary
		if s.Count != 2 || s.ActiveCount != 1 || !slices.Equal(s.LinesHeld, []api.PolicyLine{"life"}) ||
			s.TotalAnnualPremiumCents != 360000 || s.Currency != "CNY" {
			t.Errorf("policies summary = %+v", s)
		}
		if p.LastContactAt == nil || !p.LastContactAt.Equal(apptest.Start.AddDate(0, 0, -40)) {
			t.Errorf("last contact = %v", p.LastContactAt)
		}
		if len(p.Nps) != 1 || p.Nps[0].Score != 9 || p.Nps[0].CustomerId != b.wang.ID || p.Nps[0].Id == uuid.Nil {
			t.Errorf("nps = %+v", p.Nps)
		}
		if len(p.ChurnRisk.Factors) == 0 || p.ChurnRisk.Score <= 0 {
			t.Errorf("churn risk = %+v: the lapsed policy and missed payments count", p.ChurnRisk)
		}
		if !slices.ContainsFunc(p.Timeline, func(ev api.TimelineEntry) bool { return ev.Kind == "interaction" }) ||
			!slices.ContainsFunc(p.Timeline, func(ev api.TimelineEntry) bool { return ev.Kind == "policy" }) {
			t.Errorf("timeline = %+v", p.Timeline)
		}
		if len(p.CoverageGaps) == 0 {
			t.Errorf("no coverage gaps for a single customer with only life cover")
		}

		// The lead of the team and an integrator reading customers see it;
		// another team's agent does not learn the customer exists.
		for _, c := range []struct {
			name, token string
			want        int
		}{
			{"lead", b.team.lead1, 200},
			{"integrator", e.IntegratorToken(t, "crm", "customers:read"), 200},
			{"integrator without scope", e.IntegratorToken(t, "crm2", "policies:read"), 403},
			{"other team", b.team.agent3, 404},
			{"same team, other book", b.team.agent2, 404},
		} {
			if res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: c.token}); res.Status != c.want {
				t.Errorf("%s: %d, want %d: %s", c.name, res.Status, c.want, res.Body)
			}
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers/" + uuid.NewString() + "/portrait", Token: b.team.admin}); res.Status != 404 {
			t.Errorf("unknown customer: %d", res.Status)
		}
	})
}
