package portrait

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/portrait/civil"
)

// The churn-risk model: each factor's value is a severity in [0, 1], its
// contribution the value times the weight, the score the sum of the
// contributions (the weights add up to 1).
//
//	factor                   weight  value
//	lapsed_or_grace          0.30    (lapsed + ½·grace) / policies not terminated, at most 1
//	missed_payments          0.20    missed payments on policies not terminated / 3, at most 1
//	open_complaints          0.20    open complaints / 2, at most 1
//	days_since_last_contact  0.20    ≤ 30 days 0, ≤ 60 0.25, ≤ 90 0.5, ≤ 180 0.75, more (or never) 1
//	nps_detractor            0.10    1 when the latest NPS answer is 0–6, else 0
//
// Contact recency is banded rather than linear so that a portrait changes
// (and syncs) when a customer crosses a band, not every day.
const (
	WeightLapsedOrGrace  = 0.30
	WeightMissedPayments = 0.20
	WeightOpenComplaints = 0.20
	WeightContact        = 0.20
	WeightNPSDetractor   = 0.10

	// ChurnMedium and ChurnHigh are the lower bounds of the bands.
	ChurnMedium = 0.3
	ChurnHigh   = 0.6
)

// Names of the churn factors.
const (
	FactorLapsedOrGrace  = "lapsed_or_grace"
	FactorMissedPayments = "missed_payments"
	FactorOpenComplaints = "open_complaints"
	FactorContact        = "days_since_last_contact"
	FactorNPSDetractor   = "nps_detractor"
)

// Churn scores the risk that the customer lets policies lapse or leaves.
// lastContact is the latest interaction (nil if none: then the customer's
// creation counts as the last contact).
func Churn(in *Inputs, lastContact *time.Time, today civil.Date, loc *time.Location) domain.ChurnRisk {
	var live, lapsed, grace, missed float64
	for _, p := range in.Policies {
		if p.Status == insurancepolicy.StatusTerminated {
			continue
		}
		live++
		missed += float64(p.MissedPayments)
		switch p.Status {
		case insurancepolicy.StatusLapsed:
			lapsed++
		case insurancepolicy.StatusGrace:
			grace++
		}
	}
	lapse := 0.0
	if live > 0 {
		lapse = min(1, (lapsed+grace/2)/live)
	}
	contactFrom := in.Customer.CreatedAt
	if lastContact != nil {
		contactFrom = *lastContact
	}
	detractor := 0.0
	if s, ok := LatestNPS(in.NPS); ok && s <= 6 {
		detractor = 1
	}
	factors := []domain.ChurnFactor{
		factor(FactorLapsedOrGrace, WeightLapsedOrGrace, lapse),
		factor(FactorMissedPayments, WeightMissedPayments, min(1, missed/3)),
		factor(FactorOpenComplaints, WeightOpenComplaints, min(1, float64(OpenComplaints(in.Complaints))/2)),
		factor(FactorContact, WeightContact, ContactSeverity(civil.Of(contactFrom, loc).DaysUntil(today))),
		factor(FactorNPSDetractor, WeightNPSDetractor, detractor),
	}
	score := 0.0
	for _, f := range factors {
		score += f.Contribution
	}
	score = round4(min(1, score))
	slices.SortStableFunc(factors, func(a, b domain.ChurnFactor) int {
		if c := cmp.Compare(b.Contribution, a.Contribution); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return domain.ChurnRisk{Score: score, Level: ChurnLevel(score), Factors: factors}
}

// ContactSeverity bands the days since the last contact.
func ContactSeverity(days int) float64 {
	switch {
	case days <= 30:
		return 0
	case days <= 60:
		return 0.25
	case days <= 90:
		return 0.5
	case days <= 180:
		return 0.75
	}
	return 1
}

// ChurnLevel bands a churn score.
func ChurnLevel(score float64) string {
	switch {
	case score >= ChurnHigh:
		return "high"
	case score >= ChurnMedium:
		return "medium"
	}
	return "low"
}

func factor(name string, weight, value float64) domain.ChurnFactor {
	value = round4(value)
	return domain.ChurnFactor{Name: name, Weight: weight, Value: value, Contribution: round4(weight * value)}
}

// round4 keeps four decimals, so that scores compare and hash the same on
// every platform.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
