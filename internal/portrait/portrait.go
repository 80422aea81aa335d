// Package portrait computes a customer's portrait (客户画像): the figures
// derived from the customer's profile, policies, interactions, complaints,
// claims and NPS answers — life stage, policies summary, coverage gaps,
// churn risk, last contact, claims history, years without a claim and the
// timeline.
//
// Compute is a pure function of the inputs, the current instant and the
// agent's time zone: every "days since" and "years without" is counted on
// the agent's calendar. Refresh loads the inputs with a handful of queries,
// computes, and writes the Portrait record (a synced, read-only collection)
// only when a figure changed, so recomputing an unchanged customer writes
// nothing and creates no new version.
//
// # Derived figures
//
// Life stage (LifeStageOf): retired at 60 or over; with children, by the
// youngest child's age — up to 12 young_family, up to 22 mature_family,
// older empty_nest; without children, married with a spouse, otherwise
// single. When neither a birth date nor any family is known, the stage the
// customer record carries (default unknown) is kept.
//
// Policies summary: in force means status active or grace. The annualised
// premium multiplies the instalment by the payments per year (annual 1,
// semiannual 2, quarterly 4, monthly 12); single-premium policies add
// nothing to the yearly figure. Sums are in the summary's currency (the
// one most in-force policies use, CNY by default).
//
// Coverage gaps: the lines the table in gaps.go recommends for the life
// stage (plus life cover for a customer with dependants) minus the lines
// held in force, each with a reason in Chinese.
//
// Churn risk: see churn.go for the factors and weights; the score is their
// weighted sum in [0, 1], banded low (< 0.3), medium (< 0.6) and high.
//
// Years without a claim: whole years from the later of the last claim filed
// (declined claims do not count) and the first policy's start. Claims are
// recorded per customer for all the policies they hold, which usually
// insure the household, so this is the family figure the upgrade rule asks
// for; claims filed under another customer record are not seen.
package portrait

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/portrait/civil"
)

// Limits of the lists a portrait carries.
const (
	// TimelineCap is the number of timeline events kept, newest first.
	TimelineCap = 50
	// NPSCap is the number of NPS answers kept, newest first.
	NPSCap = 20
	// DefaultHesitationDays is the cooling-off period (犹豫期) of a policy
	// whose product is not in the catalogue.
	DefaultHesitationDays = 15
	// DefaultTimeZone is the agent's zone when the customer has no agent.
	DefaultTimeZone = "Asia/Shanghai"
)

// Inputs are everything a customer's portrait and service plan derive
// from. LoadInputs fills them from the database; tests and benchmarks
// build them by hand.
type Inputs struct {
	Customer *ent.Customer
	// Agent is the customer's agent; nil when unassigned.
	Agent    *ent.Agent
	Policies []*ent.InsurancePolicy
	// Interactions may be all of them or only the newest TimelineCap: the
	// portrait needs no more (LoadInputs loads only those).
	Interactions []*ent.Interaction
	Complaints   []*ent.Complaint
	Claims       []*ent.Claim
	NPS          []*ent.NpsAnswer
	// HesitationDays maps product codes to their cooling-off period.
	HesitationDays map[string]int
}

// Portrait is the computed portrait of one customer: what the Portrait
// record stores.
type Portrait struct {
	CustomerID        uuid.UUID              `json:"customer_id"`
	LifeStage         string                 `json:"life_stage"`
	PoliciesSummary   domain.PolicySummary   `json:"policies_summary"`
	CoverageGaps      []domain.CoverageGap   `json:"coverage_gaps"`
	ChurnRisk         domain.ChurnRisk       `json:"churn_risk"`
	LastContactAt     *time.Time             `json:"last_contact_at"`
	OpenComplaints    int                    `json:"open_complaints"`
	Claims            domain.ClaimsSummary   `json:"claims"`
	YearsWithoutClaim int                    `json:"years_without_claim"`
	NPS               []domain.NpsEntry      `json:"nps"`
	Timeline          []domain.TimelineEvent `json:"timeline"`
	// ComputedAt is the instant of the computation; it is not part of the
	// hash.
	ComputedAt time.Time `json:"-"`
	// InputsHash digests every figure above: what the inputs produce as of
	// the day of the computation. A recompute that finds it unchanged
	// writes nothing; unlike a digest of the raw inputs it also notices the
	// figures that move with the calendar (age, days since contact).
	InputsHash string `json:"-"`
}

// Compute derives the portrait of in.Customer as of now, counting days on
// the calendar of loc (the agent's zone). It is pure and deterministic.
func Compute(in *Inputs, now time.Time, loc *time.Location) Portrait {
	today := civil.Of(now, loc)
	c := in.Customer
	p := Portrait{
		CustomerID:      c.ID,
		LifeStage:       LifeStageOf(c, today),
		PoliciesSummary: Summarize(in.Policies),
		OpenComplaints:  OpenComplaints(in.Complaints),
		Claims:          summarizeClaims(in.Claims),
		NPS:             npsEntries(in.NPS),
		ComputedAt:      now.UTC(),
	}
	p.CoverageGaps = CoverageGaps(p.LifeStage, c.Family, p.PoliciesSummary.LinesHeld)
	if last, ok := LastContact(in.Interactions); ok {
		p.LastContactAt = &last
	}
	if since, ok := NoClaimSince(in); ok {
		p.YearsWithoutClaim = since.YearsSince(today)
	}
	p.ChurnRisk = Churn(in, p.LastContactAt, today, loc)
	p.Timeline = Timeline(in)
	p.InputsHash = hashFigures(&p)
	return p
}

func hashFigures(p *Portrait) string {
	b, err := json.Marshal(p)
	if err != nil {
		// Every field is a plain value; Marshal cannot fail on them.
		panic("portrait: hash: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// Age returns the whole years from birth to today; a 29 February birthday
// counts on 28 February in common years.
func Age(birth time.Time, today civil.Date) int {
	return civil.FromStored(birth).YearsSince(today)
}

// InForce reports whether a policy counts as held: active or in grace.
func InForce(p *ent.InsurancePolicy) bool {
	return p.Status == insurancepolicy.StatusActive || p.Status == insurancepolicy.StatusGrace
}

// AnnualPremium returns a policy's premium per year: the instalment times
// the payments a year; 0 for a single premium.
func AnnualPremium(p *ent.InsurancePolicy) int64 {
	switch p.PaymentFrequency {
	case insurancepolicy.PaymentFrequencyAnnual:
		return p.PremiumCents
	case insurancepolicy.PaymentFrequencySemiannual:
		return 2 * p.PremiumCents
	case insurancepolicy.PaymentFrequencyQuarterly:
		return 4 * p.PremiumCents
	case insurancepolicy.PaymentFrequencyMonthly:
		return 12 * p.PremiumCents
	}
	return 0
}

// lineOrder is the canonical order of the lines of business.
var lineOrder = []string{"life", "health", "critical_illness", "accident", "property", "auto", "annuity"}

// Summarize digests a customer's policies.
func Summarize(policies []*ent.InsurancePolicy) domain.PolicySummary {
	s := domain.PolicySummary{Count: len(policies), LinesHeld: []string{}, Currency: "CNY"}
	byCurrency := map[string]int{}
	held := map[string]bool{}
	for _, p := range policies {
		if !InForce(p) {
			continue
		}
		s.ActiveCount++
		held[string(p.Line)] = true
		byCurrency[p.Currency]++
	}
	best := 0
	for cur, n := range byCurrency {
		if n > best || (n == best && cur < s.Currency) {
			s.Currency, best = cur, n
		}
	}
	for _, p := range policies {
		if InForce(p) && p.Currency == s.Currency {
			s.TotalAnnualPremiumCents += AnnualPremium(p)
			s.TotalSumAssuredCents += p.SumAssuredCents
		}
	}
	for _, l := range lineOrder {
		if held[l] {
			s.LinesHeld = append(s.LinesHeld, l)
		}
	}
	return s
}

// IsOpenComplaint reports whether a complaint still needs work: not yet
// resolved or closed.
func IsOpenComplaint(c *ent.Complaint) bool {
	return c.Status != complaint.StatusResolved && c.Status != complaint.StatusClosed
}

// OpenComplaints counts the open complaints.
func OpenComplaints(cs []*ent.Complaint) int {
	n := 0
	for _, c := range cs {
		if IsOpenComplaint(c) {
			n++
		}
	}
	return n
}

func summarizeClaims(cs []*ent.Claim) domain.ClaimsSummary {
	s := domain.ClaimsSummary{Count: len(cs)}
	for _, c := range cs {
		if c.Status != claim.StatusPaid && c.Status != claim.StatusClosed {
			s.Open++
		}
		s.PaidCents += c.AmountPaidCents
	}
	return s
}

// LastContact returns the time of the latest interaction.
func LastContact(is []*ent.Interaction) (time.Time, bool) {
	var last time.Time
	for _, i := range is {
		if i.ReceivedAt.After(last) {
			last = i.ReceivedAt
		}
	}
	return last.UTC(), !last.IsZero()
}

// NoClaimSince returns the day from which the customer's claim-free years
// count: the later of the last (not declined) claim's filing day and the
// first policy's start. It reports false without any policy.
func NoClaimSince(in *Inputs) (civil.Date, bool) {
	if len(in.Policies) == 0 {
		return 0, false
	}
	since := civil.FromStored(in.Policies[0].StartDate)
	for _, p := range in.Policies[1:] {
		since = min(since, civil.FromStored(p.StartDate))
	}
	for _, c := range in.Claims {
		if c.Decision != nil && *c.Decision == claim.DecisionDeclined {
			continue
		}
		since = max(since, civil.FromStored(c.FiledAt))
	}
	return since, true
}

func npsEntries(as []*ent.NpsAnswer) []domain.NpsEntry {
	sorted := slices.Clone(as)
	slices.SortFunc(sorted, func(a, b *ent.NpsAnswer) int {
		if c := b.AnsweredAt.Compare(a.AnsweredAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	out := make([]domain.NpsEntry, 0, min(len(sorted), NPSCap))
	for _, a := range sorted[:min(len(sorted), NPSCap)] {
		created := a.CreatedAt.UTC()
		out = append(out, domain.NpsEntry{ID: a.ID, CreatedAt: &created, Score: a.Score, Comment: a.Comment, AnsweredAt: a.AnsweredAt.UTC(), InteractionID: a.InteractionID})
	}
	return out
}

// LatestNPS returns the newest NPS answer's score.
func LatestNPS(as []*ent.NpsAnswer) (int, bool) {
	var latest *ent.NpsAnswer
	for _, a := range as {
		if latest == nil || a.AnsweredAt.After(latest.AnsweredAt) {
			latest = a
		}
	}
	if latest == nil {
		return 0, false
	}
	return latest.Score, true
}
