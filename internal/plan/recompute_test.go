package plan_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/portrait"
	"github.com/agentdesk/agentdesk/ent/serviceplan"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/portrait/portraittest"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// versions returns the portrait and plan versions of a customer.
func versions(t *testing.T, db *store.DB, id uuid.UUID) [2]int64 {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	p, err := db.Client.Portrait.Query().Where(portrait.CustomerID(id)).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := db.Client.ServicePlan.Query().Where(serviceplan.CustomerID(id)).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return [2]int64{p.Version, sp.Version}
}

// builtinsAndAgent installs the built-in rules and seeds an agent.
func builtinsAndAgent(t *testing.T, db *store.DB) (*portraittest.Seed, *ent.Agent) {
	t.Helper()
	seed := portraittest.New(t, db)
	if _, err := plan.EnsureBuiltins(seed.Ctx(), db); err != nil {
		t.Fatal(err)
	}
	return seed, seed.Agent("Asia/Shanghai")
}

func runOnce(t *testing.T, r *plan.Recomputer) plan.Stats {
	t.Helper()
	st, err := r.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return st
}

func TestRecomputerRecomputesOnlyWhatChanged(t *testing.T) {
	clk := clock.NewFake(noon(2026, 3, 18, "Asia/Shanghai"))
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		seed, ag := builtinsAndAgent(t, db)
		var customers []*ent.Customer
		var policies []*ent.InsurancePolicy
		for range 3 {
			cu := seed.Customer(ag, portraittest.Day(2026, 1, 1), nil)
			policies = append(policies, seed.Policy(cu, portraittest.Day(2025, 6, 1), func(c *ent.InsurancePolicyCreate) {
				c.SetNextPremiumDueDate(portraittest.Day(2026, 3, 20))
			}))
			seed.Interaction(cu, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), "咨询")
			customers = append(customers, cu)
		}
		r := plan.NewRecomputer(db, clk, slog.New(slog.NewTextHandler(io.Discard, nil)), 2)
		r.BatchSize = 2

		st := runOnce(t, r)
		if !st.Swept || st.Customers != 3 || st.PortraitsWritten != 3 || st.PlansWritten != 3 {
			t.Fatalf("first run = %+v, want a sweep of 3", st)
		}
		if st := runOnce(t, r); st.Customers != 0 || st.Swept {
			t.Errorf("idle run = %+v", st)
		}

		// One customer's policy goes into grace: only that customer.
		before := [3][2]int64{versions(t, db, customers[0].ID), versions(t, db, customers[1].ID), versions(t, db, customers[2].ID)}
		seed.UpdatePolicy(policies[1], func(u *ent.InsurancePolicyUpdateOne) { u.SetStatus(insurancepolicy.StatusGrace) })
		st = runOnce(t, r)
		if st.Customers != 1 || st.PortraitsWritten != 1 || st.Swept {
			t.Errorf("run after a policy change = %+v, want one customer", st)
		}
		if got := versions(t, db, customers[0].ID); got != before[0] {
			t.Errorf("untouched customer 0 went from %v to %v", before[0], got)
		}
		if got := versions(t, db, customers[2].ID); got != before[2] {
			t.Errorf("untouched customer 2 went from %v to %v", before[2], got)
		}
		if got := versions(t, db, customers[1].ID); got[0] != before[1][0]+1 {
			t.Errorf("changed customer's portrait went from %v to %v", before[1], got)
		}

		// A rule change sweeps the book; customers it does not affect get no write.
		rules, _, err := plan.LoadRules(seed.Ctx(), db.Client)
		if err != nil {
			t.Fatal(err)
		}
		for _, rl := range rules {
			if rl.Key == "premium-due-3d" {
				in := plan.RuleInput{Key: rl.Key, Name: rl.Name, Priority: rl.Priority, Scenario: rl.Scenario,
					Conditions: rl.Conditions, Step: rl.Step}
				in.Step.Title = "缴费提醒：{customer.name}"
				if _, err := plan.UpdateRule(adminCtx(), db, rl.ID, rl.Revision, in); err != nil {
					t.Fatal(err)
				}
			}
			if rl.Key == "renewal-30d" {
				in := plan.RuleInput{Key: rl.Key, Name: rl.Name, Priority: rl.Priority, Scenario: rl.Scenario,
					Conditions: rl.Conditions, Step: rl.Step, Enabled: ptr(false)}
				if _, err := plan.UpdateRule(adminCtx(), db, rl.ID, rl.Revision, in); err != nil {
					t.Fatal(err)
				}
			}
		}
		st = runOnce(t, r)
		if !st.Swept || st.Customers != 3 || st.PlansWritten != 3 || st.PortraitsWritten != 0 {
			t.Errorf("run after a rule change = %+v, want a sweep rewriting 3 plans", st)
		}
		tasks := tasksByRule(t, db, customers[0].ID)
		if tk := tasks["premium-due-3d"]; tk == nil || tk.Title != "缴费提醒：王芳" {
			t.Errorf("premium task after the rule change = %+v", tk)
		}

		// A new day sweeps again; enqueued customers are recomputed.
		clk.Advance(24 * time.Hour)
		if st := runOnce(t, r); !st.Swept || st.Customers != 3 {
			t.Errorf("run on a new day = %+v", st)
		}
		r.Enqueue(customers[2].ID)
		if st := runOnce(t, r); st.Customers != 1 || st.PortraitsWritten+st.PlansWritten != 0 {
			t.Errorf("run after Enqueue = %+v", st)
		}
	})
}

func TestRecomputerRunReactsToChanges(t *testing.T) {
	clk := clock.NewFake(noon(2026, 3, 18, "Asia/Shanghai"))
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		r := plan.NewRecomputer(db, clk, slog.New(slog.NewTextHandler(io.Discard, nil)), 1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx, time.Hour) }()
		cu := seed.Customer(nil, portraittest.Day(2026, 1, 1), nil)
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := db.Client.Portrait.Query().Where(portrait.CustomerID(cu.ID)).Count(seed.Ctx())
			if err != nil {
				t.Fatal(err)
			}
			if n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("Run did not compute the new customer's portrait")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// With TxCustomers > 1 the Recomputer loads customers together and writes
// them in shared transactions: what it writes is what recomputing each
// customer alone computes.
func TestRecomputerTxCustomers(t *testing.T) {
	clk := clock.NewFake(noon(2026, 3, 18, "Asia/Shanghai"))
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		seed, ag := builtinsAndAgent(t, db)
		var ids []uuid.UUID
		for i := range 7 {
			cu := seed.Customer(ag, portraittest.Day(2026, 1, 1), nil)
			seed.Policy(cu, portraittest.Day(2025, 6, 1), func(c *ent.InsurancePolicyCreate) {
				c.SetNextPremiumDueDate(portraittest.Day(2026, 3, 19+i))
			})
			seed.Interaction(cu, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), "咨询")
			ids = append(ids, cu.ID)
		}
		r := plan.NewRecomputer(db, clk, slog.New(slog.NewTextHandler(io.Discard, nil)), 2)
		r.BatchSize, r.TxCustomers = 5, 3
		st := runOnce(t, r)
		if !st.Swept || st.Customers != 7 || st.PortraitsWritten != 7 || st.PlansWritten != 7 {
			t.Fatalf("run = %+v, want a sweep writing 7 portraits and plans", st)
		}
		alone := func(when string) {
			t.Helper()
			env, err := plan.LoadEnv(seed.Ctx(), db.Client)
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range ids {
				res, err := plan.RecomputeCustomer(seed.Ctx(), db, env, id, clk.Now())
				if err != nil {
					t.Fatal(err)
				}
				if res.PortraitWritten || res.Plan.Changed {
					t.Errorf("%s: customer %d recomputed alone still wrote %+v", when, i, res)
				}
			}
		}
		alone("fresh book") // every customer new: the bulk inserts

		// A new day with two new customers: chunks mix customers with
		// stored portraits and plans and new ones.
		clk.Advance(24 * time.Hour)
		for range 2 {
			cu := seed.Customer(ag, portraittest.Day(2026, 1, 1), nil)
			seed.Interaction(cu, time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC), "咨询")
			ids = append(ids, cu.ID)
		}
		if st := runOnce(t, r); !st.Swept || st.Customers != 9 || st.PortraitsWritten < 2 || st.PlansWritten < 2 {
			t.Fatalf("run on a new day = %+v, want 9 customers, the 2 new ones written", st)
		}
		alone("new day")
	})
}

// A sweep in SweepOrder takes the customers in that order, in batches,
// covers every one of them, and leaves the book current: the next run
// sweeps nothing.
func TestRecomputerSweepOrder(t *testing.T) {
	clk := clock.NewFake(noon(2026, 3, 18, "Asia/Shanghai"))
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		seed, ag := builtinsAndAgent(t, db)
		var ids []uuid.UUID
		for range 7 {
			cu := seed.Customer(ag, portraittest.Day(2026, 1, 1), nil)
			seed.Interaction(cu, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), "咨询")
			ids = append(ids, cu.ID)
		}
		// The reverse of the order the customers were made in, which is
		// neither their ids' order nor the table's.
		order := make([]uuid.UUID, len(ids))
		for i, id := range ids {
			order[len(ids)-1-i] = id
		}
		calls := 0
		r := plan.NewRecomputer(db, clk, slog.New(slog.NewTextHandler(io.Discard, nil)), 1)
		r.BatchSize = 3 // TxCustomers 1: one worker recomputes one customer after the other
		r.SweepOrder = func(context.Context) ([]uuid.UUID, error) { calls++; return order, nil }
		st := runOnce(t, r)
		if !st.Swept || st.Customers != 7 || st.PortraitsWritten != 7 || st.PlansWritten != 7 || calls != 1 {
			t.Fatalf("run = %+v after %d reads of the order, want one sweep writing 7 portraits and plans", st, calls)
		}
		// The portraits were logged in the order given.
		seq, err := db.Client.ChangeLog.Query().Order(ent.Asc(changelog.FieldID)).All(seed.Ctx())
		if err != nil {
			t.Fatal(err)
		}
		var got []uuid.UUID
		for _, c := range seq {
			if c.Collection == store.Portraits && c.CustomerID != nil {
				got = append(got, *c.CustomerID)
			}
		}
		if len(got) != 7 {
			t.Fatalf("%d portraits logged, want 7", len(got))
		}
		for i := range order {
			if got[i] != order[i] {
				t.Fatalf("portraits written in the order %v, want %v", got, order)
			}
		}
		if st := runOnce(t, r); st.Swept || st.Customers != 0 || calls != 1 {
			t.Fatalf("second run = %+v (%d reads of the order), want nothing to do", st, calls)
		}
	})
}
