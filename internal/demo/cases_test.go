package demo

import (
	"context"
	"github.com/agentdesk/agentdesk/internal/auth"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/ent"
)

// The complaint and claim checks of TestLoad: every status, every SLA state.

func checkComplaints(t *testing.T, c *ent.Client) {
	ctx := auth.SystemContext(context.Background())
	a1 := agentID(t, c, "agent1")
	cps, err := c.Complaint.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]bool{}
	var nearBreach, breached, claimTimeliness int
	for _, cp := range cps {
		statuses[string(cp.Status)] = true
		if cp.Category == "claim_timeliness" {
			claimTimeliness++
		}
		if !cp.AckDueAt.Equal(cp.ReceivedAt.Add(24*time.Hour)) || !cp.AnswerDueAt.After(cp.ReceivedAt.Add(47*time.Hour)) ||
			!cp.CloseDueAt.After(cp.AnswerDueAt.Add(5*24*time.Hour-time.Hour)) {
			t.Errorf("complaint %q clocks: received %v ack %v answer %v close %v", cp.Summary, cp.ReceivedAt, cp.AckDueAt, cp.AnswerDueAt, cp.CloseDueAt)
		}
		if cp.Status == "closed" && (cp.RootCause == "" || cp.CorrectiveAction == "" || cp.ClosedAt == nil) {
			t.Errorf("closed complaint %q lacks root cause, corrective action or close time", cp.Summary)
		}
		if cp.Status != "received" && cp.AcknowledgedAt == nil {
			t.Errorf("complaint %q is %s but not acknowledged", cp.Summary, cp.Status)
		}
		if cp.Status == "received" && cp.AcknowledgedAt == nil && *cp.AgentID == a1.ID {
			switch left := cp.AckDueAt.Sub(testNow); {
			case left > 0 && left <= 5*time.Hour:
				nearBreach++
			case left < 0:
				breached++
			}
		}
	}
	for _, s := range []string{"received", "acknowledged", "investigating", "resolved", "closed", "escalated"} {
		if !statuses[s] {
			t.Errorf("no %s complaint", s)
		}
	}
	if nearBreach < 1 || breached < 1 || claimTimeliness < 3 {
		t.Errorf("agent1: %d complaints near the ack deadline, %d past it; %d about claim timeliness", nearBreach, breached, claimTimeliness)
	}
}

func checkClaims(t *testing.T, c *ent.Client) {
	ctx := auth.SystemContext(context.Background())
	a1 := agentID(t, c, "agent1")
	cls, err := c.Claim.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]bool{}
	var awaiting, acceptFirst, declined int
	for _, cl := range cls {
		statuses[string(cl.Status)] = true
		if !cl.AcceptDueAt.Equal(cl.FiledAt.Add(72*time.Hour)) || !cl.CloseDueAt.Equal(cl.FiledAt.Add(168*time.Hour)) {
			t.Errorf("claim %q clocks: filed %v accept %v close %v", cl.Description, cl.FiledAt, cl.AcceptDueAt, cl.CloseDueAt)
		}
		if age := testNow.Sub(cl.FiledAt); *cl.AgentID == a1.ID && cl.Status == "filed" && age > 48*time.Hour && age < 72*time.Hour {
			awaiting++
		}
		if cl.Status == "accepted" && cl.AcceptedAt != nil && cl.DocumentsCompleteAt == nil {
			acceptFirst++
		}
		if cl.Status == "paid" && (cl.AmountPaidCents <= 0 || cl.Decision == nil || *cl.Decision != "approved" || cl.PaidAt == nil) {
			t.Errorf("paid claim %q: paid %d decision %v", cl.Description, cl.AmountPaidCents, cl.Decision)
		}
		if cl.Decision != nil && *cl.Decision == "declined" {
			declined++
		}
	}
	for _, s := range []string{"filed", "accepted", "documents_complete", "decided", "paid", "closed"} {
		if !statuses[s] {
			t.Errorf("no %s claim", s)
		}
	}
	if awaiting < 1 || acceptFirst < 1 || declined != 1 {
		t.Errorf("%d agent1 claims awaiting acceptance near the SLA, %d accepted before documents, %d declined", awaiting, acceptFirst, declined)
	}
}
