package httpapi_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/config"
	"github.com/agentdesk/agentdesk/internal/push/fcmtest"
)

// duePolicy loads an active policy of a customer renewing on renewal.
func duePolicy(t *testing.T, e *apptest.Env, customerID uuid.UUID, number string, renewal time.Time) *ent.InsurancePolicy {
	t.Helper()
	var p *ent.InsurancePolicy
	err := e.App.DB.WithTx(apptest.Sys(), func(ctx context.Context, tx *ent.Tx) (err error) {
		p, err = tx.InsurancePolicy.Create().SetCustomerID(customerID).SetNumber(number).SetLine(insurancepolicy.LineLife).
			SetPremiumCents(100000).SetStartDate(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)).
			SetRenewalDate(renewal).Save(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// reminderReport asks for the report and answers the status and the page.
func reminderReport(t *testing.T, e *apptest.Env, token, query string) (int, api.ReminderReport) {
	t.Helper()
	res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/reports/reminders" + query, Token: token})
	var r api.ReminderReport
	if res.Status == 200 {
		res.JSON(t, &r)
	}
	return res.Status, r
}

func reportedPolicies(r api.ReminderReport) []string {
	out := []string{}
	for _, it := range r.Items {
		out = append(out, it.PolicyNumber)
	}
	slices.Sort(out)
	return out
}

func TestReminderReportScope(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		renewal := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
		for _, a := range []string{"agent1", "agent2", "agent3"} {
			c := pushCustomer(t, e, tm.ids[a], "客户"+a, false)
			duePolicy(t, e, c.ID, "P-"+a, renewal)
		}
		teamB := *e.Agent(t, "agent3", "", "").TeamID
		reports := e.IntegratorToken(t, "bi", "reports:read")
		crm := e.IntegratorToken(t, "crm", "customers:read")
		tests := []struct {
			name, token, query string
			want               int
			policies           []string
		}{
			{"agent: own", tm.agent1, "", 200, []string{"P-agent1"}},
			{"agent: self by id", tm.agent1, "?agent_id=" + tm.ids["agent1"].String(), 200, []string{"P-agent1"}},
			{"agent: another", tm.agent1, "?agent_id=" + tm.ids["agent2"].String(), 403, nil},
			{"agent: a team", tm.agent1, "?team_id=" + teamB.String(), 403, nil},
			{"lead: team", tm.lead1, "", 200, []string{"P-agent1", "P-agent2"}},
			{"lead: member", tm.lead1, "?agent_id=" + tm.ids["agent2"].String(), 200, []string{"P-agent2"}},
			{"lead: other team", tm.lead1, "?team_id=" + teamB.String(), 403, nil},
			{"admin: all", tm.admin, "", 200, []string{"P-agent1", "P-agent2", "P-agent3"}},
			{"admin: team", tm.admin, "?team_id=" + teamB.String(), 200, []string{"P-agent3"}},
			{"admin: unknown team", tm.admin, "?team_id=" + uuid.NewString(), 400, nil},
			{"integrator with reports:read", reports, "", 200, []string{"P-agent1", "P-agent2", "P-agent3"}},
			{"integrator without", crm, "", 403, nil},
			{"period before the date", tm.admin, "?from=2026-11-23&to=2026-12-09", 200, []string{}},
			{"period with the date", tm.admin, "?from=2026-12-10&to=2026-12-10", 200, []string{"P-agent1", "P-agent2", "P-agent3"}},
			{"to before from", tm.admin, "?from=2026-12-10&to=2026-12-01", 400, nil},
			{"bad cursor", tm.admin, "?cursor=nonsense", 400, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, r := reminderReport(t, e, tt.token, tt.query)
				if status != tt.want {
					t.Fatalf("status %d, want %d", status, tt.want)
				}
				if tt.want == 200 {
					if diff := cmp.Diff(tt.policies, reportedPolicies(r)); diff != "" {
						t.Errorf("policies (-want +got):\n%s", diff)
					}
				}
			})
		}

		// Nothing ran yet: every window is listed from the configuration,
		// for the agent; the 30-day one (2026-11-10) is late, so the date
		// is at risk.
		_, r := reminderReport(t, e, tm.agent1, "")
		it := r.Items[0]
		if it.DueKind != api.ReminderItemDueKindRenewal || it.DueDate.Time != renewal || it.CustomerName != "客户agent1" || !it.AtRisk {
			t.Errorf("item = %+v", it)
		}
		status := map[int32]api.ReminderStatus{}
		for _, w := range it.Windows {
			status[w.WindowDays] = w.Status
			if w.Recipient != api.ReminderWindowRecipientAgent || w.ScheduledFor == nil {
				t.Errorf("window = %+v", w)
			}
		}
		want := map[int32]api.ReminderStatus{30: api.ReminderStatusPending, 7: api.ReminderStatusScheduled,
			3: api.ReminderStatusScheduled, 1: api.ReminderStatusScheduled, 0: api.ReminderStatusScheduled}
		if diff := cmp.Diff(want, status); diff != "" {
			t.Errorf("windows (-want +got):\n%s", diff)
		}

		// Pages.
		code, first := reminderReport(t, e, tm.admin, "?limit=2")
		if code != 200 || len(first.Items) != 2 || first.NextCursor == nil {
			t.Fatalf("first page: %d %+v", code, first)
		}
		_, second := reminderReport(t, e, tm.admin, "?limit=2&cursor="+url.QueryEscape(*first.NextCursor))
		if len(second.Items) != 1 || second.NextCursor != nil {
			t.Fatalf("second page: %+v", second)
		}
	})
}

// TestRemindersEndToEnd registers an agent's device over HTTP, lets the
// server's reminder service run once against a fake FCM endpoint, and
// finds exactly one push, the inbox entry and the report saying so.
func TestRemindersEndToEnd(t *testing.T) {
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(dial, func(t *testing.T) {
			fcm := fcmtest.New(fcmtest.Options{})
			t.Cleanup(fcm.Close)
			e := apptest.NewWith(t, dial, func(c *config.Config) { c.FCMEndpoint = fcm.URL })
			tm := newTeam(t, e)
			registerDevice(t, e, tm.agent1, map[string]any{"token": "agent1-phone", "platform": "android", "locale": "zh-CN"}, 201)
			c := pushCustomer(t, e, tm.ids["agent1"], "王芳", false)
			// Due in 3 days, in Shanghai: the 3-day window's 09:00 passed an
			// hour ago (the clock starts at 10:00 there), so it goes now.
			renewal := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
			p := duePolicy(t, e, c.ID, "P20260001", renewal)

			st, err := e.App.Reminders.RunOnce(context.Background(), e.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if st.Drain.Sent != 1 || st.Drain.Failed != 0 {
				t.Fatalf("run: %+v", st)
			}
			got := fcm.Accepted()
			if len(got) != 1 {
				t.Fatalf("FCM accepted %d pushes, want 1", len(got))
			}
			m := got[0].Message
			if got[0].Token != "agent1-phone" || m.Data["policy_id"] != p.ID.String() || m.Data["kind"] != "renewal_due" ||
				m.Data["window_days"] != "3" || m.Notification == nil || !strings.Contains(m.Notification.Body, "王芳") {
				t.Errorf("push = token %q %+v", got[0].Token, m)
			}

			// In the inbox, with the same deep link.
			page := inbox(t, e, tm.agent1, "?unread=true")
			if len(page.Items) != 1 {
				t.Fatalf("inbox = %+v", page)
			}
			n := page.Items[0]
			if n.Kind != api.NotificationKindRenewalDue || n.PolicyId == nil || *n.PolicyId != p.ID || n.CustomerId == nil ||
				*n.CustomerId != c.ID || n.DeepLink == nil || *n.DeepLink != m.Data["deep_link"] {
				t.Errorf("inbox entry = %+v", n)
			}
			if others := inbox(t, e, tm.agent2, ""); len(others.Items) != 0 {
				t.Errorf("agent2's inbox = %+v", others)
			}

			// Running again, later, sends nothing more.
			e.Clock.Advance(10 * time.Minute)
			if _, err := e.App.Reminders.RunOnce(context.Background(), e.Clock.Now()); err != nil {
				t.Fatal(err)
			}
			if n := len(fcm.Requests()); n != 1 {
				t.Errorf("FCM received %d requests after a second run, want 1", n)
			}

			// The report shows the window delivered and the passed ones skipped.
			_, r := reminderReport(t, e, e.Token(t, e.Agent(t, "agent1", "", "")), "?from=2026-11-26&to=2026-11-26")
			if len(r.Items) != 1 {
				t.Fatalf("report = %+v", r)
			}
			status := map[int32]api.ReminderStatus{}
			for _, w := range r.Items[0].Windows {
				status[w.WindowDays] = w.Status
			}
			want := map[int32]api.ReminderStatus{30: api.ReminderStatusSkipped, 7: api.ReminderStatusSkipped,
				3: api.ReminderStatusDelivered, 1: api.ReminderStatusScheduled, 0: api.ReminderStatusScheduled}
			if diff := cmp.Diff(want, status); diff != "" {
				t.Errorf("windows (-want +got):\n%s", diff)
			}
			res := e.Do(t, apptest.Request{Method: "GET", Path: "/metrics"})
			if !strings.Contains(string(res.Body), "agentdesk_reminders_sent_total") {
				t.Error("/metrics lacks the reminder metrics")
			}
		})
	}
}
