package push

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/deliveryattempt"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// reportRow is a report item as the test compares it.
type reportRow struct {
	Policy  string
	Kind    string
	Due     string
	AtRisk  bool
	Windows []string // "30 agent delivered 02-28 01:00 sent UNAVAILABLE via push"
}

func flatten(items []ReportItem, names map[uuid.UUID]string) []reportRow {
	out := make([]reportRow, 0, len(items))
	for _, it := range items {
		r := reportRow{Policy: names[it.PolicyID], Kind: string(it.DueKind), Due: it.DueDate.Format(time.DateOnly), AtRisk: it.AtRisk}
		for _, w := range it.Windows {
			s := strconv.Itoa(w.WindowDays) + " " + string(w.Recipient) + " " + string(w.Status)
			if w.ScheduledFor != nil {
				s += " " + w.ScheduledFor.UTC().Format("01-02 15:04")
			}
			if w.SentAt != nil {
				s += " sent"
			}
			if w.ErrorCode != nil {
				s += " " + *w.ErrorCode
			}
			if w.Channel != nil {
				s += " via " + string(*w.Channel)
			}
			r.Windows = append(r.Windows, s)
		}
		out = append(out, r)
	}
	return out
}

// TestReminderReport drives a small book through three weeks of daily runs
// and reads the report: delivered, inbox-only, failed, skipped, cancelled
// after a payment, never planned; filters and pages.
func TestReminderReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFx(t, db)
		var teams [2]*ent.Team
		f.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
			if teams[0], err = tx.Team.Create().SetName("A组").Save(ctx); err != nil {
				return err
			}
			teams[1], err = tx.Team.Create().SetName("B组").Save(ctx)
			return err
		})
		a, b, d := f.agent("Asia/Shanghai", "zh-CN"), f.agent("Asia/Shanghai", "zh-CN"), f.agent("Asia/Shanghai", "zh-CN")
		f.tx(func(ctx context.Context, tx *ent.Tx) error {
			if err := tx.Agent.Update().Where().SetTeamID(teams[0].ID).Exec(ctx); err != nil {
				return err
			}
			return tx.Agent.UpdateOneID(d.ID).SetTeamID(teams[1].ID).Exec(ctx)
		})
		f.agentDevice(a.ID, "good", "Asia/Shanghai", "zh-CN")
		f.agentDevice(b.ID, "bad", "Asia/Shanghai", "zh-CN")
		p1 := f.policy(f.customer(&a.ID, "甲", false).ID, ptr(day(2026, 4, 10)), nil)
		p3 := f.policy(f.customer(&b.ID, "丙", false).ID, nil, ptr(day(2026, 3, 18)))
		p5 := f.policy(f.customer(&a.ID, "戊", false).ID, ptr(day(2026, 3, 30)), nil)
		p6 := f.policy(f.customer(&d.ID, "己", false).ID, ptr(day(2026, 4, 5)), nil)
		names := map[uuid.UUID]string{p1.ID: "p1", p3.ID: "p3", p5.ID: "p5", p6.ID: "p6"}

		fake := clock.NewFake(utc(2026, 3, 1, 0, 0))
		sender := SenderFunc(func(_ context.Context, msgs []Message) []Result {
			out := make([]Result, len(msgs))
			for i, m := range msgs {
				out[i] = Result{Outcome: deliveryattempt.OutcomeSent, MessageID: "projects/p/messages/" + m.Data[dataReminderID]}
				if m.Token == "bad" {
					out[i] = Result{Outcome: deliveryattempt.OutcomeTransientError, ErrorCode: "UNAVAILABLE"}
				}
			}
			return out
		})
		cfg := DefaultConfig()
		cfg.MaxAttempts = 2
		svc, err := New(testDeps(db, fake, sender), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for at := utc(2026, 3, 1, 1, 0); !at.After(utc(2026, 3, 20, 1, 0)); at = at.AddDate(0, 0, 1) {
			if at.Day() == 15 { // p5's premium is paid before the run
				f.setPolicy(p5.ID, func(u *ent.InsurancePolicyUpdateOne) { u.SetNextPremiumDueDate(day(2026, 4, 30)) })
			}
			fake.Set(at)
			if _, err := svc.RunOnce(f.ctx, at); err != nil {
				t.Fatal(err)
			}
		}
		p4 := f.policy(f.customer(&a.ID, "丁", false).ID, ptr(day(2026, 4, 1)), nil) // never planned
		names[p4.ID] = "p4"
		fake.Set(utc(2026, 3, 20, 2, 0))

		all := []reportRow{
			{Policy: "p3", Kind: "renewal", Due: "2026-03-18", AtRisk: true, Windows: []string{
				"30 agent skipped 02-16 01:00 window_passed", "7 agent failed 03-11 01:00 UNAVAILABLE",
				"3 agent failed 03-15 01:00 UNAVAILABLE", "1 agent failed 03-17 01:00 UNAVAILABLE",
				"0 agent failed 03-18 01:00 UNAVAILABLE"}},
			{Policy: "p5", Kind: "premium", Due: "2026-03-30", Windows: []string{
				"30 agent delivered 02-28 01:00 sent via push", "7 agent cancelled 03-23 01:00 due_date_changed",
				"3 agent cancelled 03-27 01:00 due_date_changed", "1 agent cancelled 03-29 01:00 due_date_changed",
				"0 agent cancelled 03-30 01:00 due_date_changed"}},
			{Policy: "p4", Kind: "premium", Due: "2026-04-01", AtRisk: true, Windows: []string{
				"30 agent pending 03-02 01:00", "7 agent scheduled 03-25 01:00", "3 agent scheduled 03-29 01:00",
				"1 agent scheduled 03-31 01:00", "0 agent scheduled 04-01 01:00"}},
			{Policy: "p6", Kind: "premium", Due: "2026-04-05", Windows: []string{
				"30 agent sent 03-06 01:00 sent via inbox", "7 agent scheduled 03-29 01:00", "3 agent scheduled 04-02 01:00",
				"1 agent scheduled 04-04 01:00", "0 agent scheduled 04-05 01:00"}},
			{Policy: "p1", Kind: "premium", Due: "2026-04-10", Windows: []string{
				"30 agent delivered 03-11 01:00 sent via push", "7 agent scheduled 04-03 01:00", "3 agent scheduled 04-07 01:00",
				"1 agent scheduled 04-09 01:00", "0 agent scheduled 04-10 01:00"}},
		}
		from, to := day(2026, 3, 15), day(2026, 4, 15)
		bg := context.Background()
		admin := auth.WithViewer(bg, &auth.Viewer{Kind: auth.KindAgent, Role: auth.RoleAdmin, AgentID: uuid.New()})
		lead := auth.WithViewer(bg, &auth.Viewer{Kind: auth.KindAgent, Role: auth.RoleTeamLead, AgentID: b.ID, TeamID: &teams[0].ID})
		agentA := auth.WithViewer(bg, &auth.Viewer{Kind: auth.KindAgent, Role: auth.RoleAgent, AgentID: a.ID})
		integrator := auth.WithViewer(bg, &auth.Viewer{Kind: auth.KindIntegrator, ClientID: "bi", Scopes: []string{access.ReportsRead}})
		tests := []struct {
			name   string
			ctx    context.Context
			filter ReportFilter
			want   []reportRow
		}{
			{"admin, everyone", admin, ReportFilter{}, all},
			{"admin, one agent", admin, ReportFilter{AgentID: &a.ID}, []reportRow{all[1], all[2], all[4]}},
			{"admin, one team", admin, ReportFilter{TeamID: &teams[0].ID}, []reportRow{all[0], all[1], all[2], all[4]}},
			{"admin, other team", admin, ReportFilter{TeamID: &teams[1].ID}, []reportRow{all[3]}},
			{"team lead sees the team", lead, ReportFilter{}, []reportRow{all[0], all[1], all[2], all[4]}},
			{"agent sees the book", agentA, ReportFilter{}, []reportRow{all[1], all[2], all[4]}},
			{"integrator with reports:read", integrator, ReportFilter{}, all},
		}
		for _, tc := range tests {
			for _, limit := range []int{0, 1, 2} {
				var got []reportRow
				f := tc.filter
				f.Limit = limit
				for pages := 0; ; pages++ {
					rep, err := svc.ReminderReport(tc.ctx, from, to, f)
					if err != nil {
						t.Fatalf("%s: %v", tc.name, err)
					}
					got = append(got, flatten(rep.Items, names)...)
					if rep.NextCursor == nil || pages > 10 {
						break
					}
					f.Cursor = *rep.NextCursor
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s, limit %d: report mismatch (-want +got):\n%s", tc.name, limit, diff)
				}
			}
		}

		for _, bad := range []struct {
			from, to time.Time
			f        ReportFilter
		}{
			{to, from, ReportFilter{}},
			{from, from.AddDate(2, 0, 0), ReportFilter{}},
			{from, to, ReportFilter{Limit: 501}},
			{from, to, ReportFilter{Cursor: "nope"}},
		} {
			if _, err := svc.ReminderReport(admin, bad.from, bad.to, bad.f); apperr.KindOf(err) != apperr.KindInvalid {
				t.Errorf("ReminderReport(%v, %v, %+v) = %v, want invalid", bad.from, bad.to, bad.f, err)
			}
		}
	})
}

// TestWindowOfChannel: a sent reminder's status comes from its stored
// channel; rows sent before the channel was stored fall back on the
// provider's message id.
func TestWindowOfChannel(t *testing.T) {
	now := utc(2026, 3, 1, 0, 0)
	push, inbox := reminder.ChannelPush, reminder.ChannelInbox
	tests := []struct {
		name    string
		channel *reminder.Channel
		msgID   string
		want    WindowStatus
	}{
		{"push", &push, "projects/p/messages/1", WindowDelivered},
		{"push without a message id", &push, "", WindowDelivered},
		{"inbox", &inbox, "", WindowSent},
		{"inbox, a message id of an earlier attempt", &inbox, "projects/p/messages/1", WindowSent},
		{"before the channel: message id", nil, "projects/p/messages/1", WindowDelivered},
		{"before the channel: none", nil, "", WindowSent},
	}
	for _, tt := range tests {
		r := &ent.Reminder{Status: reminder.StatusSent, Channel: tt.channel, ProviderMessageID: tt.msgID,
			RecipientKind: reminder.RecipientKindAgent, ScheduledFor: now, SentAt: &now}
		w := windowOf(r, now)
		if w.Status != tt.want || (tt.channel == nil) != (w.Channel == nil) || (tt.channel != nil && *w.Channel != *tt.channel) {
			t.Errorf("%s: status %s channel %v, want %s %v", tt.name, w.Status, w.Channel, tt.want, tt.channel)
		}
	}
}
