package syncer

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// Transaction A begins first and commits last; B commits in between and
// a client pulls in the middle: the client still receives A's change,
// because the log's sequence is drawn at commit. A and B write through
// two server processes (two connection pools) on one PostgreSQL.
func TestCommitOrder(t *testing.T) {
	u := storetest.URL(t, dialect.Postgres)
	clk := clock.NewFake(testStart)
	open := func() *store.DB {
		db, err := store.Open(context.Background(), u, store.Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db1 := open()
	if err := db1.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db2 := open()
	v := newEnv(t, db1, clk, Options{})
	other := newEnv(t, db2, clk, Options{})
	a := v.agent(auth.RoleAgent, nil)
	_, ids := v.family(a)
	d := v.device(a)
	d.pull(1000)

	wrote, commit, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- db1.WithTx(v.sys(), func(ctx context.Context, tx *ent.Tx) error {
			if err := tx.Task.UpdateOneID(ids[store.Tasks]).SetTitle("A 的修改").Exec(ctx); err != nil {
				return err
			}
			close(wrote)
			<-commit
			return nil
		})
	}()
	<-wrote
	other.tx(func(ctx context.Context, tx *ent.Tx) error {
		return tx.Interaction.UpdateOneID(ids[store.Interactions]).SetContent("B 的修改").Exec(ctx)
	})
	mid := d.pull(1000)
	if !has(mid, store.Interactions, ids[store.Interactions], OpUpsert) || has(mid, store.Tasks, ids[store.Tasks], OpUpsert) {
		t.Fatalf("pull between the commits: %v", changeKeys(mid))
	}
	close(commit)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	after := d.pull(1000)
	if !has(after, store.Tasks, ids[store.Tasks], OpUpsert) {
		t.Fatalf("A's change, committed after B's, was missed: %v", changeKeys(after))
	}
	d.converged(a)
}

// Deletes travel as tombstones; compaction keeps the latest entry per
// record (and the entries that moved a customer); tombstones older than
// the retention go, and a cursor from before them is told to reset.
func TestTombstonesAndRetention(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		b := v.agent(auth.RoleAgent, nil)
		c, ids := v.family(a)
		moved, _ := v.family(a)
		old := v.device(a)
		old.pull(1000)

		for i := range 3 {
			v.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.Task.UpdateOneID(ids[store.Tasks]).SetTitle("第" + string(rune('一'+i)) + "次").Exec(ctx)
			})
		}
		v.reassign(moved.ID, b)
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Interaction.DeleteOneID(ids[store.Interactions]).Exec(ctx)
		})
		recent := v.device(a)
		recent.pull(1000)

		st, err := v.e.Compact(context.Background(), v.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if st.Expired != 0 || st.Floor != 0 {
			t.Errorf("fresh compaction: %+v", st)
		}
		// The task keeps its latest entry and, until the retention, its
		// creation (see creation).
		if n := v.db.Client.ChangeLog.Query().Where(changelog.RecordIDEQ(ids[store.Tasks])).CountX(v.sys()); n != 2 {
			t.Errorf("task has %d log entries after compaction, want 2", n)
		}
		if n := v.db.Client.ChangeLog.Query().Where(changelog.RecordID(moved.ID), changelog.PrevAgentIDNotNil()).CountX(v.sys()); n != 1 {
			t.Errorf("the move of %s was compacted away", moved.ID)
		}
		// The old cursor still gets everything: the tombstone, the drop.
		p := old.pull(1000)
		if !has(p, store.Interactions, ids[store.Interactions], OpDelete) || !has(p, store.Customers, moved.ID, OpDelete) {
			t.Fatalf("after compaction: %v", changeKeys(p))
		}
		old.converged(a)

		// Past the retention the tombstone goes and older cursors reset.
		stale := v.device(a)
		stale.cursor = cursorBeforeTombstone(t, v, a)
		v.clock.Advance(DefaultRetention + time.Hour)
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(c.ID).SetOccupation("医生").Exec(ctx)
		})
		st, err = v.e.Compact(context.Background(), v.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if st.Expired == 0 || st.Floor == 0 {
			t.Fatalf("compaction past retention: %+v", st)
		}
		if n := v.db.Client.ChangeLog.Query().Where(changelog.OpEQ(changelog.OpDelete)).CountX(v.sys()); n != 0 {
			t.Errorf("%d tombstones survived the retention", n)
		}
		if n := v.db.Client.ChangeLog.Query().Where(changelog.RecordIDEQ(ids[store.Tasks])).CountX(v.sys()); n != 1 {
			t.Errorf("task has %d log entries past the retention, want 1", n)
		}
		if _, err := v.e.Pull(stale.ctx, PullRequest{Cursor: stale.cursor}); !isGone(err) {
			t.Errorf("cursor older than the retention: %v", err)
		}
		// A cursor at or past the floor is served.
		recent.pull(1000)
		recent.converged(a)
	})
}

// cursorBeforeTombstone returns a cursor of a's scope from just before
// the (only) tombstone.
func cursorBeforeTombstone(t *testing.T, v *env, a *ent.Agent) string {
	t.Helper()
	tomb, err := v.db.Client.ChangeLog.Query().Where(changelog.OpEQ(changelog.OpDelete)).Only(v.sys())
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.e.scopeOf(v.as(a))
	if err != nil {
		t.Fatal(err)
	}
	m, err := v.e.meta(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return encodeCursor(v.e.key, cursor{agent: a.ID, era: m.era, epoch: s.agent.ScopeEpoch, schema: SchemaVersion, w: tomb.ID - 1})
}

// The toolkit is the same for everyone: published items arrive, a
// withdrawn one leaves as out_of_scope, drafts never travel.
func TestToolkit(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		admin := v.agent(auth.RoleAdmin, nil)
		pub := v.toolkitItem(true)
		draft := v.toolkitItem(false)
		d, da := v.device(a), v.device(admin)
		p := d.pull(1000)
		if !has(p, store.ToolkitItems, pub.ID, OpUpsert) || hasAny(p, draft.ID) {
			t.Fatalf("first sync: %v", changeKeys(p))
		}
		da.pull(1000)
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			if err := tx.ToolkitItem.UpdateOneID(pub.ID).SetStatus(toolkititem.StatusRetired).Exec(ctx); err != nil {
				return err
			}
			return tx.ToolkitItem.UpdateOneID(draft.ID).SetStatus(toolkititem.StatusPublished).Exec(ctx)
		})
		for _, dev := range []*device{d, da} {
			p = dev.pull(1000)
			want := []string{
				"toolkit_items/" + draft.ID.String() + " upsert",
				"toolkit_items/" + pub.ID.String() + " delete out_of_scope",
			}
			if diff := cmp.Diff(sorted(want), changeKeys(p)); diff != "" {
				t.Errorf("after withdrawal (-want +got):\n%s", diff)
			}
		}
		d.converged(a)
	})
}

// Run compacts on its interval and, when its context ends, closes the
// engine: event streams end with it.
func TestRunCompacts(t *testing.T) {
	eachEnvWith(t, Options{CompactEvery: 20 * time.Millisecond, Retention: time.Hour}, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		_, ids := v.family(a)
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Interaction.DeleteOneID(ids[store.Interactions]).Exec(ctx)
		})
		v.clock.Advance(2 * time.Hour)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- v.e.Run(ctx) }()
		deadline := time.Now().Add(5 * time.Second)
		for v.db.Client.ChangeLog.Query().Where(changelog.OpEQ(changelog.OpDelete)).CountX(v.sys()) > 0 {
			if time.Now().After(deadline) {
				t.Fatal("Run did not compact the expired tombstone")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, err := v.e.Subscribe(v.as(a)); err == nil {
			t.Error("a closed engine still takes streams")
		}
	})
}

// A page that reveals personal data writes one audit entry, whatever the
// number of customers on it.
func TestOneAuditEntryPerPage(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		for range 5 {
			v.customer(a)
		}
		d := v.device(a)
		pages := d.pull(1000)
		revealing := 0
		for _, p := range pages {
			if slices.ContainsFunc(p.Changes, func(c Change) bool { return c.Collection == store.Customers }) {
				revealing++
			}
		}
		entries := v.db.Client.AuditEntry.Query().AllX(v.sys())
		if revealing != 1 || len(entries) != 1 {
			t.Fatalf("%d pages with customers, %d audit entries", revealing, len(entries))
		}
		e := entries[0]
		if e.Action != "pii.read" || e.SubjectType != "sync" || !slicesContains(e.Fields, "phone") ||
			!strings.Contains(e.Reason, "5 customers") || e.ActorID != a.ID.String() {
			t.Errorf("audit entry: %+v", e)
		}
		d.pull(1000)
		if n := v.db.Client.AuditEntry.Query().CountX(v.sys()); n != 1 {
			t.Errorf("a pull that revealed nothing was audited: %d entries", n)
		}
	})
}

func slicesContains(s []string, v string) bool { return slices.Contains(s, v) }

// Compaction keeps the superseded entries the webhook dispatcher has not
// read yet (above its watermark), and removes them once it has.
func TestCompactionHoldsForWebhooks(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		c := v.customer(a)
		watermark := v.db.Client.ChangeLog.Query().Aggregate(ent.Max(changelog.FieldID)).IntX(v.sys())
		if err := v.db.Client.ServerMeta.Create().SetID(WebhookWatermarkKey).SetValue(strconv.Itoa(watermark)).
			Exec(v.sys()); err != nil {
			t.Fatal(err)
		}
		for _, occ := range []string{"教师", "医生"} {
			v.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.Customer.UpdateOneID(c.ID).SetOccupation(occ).Exec(ctx)
			})
		}
		entries := func() int {
			return v.db.Client.ChangeLog.Query().Where(changelog.RecordID(c.ID)).CountX(v.sys())
		}
		if _, err := v.e.Compact(context.Background(), v.clock.Now()); err != nil {
			t.Fatal(err)
		}
		// Both updates stay (and the creation, which compaction keeps for
		// the WatermelonDB adapter until the retention).
		if n := entries(); n != 3 {
			t.Fatalf("%d entries of the customer while the dispatcher lags, want 3", n)
		}
		if err := v.db.Client.ServerMeta.UpdateOneID(WebhookWatermarkKey).SetValue("1000000").Exec(v.sys()); err != nil {
			t.Fatal(err)
		}
		if _, err := v.e.Compact(context.Background(), v.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if n := entries(); n != 2 {
			t.Fatalf("%d entries of the customer once dispatched, want 2 (the creation and the latest)", n)
		}
	})
}
