package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/ent/syncmutation"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/apperr"
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

// The WatermelonDB schema history: a client at an older version gets its
// version's tables and columns only; its migration to the next version
// brings the added table's records as created and the records with the
// added column as updated; a version older than the oldest gets 426, a
// newer one the newest shape.
func TestWatermelonSchemaVersions(t *testing.T) {
	v1 := map[string][]string{}
	for table, cols := range WatermelonColumns {
		if table == store.Notifications {
			continue // version 2 adds the table
		}
		if table == store.Customers {
			cols = slices.DeleteFunc(slices.Clone(cols), func(c string) bool { return c == "occupation" }) // and this column
		}
		v1[table] = cols
	}
	history := []WatermelonSchema{{Version: 3, Tables: v1}, {Version: 4, Tables: WatermelonColumns}}
	eachEnvWith(t, Options{WatermelonSchemas: history}, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		c, _ := v.family(a)
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(c.ID).SetOccupation("教师").Exec(ctx)
		})
		n := v.notification(a)
		dev := uuid.New()
		ver := func(n int) *int { return &n }
		first, err := v.e.WatermelonPull(v.as(a), WatermelonPullRequest{DeviceID: dev, SchemaVersion: ver(3)})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := first.Changes[store.Notifications]; ok {
			t.Errorf("version 3 has no notifications table, but the pull sent it")
		}
		var cust map[string]any
		if err := json.Unmarshal(first.Changes[store.Customers].Created[0], &cust); err != nil {
			t.Fatal(err)
		}
		if _, ok := cust["occupation"]; ok || cust["name"] == nil {
			t.Errorf("a version-3 customer record: %v (no occupation column, a name)", cust)
		}

		// The app's migration 3 → 4.
		mig := &WatermelonMigration{From: 3, Tables: []string{store.Notifications},
			Columns: []WatermelonMigrationColumn{{Table: store.Customers, Columns: []string{"occupation"}}}}
		p, err := v.e.WatermelonPull(v.as(a), WatermelonPullRequest{DeviceID: dev, SchemaVersion: ver(4),
			LastPulledAt: first.Timestamp, Migration: mig})
		if err != nil {
			t.Fatal(err)
		}
		if got := wmIDs(p.Changes[store.Notifications].Created); !slices.Equal(got, []string{n.ID.String()}) {
			t.Errorf("migration: notifications created %v, want %s", got, n.ID)
		}
		upd := p.Changes[store.Customers].Updated
		if len(upd) != 1 || !strings.Contains(string(upd[0]), `"occupation":"教师"`) {
			t.Errorf("migration: customers updated %s, want the customer with its occupation", upd)
		}

		for _, tc := range []struct {
			name string
			req  WatermelonPullRequest
			kind apperr.Kind
		}{
			{"older than the oldest", WatermelonPullRequest{DeviceID: dev, SchemaVersion: ver(2)}, apperr.KindUpgradeRequired},
			{"migration from the version itself", WatermelonPullRequest{DeviceID: dev, SchemaVersion: ver(4), LastPulledAt: first.Timestamp,
				Migration: &WatermelonMigration{From: 4}}, apperr.KindInvalid},
			{"migration adding a column the version lacks", WatermelonPullRequest{DeviceID: dev, SchemaVersion: ver(3), LastPulledAt: first.Timestamp,
				Migration: &WatermelonMigration{From: 2, Columns: []WatermelonMigrationColumn{{Table: store.Customers, Columns: []string{"occupation"}}}}}, apperr.KindInvalid},
			{"migration adding a table the old version had", WatermelonPullRequest{DeviceID: dev, SchemaVersion: ver(4), LastPulledAt: first.Timestamp,
				Migration: &WatermelonMigration{From: 3, Tables: []string{store.Tasks}}}, apperr.KindInvalid},
		} {
			_, err := v.e.WatermelonPull(v.as(a), tc.req)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != tc.kind {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
			}
		}
		// An app ahead of the server (a local-only table of its own) is
		// served the newest version.
		ahead, err := v.e.WatermelonPull(v.as(a), WatermelonPullRequest{DeviceID: uuid.New(), SchemaVersion: ver(9)})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ahead.Changes[store.Notifications]; !ok {
			t.Errorf("a newer app was not served the newest version")
		}
	})
}

func TestWatermelonCheckMigration(t *testing.T) {
	v1 := map[string][]string{store.Customers: {"id", "name"}}
	v2 := map[string][]string{store.Customers: {"id", "name", "occupation"}, store.Tasks: {"id", "title"}}
	h := []WatermelonSchema{{Version: 1, Tables: v1}, {Version: 2, Tables: v2}}
	if err := validWatermelonSchemas(h); err != nil {
		t.Fatal(err)
	}
	cols := func(table string, c ...string) []WatermelonMigrationColumn {
		return []WatermelonMigrationColumn{{Table: table, Columns: c}}
	}
	for _, tc := range []struct {
		name string
		m    WatermelonMigration
		ok   bool
	}{
		{"a table and a column added since a served version", WatermelonMigration{From: 1, Tables: []string{store.Tasks}, Columns: cols(store.Customers, "occupation")}, true},
		{"from a version the server never served", WatermelonMigration{From: 0, Tables: []string{store.Tasks, store.Customers}}, true},
		{"a table the served from-version had", WatermelonMigration{From: 1, Tables: []string{store.Customers}}, false},
		{"a table the version lacks", WatermelonMigration{From: 1, Tables: []string{store.Notifications}}, false},
		{"a column the version lacks", WatermelonMigration{From: 1, Columns: cols(store.Customers, "phone")}, false},
		{"from the version itself", WatermelonMigration{From: 2}, false},
		{"a negative from", WatermelonMigration{From: -1}, false},
	} {
		err := checkMigration(&tc.m, h, h[1])
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	for _, bad := range [][]WatermelonSchema{
		nil,
		{{Version: 2, Tables: v2}, {Version: 1, Tables: v1}},
		{{Version: 1, Tables: v2}, {Version: 2, Tables: v1}},
		{{Version: 1, Tables: map[string][]string{"nope": {"id"}}}},
		{{Version: 1, Tables: map[string][]string{store.Customers: {"name"}}}},
	} {
		if validWatermelonSchemas(bad) == nil {
			t.Errorf("history %v accepted", bad)
		}
	}
}
