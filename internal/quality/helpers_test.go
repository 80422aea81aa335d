package quality_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
)

var cst = quality.DefaultLocation()

// local returns a time of the Shanghai wall clock.
func local(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, cst).UTC()
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func ptr[T any](v T) *T { return &v }

// official2026 is part of China's official 2026 calendar (State Council
// notice): 春节 and 国庆 with their 调休 working weekend days, and 元旦.
func official2026() []quality.Day {
	var days []quality.Day
	add := func(working bool, note string, ds ...time.Time) {
		for _, d := range ds {
			days = append(days, quality.Day{Date: d, WorkingDay: working, Note: note})
		}
	}
	add(false, "元旦", date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3))
	add(true, "元旦调休上班", date(2026, 1, 4))
	add(true, "春节调休上班", date(2026, 2, 14), date(2026, 2, 28))
	for d := 15; d <= 23; d++ {
		add(false, "春节", date(2026, 2, d))
	}
	add(true, "国庆节调休上班", date(2026, 9, 20), date(2026, 10, 10))
	add(false, "中秋节", date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27))
	for d := 1; d <= 7; d++ {
		add(false, "国庆节", date(2026, 10, d))
	}
	return days
}

// fixture is a team with an agent, two of the agent's customers and a
// policy of the first, and a Service whose clock stands at now.
type fixture struct {
	db        *store.DB
	svc       *quality.Service
	clock     *clock.Fake
	ctx       context.Context
	agent     uuid.UUID
	customer  uuid.UUID
	customer2 uuid.UUID
	policy    uuid.UUID
}

func newFixture(t *testing.T, db *store.DB, now time.Time) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: clock.NewFake(now), ctx: auth.SystemContext(context.Background())}
	f.svc = quality.NewService(db, quality.NewCalendar(cst, official2026()...), f.clock)
	err := db.WithTx(f.ctx, func(ctx context.Context, tx *ent.Tx) error {
		team := tx.Team.Create().SetName("A组").SaveX(ctx)
		ag := tx.Agent.Create().SetUsername("agent1").SetPasswordHash("x").SetTeamID(team.ID).SaveX(ctx)
		f.agent = ag.ID
		f.customer = tx.Customer.Create().SetName("王芳").SetAgentID(ag.ID).SaveX(ctx).ID
		f.customer2 = tx.Customer.Create().SetName("李强").SetAgentID(ag.ID).SaveX(ctx).ID
		f.policy = tx.InsurancePolicy.Create().SetCustomerID(f.customer).SetNumber("P1").
			SetLine(insurancepolicy.LineHealth).SetPremiumCents(100).SetStartDate(date(2025, 1, 1)).SaveX(ctx).ID
		return nil
	})
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return f
}

// problem describes an error as its kind and field names, for cmp.Diff.
type problem struct {
	Kind   string
	Fields []string
}

func problemOf(err error) problem {
	if err == nil {
		return problem{}
	}
	e, ok := apperr.As(err)
	if !ok {
		return problem{Kind: "untyped: " + err.Error()}
	}
	p := problem{Kind: e.Kind.String()}
	for _, f := range e.Fields {
		p.Fields = append(p.Fields, f.Field)
	}
	return p
}
