package push

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// row is a reminder as the tests compare it.
type row struct {
	Kind, Due string
	Window    int
	Rcpt      string // "agent:<name>" or "customer"
	Status    string
	At        string // scheduled_for, UTC
	Err       string
}

// rows lists a policy's reminders in a stable order; names maps recipient
// IDs to readable names.
func rows(t *testing.T, f *fx, policyID uuid.UUID, names map[uuid.UUID]string) []row {
	t.Helper()
	rs, err := f.db.Client.Reminder.Query().Where(reminder.PolicyID(policyID)).All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]row, len(rs))
	for i, r := range rs {
		out[i] = row{Kind: r.DueKind.String(), Due: dateOf(r.DueDate).Format(time.DateOnly), Window: r.WindowDays,
			Rcpt: r.RecipientKind.String() + ":" + names[r.RecipientID], Status: r.Status.String(),
			At: r.ScheduledFor.UTC().Format("01-02 15:04"), Err: r.LastError}
	}
	slices.SortFunc(out, func(a, b row) int {
		return strings.Compare(a.Due+a.Kind+a.Rcpt+a.At+a.Status, b.Due+b.Kind+b.Rcpt+b.At+b.Status)
	})
	return out
}

// want builds the expected rows of one due date: windows for a recipient
// at 09:00 in a zone offset, all with one status.
func want(kind, due, rcpt, status string, offset int, windows ...int) []row {
	d, _ := time.Parse(time.DateOnly, due)
	var out []row
	for _, w := range windows {
		at := d.AddDate(0, 0, -w).Add(time.Duration(9-offset) * time.Hour)
		out = append(out, row{Kind: kind, Due: due, Window: w, Rcpt: rcpt, Status: status, At: at.Format("01-02 15:04")})
	}
	return out
}

func sorted(rs ...[]row) []row {
	out := slices.Concat(rs...)
	slices.SortFunc(out, func(a, b row) int {
		return strings.Compare(a.Due+a.Kind+a.Rcpt+a.At+a.Status, b.Due+b.Kind+b.Rcpt+b.At+b.Status)
	})
	return out
}

func withErr(rs []row, status, reason string) []row {
	out := slices.Clone(rs)
	for i := range out {
		out[i].Status, out[i].Err = status, reason
	}
	return out
}

func newScheduler(t *testing.T, db *store.DB, c clock.Clock, cfg Config) *Scheduler {
	t.Helper()
	s, err := NewScheduler(testDeps(db, c, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func plan(t *testing.T, s *Scheduler, now time.Time) PlanStats {
	t.Helper()
	st, err := s.Plan(context.Background(), now)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return st
}

// TestPlanRecipientsZonesAndIdempotence plans an agent in Shanghai and a
// consenting customer in Los Angeles, repeatedly and concurrently.
func TestPlanRecipientsZonesAndIdempotence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFx(t, db)
		now := utc(2026, 3, 10, 0, 0)
		a := f.agent("Asia/Shanghai", "zh-CN")
		c := f.customer(&a.ID, "王芳", true)
		f.customerDevice(c.ID, "cust-token", "America/Los_Angeles")
		p := f.policy(c.ID, ptr(day(2026, 4, 10)), ptr(day(2026, 6, 1)))
		names := map[uuid.UUID]string{a.ID: "a", c.ID: "c"}

		// Three replicas plan at once.
		replicas := make([]*Scheduler, 3)
		for i := range replicas {
			replicas[i] = newScheduler(t, db, clock.NewFake(now), DefaultConfig())
		}
		s := replicas[0]
		var wg sync.WaitGroup
		stats := make([]PlanStats, len(replicas))
		for i, r := range replicas {
			wg.Go(func() { stats[i] = plan(t, r, now) })
		}
		wg.Wait()
		total := 0
		for _, st := range stats {
			total += st.Scheduled
		}
		if total != 10 {
			t.Errorf("scheduled %d rows over three concurrent replicas, want 10: %+v", total, stats)
		}
		// The renewal (June) is beyond the horizon; March 8 in LA is the DST
		// change (PST -8 before, PDT -7 after).
		w := sorted(
			want("premium", "2026-04-10", "agent:a", "pending", 8, 30, 7, 3, 1, 0),
			want("premium", "2026-04-10", "customer:c", "pending", -7, 30, 7, 3, 1, 0),
		)
		if diff := cmp.Diff(w, rows(t, f, p.ID, names)); diff != "" {
			t.Errorf("rows mismatch (-want +got):\n%s", diff)
		}
		if st := plan(t, s, now.Add(time.Hour)); st != (PlanStats{}) {
			t.Errorf("a second plan changed something: %+v", st)
		}
	})
}

// TestPlanBackfill checks the back-fill rule for a policy planned late.
func TestPlanBackfill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFx(t, db)
		now := utc(2026, 3, 10, 12, 0) // 20:00 in Shanghai
		s := newScheduler(t, db, clock.NewFake(now), DefaultConfig())
		a := f.agent("Asia/Shanghai", "zh-CN")
		c := f.customer(&a.ID, "李雷", false)
		p := f.policy(c.ID, ptr(day(2026, 3, 13)), nil)
		st := plan(t, s, now)
		if st.Scheduled != 3 || st.Skipped != 2 {
			t.Errorf("stats = %+v, want 3 scheduled and 2 skipped", st)
		}
		// 30 and 7 days before passed weeks ago: skipped. 3 days before was
		// 09:00 today (11 hours ago, within the one-day grace): pending, due now.
		w := sorted(
			withErr(want("premium", "2026-03-13", "agent:a", "", 8, 30, 7), "skipped", reasonWindowPassed),
			want("premium", "2026-03-13", "agent:a", "pending", 8, 3, 1, 0),
		)
		if diff := cmp.Diff(w, rows(t, f, p.ID, map[uuid.UUID]string{a.ID: "a"})); diff != "" {
			t.Errorf("rows mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestPlanDateChanges moves a policy's dates, status and agent and checks
// that what was not sent follows.
func TestPlanDateChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFx(t, db)
		now := utc(2026, 3, 10, 0, 0)
		fake := clock.NewFake(now)
		s := newScheduler(t, db, fake, DefaultConfig())
		a := f.agent("Asia/Shanghai", "zh-CN")
		b := f.agent("Pacific/Auckland", "en")
		c := f.customer(&a.ID, "王芳", false)
		p := f.policy(c.ID, ptr(day(2026, 4, 10)), nil)
		names := map[uuid.UUID]string{a.ID: "a", b.ID: "b"}
		check := func(step string, w []row) {
			t.Helper()
			if diff := cmp.Diff(sorted(w), rows(t, f, p.ID, names)); diff != "" {
				t.Errorf("%s: rows mismatch (-want +got):\n%s", step, diff)
			}
		}
		plan(t, s, now)

		// The 30-day window goes out (its send time: 03-11 01:00Z).
		w, err := NewWorker(testDeps(db, fake, nil), DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if st, err := w.Drain(context.Background(), utc(2026, 3, 11, 1, 0)); err != nil || st.Sent != 1 {
			t.Fatalf("Drain = %+v, %v; want one sent", st, err)
		}
		sent := withErr(want("premium", "2026-04-10", "agent:a", "", 8, 30), "sent", "")
		check("first window sent", append(want("premium", "2026-04-10", "agent:a", "pending", 8, 7, 3, 1, 0), sent...))

		// Paid: the next premium falls due two days later. The pending
		// windows of the old date are cancelled, the new date is planned,
		// the sent window stays sent.
		f.setPolicy(p.ID, func(u *ent.InsurancePolicyUpdateOne) { u.SetNextPremiumDueDate(day(2026, 4, 12)) })
		st := plan(t, s, utc(2026, 3, 11, 2, 0))
		if st.Cancelled != 4 || st.Scheduled != 5 {
			t.Errorf("after payment: %+v, want 4 cancelled, 5 scheduled", st)
		}
		old := withErr(want("premium", "2026-04-10", "agent:a", "", 8, 7, 3, 1, 0), "cancelled", reasonDateChanged)
		check("paid", slices.Concat(sent, old, want("premium", "2026-04-12", "agent:a", "pending", 8, 30, 7, 3, 1, 0)))

		// Reassigned to b (Auckland, UTC+13 in March): a's pending rows are
		// cancelled, b's planned; b's 30-day window (03-13 09:00 NZDT) is
		// still ahead.
		f.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(c.ID).SetAgentID(b.ID).Exec(ctx)
		})
		plan(t, s, utc(2026, 3, 11, 3, 0))
		aMoved := withErr(want("premium", "2026-04-12", "agent:a", "", 8, 30, 7, 3, 1, 0), "cancelled", reasonRecipientChanged)
		bRows := want("premium", "2026-04-12", "agent:b", "pending", 13, 30, 7, 3, 1, 0)
		// DST ended on 04-05: the later windows are at 09:00 NZST (UTC+12).
		for i, at := range []string{"04-04 21:00", "04-08 21:00", "04-10 21:00", "04-11 21:00"} {
			bRows[i+1].At = at
		}
		check("reassigned", slices.Concat(sent, old, aMoved, bRows))

		// Back to a: a's cancelled rows are revived, b's cancelled.
		f.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(c.ID).SetAgentID(a.ID).Exec(ctx)
		})
		st = plan(t, s, utc(2026, 3, 11, 4, 0))
		if st.Revived != 5 || st.Cancelled != 5 {
			t.Errorf("back to a: %+v, want 5 revived, 5 cancelled", st)
		}
		bMoved := withErr(bRows, "cancelled", reasonRecipientChanged)
		check("returned", slices.Concat(sent, old, want("premium", "2026-04-12", "agent:a", "pending", 8, 30, 7, 3, 1, 0), bMoved))

		// The agent moves to Urumqi: the next plan, incremental, moves the
		// pending rows to the new zone at once (agents are found by
		// updated_at); the full plan after it finds nothing to do.
		f.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Agent.UpdateOneID(a.ID).SetTimeZone("Asia/Urumqi").SetUpdatedAt(utc(2026, 3, 11, 4, 30)).Exec(ctx)
		})
		if st := plan(t, s, utc(2026, 3, 11, 5, 0)); st.Full || st.Rescheduled != 5 {
			t.Errorf("incremental plan after the zone change: %+v, want 5 rescheduled", st)
		}
		if st := plan(t, s, utc(2026, 3, 11, 8, 0)); !st.Full || st.Rescheduled != 0 {
			t.Errorf("full plan after the zone change: %+v, want nothing", st)
		}
		check("moved zone", slices.Concat(sent, old, want("premium", "2026-04-12", "agent:a", "pending", 6, 30, 7, 3, 1, 0), bMoved))

		// Lapsed: everything pending is cancelled.
		f.setPolicy(p.ID, func(u *ent.InsurancePolicyUpdateOne) { u.SetStatus(insurancepolicy.StatusLapsed) })
		if st := plan(t, s, utc(2026, 3, 11, 9, 0)); st.Full || st.Cancelled != 5 {
			t.Errorf("incremental plan after the lapse: %+v, want 5 cancelled", st)
		}
		lapsed := withErr(want("premium", "2026-04-12", "agent:a", "", 6, 30, 7, 3, 1, 0), "cancelled", "policy_lapsed")
		check("lapsed", slices.Concat(sent, old, lapsed, bMoved))
	})
}

// TestPlanCustomerConsent cancels a customer's reminders when consent is
// withdrawn and plans nothing for a customer without a device.
func TestPlanCustomerConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFx(t, db)
		now := utc(2026, 3, 10, 0, 0)
		s := newScheduler(t, db, clock.NewFake(now), DefaultConfig())
		c := f.customer(nil, "赵六", true) // no agent: only the customer is reminded
		f.customerDevice(c.ID, "c-tok", "Asia/Shanghai")
		noDev := f.customer(nil, "钱七", true)
		p := f.policy(c.ID, ptr(day(2026, 4, 9)), nil)
		q := f.policy(noDev.ID, ptr(day(2026, 4, 9)), nil)
		plan(t, s, now)
		names := map[uuid.UUID]string{c.ID: "c"}
		if diff := cmp.Diff(want("premium", "2026-04-09", "customer:c", "pending", 8, 30, 7, 3, 1, 0), rows(t, f, p.ID, names)); diff != "" {
			t.Errorf("rows mismatch (-want +got):\n%s", diff)
		}
		if got := rows(t, f, q.ID, names); len(got) != 0 {
			t.Errorf("customer without a device got reminders: %v", got)
		}
		f.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(c.ID).SetConsent(domain.Consent{}).Exec(ctx)
		})
		plan(t, s, now.Add(time.Hour))
		w := withErr(want("premium", "2026-04-09", "customer:c", "", 8, 30, 7, 3, 1, 0), "cancelled", reasonConsentWithdrawn)
		if diff := cmp.Diff(w, rows(t, f, p.ID, names)); diff != "" {
			t.Errorf("after withdrawal (-want +got):\n%s", diff)
		}
	})
}

// TestPlanFollowsRecipientZones: an agent's time zone and a customer's
// device change between full plans; the next (incremental) plan moves the
// pending reminders to the new local send times at once.
func TestPlanFollowsRecipientZones(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFx(t, db)
		now := utc(2026, 3, 10, 0, 0)
		fake := clock.NewFake(now)
		s := newScheduler(t, db, fake, DefaultConfig())
		a := f.agent("Asia/Shanghai", "zh-CN")
		c := f.customer(&a.ID, "王芳", true)
		dev := f.customerDevice(c.ID, "cust-token", "America/Los_Angeles")
		p := f.policy(c.ID, ptr(day(2026, 4, 10)), nil)
		names := map[uuid.UUID]string{a.ID: "a", c.ID: "c"}
		check := func(step string, w []row) {
			t.Helper()
			if diff := cmp.Diff(sorted(w), rows(t, f, p.ID, names)); diff != "" {
				t.Errorf("%s: rows mismatch (-want +got):\n%s", step, diff)
			}
		}
		if st := plan(t, s, now); !st.Full || st.Scheduled != 10 {
			t.Fatalf("first plan: %+v", st)
		}
		check("planned", slices.Concat(
			want("premium", "2026-04-10", "agent:a", "pending", 8, 30, 7, 3, 1, 0),
			want("premium", "2026-04-10", "customer:c", "pending", -7, 30, 7, 3, 1, 0)))

		// Nothing changed: the next plan is incremental and moves nothing.
		fake.Set(now.Add(5 * time.Minute))
		if st := plan(t, s, fake.Now()); st.Full || st.Rescheduled != 0 {
			t.Fatalf("plan without changes: %+v", st)
		}

		// The agent moves to Berlin (CET +1, CEST +2 from 29 March); the
		// customer's phone now reports Tokyo (+9).
		fake.Set(now.Add(10 * time.Minute))
		f.tx(func(ctx context.Context, tx *ent.Tx) error {
			if err := tx.Agent.UpdateOneID(a.ID).SetTimeZone("Europe/Berlin").SetUpdatedAt(fake.Now()).Exec(ctx); err != nil {
				return err
			}
			return tx.Device.UpdateOneID(dev.ID).SetTimeZone("Asia/Tokyo").SetUpdatedAt(fake.Now()).Exec(ctx)
		})
		fake.Set(now.Add(15 * time.Minute))
		st := plan(t, s, fake.Now())
		if st.Full || st.Rescheduled != 10 {
			t.Errorf("plan after the changes: %+v, want 10 rescheduled by an incremental plan", st)
		}
		check("re-planned", slices.Concat(
			want("premium", "2026-04-10", "agent:a", "pending", 1, 30),
			want("premium", "2026-04-10", "agent:a", "pending", 2, 7, 3, 1, 0),
			want("premium", "2026-04-10", "customer:c", "pending", 9, 30, 7, 3, 1, 0)))
	})
}
