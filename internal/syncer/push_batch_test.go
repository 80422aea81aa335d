package syncer

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/syncmutation"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// commits counts the transactions that commit changes while it listens.
func (v *env) commits() (count func() int) {
	var mu sync.Mutex
	n := 0
	v.t.Cleanup(v.db.Subscribe(func([]store.Change) { mu.Lock(); n++; mu.Unlock() }))
	return func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// logSince lists the change-log entries after seq as "collection/id@version".
func (v *env) logSince(seq int64) []string {
	v.t.Helper()
	var out []string
	for _, e := range v.db.Client.ChangeLog.Query().Where(changelog.IDGT(seq)).AllX(v.sys()) {
		out = append(out, fmt.Sprintf("%s/%s@%d", e.Collection, e.RecordID, e.Version))
	}
	slices.Sort(out)
	return out
}

func entry(coll string, id uuid.UUID, version int64) string {
	return fmt.Sprintf("%s/%s@%d", coll, id, version)
}

// A batch commits in one transaction: a mutation rejected by a rule, one
// refused by the access rules, a create that conflicts and writes
// nothing, and one whose write fails in the database after it changed a
// record (a unique violation, which aborts a PostgreSQL transaction)
// leave only their stored results; the mutations around them apply, a
// conflict that writes keeps its write, and a mutation sent twice in the
// batch applies once. A replay answers the same and changes nothing.
func TestPushBatchMixed(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		other := v.agent(auth.RoleAgent, nil)
		c, ids := v.family(a)
		theirs := v.customer(other)
		// A plan task whose step cannot be done: the test's index allows one
		// done step per plan, and the plan has one.
		var planTask uuid.UUID
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			plan := ids[store.ServicePlans]
			if err := tx.PlanStep.Create().SetPlanID(plan).SetPosition(0).SetRuleKey("r").SetDedupeKey("done").
				SetScenario(planstep.ScenarioRenewal).SetTitle("已办").SetStatus(planstep.StatusDone).Exec(ctx); err != nil {
				return err
			}
			st, err := tx.PlanStep.Create().SetPlanID(plan).SetPosition(1).SetRuleKey("r").SetDedupeKey("todo").
				SetScenario(planstep.ScenarioRenewal).SetTitle("待办").Save(ctx)
			if err != nil {
				return err
			}
			tk, err := tx.Task.Create().SetCustomerID(c.ID).SetAgentID(a.ID).SetPlanStepID(st.ID).SetTitle("待办").
				SetDueAt(v.clock.Now()).Save(ctx)
			planTask = tk.ID
			return err
		})
		if _, err := v.db.SQL.Exec("CREATE UNIQUE INDEX test_one_done_step ON plan_steps (plan_id) WHERE status = 'done'"); err != nil {
			t.Fatal(err)
		}
		// The server changes the customer's occupation meanwhile.
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(c.ID).SetOccupation("中学教师").Exec(ctx)
		})
		newInteraction := uuid.New()
		done := Mutation{MutationID: mid(), Collection: store.Tasks, Op: OpUpsert, ID: ids[store.Tasks], BaseVersion: 1,
			Data: data("status", "done")}
		ms := []Mutation{
			done,
			{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: 1, Data: data("phone", "abc")},
			{MutationID: mid(), Collection: store.Interactions, Op: OpUpsert, ID: uuid.New(),
				Data: data("customer_id", theirs.ID, "channel", "visit", "type", "revisit", "content", "越权")},
			{MutationID: mid(), Collection: store.Complaints, Op: OpUpsert, ID: ids[store.Complaints],
				Data: data("customer_id", c.ID, "category", "billing", "summary", "另一件事")},
			{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: 1, Data: data("occupation", "小学教师")},
			{MutationID: mid(), Collection: store.Tasks, Op: OpUpsert, ID: planTask, BaseVersion: 1, Data: data("status", "done")},
			{MutationID: mid(), Collection: store.Interactions, Op: OpUpsert, ID: newInteraction,
				Data: data("customer_id", c.ID, "channel", "visit", "type", "revisit", "content", "上门回访")},
			done,
		}
		before := v.topSeq()
		commits := v.commits()
		res := v.push(v.as(a), ms...)

		type outcome struct {
			Status    string
			Version   int64
			Conflicts []string
			ErrKind   apperr.Kind
			ErrField  string
		}
		got := make([]outcome, len(res))
		for i, r := range res {
			o := outcome{Status: r.Status, Conflicts: r.Conflicts}
			if r.Version != nil {
				o.Version = *r.Version
			}
			if r.Err != nil {
				o.ErrKind = r.Err.Kind
				if len(r.Err.Fields) > 0 {
					o.ErrField = r.Err.Fields[0].Field
				}
			}
			if r.MutationID != ms[i].MutationID {
				t.Errorf("result %d answers mutation %q, want %q", i, r.MutationID, ms[i].MutationID)
			}
			got[i] = o
		}
		want := []outcome{
			{Status: StatusApplied, Version: 2},
			{Status: StatusRejected, ErrKind: apperr.KindInvalid, ErrField: "/phone"},
			{Status: StatusRejected, ErrKind: apperr.KindNotFound},
			{Status: StatusConflict, Version: 1, Conflicts: []string{"summary", "category"}},
			{Status: StatusConflict, Version: 3, Conflicts: []string{"occupation"}},
			{Status: StatusRejected, ErrKind: apperr.KindConflict},
			{Status: StatusApplied, Version: 1},
			{Status: StatusApplied, Version: 2},
		}
		sortConflicts := cmp.Transformer("sort", func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s })
		if diff := cmp.Diff(want, got, sortConflicts); diff != "" {
			t.Fatalf("results (-want +got):\n%s", diff)
		}
		if n := commits(); n != 1 {
			t.Errorf("the push committed %d transactions, want 1", n)
		}
		wantLog := []string{
			entry(store.Customers, c.ID, 3),
			entry(store.Tasks, ids[store.Tasks], 2),
			entry(store.Interactions, newInteraction, 1),
		}
		slices.Sort(wantLog)
		if diff := cmp.Diff(wantLog, v.logSince(before)); diff != "" {
			t.Errorf("change log (-want +got):\n%s", diff)
		}
		pt := v.db.Client.Task.GetX(v.sys(), planTask)
		st := v.db.Client.PlanStep.Query().Where(planstep.DedupeKey("todo")).OnlyX(v.sys())
		if pt.Status != task.StatusTodo || pt.Version != 1 || st.Status != planstep.StatusTodo {
			t.Errorf("the failed mutation left task %s v%d, step %s", pt.Status, pt.Version, st.Status)
		}
		if got := v.db.Client.Customer.GetX(v.sys(), c.ID); got.Occupation != "小学教师" {
			t.Errorf("occupation %q: the conflict's pushed value should win", got.Occupation)
		}
		distinct := map[string]bool{}
		for _, m := range ms {
			distinct[m.MutationID] = true
		}
		if n := v.db.Client.SyncMutation.Query().Where(syncmutation.AgentID(a.ID)).CountX(v.sys()); n != len(distinct) {
			t.Errorf("%d stored results, want %d", n, len(distinct))
		}

		// A replay returns the stored results, the failed one's included.
		seq := v.topSeq()
		again := v.push(v.as(a), ms...)
		if diff := cmp.Diff(res, again, cmp.Comparer(func(a, b *apperr.Error) bool { return fmt.Sprint(a) == fmt.Sprint(b) })); diff != "" {
			t.Errorf("replay answered differently (-first +replay):\n%s", diff)
		}
		if got := v.logSince(seq); len(got) != 0 {
			t.Errorf("the replay changed the log: %v", got)
		}
	})
}

// A server fault rolls back the mutations of its chunk: none of them is
// applied or stored, and the push fails; the next push applies them.
func TestPushServerFaultRollsBackTheChunk(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		c, ids := v.family(a)
		fault := []string{"CREATE TRIGGER test_fault BEFORE INSERT ON complaints BEGIN SELECT RAISE(ABORT, 'test fault'); END"}
		heal := []string{"DROP TRIGGER test_fault"}
		if v.db.Dialect == dialect.Postgres {
			fault = []string{
				"CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'test fault'; END $$",
				"CREATE TRIGGER test_fault BEFORE INSERT ON complaints FOR EACH ROW EXECUTE FUNCTION test_fault()",
			}
			heal = []string{"DROP TRIGGER test_fault ON complaints"}
		}
		exec(t, v.db.SQL, fault...)
		ms := []Mutation{
			{MutationID: mid(), Collection: store.Tasks, Op: OpUpsert, ID: ids[store.Tasks], BaseVersion: 1, Data: data("status", "done")},
			{MutationID: mid(), Collection: store.Complaints, Op: OpUpsert, ID: uuid.New(),
				Data: data("customer_id", c.ID, "category", "billing", "summary", "扣费错误")},
		}
		before := v.topSeq()
		if _, err := v.e.Push(v.as(a), PushRequest{Mutations: ms}); err == nil {
			t.Fatal("a push that met a server fault succeeded")
		}
		if got := v.logSince(before); len(got) != 0 {
			t.Errorf("a failed push logged %v", got)
		}
		if n := v.db.Client.SyncMutation.Query().CountX(v.sys()); n != 0 {
			t.Errorf("a failed push stored %d results", n)
		}
		if tk := v.db.Client.Task.GetX(v.sys(), ids[store.Tasks]); tk.Version != 1 {
			t.Errorf("a failed push changed the task to version %d", tk.Version)
		}
		exec(t, v.db.SQL, heal...)
		for i, r := range v.push(v.as(a), ms...) {
			if r.Status != StatusApplied {
				t.Errorf("mutation %d after the fault: %+v", i, r)
			}
		}
	})
}

func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// A batch that deadlocks with another transaction is rolled back whole
// and its mutations apply one transaction each: the push succeeds.
func TestPushBatchDeadlockFallsBack(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		if v.db.Dialect != dialect.Postgres {
			t.Skip("SQLite serializes writers: a batch waits for the write lock before it locks anything")
		}
		a := v.agent(auth.RoleAgent, nil)
		_, ids := v.family(a)
		first := ids[store.Tasks]
		_, ids2 := v.family(a)
		second := ids2[store.Tasks]
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()

		// The other transaction holds the second task and then wants the
		// first, which the push holds; PostgreSQL aborts the push, whose
		// deadlock check runs first.
		holding, wantFirst := make(chan struct{}), make(chan struct{})
		otherDone := make(chan error, 1)
		go func() {
			otherDone <- v.db.WithTx(auth.SystemContext(ctx), func(ctx context.Context, tx *ent.Tx) error {
				if _, err := tx.ExecContext(ctx, "SET LOCAL deadlock_timeout = '20s'"); err != nil {
					return err
				}
				if _, err := tx.Task.Query().Where(task.ID(second)).ForUpdate().Only(ctx); err != nil {
					return err
				}
				close(holding)
				<-wantFirst
				_, err := tx.Task.Query().Where(task.ID(first)).ForUpdate().Only(ctx)
				return err
			})
		}()
		<-holding
		commits := v.commits()
		type pushed struct {
			res *PushResponse
			err error
		}
		done := make(chan pushed, 1)
		go func() {
			res, err := v.e.Push(v.as(a), PushRequest{Mutations: []Mutation{
				{MutationID: mid(), Collection: store.Tasks, Op: OpUpsert, ID: first, BaseVersion: 1, Data: data("title", "先")},
				{MutationID: mid(), Collection: store.Tasks, Op: OpUpsert, ID: second, BaseVersion: 1, Data: data("title", "后")},
			}})
			done <- pushed{res, err}
		}()
		// Once the push waits for the second task, the other transaction
		// asks for the first.
		for waiting := 0; waiting == 0; {
			if err := v.db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if ctx.Err() != nil {
				t.Fatal("the push never waited for the lock")
			}
			time.Sleep(20 * time.Millisecond)
		}
		close(wantFirst)
		if err := <-otherDone; err != nil {
			t.Fatalf("the other transaction: %v", err)
		}
		p := <-done
		if p.err != nil {
			t.Fatalf("push: %v", p.err)
		}
		for i, r := range p.res.Results {
			if r.Status != StatusApplied || *r.Version != 2 {
				t.Errorf("mutation %d: %+v", i, r)
			}
		}
		if n := commits(); n != 2 {
			t.Errorf("%d commits, want 2: one per mutation after the deadlock", n)
		}
	})
}
