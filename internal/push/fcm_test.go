package push

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"firebase.google.com/go/v4/messaging"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/deliveryattempt"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/push/fcmtest"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// t0 is the send time of the 30-day window of a premium due on 2026-04-10
// for an agent in Shanghai (09:00 CST).
var t0 = utc(2026, 3, 11, 1, 0)

// rig is one agent with a customer, a policy due 2026-04-10 and a
// Service sending through the real SDK to an fcmtest server.
type rig struct {
	f      *fx
	fake   *clock.Fake
	srv    *fcmtest.Server
	svc    *Service
	reg    *prometheus.Registry
	agent  *ent.Agent
	cust   *ent.Customer
	policy *ent.InsurancePolicy
}

func newRig(t *testing.T, db *store.DB, cfg Config, timeout time.Duration) *rig {
	t.Helper()
	r := &rig{f: newFx(t, db), fake: clock.NewFake(t0.Add(-time.Hour))}
	r.srv = fcmtest.New(fcmtest.Options{Clock: r.fake})
	t.Cleanup(r.srv.Close)
	sender, err := NewFCMSender(context.Background(), FCMConfig{ProjectID: "demo-proj", Endpoint: r.srv.URL, RequestTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	deps := testDeps(db, r.fake, sender)
	r.reg = deps.Registerer.(*prometheus.Registry)
	if r.svc, err = New(deps, cfg); err != nil {
		t.Fatal(err)
	}
	r.agent = r.f.agent("Asia/Shanghai", "zh-CN")
	r.cust = r.f.customer(&r.agent.ID, "王芳", false)
	r.policy = r.f.policy(r.cust.ID, ptr(day(2026, 4, 10)), nil)
	if _, err := r.svc.Scheduler.Plan(context.Background(), r.fake.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

// drain runs the worker at t0+offset.
func (r *rig) drain(t *testing.T, offset time.Duration) DrainStats {
	t.Helper()
	r.fake.Set(t0.Add(offset))
	st, err := r.svc.Worker.Drain(context.Background(), r.fake.Now())
	if err != nil {
		t.Fatalf("Drain: %v", err)
	}
	return st
}

// first returns the 30-day reminder.
func (r *rig) first(t *testing.T) *ent.Reminder {
	t.Helper()
	rm, err := r.f.db.Client.Reminder.Query().
		Where(reminder.PolicyID(r.policy.ID), reminder.WindowDays(30), reminder.RecipientKindEQ(reminder.RecipientKindAgent)).
		Only(r.f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rm
}

func (r *rig) attempts(t *testing.T, id uuid.UUID) []string {
	t.Helper()
	as, err := r.f.db.Client.DeliveryAttempt.Query().Where(deliveryattempt.ReminderID(id)).
		Order(ent.Asc(deliveryattempt.FieldAt), ent.Asc(deliveryattempt.FieldID)).All(r.f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Outcome.String()
		if a.ErrorCode != "" {
			out[i] += " " + a.ErrorCode
		}
		if a.RetryAfterSeconds > 0 {
			out[i] += fmt.Sprintf(" retry=%ds", a.RetryAfterSeconds)
		}
	}
	return out
}

// TestFCMSendsThroughTheRealSDK delivers one reminder to two devices and
// checks the messages, the records and the inbox.
func TestFCMSendsThroughTheRealSDK(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, DefaultConfig(), 0)
		zh := r.f.agentDevice(r.agent.ID, "tok-zh", "Asia/Shanghai", "zh-CN")
		en := r.f.agentDevice(r.agent.ID, "tok-en", "Asia/Shanghai", "en-US")
		if st := r.drain(t, -time.Second); st.Claimed != 0 {
			t.Fatalf("claimed %d before the send time", st.Claimed)
		}
		if st := r.drain(t, 0); st.Sent != 1 || st.Claimed != 1 {
			t.Fatalf("Drain = %+v, want one sent", st)
		}
		rm := r.first(t)
		if rm.Status != reminder.StatusSent || !strings.HasPrefix(rm.ProviderMessageID, "projects/demo-proj/messages/") ||
			rm.SentAt == nil || !rm.SentAt.Equal(t0) || rm.Attempts != 1 || rm.LeaseOwner != "" {
			t.Errorf("reminder = %+v", rm)
		}
		if diff := cmp.Diff([]string{"sent", "sent"}, r.attempts(t, rm.ID)); diff != "" {
			t.Errorf("attempts (-want +got):\n%s", diff)
		}

		key := keyOf(rm).String()
		wantData := map[string]string{
			"deep_link": "agentdesk://customers/" + r.cust.ID.String() + "/plan", "policy_id": r.policy.ID.String(),
			"customer_id": r.cust.ID.String(), "kind": "premium_due", "due_date": "2026-04-10", "window_days": "30",
			"reminder_id": rm.ID.String(), "reminder_key": key,
		}
		collapse := "policy-" + r.policy.ID.String()
		ttl := 24 * time.Hour
		msg := func(token, title, body string) *messaging.Message {
			return &messaging.Message{
				Token: token, Data: wantData,
				Notification: &messaging.Notification{Title: title, Body: body},
				Android: &messaging.AndroidConfig{CollapseKey: collapse, Priority: "high", TTL: &ttl,
					Notification: &messaging.AndroidNotification{Tag: collapse, ChannelID: "reminders"}},
				APNS: &messaging.APNSConfig{
					Headers: map[string]string{"apns-collapse-id": collapse, "apns-priority": "10", "apns-push-type": "alert",
						"apns-expiration": strconv.FormatInt(t0.Add(ttl).Unix(), 10)},
					Payload: &messaging.APNSPayload{Aps: &messaging.Aps{Sound: "default", ThreadID: collapse}, CustomData: map[string]any{}},
				},
				Webpush: &messaging.WebpushConfig{Headers: map[string]string{"TTL": "86400", "Urgency": "high",
					"Topic": strings.ReplaceAll(r.policy.ID.String(), "-", "")}},
			}
		}
		want := map[string]*messaging.Message{
			zh.Token: msg(zh.Token, "续期缴费提醒", "王芳的保单 "+r.policy.Number+" 将于 30 天后（2026-04-10）缴费。"),
			en.Token: msg(en.Token, "Premium due", "王芳's policy "+r.policy.Number+" has a premium due in 30 days (2026-04-10)."),
		}
		got := map[string]*messaging.Message{}
		for _, req := range r.srv.Accepted() {
			if req.Project != "demo-proj" || !req.At.Equal(t0) {
				t.Errorf("request project %q at %v", req.Project, req.At)
			}
			got[req.Token] = req.Message
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}

		inbox, err := db.Client.Notification.Query().Where(notification.AgentID(r.agent.ID)).All(r.f.ctx)
		if err != nil || len(inbox) != 1 {
			t.Fatalf("inbox = %v, %v; want one entry", inbox, err)
		}
		n := inbox[0]
		if n.DedupeKey == nil || *n.DedupeKey != key || rm.NotificationID == nil || *rm.NotificationID != n.ID ||
			n.Kind != notification.KindPremiumDue || n.Title != "续期缴费提醒" || n.DeepLink != wantData["deep_link"] ||
			n.Version < 1 {
			t.Errorf("inbox entry = %+v", n)
		}
		if r.drain(t, time.Hour).Claimed != 0 || len(r.srv.Requests()) != 2 {
			t.Errorf("a later drain sent again: %d requests", len(r.srv.Requests()))
		}
	})
}

// TestFCMOutcomes scripts FCM's answers and checks retries, Retry-After,
// disabled tokens and exhausted attempts.
func TestFCMOutcomes(t *testing.T) {
	type check struct {
		status   reminder.Status
		lastErr  string
		attempts []string
		enabled  bool
		reason   string // the device's disabled_reason
		requests int
	}
	tests := []struct {
		name    string
		script  []fcmtest.Outcome
		always  *fcmtest.Outcome // every request after the script
		max     int              // MaxAttempts, 0: default
		timeout time.Duration    // RequestTimeout, 0: default
		drains  []time.Duration  // offsets from t0
		want    check
	}{
		{name: "404 UNREGISTERED disables the device; the inbox holds the reminder",
			script: []fcmtest.Outcome{{Kind: fcmtest.Unregistered}}, drains: []time.Duration{0, time.Hour},
			want: check{status: reminder.StatusSent, lastErr: "UNREGISTERED", attempts: []string{"unregistered UNREGISTERED"},
				enabled: false, reason: "UNREGISTERED", requests: 1}},
		{name: "400 INVALID_ARGUMENT token disables the device",
			script: []fcmtest.Outcome{{Kind: fcmtest.InvalidArgument}}, drains: []time.Duration{0, time.Hour},
			want: check{status: reminder.StatusSent, lastErr: "INVALID_ARGUMENT", attempts: []string{"permanent_error INVALID_ARGUMENT"},
				enabled: false, reason: "INVALID_ARGUMENT", requests: 1}},
		{name: "429 with Retry-After is retried no earlier than it says",
			script: []fcmtest.Outcome{{Kind: fcmtest.TooManyRequests, RetryAfter: 120 * time.Second}},
			drains: []time.Duration{0, 119 * time.Second, 120 * time.Second},
			want: check{status: reminder.StatusSent, attempts: []string{"transient_error QUOTA_EXCEEDED retry=120s", "sent"},
				enabled: true, requests: 2}},
		{name: "503 with Retry-After is retried by the outbox, not the SDK",
			script: []fcmtest.Outcome{{Kind: fcmtest.Unavailable, RetryAfter: 300 * time.Second}},
			drains: []time.Duration{0, 299 * time.Second, 300 * time.Second},
			want: check{status: reminder.StatusSent, attempts: []string{"transient_error UNAVAILABLE retry=300s", "sent"},
				enabled: true, requests: 2}},
		{name: "500 INTERNAL is transient",
			script: []fcmtest.Outcome{{Kind: fcmtest.Internal}}, drains: []time.Duration{0, time.Hour},
			want: check{status: reminder.StatusSent, attempts: []string{"transient_error INTERNAL", "sent"}, enabled: true, requests: 2}},
		{name: "a timeout is transient",
			script:  []fcmtest.Outcome{{Kind: fcmtest.Slow, Delay: 3 * time.Second}},
			timeout: 200 * time.Millisecond, drains: []time.Duration{0, time.Hour},
			want: check{status: reminder.StatusSent, attempts: []string{"transient_error DEADLINE_EXCEEDED", "sent"},
				enabled: true, requests: 2}},
		{name: "exhausted retries fail with the reason",
			always: &fcmtest.Outcome{Kind: fcmtest.Unavailable}, max: 3,
			drains: []time.Duration{0, time.Hour, 2 * time.Hour, 3 * time.Hour},
			want: check{status: reminder.StatusFailed, lastErr: "UNAVAILABLE after 3 attempts",
				attempts: []string{"transient_error UNAVAILABLE", "transient_error UNAVAILABLE", "transient_error UNAVAILABLE"},
				enabled:  true, requests: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				cfg := DefaultConfig()
				if tc.max > 0 {
					cfg.MaxAttempts = tc.max
				}
				r := newRig(t, db, cfg, tc.timeout)
				dev := r.f.agentDevice(r.agent.ID, "tok", "Asia/Shanghai", "zh-CN")
				r.srv.Script(dev.Token, tc.script...)
				if tc.always != nil {
					r.srv.Script(dev.Token, *tc.always, *tc.always, *tc.always, *tc.always, *tc.always)
				}
				for _, d := range tc.drains {
					r.drain(t, d)
				}
				rm := r.first(t)
				d, err := db.Client.Device.Get(r.f.ctx, dev.ID)
				if err != nil {
					t.Fatal(err)
				}
				got := check{status: rm.Status, lastErr: rm.LastError, attempts: r.attempts(t, rm.ID),
					enabled: d.Enabled, reason: d.DisabledReason, requests: len(r.srv.Requests())}
				if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(check{})); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
				if n, err := db.Client.Notification.Query().Count(r.f.ctx); err != nil || n != 1 {
					t.Errorf("inbox entries = %d, %v; want 1", n, err)
				}
			})
		})
	}
}
