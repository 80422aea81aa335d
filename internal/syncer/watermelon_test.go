package syncer

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/ent/syncmutation"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// wmIDs returns the ids of a table's created or updated records.
func wmIDs(recs []json.RawMessage) []string {
	out := []string{}
	for _, r := range recs {
		var v struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(r, &v)
		out = append(out, v.ID)
	}
	slices.Sort(out)
	return out
}

// A team lead's WatermelonDB pull after an agent joined the team: the
// agent's customers and their records entered the scope (created); a
// notification made after the pull is created too, and an edited record
// updated.
func TestWatermelonTeamMoveAndNotifications(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		teamA, teamB := v.team("A"), v.team("B")
		lead := v.agent(auth.RoleTeamLead, &teamA)
		mine, mineIDs := v.family(lead)
		a := v.agent(auth.RoleAgent, &teamB)
		_, ids := v.family(a)
		dev := uuid.New()
		first, err := v.e.WatermelonPull(v.as(lead), WatermelonPullRequest{DeviceID: dev})
		if err != nil {
			t.Fatal(err)
		}
		if got := wmIDs(first.Changes[store.Customers].Created); !slices.Equal(got, []string{mine.ID.String()}) {
			t.Fatalf("first sync: %v", got)
		}
		v.moveAgent(a, &teamA)
		n := v.notification(lead)
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Task.UpdateOneID(mineIDs[store.Tasks]).SetTitle("改了").Exec(ctx)
		})
		p, err := v.e.WatermelonPull(v.as(lead), WatermelonPullRequest{DeviceID: dev, LastPulledAt: first.Timestamp})
		if err != nil {
			t.Fatal(err)
		}
		for coll, id := range ids {
			if got := wmIDs(p.Changes[coll].Created); !slices.Equal(got, []string{id.String()}) {
				t.Errorf("%s created: %v, want the joining agent's %s", coll, got, id)
			}
		}
		if got := wmIDs(p.Changes[store.Notifications].Created); !slices.Equal(got, []string{n.ID.String()}) {
			t.Errorf("notifications created: %v", got)
		}
		if got := wmIDs(p.Changes[store.Tasks].Updated); !slices.Equal(got, []string{mineIDs[store.Tasks].String()}) {
			t.Errorf("tasks updated: %v", got)
		}
		if p.Timestamp <= first.Timestamp {
			t.Errorf("timestamp %d after %d", p.Timestamp, first.Timestamp)
		}
	})
}

// A push whose records the native rules partly reject runs again without
// them: the rest applies exactly once, the rejected records not at all.
func TestWatermelonPushRerunsWithoutRejected(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		c, ids := v.family(a)
		dev := uuid.New()
		p, err := v.e.WatermelonPull(v.as(a), WatermelonPullRequest{DeviceID: dev})
		if err != nil {
			t.Fatal(err)
		}
		newCust := uuid.New()
		raw := func(s string) json.RawMessage { return json.RawMessage(s) }
		res, err := v.e.WatermelonPush(v.as(a), WatermelonPushRequest{LastPulledAt: p.Timestamp, DeviceID: dev,
			Changes: map[string]WatermelonPushTable{
				store.Customers: {Created: []map[string]json.RawMessage{{"id": raw(`"` + newCust.String() + `"`), "name": raw(`"新客户"`)}}},
				store.Tasks: {Updated: []map[string]json.RawMessage{{"id": raw(`"` + ids[store.Tasks].String() + `"`),
					"version": raw(`1`), "status": raw(`"skipped"`)}}},
				store.Interactions: {Created: []map[string]json.RawMessage{{"id": raw(`"` + uuid.NewString() + `"`),
					"customer_id": raw(`"` + c.ID.String() + `"`), "channel": raw(`"phone"`), "type": raw(`"care"`), "content": raw(`"回访"`)}}},
				store.Policies: {Deleted: []string{ids[store.Policies].String()}},
			}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Rejected[store.Tasks], []string{ids[store.Tasks].String()}) ||
			!slices.Equal(res.Rejected[store.Policies], []string{ids[store.Policies].String()}) || len(res.Rejected) != 2 {
			t.Errorf("rejected: %v", res.Rejected)
		}
		sys := auth.SystemContext(context.Background())
		if n := v.db.Client.Customer.Query().CountX(sys); n != 2 {
			t.Errorf("%d customers, want 2", n)
		}
		if n := v.db.Client.Interaction.Query().CountX(sys); n != 2 {
			t.Errorf("%d interactions, want 2", n)
		}
		if tk := v.db.Client.Task.GetX(sys, ids[store.Tasks]); tk.Status != "todo" || tk.Version != 1 {
			t.Errorf("the rejected task changed: %s v%d", tk.Status, tk.Version)
		}
		if n := v.db.Client.SyncMutation.Query().Where(syncmutation.DeviceID(dev.String())).CountX(sys); n != 2 {
			t.Errorf("%d stored mutations, want 2 (the applied records, once)", n)
		}
		if n := v.db.Client.InsurancePolicy.Query().CountX(sys); n != 1 {
			t.Errorf("the read-only policy was deleted")
		}
	})
}

// A toolkit item reaches agents when it is published and leaves when it
// is retired, without a log entry that says so: a WatermelonDB pull sends
// it as created when the device did not hold it at last_pulled_at (a
// draft made before that pull, published after it; a retired item
// published again), as updated when it did, and as deleted on retirement.
func TestWatermelonToolkitPublishIsCreated(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		v.family(a)
		held := v.toolkitItem(true)
		draft := v.toolkitItem(false)
		dev := uuid.New()
		pull := func(last int64) *WatermelonPull {
			t.Helper()
			p, err := v.e.WatermelonPull(v.as(a), WatermelonPullRequest{DeviceID: dev, LastPulledAt: last})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		set := func(id uuid.UUID, status toolkititem.Status, title string) {
			v.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.ToolkitItem.UpdateOneID(id).SetStatus(status).SetTitle(title).Exec(ctx)
			})
		}
		tk := func(p *WatermelonPull) (created, updated, deleted []string) {
			t.Helper()
			c := p.Changes[store.ToolkitItems]
			return wmIDs(c.Created), wmIDs(c.Updated), slices.Sorted(slices.Values(c.Deleted))
		}
		one := func(id uuid.UUID) []string { return []string{id.String()} }
		none := []string{}
		check := func(step string, p *WatermelonPull, created, updated, deleted []string) {
			t.Helper()
			c, u, d := tk(p)
			if !slices.Equal(c, created) || !slices.Equal(u, updated) || !slices.Equal(d, deleted) {
				t.Fatalf("%s: created %v updated %v deleted %v; want %v %v %v", step, c, u, d, created, updated, deleted)
			}
		}

		first := pull(0)
		check("first sync", first, one(held.ID), none, none)
		set(draft.ID, toolkititem.StatusPublished, "发布")
		set(held.ID, toolkititem.StatusPublished, "改标题")
		p2 := pull(first.Timestamp)
		check("published after the pull", p2, one(draft.ID), one(held.ID), none)
		// The same pull again (the client lost the answer): the same split.
		check("a repeated pull", pull(first.Timestamp), one(draft.ID), one(held.ID), none)

		set(draft.ID, toolkititem.StatusRetired, "下线")
		p3 := pull(p2.Timestamp)
		check("retired", p3, none, none, one(draft.ID))
		set(draft.ID, toolkititem.StatusPublished, "重新发布")
		p4 := pull(p3.Timestamp)
		check("published again", p4, one(draft.ID), none, none)
		set(draft.ID, toolkititem.StatusPublished, "再改")
		check("edited while held", pull(p4.Timestamp), none, one(draft.ID), none)

		// The server keeps the last few records of the device only.
		last := p4.Timestamp
		for i := range 6 {
			status := toolkititem.StatusRetired
			if i%2 == 1 {
				status = toolkititem.StatusPublished
			}
			set(held.ID, status, "轮换")
			last = pull(last).Timestamp
		}
		n, err := v.db.Client.ServerMeta.Query().Where(servermeta.IDGTE(wmToolkitPrefix(a.ID, dev)), servermeta.IDLT(wmToolkitPrefix(a.ID, dev)+"~")).Count(auth.SystemContext(context.Background()))
		if err != nil || n != wmToolkitKept {
			t.Fatalf("%d records of the device's toolkit items kept (%v), want %d", n, err, wmToolkitKept)
		}
	})
}
