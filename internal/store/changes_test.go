package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

type logEntry struct {
	Collection string
	ID         uuid.UUID
	Op         changelog.Op
	Version    int64
	CustomerID uuid.UUID
}

func readLog(t *testing.T, db *store.DB, after int64) []logEntry {
	t.Helper()
	rows, err := db.Client.ChangeLog.Query().Where(changelog.IDGT(after)).Order(ent.Asc(changelog.FieldID)).All(sys())
	if err != nil {
		t.Fatalf("read change log: %v", err)
	}
	out := make([]logEntry, 0, len(rows))
	for _, r := range rows {
		e := logEntry{Collection: r.Collection, ID: r.RecordID, Op: r.Op, Version: r.Version}
		if r.CustomerID != nil {
			e.CustomerID = *r.CustomerID
		}
		out = append(out, e)
	}
	return out
}

func maxSeq(t *testing.T, db *store.DB) int64 {
	t.Helper()
	n, err := db.Client.ChangeLog.Query().Aggregate(ent.Max(changelog.FieldID)).Int(sys())
	if err != nil {
		// no rows: Max is NULL
		return 0
	}
	return int64(n)
}

func TestChangeLogOneEntryPerCommittedChange(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Clock: fc}, func(t *testing.T, db *store.DB) {
		ctx := sys()
		var cust *ent.Customer
		var tk *ent.Task
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) (err error) {
			cust, err = tx.Customer.Create().SetName("王芳").Save(ctx)
			if err != nil {
				return err
			}
			tk, err = tx.Task.Create().SetCustomerID(cust.ID).SetTitle("续保回访").Save(ctx)
			return err
		})
		want := []logEntry{
			{store.Customers, cust.ID, changelog.OpUpsert, 1, cust.ID},
			{store.Tasks, tk.ID, changelog.OpUpsert, 1, cust.ID},
		}
		if diff := cmp.Diff(want, readLog(t, db, 0)); diff != "" {
			t.Fatalf("after create: change log mismatch (-want +got):\n%s", diff)
		}
		after := maxSeq(t, db)

		// An update bumps the version; updating twice in one transaction is
		// one entry with the last version.
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			if err := tx.Task.UpdateOneID(tk.ID).SetStatus(task.StatusDone).Exec(ctx); err != nil {
				return err
			}
			return tx.Task.UpdateOneID(tk.ID).SetSkipReason("").Exec(ctx)
		})
		want = []logEntry{{store.Tasks, tk.ID, changelog.OpUpsert, 3, cust.ID}}
		if diff := cmp.Diff(want, readLog(t, db, after)); diff != "" {
			t.Fatalf("after update: change log mismatch (-want +got):\n%s", diff)
		}
		got, err := db.Client.Task.Get(ctx, tk.ID)
		if err != nil || got.Version != 3 {
			t.Fatalf("task version = %v (%v), want 3", got, err)
		}
		after = maxSeq(t, db)

		// A bulk update logs every row it changed.
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.Update().Where(customer.ID(cust.ID)).SetOccupation("教师").Exec(ctx)
		})
		want = []logEntry{{store.Customers, cust.ID, changelog.OpUpsert, 2, cust.ID}}
		if diff := cmp.Diff(want, readLog(t, db, after)); diff != "" {
			t.Fatalf("after bulk update: change log mismatch (-want +got):\n%s", diff)
		}
		after = maxSeq(t, db)

		// A rolled-back transaction leaves nothing.
		boom := errors.New("boom")
		err = db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			if _, err := tx.Customer.Create().SetName("李雷").Save(ctx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx error = %v, want boom", err)
		}
		if got := readLog(t, db, after); len(got) != 0 {
			t.Fatalf("rolled-back transaction logged %v", got)
		}
		if n := db.Client.Customer.Query().CountX(ctx); n != 1 {
			t.Fatalf("customers after rollback = %d, want 1", n)
		}

		// A delete is a tombstone with the next version.
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Task.DeleteOneID(tk.ID).Exec(ctx)
		})
		want = []logEntry{{store.Tasks, tk.ID, changelog.OpDelete, 4, cust.ID}}
		if diff := cmp.Diff(want, readLog(t, db, after)); diff != "" {
			t.Fatalf("after delete: change log mismatch (-want +got):\n%s", diff)
		}
		e, err := db.Client.ChangeLog.Query().Where(changelog.RecordID(tk.ID), changelog.OpEQ(changelog.OpDelete)).Only(ctx)
		if err != nil || !e.CommittedAt.Equal(fc.Now()) {
			t.Fatalf("tombstone committed_at = %v (%v), want the injected clock %v", e, err, fc.Now())
		}

		// Records that are not synced never reach the log.
		after = maxSeq(t, db)
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Team.Create().SetName("A组").Exec(ctx)
		})
		if got := readLog(t, db, after); len(got) != 0 {
			t.Fatalf("unsynced write logged %v", got)
		}
	})
}

func TestSyncedWriteOutsideTxIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, err := db.Client.Customer.Create().SetName("王芳").Save(sys())
		if !errors.Is(err, store.ErrOutsideTx) {
			t.Fatalf("Create outside WithTx: error = %v, want ErrOutsideTx", err)
		}
	})
}

func TestWithTxChangesAndListeners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var heard []store.Change
		unsub := db.Subscribe(func(c []store.Change) { heard = append(heard, c...) })
		changes, err := db.WithTxChanges(sys(), func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.Create().SetName("张伟").Exec(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Seq == 0 || changes[0].Collection != store.Customers {
			t.Fatalf("changes = %+v, want one customer change with a sequence", changes)
		}
		if diff := cmp.Diff(changes, heard); diff != "" {
			t.Fatalf("listener heard (-want +got):\n%s", diff)
		}
		unsub()
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error { return tx.Customer.Create().SetName("赵敏").Exec(ctx) })
		if len(heard) != 1 {
			t.Fatalf("unsubscribed listener heard %d changes", len(heard))
		}
	})
}

// A pre-commit hook sees the transaction's changes with their versions,
// before the log is written; its writes commit with them and its error
// rolls the whole transaction back.
func TestPreCommitHook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var seen []store.Change
		fail := false
		remove := db.OnPreCommit(func(ctx context.Context, tx *ent.Tx, changes []store.Change) error {
			seen = append(seen, changes...)
			if fail {
				return errors.New("refused")
			}
			return nil
		})
		var id uuid.UUID
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			c, err := tx.Customer.Create().SetName("张伟").Save(ctx)
			if err == nil {
				id = c.ID
				err = tx.Customer.UpdateOneID(c.ID).SetName("张薇").Exec(ctx)
			}
			return err
		})
		if len(seen) != 1 || seen[0].ID != id || seen[0].Version != 2 || seen[0].Seq != 0 {
			t.Fatalf("hook saw %+v, want the customer once at version 2, no sequence yet", seen)
		}
		fail = true
		err := db.WithTx(sys(), func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.Create().SetName("赵敏").Exec(ctx)
		})
		if err == nil {
			t.Fatal("a hook's error did not fail the transaction")
		}
		n, _ := db.Client.Customer.Query().Where(customer.Name("赵敏")).Count(sys())
		logged, _ := db.Client.ChangeLog.Query().Count(sys())
		if n != 0 || logged != 1 {
			t.Fatalf("after a refused commit: %d customers, %d log entries; want 0 and 1", n, logged)
		}
		remove()
		seen = nil
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.Create().SetName("周芷若").Exec(ctx)
		})
		if len(seen) != 0 {
			t.Fatalf("a removed hook saw %+v", seen)
		}
	})
}

// TestChangeLogCommitOrder makes transaction A write first and commit last
// while B commits in between, with a reader in the middle: the sequence
// numbers follow commit order, so a reader that saw B's entry can never
// later find A's below it.
func TestChangeLogCommitOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect == dialect.SQLite {
			// SQLite write transactions are serial (BEGIN IMMEDIATE): B
			// cannot begin while A is open, so the interleaving cannot occur.
			t.Skip("SQLite serializes writers; the interleaving is PostgreSQL's")
		}
		ctx := sys()
		aWrote := make(chan struct{})
		releaseA := make(chan struct{})
		aDone := make(chan error, 1)
		var aID uuid.UUID
		go func() {
			aDone <- db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
				c, err := tx.Customer.Create().SetName("A").Save(ctx)
				if err != nil {
					return err
				}
				aID = c.ID
				close(aWrote)
				<-releaseA
				return nil
			})
		}()
		<-aWrote
		var bID uuid.UUID
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			c, err := tx.Customer.Create().SetName("B").Save(ctx)
			bID = c.ID
			return err
		})
		// The reader pulls between B's commit and A's.
		seen := readLog(t, db, 0)
		if diff := cmp.Diff([]uuid.UUID{bID}, ids(seen)); diff != "" {
			t.Fatalf("reader in the middle (-want +got):\n%s", diff)
		}
		cursor := maxSeq(t, db)
		close(releaseA)
		if err := <-aDone; err != nil {
			t.Fatal(err)
		}
		// Pulling on from the cursor must still deliver A.
		if diff := cmp.Diff([]uuid.UUID{aID}, ids(readLog(t, db, cursor))); diff != "" {
			t.Fatalf("after A commits, pull from cursor %d (-want +got):\n%s", cursor, diff)
		}
	})
}

func ids(es []logEntry) []uuid.UUID {
	out := make([]uuid.UUID, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func mustTx(t *testing.T, db *store.DB, fn func(ctx context.Context, tx *ent.Tx) error) {
	t.Helper()
	if err := db.WithTx(sys(), fn); err != nil {
		t.Fatalf("WithTx: %v", err)
	}
}

// sys is the context of the server's own work: these tests exercise
// storage beneath the access rules.
func sys() context.Context { return auth.SystemContext(context.Background()) }

func TestFieldVersionsAndMoves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := sys()
		var a1, a2 *ent.Agent
		var cust *ent.Customer
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) (err error) {
			if a1, err = tx.Agent.Create().SetUsername("a1").SetPasswordHash("!").Save(ctx); err != nil {
				return err
			}
			if a2, err = tx.Agent.Create().SetUsername("a2").SetPasswordHash("!").Save(ctx); err != nil {
				return err
			}
			cust, err = tx.Customer.Create().SetName("王芳").SetAgentID(a1.ID).Save(ctx)
			return err
		})
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(cust.ID).SetOccupation("教师").Exec(ctx)
		})
		after := maxSeq(t, db)
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(cust.ID).SetAgentID(a2.ID).SetTags([]string{"vip"}).Exec(ctx)
		})
		got, err := db.Client.Customer.Get(ctx, cust.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"occupation": 2, "agent_id": 3, "tags": 3}
		if diff := cmp.Diff(want, got.FieldVersions); diff != "" {
			t.Errorf("field versions (-want +got):\n%s", diff)
		}
		e, err := db.Client.ChangeLog.Query().Where(changelog.IDGT(after)).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if e.PrevAgentID == nil || *e.PrevAgentID != a1.ID || e.AgentID == nil || *e.AgentID != a2.ID {
			t.Errorf("move entry prev=%v agent=%v, want %v → %v", e.PrevAgentID, e.AgentID, a1.ID, a2.ID)
		}
		// An update that keeps the owner records no move.
		after = maxSeq(t, db)
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(cust.ID).SetOccupation("医生").Exec(ctx)
		})
		e, _ = db.Client.ChangeLog.Query().Where(changelog.IDGT(after)).Only(ctx)
		if e.PrevAgentID != nil {
			t.Errorf("plain update recorded a move from %v", e.PrevAgentID)
		}
		// A scope event of an agent.
		team := uuid.New()
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) error {
			return store.RecordEvent(ctx, store.Change{Collection: store.Agents, ID: a1.ID, AgentID: &a1.ID, TeamID: &team})
		})
		if n := db.Client.ChangeLog.Query().Where(changelog.Collection(store.Agents), changelog.TeamID(team)).CountX(ctx); n != 1 {
			t.Errorf("scope events logged: %d, want 1", n)
		}
		if err := store.RecordEvent(context.Background(), store.Change{}); !errors.Is(err, store.ErrOutsideTx) {
			t.Errorf("RecordEvent outside WithTx: %v", err)
		}
	})
}

// TestWithSharedTx: WithTx calls under WithSharedTx join its transaction —
// one commit, one announcement, reads through the transaction see the
// writes — and an error rolls every joined write back.
func TestWithSharedTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var commits [][]store.Change
		defer db.Subscribe(func(c []store.Change) { commits = append(commits, c) })()
		before := maxSeq(t, db)
		names := []string{"张伟", "赵敏", "周芷若"}
		err := db.WithSharedTx(sys(), func(ctx context.Context) error {
			for _, n := range names {
				changes, err := db.WithTxChanges(ctx, func(ctx context.Context, tx *ent.Tx) error {
					return tx.Customer.Create().SetName(n).Exec(ctx)
				})
				if err != nil || changes != nil {
					return fmt.Errorf("joined WithTx: %v, changes %v", err, changes)
				}
			}
			// The shared transaction's reader sees its writes; nothing is
			// committed yet.
			if n := ent.TxFromContext(ctx).Client().Customer.Query().CountX(ctx); n != 3 {
				return fmt.Errorf("the shared transaction sees %d customers, want 3", n)
			}
			if len(commits) != 0 {
				return fmt.Errorf("announced before commit: %v", commits)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(commits) != 1 || len(commits[0]) != 3 {
			t.Fatalf("commits = %v, want one of 3 changes", commits)
		}
		if got := readLog(t, db, before); len(got) != 3 {
			t.Fatalf("change log has %d new entries, want 3", len(got))
		}

		// An error from a joined write rolls back the ones before it.
		boom := errors.New("boom")
		err = db.WithSharedTx(sys(), func(ctx context.Context) error {
			if err := db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
				return tx.Customer.Create().SetName("令狐冲").Exec(ctx)
			}); err != nil {
				return err
			}
			return db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error { return boom })
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		if n := db.Client.Customer.Query().Where(customer.Name("令狐冲")).CountX(sys()); n != 0 {
			t.Fatalf("a joined write survived the shared transaction's rollback")
		}
		if len(commits) != 1 {
			t.Fatalf("commits = %d, want still 1", len(commits))
		}
	})
}
