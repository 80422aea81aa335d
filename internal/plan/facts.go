package plan

import (
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/portrait/civil"
)

// FactType is the type of a fact's value.
type FactType string

// The fact types. A list is a set of strings.
const (
	TypeNumber FactType = "number"
	TypeString FactType = "string"
	TypeList   FactType = "list"
	TypeBool   FactType = "bool"
)

// Scope says how often a rule is evaluated for a customer: once, once per
// policy, or once per complaint. A rule's scope is the narrowest of its
// facts and due event; policy and complaint facts cannot be mixed.
type Scope string

// The scopes.
const (
	ScopeCustomer  Scope = "customer"
	ScopePolicy    Scope = "policy"
	ScopeComplaint Scope = "complaint"
)

// FactInfo describes one fact of the catalogue.
type FactInfo struct {
	Name        string
	Type        FactType
	Scope       Scope
	Values      []string // the allowed values of an enumerated string or list fact
	Description string
}

// EventInfo describes one date a step's due date can be relative to.
type EventInfo struct {
	Name        string
	Scope       Scope
	Description string
}

// fact is a catalogue entry with its getter; get returns ok=false when the
// fact is absent for the subject (e.g. the age of a customer without a
// birth date).
type fact struct {
	FactInfo
	get func(s *subject) val
}

type event struct {
	EventInfo
	get func(s *subject) (civil.Date, bool)
}

// val is a fact's value.
type val struct {
	ok   bool
	num  float64
	str  string
	list []string
	b    bool
}

func num[T int | int64 | float64](n T) val { return val{ok: true, num: float64(n)} }
func str[T ~string](s T) val               { return val{ok: true, str: string(s)} }
func list(l []string) val                  { return val{ok: true, list: l} }
func boolean(b bool) val                   { return val{ok: true, b: b} }

var (
	lines           = []string{"life", "health", "critical_illness", "accident", "property", "auto", "annuity"}
	lifeStages      = []string{"single", "married", "young_family", "mature_family", "empty_nest", "retired", "unknown"}
	policyStatuses  = []string{"active", "grace", "lapsed", "terminated"}
	frequencies     = []string{"annual", "semiannual", "quarterly", "monthly", "single"}
	complaintCats   = []string{"claim_timeliness", "service_attitude", "sales_misconduct", "policy_terms", "billing", "other"}
	complaintStates = []string{"received", "acknowledged", "investigating", "resolved", "closed", "escalated"}
	severities      = []string{"low", "medium", "high", "critical"}
	genders         = []string{"male", "female", "other", "unknown"}
	incomeBands     = []string{"low", "lower_middle", "middle", "upper_middle", "high", "unknown"}
	riskPreferences = []string{"conservative", "balanced", "aggressive", "unknown"}
	contactChannels = []string{"phone", "visit", "wechat", "app", "email", "branch"}
	churnLevels     = []string{"low", "medium", "high"}
	// factsByName and eventsByName are the catalogues: fixed tables,
	// built once.
	factsByName  = buildFacts()
	eventsByName = buildEvents()
)

// buildFacts is the fact catalogue. Day counts are on the agent's calendar:
// "in days" is 0 today and negative once the date has passed.
func buildFacts() map[string]*fact {
	fs := []*fact{
		{FactInfo{"customer.age", TypeNumber, ScopeCustomer, nil, "whole years since the birth date (absent without one)"},
			func(s *subject) val {
				if !s.e.hasAge {
					return val{}
				}
				return num(s.e.age)
			}},
		{FactInfo{"customer.gender", TypeString, ScopeCustomer, genders, "gender"}, func(s *subject) val { return str(s.e.in.Customer.Gender) }},
		{FactInfo{"customer.life_stage", TypeString, ScopeCustomer, lifeStages, "life stage as the portrait derives it"},
			func(s *subject) val { return str(s.e.p.LifeStage) }},
		{FactInfo{"customer.tags", TypeList, ScopeCustomer, nil, "the customer's tags"}, func(s *subject) val { return list(s.e.in.Customer.Tags) }},
		{FactInfo{"customer.income_band", TypeString, ScopeCustomer, incomeBands, "income band"},
			func(s *subject) val { return str(s.e.in.Customer.IncomeBand) }},
		{FactInfo{"customer.risk_preference", TypeString, ScopeCustomer, riskPreferences, "risk preference"},
			func(s *subject) val { return str(s.e.in.Customer.RiskPreference) }},
		{FactInfo{"customer.preferred_channel", TypeString, ScopeCustomer, contactChannels, "preferred contact channel"},
			func(s *subject) val { return str(s.e.in.Customer.PreferredChannel) }},
		{FactInfo{"customer.has_spouse", TypeBool, ScopeCustomer, nil, "the household has a spouse"},
			func(s *subject) val { return boolean(s.e.in.Customer.Family.Spouse) }},
		{FactInfo{"customer.children_count", TypeNumber, ScopeCustomer, nil, "number of children"},
			func(s *subject) val { return num(len(s.e.in.Customer.Family.Children)) }},
		{FactInfo{"customer.dependants", TypeNumber, ScopeCustomer, nil, "number of other dependants"},
			func(s *subject) val { return num(s.e.in.Customer.Family.Dependants) }},
		{FactInfo{"customer.consent_push", TypeBool, ScopeCustomer, nil, "the customer agreed to push reminders"},
			func(s *subject) val { return boolean(s.e.in.Customer.Consent.Push) }},
		{FactInfo{"customer.birthday_in_days", TypeNumber, ScopeCustomer, nil, "days until the next birthday, 0 on the day (29 February: 28 February in common years); absent without a birth date"},
			func(s *subject) val {
				if !s.e.hasAge {
					return val{}
				}
				return num(s.e.today.DaysUntil(s.e.nextBirthday))
			}},
		{FactInfo{"customer.days_since_last_contact", TypeNumber, ScopeCustomer, nil, "days since the latest interaction (since the customer was created when there is none)"},
			func(s *subject) val { return num(s.e.lastContact.DaysUntil(s.e.today)) }},
		{FactInfo{"portrait.coverage_gap_count", TypeNumber, ScopeCustomer, nil, "number of coverage gaps"},
			func(s *subject) val { return num(len(s.e.p.CoverageGaps)) }},
		{FactInfo{"portrait.coverage_gap_lines", TypeList, ScopeCustomer, lines, "lines of the coverage gaps"},
			func(s *subject) val { return list(s.e.gapLines) }},
		{FactInfo{"portrait.churn_risk_score", TypeNumber, ScopeCustomer, nil, "churn-risk score in [0, 1]"},
			func(s *subject) val { return num(s.e.p.ChurnRisk.Score) }},
		{FactInfo{"portrait.churn_risk_level", TypeString, ScopeCustomer, churnLevels, "churn-risk band"},
			func(s *subject) val { return str(s.e.p.ChurnRisk.Level) }},
		{FactInfo{"portrait.active_policy_count", TypeNumber, ScopeCustomer, nil, "policies in force (active or grace)"},
			func(s *subject) val { return num(s.e.p.PoliciesSummary.ActiveCount) }},
		{FactInfo{"portrait.lines_held", TypeList, ScopeCustomer, lines, "lines with a policy in force"},
			func(s *subject) val { return list(s.e.p.PoliciesSummary.LinesHeld) }},
		{FactInfo{"portrait.annual_premium_cents", TypeNumber, ScopeCustomer, nil, "annualised premium in force, in fen"},
			func(s *subject) val { return num(s.e.p.PoliciesSummary.TotalAnnualPremiumCents) }},
		{FactInfo{"claims.years_without_claim_family", TypeNumber, ScopeCustomer, nil, "whole years without a claim on the customer's (household's) policies; absent without policies"},
			func(s *subject) val {
				if !s.e.hasNoClaim {
					return val{}
				}
				return num(s.e.p.YearsWithoutClaim)
			}},
		{FactInfo{"claims.count", TypeNumber, ScopeCustomer, nil, "claims filed"}, func(s *subject) val { return num(s.e.p.Claims.Count) }},
		{FactInfo{"claims.open_count", TypeNumber, ScopeCustomer, nil, "claims not yet paid or closed"}, func(s *subject) val { return num(s.e.p.Claims.Open) }},
		{FactInfo{"complaints.open_count", TypeNumber, ScopeCustomer, nil, "complaints not yet resolved or closed"},
			func(s *subject) val { return num(s.e.p.OpenComplaints) }},
		{FactInfo{"complaints.claim_timeliness_count", TypeNumber, ScopeCustomer, nil, "complaints about claim timeliness, ever"},
			func(s *subject) val { return num(s.e.claimTimeliness) }},
		{FactInfo{"policy.line", TypeString, ScopePolicy, lines, "line of business"}, func(s *subject) val { return str(s.policy.Line) }},
		{FactInfo{"policy.status", TypeString, ScopePolicy, policyStatuses, "policy status"}, func(s *subject) val { return str(s.policy.Status) }},
		{FactInfo{"policy.payment_frequency", TypeString, ScopePolicy, frequencies, "payment frequency"},
			func(s *subject) val { return str(s.policy.PaymentFrequency) }},
		{FactInfo{"policy.product_code", TypeString, ScopePolicy, nil, "product code"}, func(s *subject) val { return str(s.policy.ProductCode) }},
		{FactInfo{"policy.next_premium_due_in_days", TypeNumber, ScopePolicy, nil, "days until the next premium is due; absent without a due date"},
			func(s *subject) val { return daysUntil(s, s.policy.NextPremiumDueDate) }},
		{FactInfo{"policy.renewal_in_days", TypeNumber, ScopePolicy, nil, "days until the renewal date; absent without one"},
			func(s *subject) val { return daysUntil(s, s.policy.RenewalDate) }},
		{FactInfo{"policy.days_since_start", TypeNumber, ScopePolicy, nil, "days since the start date (negative before it)"},
			func(s *subject) val { return num(civil.FromStored(s.policy.StartDate).DaysUntil(s.e.today)) }},
		{FactInfo{"policy.anniversary_in_days", TypeNumber, ScopePolicy, nil, "days until the next anniversary of the start date (0 on the day)"},
			func(s *subject) val { return num(s.e.today.DaysUntil(anniversary(s))) }},
		{FactInfo{"policy.hesitation_days_left", TypeNumber, ScopePolicy, nil, "days left in the cooling-off period (犹豫期) counted from the start date; negative after it"},
			func(s *subject) val { return num(s.e.today.DaysUntil(hesitationEnd(s))) }},
		{FactInfo{"policy.missed_payments", TypeNumber, ScopePolicy, nil, "premiums missed"}, func(s *subject) val { return num(s.policy.MissedPayments) }},
		{FactInfo{"policy.annual_premium_cents", TypeNumber, ScopePolicy, nil, "annualised premium, in fen"},
			func(s *subject) val { return num(portrait.AnnualPremium(s.policy)) }},
		{FactInfo{"complaint.status", TypeString, ScopeComplaint, complaintStates, "complaint status"}, func(s *subject) val { return str(s.complaint.Status) }},
		{FactInfo{"complaint.category", TypeString, ScopeComplaint, complaintCats, "complaint category"}, func(s *subject) val { return str(s.complaint.Category) }},
		{FactInfo{"complaint.severity", TypeString, ScopeComplaint, severities, "complaint severity"}, func(s *subject) val { return str(s.complaint.Severity) }},
		{FactInfo{"complaint.open", TypeBool, ScopeComplaint, nil, "not yet resolved or closed"},
			func(s *subject) val { return boolean(portrait.IsOpenComplaint(s.complaint)) }},
		{FactInfo{"complaint.days_open", TypeNumber, ScopeComplaint, nil, "days since the complaint was received"},
			func(s *subject) val { return num(civil.Of(s.complaint.ReceivedAt, s.e.loc).DaysUntil(s.e.today)) }},
	}
	for _, cat := range complaintCats {
		fs = append(fs, &fact{FactInfo{"complaints.open_by_category." + cat, TypeNumber, ScopeCustomer, nil, "open complaints in the category " + cat},
			func(s *subject) val { return num(s.e.openByCategory[cat]) }})
	}
	m := make(map[string]*fact, len(fs))
	for _, f := range fs {
		m[f.Name] = f
	}
	return m
}

func daysUntil(s *subject, t *time.Time) val {
	if t == nil {
		return val{}
	}
	return num(s.e.today.DaysUntil(civil.FromStored(*t)))
}

// Facts returns the fact catalogue, ordered by name.
func Facts() []FactInfo {
	out := make([]FactInfo, 0, len(factsByName))
	for _, f := range factsByName {
		out = append(out, f.FactInfo)
	}
	slices.SortFunc(out, func(a, b FactInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}
