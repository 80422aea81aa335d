package push

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/deliveryattempt"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/push/fcmtest"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// TestWorkerCrashBetweenClaimAndSend abandons a claimed row and checks it
// is sent once, after its lease.
func TestWorkerCrashBetweenClaimAndSend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, DefaultConfig(), 0)
		r.f.agentDevice(r.agent.ID, "tok", "Asia/Shanghai", "zh-CN")
		w := r.svc.Worker
		ctx := r.f.ctx
		if rows, err := w.claim(ctx, t0, "crashed/1", 10); err != nil || len(rows) != 1 {
			t.Fatalf("claim = %d rows, %v", len(rows), err)
		}
		// The crashed worker is gone. Others find the row leased.
		for _, d := range []time.Duration{0, time.Minute, 5 * time.Minute} {
			if st := r.drain(t, d); st.Claimed != 0 {
				t.Fatalf("at +%v: claimed a leased row: %+v", d, st)
			}
		}
		if st := r.drain(t, 5*time.Minute+time.Second); st.Sent != 1 {
			t.Fatalf("after the lease: %+v, want one sent", st)
		}
		if n := len(r.srv.Requests()); n != 1 {
			t.Errorf("FCM received %d requests, want 1", n)
		}
		rm := r.first(t)
		if diff := cmp.Diff([]string{"sent"}, r.attempts(t, rm.ID)); diff != "" {
			t.Errorf("attempts (-want +got):\n%s", diff)
		}
	})
}

// TestWorkerLeaseLostIsFenced lets a slow worker's lease pass to another
// worker and checks that the slow worker's late result is not recorded.
func TestWorkerLeaseLostIsFenced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, DefaultConfig(), 0)
		r.f.agentDevice(r.agent.ID, "tok", "Asia/Shanghai", "zh-CN")
		slow := r.svc.Worker
		ctx := r.f.ctx
		rows, err := slow.claim(ctx, t0, "slow/1", 10)
		if err != nil || len(rows) != 1 {
			t.Fatalf("claim = %d rows, %v", len(rows), err)
		}
		var st DrainStats
		jobs, msgs, err := slow.prepare(ctx, rows, t0, "slow/1", &st)
		if err != nil || len(jobs) != 1 || len(msgs) != 1 {
			t.Fatalf("prepare = %d jobs, %d messages, %v", len(jobs), len(msgs), err)
		}
		if got := r.drain(t, 6*time.Minute); got.Sent != 1 {
			t.Fatalf("second worker: %+v, want one sent", got)
		}
		slow.finish(ctx, jobs[0], []Result{{Outcome: deliveryattempt.OutcomeSent, MessageID: "late"}}, t0, "slow/1", &st)
		if st.LeaseLost != 1 {
			t.Errorf("stats = %+v, want the lease lost", st)
		}
		rm := r.first(t)
		if diff := cmp.Diff([]string{"sent"}, r.attempts(t, rm.ID)); diff != "" {
			t.Errorf("attempts (-want +got):\n%s", diff)
		}
		if rm.ProviderMessageID == "late" || rm.Attempts != 1 {
			t.Errorf("the late result was recorded: %+v", rm)
		}
		if n, _ := db.Client.Notification.Query().Count(ctx); n != 1 {
			t.Errorf("inbox entries = %d, want 1", n)
		}
	})
}

// TestWorkerQuietHours defers a late send and a retry to the end of the
// recipient's quiet hours.
func TestWorkerQuietHours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFx(t, db)
		a := f.agent("Asia/Shanghai", "zh-CN")
		c := f.customer(&a.ID, "王芳", false)
		p := f.policy(c.ID, ptr(day(2026, 4, 10)), nil)
		f.agentDevice(a.ID, "tok", "Asia/Shanghai", "zh-CN")
		fake := clock.NewFake(t0)
		var sends []time.Time
		fail := true
		sender := SenderFunc(func(_ context.Context, msgs []Message) []Result {
			sends = append(sends, fake.Now())
			out := make([]Result, len(msgs))
			for i := range out {
				out[i] = Result{Outcome: deliveryattempt.OutcomeSent, MessageID: "m"}
				if fail {
					out[i] = Result{Outcome: deliveryattempt.OutcomeTransientError, ErrorCode: "UNAVAILABLE"}
				}
			}
			return out
		})
		svc, err := New(testDeps(db, fake, sender), DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Scheduler.Plan(f.ctx, t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		get := func() *ent.Reminder {
			rm, err := db.Client.Reminder.Query().Where(reminder.PolicyID(p.ID), reminder.WindowDays(30)).Only(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return rm
		}
		drain := func(at time.Time) DrainStats {
			fake.Set(at)
			st, err := svc.Worker.Drain(f.ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		// The worker first runs at 21:30 local (13:30Z): the send waits for
		// 08:00 local, no attempt made.
		if st := drain(utc(2026, 3, 11, 13, 30)); st.Deferred != 1 || len(sends) != 0 {
			t.Fatalf("at 21:30 local: %+v, %d sends", st, len(sends))
		}
		if rm := get(); rm.Status != reminder.StatusPending || !rm.NextAttemptAt.Equal(utc(2026, 3, 12, 0, 0)) || rm.Attempts != 0 {
			t.Fatalf("deferred reminder = %+v", rm)
		}
		if st := drain(utc(2026, 3, 11, 23, 59)); st.Claimed != 0 {
			t.Fatalf("claimed before the end of quiet hours: %+v", st)
		}
		// 20:59:45 local: the attempt fails and its retry (30 to 60 s later)
		// would fall in quiet hours; it waits for the morning.
		late := utc(2026, 3, 11, 12, 59).Add(45 * time.Second)
		if err := db.Client.Reminder.UpdateOneID(get().ID).SetNextAttemptAt(late).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if st := drain(late); st.Retried != 1 {
			t.Fatalf("at 20:59 local: %+v, want a retry", st)
		}
		if rm := get(); !rm.NextAttemptAt.Equal(utc(2026, 3, 12, 0, 0)) {
			t.Fatalf("retry at %v, want the end of quiet hours", rm.NextAttemptAt)
		}
		fail = false
		if st := drain(utc(2026, 3, 12, 0, 0)); st.Sent != 1 {
			t.Fatalf("at 08:00 local: %+v, want one sent", st)
		}
		loc := mustZone(t, "Asia/Shanghai")
		for _, at := range sends {
			if DefaultConfig().Quiet.Contains(at, loc) {
				t.Errorf("sent at %v, inside quiet hours", at.In(loc))
			}
		}
	})
}

// TestWorkerWithoutProvider runs without Firebase: agent reminders land in
// the inbox (with or without a device), customer reminders are skipped.
func TestWorkerWithoutProvider(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFx(t, db)
		withDev := f.agent("Asia/Shanghai", "en")
		noDev := f.agent("Asia/Shanghai", "zh-CN")
		c1 := f.customer(&withDev.ID, "Li Lei", true)
		f.agentDevice(withDev.ID, "a-tok", "Asia/Shanghai", "en")
		f.customerDevice(c1.ID, "c-tok", "Asia/Shanghai")
		c2 := f.customer(&noDev.ID, "韩梅梅", false)
		p1 := f.policy(c1.ID, nil, ptr(day(2026, 4, 10)))
		p2 := f.policy(c2.ID, ptr(day(2026, 4, 10)), nil)
		fake := clock.NewFake(t0)
		svc, err := New(testDeps(db, fake, nil), DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		st, err := svc.RunOnce(f.ctx, t0)
		if err != nil {
			t.Fatal(err)
		}
		if st.Plan.Scheduled != 15 || st.Drain.Sent != 2 || st.Drain.Skipped != 1 {
			t.Errorf("RunOnce = %+v", st)
		}
		type out struct {
			Rcpt, Status, Err string
			Attempts          []string
		}
		var got []out
		rs, err := db.Client.Reminder.Query().Where(reminder.WindowDays(30)).
			Order(ent.Asc(reminder.FieldRecipientKind), ent.Asc(reminder.FieldPolicyID)).All(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, rm := range rs {
			as, err := db.Client.DeliveryAttempt.Query().Where(deliveryattempt.ReminderID(rm.ID)).All(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			o := out{Rcpt: rm.RecipientKind.String(), Status: rm.Status.String(), Err: rm.LastError}
			for _, a := range as {
				o.Attempts = append(o.Attempts, a.Outcome.String())
			}
			got = append(got, o)
		}
		wantOut := []out{
			{Rcpt: "agent", Status: "sent", Attempts: []string{"inbox_only"}},
			{Rcpt: "agent", Status: "sent", Attempts: []string{"no_device"}},
			{Rcpt: "customer", Status: "skipped", Err: reasonPushOff, Attempts: []string{"inbox_only"}},
		}
		if p1.ID.String() > p2.ID.String() {
			wantOut[0], wantOut[1] = wantOut[1], wantOut[0]
		}
		if diff := cmp.Diff(wantOut, got); diff != "" {
			t.Errorf("reminders (-want +got):\n%s", diff)
		}
		ns, err := db.Client.Notification.Query().Order(ent.Asc(notification.FieldTitle)).All(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, n := range ns {
			titles = append(titles, n.Title+" | "+n.Body)
		}
		wantTitles := []string{
			"Renewal due | Li Lei's policy " + p1.Number + " is up for renewal in 30 days (2026-04-10).",
			"续期缴费提醒 | 韩梅梅的保单 " + p2.Number + " 将于 30 天后（2026-04-10）缴费。",
		}
		if diff := cmp.Diff(wantTitles, titles); diff != "" {
			t.Errorf("inbox (-want +got):\n%s", diff)
		}
	})
}

// TestMetrics checks the figures a send and a retry leave on the registry
// given in Deps.
func TestMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, DefaultConfig(), 0)
		r.f.agentDevice(r.agent.ID, "tok", "Asia/Shanghai", "zh-CN")
		r.srv.Script("tok", fcmtest.Outcome{Kind: fcmtest.Unavailable})
		r.drain(t, 10*time.Second)
		r.drain(t, time.Hour)
		families, err := r.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				name := f.GetName()
				for _, l := range m.GetLabel() {
					name += " " + l.GetName() + "=" + l.GetValue()
				}
				switch {
				case m.GetCounter() != nil:
					got[name] = m.GetCounter().GetValue()
				case m.GetHistogram() != nil:
					got[name+" count"] = float64(m.GetHistogram().GetSampleCount())
					got[name+" sum"] = m.GetHistogram().GetSampleSum()
				}
			}
		}
		want := map[string]float64{
			"agentdesk_reminders_scheduled_total due_kind=premium recipient=agent": 5,
			"agentdesk_reminders_sent_total channel=push recipient=agent":          1,
			"agentdesk_reminders_retried_total":                                    1,
			"agentdesk_reminder_delivery_attempts_total outcome=transient_error":   1,
			"agentdesk_reminder_delivery_attempts_total outcome=sent":              1,
			"agentdesk_reminder_queue_age_seconds count":                           1,
			"agentdesk_reminder_queue_age_seconds sum":                             10,
			"agentdesk_reminders_skipped_total":                                    0,
			"agentdesk_reminders_deferred_total":                                   0,
			"agentdesk_reminders_lease_lost_total":                                 0,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("metrics (-want +got):\n%s", diff)
		}
	})
}

// TestWorkerOnSent checks that the OnSent hook runs once, in the
// transaction that records the reminder sent, and that its failure rolls
// the record back like any recording error.
func TestWorkerOnSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, DefaultConfig(), 0)
		r.f.agentDevice(r.agent.ID, "tok", "Asia/Shanghai", "zh-CN")
		var calls []*ent.Reminder
		fail := true
		r.svc.Worker.onSent = func(ctx context.Context, tx *ent.Tx, rm *ent.Reminder, at time.Time) error {
			if fail {
				fail = false
				return context.Canceled
			}
			calls = append(calls, rm)
			return nil
		}
		if st := r.drain(t, 0); st.Sent != 0 {
			t.Fatalf("recorded sent although the hook failed: %+v", st)
		}
		if got := r.first(t); got.Status != reminder.StatusSending {
			t.Fatalf("status %s, want sending (left to its lease)", got.Status)
		}
		if st := r.drain(t, 5*time.Minute+time.Second); st.Sent != 1 {
			t.Fatalf("after the lease: %+v", st)
		}
		r.drain(t, time.Hour)
		if len(calls) != 1 || calls[0].ID != r.first(t).ID {
			t.Fatalf("hook calls %d", len(calls))
		}
	})
}
