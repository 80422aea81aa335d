package quality_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func TestOpenComplaintDueTimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, local(2026, 12, 1, 0, 0))
		tests := []struct {
			name                  string
			received              time.Time
			ack, answer, closeDue time.Time
		}{
			{"Tuesday morning", local(2026, 3, 10, 9, 0),
				local(2026, 3, 11, 9, 0), local(2026, 3, 12, 9, 0), local(2026, 3, 19, 9, 0)},
			{"Friday: the weekend does not count", local(2026, 3, 6, 10, 0),
				local(2026, 3, 7, 10, 0), local(2026, 3, 10, 10, 0), local(2026, 3, 17, 10, 0)},
			{"Saturday: the clocks start Monday", local(2026, 3, 7, 15, 0),
				local(2026, 3, 8, 15, 0), local(2026, 3, 11, 0, 0), local(2026, 3, 18, 0, 0)},
			{"before 春节: 调休 Saturdays count", local(2026, 2, 13, 10, 0),
				local(2026, 2, 14, 10, 0), local(2026, 2, 24, 10, 0), local(2026, 3, 2, 10, 0)},
			{"during 国庆", local(2026, 10, 3, 20, 0),
				local(2026, 10, 4, 20, 0), local(2026, 10, 10, 0, 0), local(2026, 10, 16, 0, 0)},
		}
		for _, tt := range tests {
			c, err := f.svc.OpenComplaint(f.ctx, quality.ComplaintInput{CustomerID: f.customer, PolicyID: &f.policy,
				Category: complaint.CategoryClaimTimeliness, Summary: "理赔慢", ReceivedAt: &tt.received})
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			got := [3]time.Time{c.AckDueAt.UTC(), c.AnswerDueAt.UTC(), c.CloseDueAt.UTC()}
			want := [3]time.Time{tt.ack, tt.answer, tt.closeDue}
			if got != want {
				t.Errorf("%s: due times %v, want %v", tt.name, got, want)
			}
			if c.Status != complaint.StatusReceived || c.Severity != complaint.SeverityMedium || *c.AgentID != f.agent {
				t.Errorf("%s: status %s, severity %s, agent %v", tt.name, c.Status, c.Severity, c.AgentID)
			}
		}
	})
}

func TestOpenComplaintValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := local(2026, 3, 10, 12, 0)
		f := newFixture(t, db, now)
		ok := func(mod func(*quality.ComplaintInput)) quality.ComplaintInput {
			in := quality.ComplaintInput{CustomerID: f.customer, Category: complaint.CategoryBilling, Summary: "扣费两次"}
			mod(&in)
			return in
		}
		tests := []struct {
			name string
			in   quality.ComplaintInput
			want problem
		}{
			{"fields", ok(func(in *quality.ComplaintInput) {
				in.Category, in.Severity, in.Summary = "", "urgent", " "
				in.Details = strings.Repeat("x", 20001)
				in.ReceivedAt = ptr(now.Add(time.Hour))
			}), problem{"invalid", []string{"/category", "/severity", "/summary", "/details", "/received_at"}}},
			{"bad category", ok(func(in *quality.ComplaintInput) { in.Category = "rude" }), problem{"invalid", []string{"/category"}}},
			{"unknown customer", ok(func(in *quality.ComplaintInput) { in.CustomerID = uuid.New() }), problem{"invalid", []string{"/customer_id"}}},
			{"another customer's policy", ok(func(in *quality.ComplaintInput) {
				in.CustomerID, in.PolicyID = f.customer2, &f.policy
			}), problem{"invalid", []string{"/policy_id"}}},
		}
		for _, tt := range tests {
			_, err := f.svc.OpenComplaint(f.ctx, tt.in)
			if diff := cmp.Diff(tt.want, problemOf(err)); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}

// TestComplaintStateMachine tries every transition from every state and
// compares the outcome with the workflow's table.
func TestComplaintStateMachine(t *testing.T) {
	type S = complaint.Status
	legal := map[S]map[quality.ComplaintTransition]S{
		complaint.StatusReceived:      {"acknowledge": complaint.StatusAcknowledged, "escalate": complaint.StatusEscalated},
		complaint.StatusAcknowledged:  {"investigate": complaint.StatusInvestigating, "escalate": complaint.StatusEscalated},
		complaint.StatusInvestigating: {"resolve": complaint.StatusResolved, "escalate": complaint.StatusEscalated},
		complaint.StatusResolved:      {"close": complaint.StatusClosed, "escalate": complaint.StatusEscalated, "reopen": complaint.StatusInvestigating},
		complaint.StatusClosed:        {"reopen": complaint.StatusInvestigating},
		complaint.StatusEscalated:     {"investigate": complaint.StatusInvestigating},
	}
	transitions := []quality.ComplaintTransition{"acknowledge", "investigate", "resolve", "close", "escalate", "reopen"}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, local(2026, 3, 10, 12, 0))
		for _, from := range []S{complaint.StatusReceived, complaint.StatusAcknowledged, complaint.StatusInvestigating,
			complaint.StatusResolved, complaint.StatusClosed, complaint.StatusEscalated} {
			for _, tr := range transitions {
				c := complaintIn(t, f, from)
				got, err := f.svc.TransitionComplaint(f.ctx, c.ID, c.Version, tr, quality.ComplaintFields{})
				want, ok := legal[from][tr]
				if ok {
					if err != nil || got.Status != want || got.Version != c.Version+1 {
						t.Errorf("%s from %s: err %v, status %v, want %s", tr, from, err, got, want)
					}
					continue
				}
				e, isApp := apperr.As(err)
				if !isApp || e.Kind != apperr.KindConflict ||
					!strings.Contains(e.Detail, "cannot "+string(tr)+" a complaint that is "+string(from)) {
					t.Errorf("%s from %s: got %v, want a conflict naming both", tr, from, err)
				}
				if after, _ := db.Client.Complaint.Get(f.ctx, c.ID); after.Status != from || after.Version != c.Version {
					t.Errorf("%s from %s: refused transition changed the complaint", tr, from)
				}
			}
			var allowed []quality.ComplaintTransition
			for _, tr := range transitions {
				if _, ok := legal[from][tr]; ok {
					allowed = append(allowed, tr)
				}
			}
			if diff := cmp.Diff(allowed, quality.ComplaintTransitionsFrom(from)); diff != "" {
				t.Errorf("ComplaintTransitionsFrom(%s) mismatch (-want +got):\n%s", from, diff)
			}
		}
	})
}

// complaintIn stores a complaint in a given state, with every field a
// transition may need.
func complaintIn(t *testing.T, f *fixture, st complaint.Status) *ent.Complaint {
	t.Helper()
	recv := local(2026, 3, 9, 9, 0)
	var c *ent.Complaint
	err := f.db.WithTx(f.ctx, func(ctx context.Context, tx *ent.Tx) error {
		c = tx.Complaint.Create().SetCustomerID(f.customer).SetStatus(st).SetSummary("s").SetReceivedAt(recv).
			SetAckDueAt(recv.Add(24 * time.Hour)).SetAnswerDueAt(recv.Add(48 * time.Hour)).SetCloseDueAt(recv.Add(168 * time.Hour)).
			SetResolution("已道歉并退费").SetRootCause("系统重复扣款").SetCorrectiveAction("修复扣款任务").SaveX(ctx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestComplaintWorkflow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := local(2026, 3, 20, 12, 0)
		f := newFixture(t, db, now)
		recv := local(2026, 3, 10, 9, 0)
		c, err := f.svc.OpenComplaint(f.ctx, quality.ComplaintInput{CustomerID: f.customer,
			Category: complaint.CategoryServiceAttitude, Summary: "态度差", ReceivedAt: &recv})
		if err != nil {
			t.Fatal(err)
		}
		step := func(tr quality.ComplaintTransition, fields quality.ComplaintFields, base int64) (*ent.Complaint, problem) {
			t.Helper()
			got, err := f.svc.TransitionComplaint(f.ctx, c.ID, base, tr, fields)
			if err == nil {
				c = got
			}
			return got, problemOf(err)
		}
		check := func(name string, got, want problem) {
			t.Helper()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", name, diff)
			}
		}
		_, p := step("acknowledge", quality.ComplaintFields{At: ptr(local(2026, 3, 10, 10, 0))}, c.Version+1)
		check("stale version", p, problem{Kind: "precondition_failed"})
		_, p = step("acknowledge", quality.ComplaintFields{At: ptr(local(2026, 3, 10, 8, 0))}, c.Version)
		check("before receipt", p, problem{"invalid", []string{"/at"}})
		_, p = step("forgive", quality.ComplaintFields{}, c.Version)
		check("unknown transition", p, problem{"invalid", []string{"/transition"}})
		_, p = step("acknowledge", quality.ComplaintFields{At: ptr(now.Add(time.Hour))}, c.Version)
		check("future", p, problem{"invalid", []string{"/at"}})
		_, p = step("acknowledge", quality.ComplaintFields{At: ptr(local(2026, 3, 10, 10, 0))}, c.Version)
		check("acknowledge", p, problem{})
		_, p = step("investigate", quality.ComplaintFields{Severity: ptr(complaint.SeverityHigh)}, 0)
		check("investigate without If-Match", p, problem{})
		_, p = step("resolve", quality.ComplaintFields{}, c.Version)
		check("resolve without resolution", p, problem{"invalid", []string{"/resolution"}})
		_, p = step("resolve", quality.ComplaintFields{Resolution: ptr("已致歉"), At: ptr(local(2026, 3, 11, 9, 0))}, c.Version)
		check("resolve", p, problem{})
		_, err = f.svc.TransitionComplaint(f.ctx, c.ID, c.Version, "close", quality.ComplaintFields{RootCause: ptr("  ")})
		e, _ := apperr.As(err)
		check("close without root cause and action", problemOf(err), problem{"invalid", []string{"/root_cause", "/corrective_action"}})
		if e == nil || e.Detail != "to close a complaint, set root_cause, corrective_action" {
			t.Errorf("close detail: %v", err)
		}
		_, p = step("close", quality.ComplaintFields{RootCause: ptr("新人未培训"), CorrectiveAction: ptr("服务礼仪培训"),
			At: ptr(local(2026, 3, 12, 9, 0))}, c.Version)
		check("close", p, problem{})
		_, p = step("", quality.ComplaintFields{Resolution: ptr("改")}, c.Version)
		check("edit a closed complaint", p, problem{Kind: "conflict"})
		if c.Status != complaint.StatusClosed || c.Severity != complaint.SeverityHigh || c.Version != 5 ||
			!c.AcknowledgedAt.Equal(local(2026, 3, 10, 10, 0)) || !c.ResolvedAt.Equal(local(2026, 3, 11, 9, 0)) ||
			!c.ClosedAt.Equal(local(2026, 3, 12, 9, 0)) || c.RootCause != "新人未培训" {
			t.Errorf("closed complaint: %+v", c)
		}
		if s := quality.ComplaintSLA(c, now); s != quality.SLAOnTrack {
			t.Errorf("closed on time: SLA %s", s)
		}
		_, p = step("reopen", quality.ComplaintFields{}, c.Version)
		check("reopen", p, problem{})
		if c.Status != complaint.StatusInvestigating || c.ResolvedAt != nil || c.ClosedAt != nil || c.AcknowledgedAt == nil {
			t.Errorf("reopened complaint: %+v", c)
		}
		// The answer clock ran out on 12 March 09:00 and runs again.
		if s := quality.ComplaintSLA(c, now); s != quality.SLABreached {
			t.Errorf("reopened after the answer due time: SLA %s", s)
		}
		if _, err := f.svc.TransitionComplaint(f.ctx, uuid.New(), 0, "close", quality.ComplaintFields{}); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("unknown complaint: %v", err)
		}
		same, err := f.svc.TransitionComplaint(f.ctx, c.ID, c.Version, "", quality.ComplaintFields{})
		if err != nil || same.Version != c.Version {
			t.Errorf("empty change: %v, version %d", err, same.Version)
		}
	})
}

func slaClock(start, due time.Time, met *time.Time) quality.SLAClock {
	return quality.SLAClock{Start: start, Due: due, Met: met}
}

func TestSLAState(t *testing.T) {
	start := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	due := start.Add(24 * time.Hour)
	tests := []struct {
		name  string
		clock quality.SLAClock
		now   time.Time
		want  quality.SLAState
	}{
		{"fresh", slaClock(start, due, nil), start.Add(time.Hour), quality.SLAOnTrack},
		{"exactly a quarter left", slaClock(start, due, nil), start.Add(18 * time.Hour), quality.SLAOnTrack},
		{"less than a quarter left", slaClock(start, due, nil), start.Add(18*time.Hour + time.Second), quality.SLAAtRisk},
		{"at the due time", slaClock(start, due, nil), due, quality.SLAAtRisk},
		{"past due", slaClock(start, due, nil), due.Add(time.Second), quality.SLABreached},
		{"met at the due time", slaClock(start, due, &due), due.Add(time.Hour), quality.SLAOnTrack},
		{"met late", slaClock(start, due, ptr(due.Add(time.Second))), due.Add(time.Hour), quality.SLABreached},
	}
	for _, tt := range tests {
		if got := tt.clock.State(tt.now); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	met := slaClock(start, due, &start)
	running := slaClock(start, due, nil)
	if got := quality.SLA(start.Add(20*time.Hour), met, running); got != quality.SLAAtRisk {
		t.Errorf("worst of on track and at risk: %s", got)
	}
	if got := quality.SLA(due.Add(time.Hour), running, met); got != quality.SLABreached {
		t.Errorf("worst of breached and on track: %s", got)
	}
}
