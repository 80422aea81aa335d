package plan

import (
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/portrait/civil"
)

// EventNow is the due event of steps with no date of their own: the day
// the step first appears. Such a step keeps the due date it got then.
const EventNow = "now"

// evalEnv holds what every rule of one customer's evaluation reads,
// computed once.
type evalEnv struct {
	today civil.Date
	loc   *time.Location
	in    *portrait.Inputs
	p     *portrait.Portrait

	age             int
	hasAge          bool
	nextBirthday    civil.Date
	lastContact     civil.Date
	noClaimSince    civil.Date
	hasNoClaim      bool
	claimTimeliness int
	openByCategory  map[string]int
	gapLines        []string
}

// subject is what one evaluation of a rule is about: the customer, and for
// per-policy or per-complaint rules one policy or complaint.
type subject struct {
	e         *evalEnv
	policy    *ent.InsurancePolicy
	complaint *ent.Complaint
}

func newEnv(in *portrait.Inputs, p *portrait.Portrait, now time.Time, loc *time.Location) *evalEnv {
	e := &evalEnv{today: civil.Of(now, loc), loc: loc, in: in, p: p, openByCategory: map[string]int{}}
	c := in.Customer
	if c.BirthDate != nil {
		e.hasAge = true
		e.age = portrait.Age(*c.BirthDate, e.today)
		e.nextBirthday = civil.FromStored(*c.BirthDate).NextAnniversary(e.today)
	}
	e.lastContact = civil.Of(c.CreatedAt, loc)
	if last, ok := portrait.LastContact(in.Interactions); ok {
		e.lastContact = civil.Of(last, loc)
	}
	e.noClaimSince, e.hasNoClaim = portrait.NoClaimSince(in)
	for _, cp := range in.Complaints {
		if cp.Category == complaint.CategoryClaimTimeliness {
			e.claimTimeliness++
		}
		if portrait.IsOpenComplaint(cp) {
			e.openByCategory[string(cp.Category)]++
		}
	}
	e.gapLines = make([]string, len(p.CoverageGaps))
	for i, g := range p.CoverageGaps {
		e.gapLines[i] = g.Line
	}
	return e
}

// anniversary is the policy's next anniversary on or after today, and never
// the start date itself.
func anniversary(s *subject) civil.Date {
	start := civil.FromStored(s.policy.StartDate)
	return max(start.NextAnniversary(s.e.today), start.AddYears(1))
}

// hesitationEnd is the last day of the policy's cooling-off period.
func hesitationEnd(s *subject) civil.Date {
	days, ok := s.e.in.HesitationDays[s.policy.ProductCode]
	if !ok {
		days = portrait.DefaultHesitationDays
	}
	return civil.FromStored(s.policy.StartDate).AddDays(days)
}

func stored(t *time.Time) (civil.Date, bool) {
	if t == nil {
		return 0, false
	}
	return civil.FromStored(*t), true
}

func local(s *subject, t time.Time) (civil.Date, bool) { return civil.Of(t, s.e.loc), true }

// buildEvents is the catalogue of due events.
func buildEvents() map[string]*event {
	es := []*event{
		{EventInfo{EventNow, ScopeCustomer, "the day the step first appears; the step keeps that due date"},
			func(s *subject) (civil.Date, bool) { return s.e.today, true }},
		{EventInfo{"customer.next_birthday", ScopeCustomer, "the next birthday, today included (29 February: 28 February in common years)"},
			func(s *subject) (civil.Date, bool) { return s.e.nextBirthday, s.e.hasAge }},
		{EventInfo{"customer.last_contact_date", ScopeCustomer, "the day of the latest interaction (the customer's creation when none)"},
			func(s *subject) (civil.Date, bool) { return s.e.lastContact, true }},
		{EventInfo{"claims.no_claim_milestone_date", ScopeCustomer, "the day the current count of claim-free years was reached"},
			func(s *subject) (civil.Date, bool) {
				return s.e.noClaimSince.AddYears(s.e.p.YearsWithoutClaim), s.e.hasNoClaim
			}},
		{EventInfo{"policy.next_premium_due_date", ScopePolicy, "the next premium due date"},
			func(s *subject) (civil.Date, bool) { return stored(s.policy.NextPremiumDueDate) }},
		{EventInfo{"policy.renewal_date", ScopePolicy, "the renewal date"},
			func(s *subject) (civil.Date, bool) { return stored(s.policy.RenewalDate) }},
		{EventInfo{"policy.start_date", ScopePolicy, "the start date"},
			func(s *subject) (civil.Date, bool) { return civil.FromStored(s.policy.StartDate), true }},
		{EventInfo{"policy.anniversary_date", ScopePolicy, "the next anniversary of the start date, today included"},
			func(s *subject) (civil.Date, bool) { return anniversary(s), true }},
		{EventInfo{"policy.hesitation_end_date", ScopePolicy, "the last day of the cooling-off period (start + the product's hesitation days, 15 by default)"},
			func(s *subject) (civil.Date, bool) { return hesitationEnd(s), true }},
		{EventInfo{"complaint.received_date", ScopeComplaint, "the day the complaint was received"},
			func(s *subject) (civil.Date, bool) { return local(s, s.complaint.ReceivedAt) }},
		{EventInfo{"complaint.ack_due_date", ScopeComplaint, "the acknowledgement deadline's day (SLA: 24 h)"},
			func(s *subject) (civil.Date, bool) { return local(s, s.complaint.AckDueAt) }},
		{EventInfo{"complaint.answer_due_date", ScopeComplaint, "the answer deadline's day (SLA: 2 working days)"},
			func(s *subject) (civil.Date, bool) { return local(s, s.complaint.AnswerDueAt) }},
		{EventInfo{"complaint.close_due_date", ScopeComplaint, "the closing deadline's day (SLA: 7 working days)"},
			func(s *subject) (civil.Date, bool) { return local(s, s.complaint.CloseDueAt) }},
	}
	m := make(map[string]*event, len(es))
	for _, e := range es {
		m[e.Name] = e
	}
	return m
}

// Events returns the catalogue of due events, ordered by name.
func Events() []EventInfo {
	out := make([]EventInfo, 0, len(eventsByName))
	for _, e := range eventsByName {
		out = append(out, e.EventInfo)
	}
	slices.SortFunc(out, func(a, b EventInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}
