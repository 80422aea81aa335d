package plan_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/portrait"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
func ptr[T any](v T) *T                        { return &v }

func id(n int) uuid.UUID {
	var u uuid.UUID
	u[6], u[15] = 0x70, byte(n)
	return u
}

var (
	custID = id(1)
	polID  = id(11)
	cmpID  = id(31)
)

// builtinRules are the built-in rules as stored.
func builtinRules() []plan.Rule {
	var rules []plan.Rule
	for _, in := range plan.Builtins() {
		rules = append(rules, plan.Rule{Key: in.Key, Name: in.Name, Enabled: true, Builtin: true, Revision: 1,
			Priority: in.Priority, Scenario: in.Scenario, Conditions: in.Conditions, Step: in.Step})
	}
	return rules
}

// noon returns noon of a day in the zone, as an instant.
func noon(y int, m time.Month, d int, tz string) time.Time {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		panic(err)
	}
	return time.Date(y, m, d, 12, 0, 0, 0, loc)
}

// customerOnly is a customer with nothing that triggers a rule by itself.
func customerOnly(created time.Time) *portrait.Inputs {
	return &portrait.Inputs{
		Customer:       &ent.Customer{ID: custID, Name: "王芳", CreatedAt: created, LifeStage: customer.LifeStageUnknown},
		HesitationDays: map[string]int{"CI-20": 20},
	}
}

// withPolicy adds one active annual life policy (started 2020-01-01),
// changed by mod.
func withPolicy(mod func(p *ent.InsurancePolicy)) func(*portrait.Inputs) {
	return func(in *portrait.Inputs) {
		p := &ent.InsurancePolicy{ID: polID, Number: "P0001", Line: insurancepolicy.LineLife, Status: insurancepolicy.StatusActive,
			PaymentFrequency: insurancepolicy.PaymentFrequencyAnnual, StartDate: day(2020, 1, 1), Currency: "CNY", PremiumCents: 100000}
		if mod != nil {
			mod(p)
		}
		in.Policies = append(in.Policies, p)
	}
}

func withComplaint(cat complaint.Category, status complaint.Status, received time.Time) func(*portrait.Inputs) {
	return func(in *portrait.Inputs) {
		in.Complaints = append(in.Complaints, &ent.Complaint{ID: cmpID, Category: cat, Status: status, Summary: "投诉",
			ReceivedAt: received, AckDueAt: received.Add(24 * time.Hour), AnswerDueAt: received.Add(48 * time.Hour),
			CloseDueAt: received.Add(7 * 24 * time.Hour)})
	}
}

func withBirth(d time.Time) func(*portrait.Inputs) {
	return func(in *portrait.Inputs) { in.Customer.BirthDate = &d }
}

func withContact(at time.Time) func(*portrait.Inputs) {
	return func(in *portrait.Inputs) {
		in.Interactions = append(in.Interactions, &ent.Interaction{ID: id(21), ReceivedAt: at, Channel: "phone", Type: "consultation"})
	}
}

func withClaim(filed time.Time) func(*portrait.Inputs) {
	return func(in *portrait.Inputs) {
		in.Claims = append(in.Claims, &ent.Claim{ID: id(41), FiledAt: filed, Status: "paid"})
	}
}

func withFamily(f domain.Family, birth time.Time) func(*portrait.Inputs) {
	return func(in *portrait.Inputs) { in.Customer.Family, in.Customer.BirthDate = f, &birth }
}

// got is a step reduced to what the tables check.
type got struct {
	Key string
	Due string
}

func pk(rule, event string) string { return fmt.Sprintf("%s/p:%s@%s", rule, polID, event) }
func ck(rule, event string) string { return fmt.Sprintf("%s/c:%s@%s", rule, cmpID, event) }
func uk(rule, event string) string { return rule + "@" + event }

// evaluate runs the built-in rules and keeps the steps of one rule.
func evaluate(t *testing.T, rules []plan.Rule, rule string, now time.Time, tz string, mods ...func(*portrait.Inputs)) []got {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	in := customerOnly(day(2020, 1, 1))
	for _, m := range mods {
		m(in)
	}
	p := portrait.Compute(in, now, loc)
	out := []got{}
	for _, s := range plan.Evaluate(rules, in, p, nil, now, loc) {
		if s.RuleKey != rule {
			continue
		}
		if !s.DueAt.Equal(s.Due.Midnight(loc)) {
			t.Errorf("DueAt %v is not the local midnight of %v", s.DueAt, s.Due)
		}
		out = append(out, got{s.DedupeKey, s.Due.String()})
	}
	return out
}

func TestBuiltinRules(t *testing.T) {
	const sh, utc, la = "Asia/Shanghai", "UTC", "America/Los_Angeles"
	rules := builtinRules()
	due := func(d time.Time) func(p *ent.InsurancePolicy) {
		return func(p *ent.InsurancePolicy) { p.NextPremiumDueDate = &d }
	}
	renewal := func(d time.Time) func(p *ent.InsurancePolicy) {
		return func(p *ent.InsurancePolicy) { p.RenewalDate = &d }
	}
	started := func(d time.Time) func(p *ent.InsurancePolicy) {
		return func(p *ent.InsurancePolicy) { p.StartDate = d }
	}
	youngFamily := withFamily(domain.Family{Spouse: true, Children: []domain.Child{{BirthYear: 2020}}}, day(1990, 6, 1))
	tests := []struct {
		name string
		rule string
		now  time.Time
		tz   string
		mods []func(*portrait.Inputs)
		want []got
	}{
		// premium-due-3d: premium due in ≤ 3 days, due 3 days before.
		{"premium due in exactly 3 days", "premium-due-3d", noon(2026, 3, 17, sh), sh,
			[]func(*portrait.Inputs){withPolicy(due(day(2026, 3, 20)))}, []got{{pk("premium-due-3d", "2026-03-20"), "2026-03-17"}}},
		{"premium due in 4 days", "premium-due-3d", noon(2026, 3, 16, sh), sh,
			[]func(*portrait.Inputs){withPolicy(due(day(2026, 3, 20)))}, []got{}},
		{"3 days in Shanghai (01:00 on the 17th) is 4 days in UTC: Shanghai agent", "premium-due-3d",
			time.Date(2026, 3, 16, 17, 0, 0, 0, time.UTC), sh,
			[]func(*portrait.Inputs){withPolicy(due(day(2026, 3, 20)))}, []got{{pk("premium-due-3d", "2026-03-20"), "2026-03-17"}}},
		{"3 days in Shanghai is 4 days in UTC: UTC agent", "premium-due-3d",
			time.Date(2026, 3, 16, 17, 0, 0, 0, time.UTC), utc,
			[]func(*portrait.Inputs){withPolicy(due(day(2026, 3, 20)))}, []got{}},
		{"3 days in UTC is 4 days in Los Angeles", "premium-due-3d",
			time.Date(2026, 3, 17, 3, 0, 0, 0, time.UTC), la,
			[]func(*portrait.Inputs){withPolicy(due(day(2026, 3, 20)))}, []got{}},
		{"in grace", "premium-due-3d", noon(2026, 3, 18, sh), sh,
			[]func(*portrait.Inputs){withPolicy(func(p *ent.InsurancePolicy) {
				due(day(2026, 3, 20))(p)
				p.Status = insurancepolicy.StatusGrace
			})}, []got{{pk("premium-due-3d", "2026-03-20"), "2026-03-17"}}},
		{"lapsed", "premium-due-3d", noon(2026, 3, 18, sh), sh,
			[]func(*portrait.Inputs){withPolicy(func(p *ent.InsurancePolicy) {
				due(day(2026, 3, 20))(p)
				p.Status = insurancepolicy.StatusLapsed
			})}, []got{}},
		{"single premium", "premium-due-3d", noon(2026, 3, 18, sh), sh,
			[]func(*portrait.Inputs){withPolicy(func(p *ent.InsurancePolicy) {
				due(day(2026, 3, 20))(p)
				p.PaymentFrequency = insurancepolicy.PaymentFrequencySingle
			})}, []got{}},
		{"across the end of February (common year)", "premium-due-3d", noon(2026, 2, 26, sh), sh,
			[]func(*portrait.Inputs){withPolicy(due(day(2026, 3, 1)))}, []got{{pk("premium-due-3d", "2026-03-01"), "2026-02-26"}}},
		{"across the end of February (leap year): 3 days", "premium-due-3d", noon(2028, 2, 27, sh), sh,
			[]func(*portrait.Inputs){withPolicy(due(day(2028, 3, 1)))}, []got{{pk("premium-due-3d", "2028-03-01"), "2028-02-27"}}},
		{"across the end of February (leap year): 4 days", "premium-due-3d", noon(2028, 2, 26, sh), sh,
			[]func(*portrait.Inputs){withPolicy(due(day(2028, 3, 1)))}, []got{}},

		// renewal-30d: renewal in ≤ 30 days, due 14 days before.
		{"renewal in exactly 30 days", "renewal-30d", noon(2026, 3, 1, sh), sh,
			[]func(*portrait.Inputs){withPolicy(renewal(day(2026, 3, 31)))}, []got{{pk("renewal-30d", "2026-03-31"), "2026-03-17"}}},
		{"renewal in 31 days", "renewal-30d", noon(2026, 2, 28, sh), sh,
			[]func(*portrait.Inputs){withPolicy(renewal(day(2026, 3, 31)))}, []got{}},
		{"renewal today", "renewal-30d", noon(2026, 3, 31, sh), sh,
			[]func(*portrait.Inputs){withPolicy(renewal(day(2026, 3, 31)))}, []got{{pk("renewal-30d", "2026-03-31"), "2026-03-17"}}},
		{"renewal on 1 March, 30 days back over a leap February", "renewal-30d", noon(2028, 1, 31, sh), sh,
			[]func(*portrait.Inputs){withPolicy(renewal(day(2028, 3, 1)))}, []got{{pk("renewal-30d", "2028-03-01"), "2028-02-16"}}},
		{"terminated policy", "renewal-30d", noon(2026, 3, 20, sh), sh,
			[]func(*portrait.Inputs){withPolicy(func(p *ent.InsurancePolicy) {
				renewal(day(2026, 3, 31))(p)
				p.Status = insurancepolicy.StatusTerminated
			})}, []got{}},

		// new-policy-delivery: within the cooling-off period, due 3 days before it ends.
		{"policy starts today", "new-policy-delivery", noon(2026, 3, 10, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2026, 3, 10)))}, []got{{pk("new-policy-delivery", "2026-03-25"), "2026-03-22"}}},
		{"policy starts tomorrow", "new-policy-delivery", noon(2026, 3, 9, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2026, 3, 10)))}, []got{}},
		{"last day of the cooling-off period", "new-policy-delivery", noon(2026, 3, 25, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2026, 3, 10)))}, []got{{pk("new-policy-delivery", "2026-03-25"), "2026-03-22"}}},
		{"cooling-off period over", "new-policy-delivery", noon(2026, 3, 26, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2026, 3, 10)))}, []got{}},
		{"product with a 20-day period, across a leap February", "new-policy-delivery", noon(2028, 2, 20, sh), sh,
			[]func(*portrait.Inputs){withPolicy(func(p *ent.InsurancePolicy) {
				p.StartDate, p.ProductCode = day(2028, 2, 15), "CI-20"
			})}, []got{{pk("new-policy-delivery", "2028-03-06"), "2028-03-03"}}},

		// no-claim-3y-upgrade: ≥ 3 claim-free years, due 30 days after the milestone.
		{"exactly 3 years since the first policy", "no-claim-3y-upgrade", noon(2026, 3, 10, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2023, 3, 10)))}, []got{{uk("no-claim-3y-upgrade", "2026-03-10"), "2026-04-09"}}},
		{"a day short of 3 years", "no-claim-3y-upgrade", noon(2026, 3, 9, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2023, 3, 10)))}, []got{}},
		{"policy from 29 February: 3 years on 28 February", "no-claim-3y-upgrade", noon(2027, 2, 28, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2024, 2, 29)))}, []got{{uk("no-claim-3y-upgrade", "2027-02-28"), "2027-03-30"}}},
		{"a claim 2 years ago", "no-claim-3y-upgrade", noon(2026, 3, 10, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2015, 1, 1))), withClaim(day(2024, 3, 11))}, []got{}},
		{"5 years: the milestone of the fifth year", "no-claim-3y-upgrade", noon(2026, 3, 10, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2015, 1, 1))), withClaim(day(2021, 1, 31))}, []got{{uk("no-claim-3y-upgrade", "2026-01-31"), "2026-03-02"}}},
		{"no policy in force", "no-claim-3y-upgrade", noon(2026, 3, 10, sh), sh,
			[]func(*portrait.Inputs){withPolicy(func(p *ent.InsurancePolicy) { p.Status = insurancepolicy.StatusLapsed })}, []got{}},

		// claim-timeliness-preview: after a claim-timeliness complaint, 7 days before the anniversary.
		{"anniversary in exactly 30 days", "claim-timeliness-preview", noon(2026, 3, 2, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2020, 4, 1))), withComplaint(complaint.CategoryClaimTimeliness, complaint.StatusClosed, day(2025, 5, 1))},
			[]got{{pk("claim-timeliness-preview", "2026-04-01"), "2026-03-25"}}},
		{"anniversary in 31 days", "claim-timeliness-preview", noon(2026, 3, 1, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2020, 4, 1))), withComplaint(complaint.CategoryClaimTimeliness, complaint.StatusClosed, day(2025, 5, 1))},
			[]got{}},
		{"no claim-timeliness complaint", "claim-timeliness-preview", noon(2026, 3, 2, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2020, 4, 1))), withComplaint(complaint.CategoryBilling, complaint.StatusClosed, day(2025, 5, 1))},
			[]got{}},
		{"policy from 29 February: anniversary on 28 February", "claim-timeliness-preview", noon(2027, 2, 1, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2024, 2, 29))), withComplaint(complaint.CategoryClaimTimeliness, complaint.StatusResolved, day(2025, 5, 1))},
			[]got{{pk("claim-timeliness-preview", "2027-02-28"), "2027-02-21"}}},
		{"anniversary today", "claim-timeliness-preview", noon(2026, 4, 1, sh), sh,
			[]func(*portrait.Inputs){withPolicy(started(day(2020, 4, 1))), withComplaint(complaint.CategoryClaimTimeliness, complaint.StatusClosed, day(2025, 5, 1))},
			[]got{{pk("claim-timeliness-preview", "2026-04-01"), "2026-03-25"}}},

		// complaint-follow-up: open complaint, due on the answer deadline's day.
		{"open complaint", "complaint-follow-up", noon(2026, 3, 2, sh), sh,
			[]func(*portrait.Inputs){withComplaint(complaint.CategoryBilling, complaint.StatusAcknowledged, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))},
			[]got{{ck("complaint-follow-up", "2026-03-03"), "2026-03-03"}}},
		{"deadline 01:00 in Shanghai is the previous day in UTC: Shanghai agent", "complaint-follow-up", noon(2026, 3, 2, sh), sh,
			[]func(*portrait.Inputs){withComplaint(complaint.CategoryBilling, complaint.StatusReceived, time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC))},
			[]got{{ck("complaint-follow-up", "2026-03-04"), "2026-03-04"}}},
		{"deadline 01:00 in Shanghai is the previous day in UTC: UTC agent", "complaint-follow-up", noon(2026, 3, 2, utc), utc,
			[]func(*portrait.Inputs){withComplaint(complaint.CategoryBilling, complaint.StatusReceived, time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC))},
			[]got{{ck("complaint-follow-up", "2026-03-03"), "2026-03-03"}}},
		{"resolved complaint", "complaint-follow-up", noon(2026, 3, 2, sh), sh,
			[]func(*portrait.Inputs){withComplaint(complaint.CategoryBilling, complaint.StatusResolved, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))},
			[]got{}},

		// birthday-care: birthday in ≤ 7 days, due on the birthday.
		{"birthday in exactly 7 days", "birthday-care", noon(2026, 5, 3, sh), sh,
			[]func(*portrait.Inputs){withBirth(day(1985, 5, 10))}, []got{{uk("birthday-care", "2026-05-10"), "2026-05-10"}}},
		{"birthday in 8 days", "birthday-care", noon(2026, 5, 2, sh), sh,
			[]func(*portrait.Inputs){withBirth(day(1985, 5, 10))}, []got{}},
		{"birthday today", "birthday-care", noon(2026, 5, 10, sh), sh,
			[]func(*portrait.Inputs){withBirth(day(1985, 5, 10))}, []got{{uk("birthday-care", "2026-05-10"), "2026-05-10"}}},
		{"29 February birthday in a common year: 28 February", "birthday-care", noon(2026, 2, 21, sh), sh,
			[]func(*portrait.Inputs){withBirth(day(1988, 2, 29))}, []got{{uk("birthday-care", "2026-02-28"), "2026-02-28"}}},
		{"29 February birthday in a leap year", "birthday-care", noon(2028, 2, 22, sh), sh,
			[]func(*portrait.Inputs){withBirth(day(1988, 2, 29))}, []got{{uk("birthday-care", "2028-02-29"), "2028-02-29"}}},
		{"29 February birthday in a leap year: 8 days before", "birthday-care", noon(2028, 2, 21, sh), sh,
			[]func(*portrait.Inputs){withBirth(day(1988, 2, 29))}, []got{}},
		{"birthday early January, seen from December", "birthday-care", noon(2026, 12, 28, sh), sh,
			[]func(*portrait.Inputs){withBirth(day(1985, 1, 2))}, []got{{uk("birthday-care", "2027-01-02"), "2027-01-02"}}},
		{"birthday tomorrow in Shanghai, in 2 days in UTC", "birthday-care", time.Date(2026, 5, 8, 16, 30, 0, 0, time.UTC), sh,
			[]func(*portrait.Inputs){withBirth(day(1985, 5, 10))}, []got{{uk("birthday-care", "2026-05-10"), "2026-05-10"}}},

		// no-contact-90d: ≥ 90 days since the last contact, due on the 90th day.
		{"last contact exactly 90 days ago", "no-contact-90d", noon(2026, 3, 1, sh), sh,
			[]func(*portrait.Inputs){withContact(noon(2025, 12, 1, sh))}, []got{{uk("no-contact-90d", "2025-12-01"), "2026-03-01"}}},
		{"last contact 89 days ago", "no-contact-90d", noon(2026, 2, 28, sh), sh,
			[]func(*portrait.Inputs){withContact(noon(2025, 12, 1, sh))}, []got{}},
		{"contact at 01:00 in Shanghai is the day before in UTC: Shanghai agent (89 days)", "no-contact-90d", noon(2026, 3, 1, sh), sh,
			[]func(*portrait.Inputs){withContact(time.Date(2025, 12, 1, 17, 0, 0, 0, time.UTC))}, []got{}},
		{"contact at 01:00 in Shanghai is the day before in UTC: UTC agent (90 days)", "no-contact-90d", noon(2026, 3, 1, utc), utc,
			[]func(*portrait.Inputs){withContact(time.Date(2025, 12, 1, 17, 0, 0, 0, time.UTC))}, []got{{uk("no-contact-90d", "2025-12-01"), "2026-03-01"}}},
		{"never contacted: counts from creation", "no-contact-90d", noon(2020, 3, 31, sh), sh,
			nil, []got{{uk("no-contact-90d", "2020-01-01"), "2020-03-31"}}},

		// coverage-gap-needs-analysis: a gap, due 14 days after the step appears.
		{"young family without cover", "coverage-gap-needs-analysis", noon(2026, 3, 2, sh), sh,
			[]func(*portrait.Inputs){youngFamily}, []got{{"coverage-gap-needs-analysis", "2026-03-16"}}},
		{"nothing known, no gap", "coverage-gap-needs-analysis", noon(2026, 3, 2, sh), sh,
			nil, []got{}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			covered[tt.rule] = true
			gotSteps := evaluate(t, rules, tt.rule, tt.now, tt.tz, tt.mods...)
			if diff := cmp.Diff(tt.want, gotSteps); diff != "" {
				t.Errorf("steps of %s mismatch (-want +got):\n%s", tt.rule, diff)
			}
		})
	}
	for _, r := range rules {
		if !covered[r.Key] {
			t.Errorf("built-in rule %s has no test case", r.Key)
		}
	}
}
