package syncer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// The first sync delivers the essentials before any interaction history
// and says so; the history follows in the same snapshot.
func TestFirstPullEssentialsFirst(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		other := v.agent(auth.RoleAgent, nil)
		var mine []uuid.UUID
		for range 3 {
			c, _ := v.family(a)
			mine = append(mine, c.ID)
		}
		v.family(other)
		v.toolkitItem(true)
		v.toolkitItem(false)
		v.notification(a)
		v.notification(other)
		var closedID uuid.UUID
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			cp, err := tx.Complaint.Create().SetCustomerID(mine[0]).SetSummary("已结案").SetStatus(complaint.StatusClosed).
				SetReceivedAt(v.clock.Now()).SetAckDueAt(v.clock.Now()).SetAnswerDueAt(v.clock.Now()).SetCloseDueAt(v.clock.Now()).Save(ctx)
			closedID = cp.ID
			return err
		})

		d := v.device(a)
		pages := d.pull(4)
		d.converged(a)

		var order []string
		essentialAt := -1
		for i, p := range pages {
			for _, c := range p.Changes {
				if c.Op != OpUpsert {
					t.Fatalf("snapshot sent %s %s", c.Op, c.Collection)
				}
				kind := c.Collection
				if c.ID == closedID {
					kind = "closed complaint"
				}
				if len(order) == 0 || order[len(order)-1] != kind {
					order = append(order, kind)
				}
			}
			if p.EssentialComplete && essentialAt < 0 {
				essentialAt = i
			}
			if p.HasMore == (i == len(pages)-1) {
				t.Fatalf("page %d: has_more = %v", i, p.HasMore)
			}
		}
		want := []string{store.ToolkitItems, store.Customers, store.Portraits, store.Policies, store.ServicePlans,
			store.Tasks, store.Complaints, store.Notifications, store.Interactions, "closed complaint"}
		if diff := cmp.Diff(want, order); diff != "" {
			t.Errorf("snapshot order (-want +got):\n%s", diff)
		}
		// The essential part completes before the first interaction arrives.
		for i := 0; i < essentialAt; i++ {
			for _, c := range pages[i].Changes {
				if c.Collection == store.Interactions {
					t.Fatalf("an interaction came on page %d, before essential_complete (page %d)", i, essentialAt)
				}
			}
		}
		for _, c := range pages[essentialAt].Changes {
			if c.Collection == store.Interactions {
				t.Fatalf("the page completing the essentials (%d) holds history", essentialAt)
			}
		}
		// Personal data for the book's phone: the phone in full.
		for k, data := range d.data {
			if k.coll == store.Customers && !jsonHas(data, `"phone":"1380013`) {
				t.Errorf("customer %s without its phone: %s", k.id, data)
			}
		}
	})
}

// After the snapshot, a pull returns exactly the changes committed in
// the caller's scope since, and a pull with nothing new is tiny and
// returns the same cursor (and ETag).
func TestIncrementalPull(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		other := v.agent(auth.RoleAgent, nil)
		c, ids := v.family(a)
		oc, _ := v.family(other)
		d := v.device(a)
		d.pull(1000)

		again := d.pull(1000)
		if len(again) != 1 || len(again[0].Changes) != 0 || again[0].HasMore {
			t.Fatalf("no-change pull: %+v", again)
		}
		first, err := v.e.Pull(d.ctx, PullRequest{Cursor: d.cursor})
		if err != nil {
			t.Fatal(err)
		}
		if first.Cursor != d.cursor || first.ETag != again[0].ETag {
			t.Errorf("no-change pull moved the cursor or the ETag")
		}
		body, _ := first.MarshalJSON()
		if len(body) > 400 {
			t.Errorf("no-change pull is %d bytes: %s", len(body), body)
		}

		var newTask uuid.UUID
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			if err := tx.Task.UpdateOneID(ids[store.Tasks]).SetStatus("done").Exec(ctx); err != nil {
				return err
			}
			if err := tx.Interaction.DeleteOneID(ids[store.Interactions]).Exec(ctx); err != nil {
				return err
			}
			tk, err := tx.Task.Create().SetCustomerID(c.ID).SetTitle("新任务").Save(ctx)
			newTask = tk.ID
			if err != nil {
				return err
			}
			return tx.Customer.UpdateOneID(oc.ID).SetOccupation("医生").Exec(ctx)
		})
		pages := d.pull(1000)
		want := []string{
			"interactions/" + ids[store.Interactions].String() + " delete deleted",
			"tasks/" + ids[store.Tasks].String() + " upsert",
			"tasks/" + newTask.String() + " upsert",
		}
		if diff := cmp.Diff(sorted(want), changeKeys(pages)); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		d.converged(a)
	})
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	slicesSort(out)
	return out
}

// A client that takes its pages by column gets a first sync in pages of
// SnapshotColumnsPageBytes: fewer pages, holding the same changes in the
// same order. First-sync pages are built SnapshotBuilds at a time:
// concurrent first syncs wait for their turn and all complete.
func TestSnapshotColumnsPages(t *testing.T) {
	opts := Options{SnapshotPageBytes: 2 << 10, SnapshotColumnsPageBytes: 16 << 10, SnapshotBuilds: 1}
	eachEnvWith(t, opts, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		for range 6 {
			v.family(a)
		}
		firstSync := func(columns bool) (pages int, changes []Change, err error) {
			cursor := ""
			for {
				p, err := v.e.Pull(v.as(a), PullRequest{Cursor: cursor, Limit: MaxPullLimit, Columns: columns})
				if err != nil {
					return pages, changes, err
				}
				pages++
				for _, c := range p.Changes {
					c.Data = nil // rendered alike; compared by version
					changes = append(changes, c)
				}
				if !p.HasMore {
					return pages, changes, nil
				}
				cursor = p.Cursor
			}
		}
		rowPages, rows, err := firstSync(false)
		if err != nil {
			t.Fatal(err)
		}
		colPages, cols, err := firstSync(true)
		if err != nil {
			t.Fatal(err)
		}
		if colPages >= rowPages || colPages < 2 {
			t.Errorf("first sync in %d pages by column, %d by change: want fewer by column (but more than one)", colPages, rowPages)
		}
		if diff := cmp.Diff(rows, cols); diff != "" {
			t.Fatalf("changes by column differ (-by change +by column):\n%s", diff)
		}

		var wg sync.WaitGroup
		errs := make([]error, 4)
		got := make([][]Change, 4)
		for i := range 4 {
			wg.Go(func() { _, got[i], errs[i] = firstSync(i%2 == 0) })
		}
		wg.Wait()
		for i := range 4 {
			if errs[i] != nil {
				t.Fatalf("concurrent first sync %d: %v", i, errs[i])
			}
			if diff := cmp.Diff(rows, got[i]); diff != "" {
				t.Errorf("concurrent first sync %d (-want +got):\n%s", i, diff)
			}
		}
		// A first sync whose context ends while it waits for its turn
		// gives up.
		v.e.builds <- struct{}{}
		ctx, cancel := context.WithTimeout(v.as(a), 50*time.Millisecond)
		defer cancel()
		if _, err := v.e.Pull(ctx, PullRequest{Columns: true}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("pull waiting past its deadline = %v, want the deadline", err)
		}
		<-v.e.builds
	})
}
