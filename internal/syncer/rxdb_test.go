package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	custsvc "github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/store"
)

// rxDevice is an RxDB client: per collection a checkpoint and the
// documents it holds (deleted ones as tombstones), replicated as RxDB's
// downstream does: pull until a batch is shorter than the batch size.
type rxDevice struct {
	v    *env
	a    *ent.Agent
	ctx  context.Context
	cps  map[string]*RxdbCheckpoint
	docs map[recKey]map[string]any
	// batches of the last sync, by collection
	got map[string][]*RxdbPage
}

func (v *env) rxDevice(a *ent.Agent) *rxDevice {
	return &rxDevice{v: v, a: a, ctx: v.as(a), cps: map[string]*RxdbCheckpoint{}, docs: map[recKey]map[string]any{}}
}

// sync pulls every collection until it is caught up, checking RxDB's
// contract on the way: full batches while more remain, (lwt, id) order.
func (d *rxDevice) sync(limit int) {
	d.v.t.Helper()
	d.got = map[string][]*RxdbPage{}
	for _, coll := range Collections {
		for range 10000 {
			p, err := d.v.e.RxdbPull(d.ctx, RxdbPullRequest{Collection: coll, Checkpoint: d.cps[coll], Limit: limit})
			if err != nil {
				d.v.t.Fatalf("%s: pull %s: %v", d.a.Username, coll, err)
			}
			d.got[coll] = append(d.got[coll], p)
			if len(p.Documents) == 0 {
				break
			}
			prev := d.cps[coll]
			for _, raw := range p.Documents {
				var m map[string]any
				if err := json.Unmarshal(raw, &m); err != nil {
					d.v.t.Fatalf("document %s: %v", raw, err)
				}
				id := uuid.MustParse(m["id"].(string))
				d.docs[recKey{coll, id}] = m
			}
			if prev != nil && (p.Checkpoint.LWT < prev.LWT || (p.Checkpoint.LWT == prev.LWT && p.Checkpoint.ID <= prev.ID)) {
				d.v.t.Fatalf("%s: checkpoint went back from %+v to %+v", coll, prev, p.Checkpoint)
			}
			d.cps[coll] = p.Checkpoint
			if len(p.Documents) < limit {
				// RxDB stops here: nothing may remain.
				more, err := d.v.e.RxdbPull(d.ctx, RxdbPullRequest{Collection: coll, Checkpoint: d.cps[coll], Limit: limit})
				if err != nil || len(more.Documents) != 0 {
					d.v.t.Fatalf("%s: a short batch of %d (limit %d) but more remain: %v %v", coll, len(p.Documents), limit, more, err)
				}
				break
			}
		}
	}
}

// live returns the documents that are not deleted, by key, with versions.
func (d *rxDevice) live() map[recKey]int64 {
	out := map[recKey]int64{}
	for k, m := range d.docs {
		if m["_deleted"] == true {
			continue
		}
		out[k] = int64(m["version"].(float64))
	}
	return out
}

func (d *rxDevice) converged() {
	d.v.t.Helper()
	want, got := d.v.truth(d.a), d.live()
	if diff := cmp.Diff(keysOf(want), keysOf(got)); diff != "" {
		d.v.t.Fatalf("rxdb device of %s: records (-server +device):\n%s", d.a.Username, diff)
	}
	for k, ver := range want {
		if got[k] != ver {
			d.v.t.Fatalf("rxdb device of %s: %s at version %d, server %d", d.a.Username, k, got[k], ver)
		}
	}
}

// lwtOf returns the lwt at which the last sync delivered a document.
func (d *rxDevice) lwtOf(coll string, id uuid.UUID) (int64, bool) {
	var lwt int64
	found := false
	for _, p := range d.got[coll] {
		// The checkpoint names the last document; walk the batch's ids.
		for _, raw := range p.Documents {
			if strings.Contains(string(raw), id.String()) {
				found = true
				lwt = p.Checkpoint.LWT
			}
		}
	}
	return lwt, found
}

func (d *rxDevice) deleted(coll string, id uuid.UUID) bool {
	m, ok := d.docs[recKey{coll, id}]
	return ok && m["_deleted"] == true
}

func (d *rxDevice) holds(coll string, id uuid.UUID) bool {
	m, ok := d.docs[recKey{coll, id}]
	return ok && m["_deleted"] != true
}

func (v *env) topSeq() int64 {
	v.t.Helper()
	n, err := v.e.maxSeq(context.Background())
	if err != nil {
		v.t.Fatal(err)
	}
	return n
}

func TestRxdbFirstSyncInExactBatches(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		other := v.agent(auth.RoleAgent, nil)
		for range 3 {
			v.family(a)
		}
		v.family(other)
		v.toolkitItem(true)
		v.toolkitItem(false)
		v.notification(a)
		v.notification(other)
		for _, limit := range []int{1, 2, 1000} {
			d := v.rxDevice(a)
			d.sync(limit)
			d.converged()
		}
		// The other agent's records never reach a's device, not even as tombstones.
		d := v.rxDevice(a)
		d.sync(1000)
		for k := range v.truth(other) {
			if k.coll != store.ToolkitItems && d.docs[k] != nil {
				t.Errorf("a holds %s of another agent", k)
			}
		}
	})
}

func TestRxdbDocumentsAreOrderedByLwtAndID(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		b := v.agent(auth.RoleAgent, nil)
		c1, _ := v.family(b)
		c2, _ := v.family(b)
		v.family(a)
		d := v.rxDevice(a)
		d.sync(1000)
		// Two customers arrive in one transaction: their records share the lwt.
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			if err := tx.Customer.UpdateOneID(c1.ID).SetAgentID(a.ID).Exec(ctx); err != nil {
				return err
			}
			return tx.Customer.UpdateOneID(c2.ID).SetAgentID(a.ID).Exec(ctx)
		})
		d.sync(1)
		d.converged()
		var last *RxdbCheckpoint
		for _, coll := range Collections {
			last = nil
			for _, p := range d.got[coll] {
				for _, raw := range p.Documents {
					var m map[string]any
					_ = json.Unmarshal(raw, &m)
					cp := &RxdbCheckpoint{ID: m["id"].(string), LWT: p.Checkpoint.LWT}
					if last != nil && (cp.LWT < last.LWT || (cp.LWT == last.LWT && cp.ID <= last.ID)) {
						t.Errorf("%s: %+v after %+v", coll, cp, last)
					}
					last = cp
				}
			}
		}
	})
}

func TestRxdbReassignment(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		team := v.team("A组")
		a := v.agent(auth.RoleAgent, &team)
		b := v.agent(auth.RoleAgent, &team)
		lead := v.agent(auth.RoleTeamLead, &team)
		c, ids := v.family(a)
		v.family(a)
		da, db, dl := v.rxDevice(a), v.rxDevice(b), v.rxDevice(lead)
		da.sync(1000)
		db.sync(1000)
		dl.sync(1000)

		svc := custsvc.NewService(v.db, v.pii, v.clock, v.e.audit)
		if _, err := svc.Update(v.as(lead), c.ID, nil, custsvc.Input{AgentID: &b.ID}); err != nil {
			t.Fatal(err)
		}
		move := v.topSeq()

		da.sync(2)
		for coll, id := range ids {
			if !da.deleted(coll, id) {
				t.Errorf("old owner: %s %s not deleted", coll, id)
			}
		}
		da.converged()

		db.sync(2)
		for coll, id := range ids {
			lwt, ok := db.lwtOf(coll, id)
			if !ok {
				t.Errorf("new owner: %s %s did not arrive", coll, id)
			} else if lwt != move {
				t.Errorf("new owner: %s arrived at lwt %d, want the move's %d", coll, lwt, move)
			}
		}
		db.converged()

		dl.sync(1000)
		if _, ok := dl.lwtOf(store.Interactions, ids[store.Interactions]); ok {
			t.Errorf("the lead held the customer before and after, yet got its interactions again")
		}
		dl.converged()
	})
}

func TestRxdbTeamMoveAndDeletedCustomer(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		ta, tb := v.team("A组"), v.team("B组")
		x := v.agent(auth.RoleAgent, &ta)
		la := v.agent(auth.RoleTeamLead, &ta)
		lb := v.agent(auth.RoleTeamLead, &tb)
		other := v.agent(auth.RoleAgent, &tb)
		_, ids1 := v.family(x)
		c2, ids2 := v.family(x)
		dla, dlb, dx, do := v.rxDevice(la), v.rxDevice(lb), v.rxDevice(x), v.rxDevice(other)
		for _, d := range []*rxDevice{dla, dlb, dx, do} {
			d.sync(1000)
		}
		v.moveAgent(x, &tb)
		dla.sync(3)
		if !dla.deleted(store.Interactions, ids1[store.Interactions]) {
			t.Errorf("old lead: records of the agent's customers not deleted")
		}
		dla.converged()
		dlb.sync(3)
		if _, ok := dlb.lwtOf(store.Interactions, ids1[store.Interactions]); !ok {
			t.Errorf("new lead: records did not arrive")
		}
		dlb.converged()

		admin := v.agent(auth.RoleAdmin, nil)
		svc := custsvc.NewService(v.db, v.pii, v.clock, v.e.audit)
		if err := svc.Delete(v.as(admin), c2.ID, nil); err != nil {
			t.Fatal(err)
		}
		dx.sync(2)
		for coll, id := range ids2 {
			if !dx.deleted(coll, id) {
				t.Errorf("owner: no tombstone of %s %s", coll, id)
			}
		}
		dx.converged()
		do.sync(2)
		for coll, id := range ids2 {
			if do.docs[recKey{coll, id}] != nil {
				t.Errorf("another agent learnt of the deletion of %s %s", coll, id)
			}
		}
		do.converged()

		// A lead who moves to the other team: the old team's customers
		// leave, the new team's arrive, without replicating from scratch.
		la2 := v.agent(auth.RoleAgent, &ta)
		v.family(la2)
		dla.sync(1000)
		dla.converged()
		v.moveAgent(la, &tb)
		dla.ctx = v.as(la)
		dla.sync(2)
		dla.converged()
		fresh := v.rxDevice(la)
		fresh.sync(1)
		fresh.converged()
	})
}

func TestRxdbCheckpointsAndVersions(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		v.family(a)
		d := v.rxDevice(a)
		d.sync(1000)
		ctx := d.ctx
		cases := []struct {
			name string
			req  RxdbPullRequest
			kind apperr.Kind
			code string
		}{
			{"schema version not served", RxdbPullRequest{Collection: store.Tasks, SchemaVersion: 7}, apperr.KindUpgradeRequired, ""},
			{"unknown collection", RxdbPullRequest{Collection: "claims"}, apperr.KindNotFound, ""},
			{"bad id", RxdbPullRequest{Collection: store.Tasks, Checkpoint: &RxdbCheckpoint{ID: "x", LWT: 1}}, apperr.KindInvalid, ""},
			{"ahead of the log", RxdbPullRequest{Collection: store.Tasks, Checkpoint: &RxdbCheckpoint{LWT: 1 << 40}}, apperr.KindGone, "sync-reset-required"},
			{"limit", RxdbPullRequest{Collection: store.Tasks, Limit: MaxLimit + 1}, apperr.KindInvalid, ""},
		}
		for _, tc := range cases {
			_, err := v.e.RxdbPull(ctx, tc.req)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != tc.kind || (tc.code != "" && ae.Code != tc.code) {
				t.Errorf("%s: %v, want %v %s", tc.name, err, tc.kind, tc.code)
			}
		}
		// Nothing new: an empty batch that keeps the checkpoint.
		cp := d.cps[store.Tasks]
		p, err := v.e.RxdbPull(ctx, RxdbPullRequest{Collection: store.Tasks, Checkpoint: cp})
		if err != nil || len(p.Documents) != 0 || *p.Checkpoint != *cp {
			t.Errorf("no-change pull: %+v %v", p, err)
		}
		if got := string(p.AppendJSON(nil)); got != fmt.Sprintf(`{"documents":[],"checkpoint":{"id":%q,"lwt":%d}}`, cp.ID, cp.LWT) {
			t.Errorf("JSON: %s", got)
		}
	})
}

// rxRow builds a push row from documents as the device holds them.
func rxRow(newDoc, assumed map[string]any) RxdbRow {
	conv := func(m map[string]any) map[string]json.RawMessage {
		if m == nil {
			return nil
		}
		out := map[string]json.RawMessage{}
		for k, v := range m {
			b, _ := json.Marshal(v)
			out[k] = b
		}
		return out
	}
	return RxdbRow{NewDocumentState: conv(newDoc), AssumedMasterState: conv(assumed)}
}

func with(doc map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range doc {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestRxdbPush(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		c, ids := v.family(a)
		d1, d2 := v.rxDevice(a), v.rxDevice(a)
		d1.sync(1000)
		d2.sync(1000)
		push := func(d *rxDevice, coll string, rows ...RxdbRow) []map[string]any {
			t.Helper()
			out, err := v.e.RxdbPush(d.ctx, coll, 0, rows)
			if err != nil {
				t.Fatalf("push %s: %v", coll, err)
			}
			var docs []map[string]any
			for _, raw := range out {
				var m map[string]any
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatal(err)
				}
				docs = append(docs, m)
			}
			return docs
		}
		task := d1.docs[recKey{store.Tasks, ids[store.Tasks]}]

		// A document equal to the stored copy is not a conflict.
		if got := push(d1, store.Tasks, rxRow(task, task)); len(got) != 0 {
			t.Errorf("unchanged document: %v", got)
		}
		// An edit on the current version applies.
		if got := push(d1, store.Tasks, rxRow(with(task, "title", "电话回访"), task)); len(got) != 0 {
			t.Errorf("edit: conflicts %v", got)
		}
		// The same push again (a lost response) changes nothing more.
		before := v.truth(a)[recKey{store.Tasks, ids[store.Tasks]}]
		if got := push(d1, store.Tasks, rxRow(with(task, "title", "电话回访"), task)); len(got) != 0 {
			t.Errorf("replay: %v", got)
		}
		if after := v.truth(a)[recKey{store.Tasks, ids[store.Tasks]}]; after != before {
			t.Errorf("replay changed the version %d → %d", before, after)
		}
		// d2 edits the same field from the old version: a conflict; the
		// server's copy comes back (last writer wins for agent fields).
		task2 := d2.docs[recKey{store.Tasks, ids[store.Tasks]}]
		got := push(d2, store.Tasks, rxRow(with(task2, "title", "上门回访"), task2))
		if len(got) != 1 || got[0]["id"] != ids[store.Tasks].String() || got[0]["title"] != "上门回访" || got[0]["_deleted"] != false {
			t.Errorf("conflict: %v", got)
		}
		// Both devices converge.
		d1.sync(1000)
		d2.sync(1000)
		d1.converged()
		d2.converged()
		if d1.docs[recKey{store.Tasks, ids[store.Tasks]}]["title"] != "上门回访" {
			t.Errorf("d1 did not get the final title")
		}

		// A create, then its refused delete (tasks are completed, not
		// deleted): the server's copy comes back.
		nid := uuid.Must(uuid.NewV7())
		newTask := map[string]any{"id": nid.String(), "customer_id": c.ID.String(), "title": "新任务", "due_at": "2026-12-01T00:00:00Z", "_deleted": false}
		if got := push(d1, store.Tasks, rxRow(newTask, nil)); len(got) != 0 {
			t.Errorf("create: %v", got)
		}
		d2.sync(1000)
		if d2.docs[recKey{store.Tasks, nid}] == nil {
			t.Fatalf("the created task did not reach the other device")
		}
		created := d2.docs[recKey{store.Tasks, nid}]
		if got := push(d2, store.Tasks, rxRow(with(created, "_deleted", true), created)); len(got) != 1 || got[0]["_deleted"] != false {
			t.Errorf("refused delete: %v", got)
		}
		// A customer made offline, then deleted on the other device.
		cid := uuid.Must(uuid.NewV7())
		if got := push(d1, store.Customers, rxRow(map[string]any{"id": cid.String(), "name": "王五", "_deleted": false}, nil)); len(got) != 0 {
			t.Errorf("create customer: %v", got)
		}
		d2.sync(1000)
		newCust := d2.docs[recKey{store.Customers, cid}]
		if newCust == nil {
			t.Fatalf("the created customer did not reach the other device")
		}
		if got := push(d2, store.Customers, rxRow(with(newCust, "_deleted", true), newCust)); len(got) != 0 {
			t.Errorf("delete customer: %v", got)
		}
		d1.sync(1000)
		if !d1.deleted(store.Customers, cid) {
			t.Errorf("the delete did not reach the other device")
		}
		d1.converged()

		// Read-only collections: the server's copy comes back.
		pol := d1.docs[recKey{store.Policies, ids[store.Policies]}]
		got = push(d1, store.Policies, rxRow(with(pol, "version", 99), pol))
		if len(got) != 1 || got[0]["version"] == float64(99) {
			t.Errorf("policy write: %v", got)
		}
		// A record out of scope is gone: a tombstone.
		b := v.agent(auth.RoleAgent, nil)
		v.reassign(c.ID, b)
		cust := d1.docs[recKey{store.Customers, c.ID}]
		got = push(d1, store.Customers, rxRow(with(cust, "occupation", "教师"), cust))
		if len(got) != 1 || got[0]["_deleted"] != true {
			t.Errorf("out-of-scope write: %v", got)
		}
		if _, err := v.e.RxdbPush(d1.ctx, store.Tasks, 3, nil); !isKind(err, apperr.KindUpgradeRequired) {
			t.Errorf("old schema: %v", err)
		}
		// The change log is the one source of truth: every write is in it.
		n, err := v.db.Client.ChangeLog.Query().Where(changelog.RecordID(nid)).Count(v.sys())
		if err != nil || n == 0 {
			t.Errorf("no log entry of the pushed task: %d %v", n, err)
		}
	})
}

func isKind(err error, k apperr.Kind) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Kind == k
}

// Compaction keeps what an RxDB checkpoint needs until the retention;
// past it, an older checkpoint is refused (the client replicates from
// scratch) rather than answered partially.
func TestRxdbAfterCompaction(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		b := v.agent(auth.RoleAgent, nil)
		c, ids := v.family(a)
		moved, _ := v.family(a)
		old := v.rxDevice(a)
		old.sync(1000)
		for i := range 3 {
			v.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.Task.UpdateOneID(ids[store.Tasks]).SetTitle("第" + string(rune('一'+i)) + "次").Exec(ctx)
			})
		}
		v.reassign(moved.ID, b)
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Interaction.DeleteOneID(ids[store.Interactions]).Exec(ctx)
		})
		if _, err := v.e.Compact(context.Background(), v.clock.Now()); err != nil {
			t.Fatal(err)
		}
		old.sync(2)
		old.converged()
		if !old.deleted(store.Interactions, ids[store.Interactions]) {
			t.Errorf("the tombstone did not arrive after compaction")
		}
		if !old.deleted(store.Customers, moved.ID) {
			t.Errorf("the reassigned customer did not leave after compaction")
		}

		v.clock.Advance(DefaultRetention + time.Hour)
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(c.ID).SetOccupation("医生").Exec(ctx)
		})
		st, err := v.e.Compact(context.Background(), v.clock.Now())
		if err != nil || st.Floor == 0 {
			t.Fatalf("compaction past retention: %+v %v", st, err)
		}
		stale := &RxdbCheckpoint{ID: ids[store.Tasks].String(), LWT: 1}
		if _, err := v.e.RxdbPull(old.ctx, RxdbPullRequest{Collection: store.Tasks, Checkpoint: stale}); !isGone(err) {
			t.Errorf("checkpoint below the floor: %v, want sync-reset-required", err)
		}
		fresh := v.rxDevice(a)
		fresh.sync(1)
		fresh.converged()
	})
}

// A role change moves the agent's own scope without an entry per record,
// and an RxDB checkpoint carries no scope epoch: the role event in the
// change log backfills what the new role sees and drops what it no longer
// does, at the next pull from an old checkpoint.
func TestRxdbRoleChange(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		team := v.team("东区")
		lead := v.agent(auth.RoleTeamLead, &team)
		a := v.agent(auth.RoleAgent, &team)
		b := v.agent(auth.RoleAgent, &team)
		aCust, _ := v.family(a)
		bCust, _ := v.family(b)
		leadDev, bDev := v.rxDevice(lead), v.rxDevice(b)
		leadDev.sync(3)
		bDev.sync(3)
		bDev.converged()
		if bDev.holds(store.Customers, aCust.ID) {
			t.Fatal("an agent's device holds a colleague's customer")
		}

		reload := func() {
			var err error
			if b, err = v.db.Client.Agent.Get(auth.SystemContext(context.Background()), b.ID); err != nil {
				t.Fatal(err)
			}
			bDev.a, bDev.ctx = b, v.as(b) // its new token
		}
		v.changeRole(b, auth.RoleTeamLead)
		reload()
		bDev.sync(3)
		bDev.converged() // a's customers and their records arrived
		if !bDev.holds(store.Customers, aCust.ID) {
			t.Fatal("the promoted lead's device lacks the team's customers")
		}
		fresh := v.rxDevice(b)
		fresh.sync(3)
		fresh.converged()
		leadDev.sync(3)
		leadDev.converged() // another lead's scope did not move

		v.changeRole(b, auth.RoleAgent)
		reload()
		bDev.sync(3)
		bDev.converged() // a's records are gone again, b's own stayed
		if !bDev.deleted(store.Customers, aCust.ID) || !bDev.holds(store.Customers, bCust.ID) {
			t.Fatal("the demoted agent's device still holds the team's customers, or lost its own")
		}
	})
}

// An admin who becomes an agent no longer sees the company: the next
// pull drops every record outside the new book and keeps the book.
func TestRxdbAdminDemoted(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		admin := v.agent(auth.RoleAdmin, nil)
		other := v.agent(auth.RoleAgent, nil)
		own, _ := v.family(admin)
		theirs, _ := v.family(other)
		d := v.rxDevice(admin)
		d.sync(4)
		d.converged()
		if !d.holds(store.Customers, theirs.ID) {
			t.Fatal("the admin's device lacks another agent's customer")
		}
		v.changeRole(admin, auth.RoleAgent)
		var err error
		if admin, err = v.db.Client.Agent.Get(auth.SystemContext(context.Background()), admin.ID); err != nil {
			t.Fatal(err)
		}
		d.a, d.ctx = admin, v.as(admin)
		d.sync(4)
		d.converged()
		if !d.deleted(store.Customers, theirs.ID) || !d.holds(store.Customers, own.ID) {
			t.Fatal("the demoted admin's device keeps another agent's customer, or lost its own")
		}
	})
}

// changeRole changes an agent's role as the admin API does: a new scope
// epoch and the role event in the change log.
func (v *env) changeRole(a *ent.Agent, role auth.Role) {
	v.t.Helper()
	v.tx(func(ctx context.Context, tx *ent.Tx) error {
		if err := tx.Agent.UpdateOneID(a.ID).SetRole(agent.Role(role)).AddScopeEpoch(1).Exec(ctx); err != nil {
			return err
		}
		kind := store.AgentRoleChanged
		if a.Role == agent.RoleAdmin {
			kind = store.AgentLeftAdmin
		}
		return store.RecordAgentEvent(ctx, a.ID, a.TeamID, a.TeamID, kind)
	})
}
