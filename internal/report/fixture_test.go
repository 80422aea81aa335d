package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
)

// utc parses an RFC 3339 time.
func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func day(s string) time.Time { return utc(s + "T00:00:00Z") }

func ptr[T any](v T) *T { return &v }

// now is when the fixture's reports are made: Sunday 1 March 2026, 08:00
// in Shanghai, the morning after the February period.
var now = utc("2026-03-01T00:00:00Z")

// world is the fixture: two teams, three agents in three time zones, their
// customers and every kind of event at the edges of the KPIs. Each event
// is commented with its outcome in February 2026 (Shanghai); the figures
// in report_test.go are counted by hand from these comments.
type world struct {
	t1, t2     uuid.UUID
	a1, a2, b1 uuid.UUID // a1 Shanghai and a2 Berlin in team 1, b1 New York in team 2
}

func build(t *testing.T, db *store.DB) world {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	clk := clock.NewFake(now)
	cal, err := quality.LoadCalendar(ctx, db, quality.CalendarOptions{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	// 春节 2026: 14 and 28 February are 调休 working Saturdays, 15–23
	// February are holidays.
	if _, err := cal.SetDay(ctx, day("2026-02-14"), true, "春节调休上班"); err != nil {
		t.Fatal(err)
	}
	if _, err := cal.SetDay(ctx, day("2026-02-28"), true, "春节调休上班"); err != nil {
		t.Fatal(err)
	}
	for d := 15; d <= 23; d++ {
		if _, err := cal.SetDay(ctx, time.Date(2026, 2, d, 0, 0, 0, 0, time.UTC), false, "春节"); err != nil {
			t.Fatal(err)
		}
	}
	cal, err = quality.LoadCalendar(ctx, db, quality.CalendarOptions{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	svc := quality.NewService(db, cal, clk)

	var (
		w                           world
		cA1, cA2, cB1               uuid.UUID
		polA1, polA2, polB1, itemID uuid.UUID
	)
	jan1 := utc("2026-01-01T00:00:00Z")
	must(t, db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		w.t1 = tx.Team.Create().SetName("一组").SaveX(ctx).ID
		w.t2 = tx.Team.Create().SetName("二组").SaveX(ctx).ID
		agent := func(name, tz string, team uuid.UUID) uuid.UUID {
			return tx.Agent.Create().SetUsername(name).SetPasswordHash("x").SetTeamID(team).SetTimeZone(tz).SaveX(ctx).ID
		}
		w.a1 = agent("a1", "Asia/Shanghai", w.t1)
		w.a2 = agent("a2", "Europe/Berlin", w.t1)
		w.b1 = agent("b1", "America/New_York", w.t2)
		customer := func(name string, ag *uuid.UUID, created time.Time) uuid.UUID {
			return tx.Customer.Create().SetName(name).SetNillableAgentID(ag).SetCreatedAt(created).SaveX(ctx).ID
		}
		plan := func(c uuid.UUID, created time.Time) {
			tx.ServicePlan.Create().SetCustomerID(c).SetCreatedAt(created).SetGeneratedAt(created).SaveX(ctx)
		}
		// Standard suggestion rate at the end of February.
		cA1 = customer("cA1", &w.a1, jan1) // plan: yes
		plan(cA1, utc("2026-01-15T00:00:00Z"))
		customer("cA1b", &w.a1, utc("2026-02-28T16:00:00Z")) // created at the period's end: not counted
		cA1c := customer("cA1c", &w.a1, jan1)                // plan made at the period's end: no
		plan(cA1c, utc("2026-02-28T16:00:00Z"))
		cE := customer("cE", &w.a1, jan1) // erased: not counted
		tx.Customer.UpdateOneID(cE).SetErasedAt(jan1).ExecX(ctx)
		plan(cE, jan1)
		cA2 = customer("cA2", &w.a2, jan1) // plan: yes
		plan(cA2, jan1)
		cB1 = customer("cB1", &w.b1, jan1) // no plan
		cX := customer("cX", nil, jan1)    // no agent, no plan

		policy := func(c uuid.UUID, n string, start time.Time, renewal *time.Time, st insurancepolicy.Status) uuid.UUID {
			return tx.InsurancePolicy.Create().SetCustomerID(c).SetNumber(n).SetLine(insurancepolicy.LineHealth).
				SetPremiumCents(100000).SetStartDate(start).SetNillableRenewalDate(renewal).SetStatus(st).SaveX(ctx).ID
		}
		polA1 = policy(cA1, "PA1", day("2024-06-01"), nil, insurancepolicy.StatusActive)
		polA2 = policy(cA2, "PA2", day("2024-06-01"), nil, insurancepolicy.StatusActive)
		polB1 = policy(cB1, "PB1", day("2024-06-01"), nil, insurancepolicy.StatusActive)
		// Renewals: the policies as they stand, and the renewals recorded
		// when their dates moved on. February's previous period is 4–31
		// January.
		renewed := func(pol uuid.UUID, c uuid.UUID, due, to string) {
			tx.PolicyRenewal.Create().SetPolicyID(pol).SetCustomerID(c).SetDueDate(day(due)).SetRenewedTo(day(to)).
				SetRecordedAt(utc("2026-01-01T00:00:00Z")).SaveX(ctx)
		}
		p1 := policy(cA1, "p1", day("2025-02-10"), ptr(day("2027-02-10")), insurancepolicy.StatusActive) // Feb: renewed
		renewed(p1, cA1, "2026-02-10", "2027-02-10")
		policy(cA1, "p2", day("2025-02-15"), ptr(day("2026-02-15")), insurancepolicy.StatusLapsed)       // Feb: not renewed
		policy(cA1, "p3", day("2026-02-20"), ptr(day("2027-02-20")), insurancepolicy.StatusActive)       // new business: neither
		p4 := policy(cA1, "p4", day("2024-01-20"), ptr(day("2027-01-20")), insurancepolicy.StatusActive) // Jan: renewed
		renewed(p4, cA1, "2025-01-20", "2026-01-20")                                                     // a year before: neither
		renewed(p4, cA1, "2026-01-20", "2027-01-20")
		policy(cA1, "p5", day("2025-01-10"), ptr(day("2026-01-10")), insurancepolicy.StatusLapsed)       // Jan: not renewed
		p6 := policy(cA1, "p6", day("2025-01-02"), ptr(day("2027-01-02")), insurancepolicy.StatusActive) // before 4 Jan: neither
		renewed(p6, cA1, "2026-01-02", "2027-01-02")
		p7 := policy(cA1, "p7", day("2025-02-28"), ptr(day("2027-02-28")), insurancepolicy.StatusActive) // Feb: renewed
		renewed(p7, cA1, "2026-02-28", "2027-02-28")
		// A two-year term: its date moved two years on (the history counts
		// it where "a year on" would not).
		p8 := policy(cA1, "p8", day("2024-02-18"), ptr(day("2028-02-18")), insurancepolicy.StatusActive) // Feb: renewed
		renewed(p8, cA1, "2026-02-18", "2028-02-18")
		// Loaded already renewed, with no renewal seen: neither.
		policy(cA1, "p10", day("2025-02-12"), ptr(day("2027-02-12")), insurancepolicy.StatusActive)
		policy(cA2, "p9", day("2025-02-05"), ptr(day("2026-02-05")), insurancepolicy.StatusGrace)     // Feb: not renewed
		policy(cX, "pX", day("2025-01-15"), ptr(day("2026-01-15")), insurancepolicy.StatusTerminated) // Jan: not renewed

		itemID = tx.ToolkitItem.Create().SetKey("consult").SetKind(toolkititem.KindScript).
			SetScenario(toolkititem.ScenarioConsultation).SetTitle("咨询话术").
			SetStatus(toolkititem.StatusPublished).SetRevision(1).SaveX(ctx).ID

		// Key-node coverage: tasks of plan steps due in February.
		taskAt := func(c uuid.UUID, ag *uuid.UUID, step bool, due string, st task.Status, done string) {
			b := tx.Task.Create().SetCustomerID(c).SetNillableAgentID(ag).SetTitle("step").
				SetDueAt(utc(due)).SetStatus(st)
			if step {
				b.SetPlanStepID(uuid.New())
			}
			if done != "" {
				b.SetCompletedAt(utc(done))
			}
			b.SaveX(ctx)
		}
		taskAt(cA1, &w.a1, true, "2026-02-10T10:00:00Z", task.StatusDone, "2026-02-10T09:00:00Z") // covered
		taskAt(cA1, &w.a1, true, "2026-02-11T10:00:00Z", task.StatusDone, "2026-02-11T10:00:00Z") // covered (at the due time)
		taskAt(cA1, &w.a1, true, "2026-02-12T10:00:00Z", task.StatusDone, "2026-02-12T10:00:01Z") // late
		taskAt(cA1, &w.a1, true, "2026-02-13T10:00:00Z", task.StatusSkipped, "")                  // skipped
		taskAt(cA1, &w.a1, true, "2026-02-28T15:00:00Z", task.StatusTodo, "")                     // missed
		taskAt(cA1, &w.a1, true, "2026-03-01T02:00:00Z", task.StatusTodo, "")                     // March
		taskAt(cA1, &w.a1, false, "2026-02-15T00:00:00Z", task.StatusTodo, "")                    // not a plan step
		taskAt(cA2, &w.a2, true, "2026-02-20T00:00:00Z", task.StatusDone, "2026-02-19T00:00:00Z") // covered
		taskAt(cX, nil, true, "2026-02-20T00:00:00Z", task.StatusDone, "2026-02-19T00:00:00Z")    // covered, nobody's

		// Consultation c11 came from an old import without agent: it is the
		// customer's agent's (a1). Answered after 1 h.
		tx.Interaction.Create().SetCustomerID(cA1).SetChannel(interaction.ChannelPhone).SetType(interaction.TypeConsultation).
			SetContent("c11").SetReceivedAt(utc("2026-02-11T02:00:00Z")).SetFirstResponseAt(utc("2026-02-11T03:00:00Z")).SaveX(ctx)
		// An NPS answer without agent: a1's through the customer.
		tx.NpsAnswer.Create().SetCustomerID(cA1).SetScore(7).SetAnsweredAt(utc("2026-02-06T00:00:00Z")).SaveX(ctx)
		return nil
	}))

	interact := func(c uuid.UUID, typ interaction.Type, received string, firstResponse string, toolkit bool, answers *uuid.UUID) uuid.UUID {
		t.Helper()
		in := quality.InteractionInput{CustomerID: c, Channel: "wechat", Type: typ, Content: received,
			ReceivedAt: ptr(utc(received)), AnswersInteractionID: answers}
		if firstResponse != "" {
			in.FirstResponseAt = ptr(utc(firstResponse))
		}
		if toolkit {
			in.ToolkitItemIDs = []uuid.UUID{itemID}
		}
		row, err := svc.RecordInteraction(ctx, in)
		must(t, err)
		return row.ID
	}
	const consult, revisit = interaction.TypeConsultation, interaction.TypeRevisit
	interact(cA1, consult, "2026-02-02T01:00:00Z", "2026-02-02T13:00:00Z", true, nil)  // c1: exactly 12 h
	interact(cA1, consult, "2026-02-03T01:00:00Z", "2026-02-03T13:00:01Z", false, nil) // c2: 12 h 1 s
	interact(cA1, consult, "2026-02-04T01:00:00Z", "2026-02-04T01:05:00Z", false, nil) // c3: exactly 5 min
	interact(cA1, consult, "2026-02-05T01:00:00Z", "", false, nil)                     // c4: never answered
	interact(cA1, consult, "2026-02-28T15:00:00Z", "", false, nil)                     // c5: 9 h old, 12 h clock running
	interact(cA1, consult, "2026-01-31T15:59:59Z", "2026-01-31T16:00:59Z", true, nil)  // c6: 31 Jan 23:59:59 CST: January
	c7 := interact(cA1, consult, "2026-01-31T16:00:00Z", "", false, nil)               // c7: 1 Feb 00:00 CST, answered by a7
	interact(cA1, consult, "2026-01-31T16:02:00Z", "", true, &c7)                      // a7: answers c7 after 2 min
	interact(cA1, revisit, "2026-02-12T02:00:00Z", "", true, nil)                      // r1
	interact(cA1, revisit, "2026-02-13T02:00:00Z", "", false, nil)                     // r2
	interact(cA2, consult, "2026-02-28T15:30:00Z", "2026-02-28T15:33:00Z", false, nil) // c8: 3 min; 16:30 in Berlin
	interact(cA2, consult, "2026-02-28T16:30:00Z", "2026-02-28T16:31:00Z", false, nil) // c9: 1 Mar in Shanghai, 28 Feb in Berlin
	interact(cB1, consult, "2026-02-10T02:00:00Z", "2026-02-10T02:01:00Z", true, nil)  // c10: 1 min

	// Claims: accepted within 72 h; settled (paid or closed) in February.
	type step struct {
		tr quality.ClaimTransition
		at string
	}
	fileClaim := func(c, pol uuid.UUID, filed string, decision claim.Decision, steps ...step) {
		t.Helper()
		k, err := svc.OpenClaim(ctx, quality.ClaimInput{CustomerID: c, PolicyID: pol, Description: filed, FiledAt: ptr(utc(filed))})
		must(t, err)
		for _, s := range steps {
			f := quality.ClaimFields{At: ptr(utc(s.at))}
			switch s.tr {
			case quality.ClaimDecide:
				f.Decision = &decision
			case quality.ClaimPay:
				f.AmountPaidCents = ptr(int64(100))
			}
			k, err = svc.TransitionClaim(ctx, k.ID, k.Version, s.tr, f)
			must(t, err)
		}
	}
	all := func(accept, docs, decide, pay, close string) []step {
		var out []step
		for _, s := range []step{{"accept", accept}, {"documents_complete", docs}, {"decide", decide}, {"pay", pay}, {"close", close}} {
			if s.at != "" {
				out = append(out, s)
			}
		}
		return out
	}
	// k1: accepted at exactly 72 h; paid after 6 days.
	fileClaim(cA1, polA1, "2026-02-02T02:00:00Z", claim.DecisionApproved,
		all("2026-02-05T02:00:00Z", "2026-02-06T02:00:00Z", "2026-02-07T02:00:00Z", "2026-02-08T02:00:00Z", "2026-02-09T02:00:00Z")...)
	// k2: accepted 1 s late; declined and closed after 10 days.
	fileClaim(cA1, polA1, "2026-02-03T02:00:00Z", claim.DecisionDeclined,
		all("2026-02-06T02:00:01Z", "2026-02-08T02:00:00Z", "2026-02-10T02:00:00Z", "", "2026-02-13T02:00:00Z")...)
	fileClaim(cA1, polA1, "2026-02-27T02:00:00Z", "") // k3: acceptance due 2 March: running
	fileClaim(cA1, polA1, "2026-02-20T02:00:00Z", "") // k4: never accepted: late
	// k5: filed in January, paid in February after 9 days.
	fileClaim(cA1, polA1, "2026-01-25T02:00:00Z", claim.DecisionApproved,
		all("2026-01-26T02:00:00Z", "2026-01-28T02:00:00Z", "2026-02-01T02:00:00Z", "2026-02-03T02:00:00Z", "")...)
	// k6: a2's, accepted after 1 day, paid after 4.5 days.
	fileClaim(cA2, polA2, "2026-02-10T00:00:00Z", claim.DecisionApproved,
		all("2026-02-11T00:00:00Z", "2026-02-12T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-14T12:00:00Z", "")...)
	// k7: b1's, accepted after 1 day, open.
	fileClaim(cB1, polB1, "2026-02-10T00:00:00Z", "", step{"accept", "2026-02-11T00:00:00Z"})

	// Complaints, with due times from the calendar.
	complain := func(c uuid.UUID, received string, steps ...[2]string) {
		t.Helper()
		k, err := svc.OpenComplaint(ctx, quality.ComplaintInput{CustomerID: c, Category: complaint.CategoryClaimTimeliness,
			Summary: received, ReceivedAt: ptr(utc(received))})
		must(t, err)
		for _, s := range steps {
			f := quality.ComplaintFields{At: ptr(utc(s[1])), Resolution: ptr("已处理"), RootCause: ptr("流程"), CorrectiveAction: ptr("培训")}
			k, err = svc.TransitionComplaint(ctx, k.ID, k.Version, quality.ComplaintTransition(s[0]), f)
			must(t, err)
		}
	}
	// m1: Friday 13 Feb 10:00 CST; ack due Sat 14 10:00 (met exactly);
	// answer due Tue 24 10:00 (调休 Saturday counts, 春节 not; met exactly);
	// close due Mon 2 Mar 10:00 (met).
	complain(cA1, "2026-02-13T02:00:00Z", [2]string{"acknowledge", "2026-02-14T02:00:00Z"},
		[2]string{"investigate", "2026-02-14T03:00:00Z"}, [2]string{"resolve", "2026-02-24T02:00:00Z"},
		[2]string{"close", "2026-02-27T02:00:00Z"})
	// m2: Saturday 7 Feb 15:00 CST, so the working-day clocks start Monday:
	// answer due Wed 11 Feb 00:00 CST (missed by 1 s), close due Wed 25 Feb
	// 00:00 CST (met); acknowledged 1 min late.
	complain(cA1, "2026-02-07T07:00:00Z", [2]string{"acknowledge", "2026-02-08T07:01:00Z"},
		[2]string{"investigate", "2026-02-09T00:00:00Z"}, [2]string{"resolve", "2026-02-10T16:00:01Z"},
		[2]string{"close", "2026-02-24T15:00:00Z"})
	// m3: Friday 27 Feb 09:00 CST, never acknowledged (late); answer due Mon
	// 2 Mar (Sat 28 is a 调休 working day): running.
	complain(cA1, "2026-02-27T01:00:00Z")
	// m4: Saturday 28 Feb 18:00 CST: every clock running.
	complain(cA1, "2026-02-28T10:00:00Z")
	// m5: a2's, Friday 23:00 in Berlin = Sat 21 Feb 06:00 CST in 春节: the
	// clocks start Tue 24; answer due Thu 26 00:00 CST (met); close running.
	complain(cA2, "2026-02-20T22:00:00Z", [2]string{"acknowledge", "2026-02-21T20:00:00Z"},
		[2]string{"investigate", "2026-02-22T00:00:00Z"}, [2]string{"resolve", "2026-02-25T15:00:00Z"})
	// m6: b1's, acknowledged, never answered nor closed: both late.
	complain(cB1, "2026-02-03T02:00:00Z", [2]string{"acknowledge", "2026-02-03T03:00:00Z"})

	// NPS: a1 10, 9, 9, 3 (and the 7 above); a2 6; b1 10; a 10 at the
	// period's end (March).
	for _, a := range []struct {
		c     uuid.UUID
		score int
		at    string
	}{
		{cA1, 10, "2026-02-05T00:00:00Z"}, {cA1, 9, "2026-02-05T01:00:00Z"}, {cA1, 9, "2026-02-05T02:00:00Z"},
		{cA1, 3, "2026-02-05T03:00:00Z"}, {cA1, 10, "2026-02-28T16:00:00Z"},
		{cA2, 6, "2026-02-10T00:00:00Z"}, {cB1, 10, "2026-02-10T00:00:00Z"},
	} {
		_, err := svc.RecordNPS(ctx, quality.NPSInput{CustomerID: a.c, Score: a.score, AnsweredAt: ptr(utc(a.at))})
		must(t, err)
	}
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
