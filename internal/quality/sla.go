package quality

import (
	"time"

	"github.com/agentdesk/agentdesk/ent"
)

// SLAState is where a workflow stands against its clocks (openapi.yaml's
// SlaState).
type SLAState string

// The SLA states, from best to worst.
const (
	SLAOnTrack  SLAState = "on_track"
	SLAAtRisk   SLAState = "at_risk"
	SLABreached SLAState = "breached"
)

// SLAClock is one clock of a workflow: it starts at Start, is due at Due
// and stops at Met (nil while it runs).
type SLAClock struct {
	Start time.Time
	Due   time.Time
	Met   *time.Time
}

// State returns the clock's state at now. A clock met at or before Due is
// on track for good; one met after Due, or still running after Due, is
// breached. A running clock is at risk once less than a quarter of its
// allowance (Due − Start, in elapsed time) is left, that is once more than
// 75% of it is used.
func (c SLAClock) State(now time.Time) SLAState {
	if c.Met != nil {
		if c.Met.After(c.Due) {
			return SLABreached
		}
		return SLAOnTrack
	}
	if now.After(c.Due) {
		return SLABreached
	}
	if left := c.Due.Sub(now); 4*left < c.Due.Sub(c.Start) {
		return SLAAtRisk
	}
	return SLAOnTrack
}

// SLA returns the worst state of the clocks at now.
func SLA(now time.Time, clocks ...SLAClock) SLAState {
	worst := SLAOnTrack
	for _, c := range clocks {
		switch c.State(now) {
		case SLABreached:
			return SLABreached
		case SLAAtRisk:
			worst = SLAAtRisk
		}
	}
	return worst
}

// ComplaintClocks returns a complaint's clocks: acknowledged within 24
// hours, answered (resolved) within 2 working days and closed within 7
// working days of its receipt. The clocks keep running while a complaint
// is escalated.
func ComplaintClocks(c *ent.Complaint) []SLAClock {
	return []SLAClock{
		{Start: c.ReceivedAt, Due: c.AckDueAt, Met: c.AcknowledgedAt},
		{Start: c.ReceivedAt, Due: c.AnswerDueAt, Met: c.ResolvedAt},
		{Start: c.ReceivedAt, Due: c.CloseDueAt, Met: c.ClosedAt},
	}
}

// ComplaintSLA returns a complaint's SLA state at now (the API's sla.state).
func ComplaintSLA(c *ent.Complaint, now time.Time) SLAState {
	return SLA(now, ComplaintClocks(c)...)
}

// ClaimClocks returns a claim's clocks: accepted within 3 days and settled
// within 7 days of filing (calendar days, as elapsed time: 72 and 168
// hours). A claim is settled when it is paid or closed, whichever is first.
func ClaimClocks(c *ent.Claim) []SLAClock {
	return []SLAClock{
		{Start: c.FiledAt, Due: c.AcceptDueAt, Met: c.AcceptedAt},
		{Start: c.FiledAt, Due: c.CloseDueAt, Met: ClaimSettledAt(c)},
	}
}

// ClaimSLA returns a claim's SLA state at now (the API's sla.state).
func ClaimSLA(c *ent.Claim, now time.Time) SLAState {
	return SLA(now, ClaimClocks(c)...)
}

// ClaimSettledAt returns when a claim was paid or closed, whichever came
// first; nil while neither.
func ClaimSettledAt(c *ent.Claim) *time.Time {
	switch {
	case c.PaidAt == nil:
		return c.ClosedAt
	case c.ClosedAt == nil || c.PaidAt.Before(*c.ClosedAt):
		return c.PaidAt
	}
	return c.ClosedAt
}
