package syncer

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/syncmutation"
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
