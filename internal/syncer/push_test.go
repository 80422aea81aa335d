package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/syncmutation"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// data builds a mutation's data from field/value pairs.
func data(kv ...any) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	for i := 0; i < len(kv); i += 2 {
		b, err := json.Marshal(kv[i+1])
		if err != nil {
			panic(err)
		}
		m[kv[i].(string)] = b
	}
	return m
}

func (v *env) push(ctx context.Context, ms ...Mutation) []Result {
	v.t.Helper()
	res, err := v.e.Push(ctx, PushRequest{DeviceID: uuid.New(), Mutations: ms})
	if err != nil {
		v.t.Fatalf("push: %v", err)
	}
	return res.Results
}

func mid() string { return uuid.NewString() }

// A replayed mutation returns the stored result and changes nothing,
// also when two copies race.
func TestPushIdempotent(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		c := v.customer(a)
		ctx := v.as(a)
		create := Mutation{MutationID: "m-1", Collection: store.Interactions, Op: OpUpsert, ID: uuid.New(),
			Data: data("customer_id", c.ID, "channel", "visit", "type", "revisit", "content", "上门回访")}
		bad := Mutation{MutationID: "m-2", Collection: store.Tasks, Op: OpUpsert, ID: uuid.New(), Data: data("title", "")}
		first := v.push(ctx, create, bad)
		before := v.db.Client.ChangeLog.Query().CountX(v.sys())
		again := v.push(ctx, create, bad)
		if diff := cmp.Diff(first, again, cmp.Comparer(func(a, b *apperr.Error) bool { return fmt.Sprint(a) == fmt.Sprint(b) })); diff != "" {
			t.Errorf("replay answered differently (-first +replay):\n%s", diff)
		}
		if first[0].Status != StatusApplied || first[1].Status != StatusRejected {
			t.Fatalf("results: %+v", first)
		}
		if after := v.db.Client.ChangeLog.Query().CountX(v.sys()); after != before {
			t.Errorf("the replay changed the log: %d → %d entries", before, after)
		}

		// Copies racing: one applies, the other returns its result.
		tk, _ := v.family(a)
		_ = tk
		taskID := uuid.New()
		race := Mutation{MutationID: "m-race", Collection: store.Tasks, Op: OpUpsert, ID: taskID,
			Data: data("customer_id", c.ID, "title", "电话回访", "due_at", v.clock.Now())}
		var wg sync.WaitGroup
		results := make([]Result, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := v.e.Push(ctx, PushRequest{DeviceID: uuid.New(), Mutations: []Mutation{race}})
				if err != nil {
					t.Errorf("racing push: %v", err)
					return
				}
				results[i] = res.Results[0]
			}()
		}
		wg.Wait()
		for _, r := range results {
			if r.Status != StatusApplied || *r.Version != 1 {
				t.Errorf("racing copy: %+v", r)
			}
		}
		if n := v.db.Client.ChangeLog.Query().Where(changelog.RecordID(taskID)).CountX(v.sys()); n != 1 {
			t.Errorf("the racing copies changed the task %d times", n)
		}
		if n := v.db.Client.SyncMutation.Query().Where(syncmutation.MutationID("m-race")).CountX(v.sys()); n != 1 {
			t.Errorf("%d stored results", n)
		}
	})
}

// Fields changed on one side merge; a field changed on both sides takes
// the pushed value (last writer by receive order) and is reported.
func TestPushMerge(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		c := v.customer(a)
		ctx := v.as(a)
		base := c.Version
		// The server changes occupation meanwhile.
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(c.ID).SetOccupation("中学教师").Exec(ctx)
		})
		res := v.push(ctx,
			Mutation{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: base,
				Data: data("tags", []string{"高净值"})})
		if res[0].Status != StatusMerged || res[0].Conflicts != nil || *res[0].Version != base+2 {
			t.Fatalf("one-sided change: %+v", res[0])
		}
		if !strings.Contains(string(res[0].Record), "中学教师") || !strings.Contains(string(res[0].Record), "高净值") {
			t.Errorf("merged record: %s", res[0].Record)
		}
		// Both change occupation: the push wins and says so.
		res = v.push(ctx,
			Mutation{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: base,
				Data: data("occupation", "小学教师", "name", "王芳")})
		if res[0].Status != StatusConflict || !cmp.Equal(res[0].Conflicts, []string{"occupation"}) {
			t.Fatalf("two-sided change: %+v", res[0])
		}
		got, err := v.db.Client.Customer.Get(v.sys(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Occupation != "小学教师" || !strings.Contains(string(res[0].Record), "小学教师") {
			t.Errorf("occupation = %q, record %s; the last writer should win", got.Occupation, res[0].Record)
		}
		// On the current version it simply applies.
		res = v.push(ctx, Mutation{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: c.ID,
			BaseVersion: got.Version, Data: data("occupation", "校长", "phone", "13900001111")})
		if res[0].Status != StatusApplied || res[0].Record != nil || *res[0].Version != got.Version+1 {
			t.Fatalf("current base: %+v", res[0])
		}
		// A change to the same value is no change.
		res = v.push(ctx, Mutation{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: c.ID,
			BaseVersion: got.Version + 1, Data: data("occupation", "校长")})
		if res[0].Status != StatusApplied || *res[0].Version != got.Version+1 {
			t.Fatalf("no-op: %+v", res[0])
		}
	})
}

// Each rule that refuses a mutation answers for that mutation alone, with
// a problem naming why; the rest of the batch applies.
func TestPushRejections(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		other := v.agent(auth.RoleAgent, nil)
		c, ids := v.family(a)
		n := v.notification(a)
		ctx := v.as(a)
		cases := []struct {
			name   string
			m      Mutation
			status string
			field  string
		}{
			{"portraits are read-only", Mutation{Collection: store.Portraits, Op: OpUpsert, ID: ids[store.Portraits], BaseVersion: 1, Data: data("life_stage", "married")}, StatusRejected, ""},
			{"policies are read-only", Mutation{Collection: store.Policies, Op: OpUpsert, ID: ids[store.Policies], BaseVersion: 1, Data: data("status", "lapsed")}, StatusRejected, ""},
			{"plans are read-only", Mutation{Collection: store.ServicePlans, Op: OpDelete, ID: ids[store.ServicePlans], BaseVersion: 1}, StatusRejected, ""},
			{"toolkit is read-only", Mutation{Collection: store.ToolkitItems, Op: OpUpsert, ID: uuid.New(), Data: data("title", "x")}, StatusRejected, ""},
			{"external_id is the insurer's", Mutation{Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: 1, Data: data("external_id", "X1")}, StatusRejected, "/external_id"},
			{"agents do not reassign", Mutation{Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: 1, Data: data("agent_id", other.ID)}, StatusRejected, ""},
			{"unknown field", Mutation{Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: 1, Data: data("shoe_size", 42)}, StatusRejected, "/shoe_size"},
			{"bad phone", Mutation{Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: 1, Data: data("phone", "abc")}, StatusRejected, "/phone"},
			{"complaint status goes through the workflow", Mutation{Collection: store.Complaints, Op: OpUpsert, ID: ids[store.Complaints], BaseVersion: 1, Data: data("status", "closed")}, StatusRejected, "/status"},
			{"notifications: only read_at", Mutation{Collection: store.Notifications, Op: OpUpsert, ID: n.ID, BaseVersion: 1, Data: data("title", "x")}, StatusRejected, "/title"},
			{"skipped needs a reason", Mutation{Collection: store.Tasks, Op: OpUpsert, ID: ids[store.Tasks], BaseVersion: 1, Data: data("status", "skipped")}, StatusRejected, "/skip_reason"},
			{"base ahead of the server", Mutation{Collection: store.Tasks, Op: OpUpsert, ID: ids[store.Tasks], BaseVersion: 99, Data: data("title", "x")}, StatusRejected, "/base_version"},
			{"agents keep the ledger", Mutation{Collection: store.Interactions, Op: OpDelete, ID: ids[store.Interactions], BaseVersion: 1}, StatusRejected, ""},
			{"a task of another book's customer", Mutation{Collection: store.Tasks, Op: OpUpsert, ID: uuid.New(), Data: data("customer_id", v.customer(other).ID, "title", "x", "due_at", v.clock.Now())}, StatusRejected, "/customer_id"},
			{"fine", Mutation{Collection: store.Notifications, Op: OpUpsert, ID: n.ID, BaseVersion: 1, Data: data("read_at", v.clock.Now())}, StatusApplied, ""},
		}
		var ms []Mutation
		for i := range cases {
			cases[i].m.MutationID = mid()
			ms = append(ms, cases[i].m)
		}
		res := v.push(ctx, ms...)
		for i, tc := range cases {
			r := res[i]
			t.Logf("%s: %s %v", tc.name, r.Status, r.Err)
			if r.Status != tc.status {
				t.Errorf("%s: status %s (%v), want %s", tc.name, r.Status, r.Err, tc.status)
				continue
			}
			if tc.status == StatusRejected && r.Err == nil {
				t.Errorf("%s: rejected without a reason", tc.name)
			}
			if tc.field != "" && (r.Err == nil || len(r.Err.Fields) == 0 || r.Err.Fields[0].Field != tc.field) {
				t.Errorf("%s: error %+v, want a problem with %s", tc.name, r.Err, tc.field)
			}
		}
	})
}

// Changes to records that were deleted or are outside the caller's scope
// are gone (and say nothing of whether the record exists); so is a
// create of an id that was deleted.
func TestPushGone(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		other := v.agent(auth.RoleAgent, nil)
		c := v.customer(a)
		theirs, tIDs := v.family(other)
		ctx := v.as(a)
		res := v.push(ctx, Mutation{MutationID: mid(), Collection: store.Customers, Op: OpDelete, ID: c.ID, BaseVersion: c.Version})
		if res[0].Status != StatusApplied {
			t.Fatalf("delete: %+v", res[0])
		}
		cases := []Mutation{
			{Collection: store.Customers, Op: OpDelete, ID: c.ID, BaseVersion: c.Version},
			{Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: c.Version, Data: data("name", "x")},
			{Collection: store.Customers, Op: OpUpsert, ID: c.ID, Data: data("name", "重建")},
			{Collection: store.Customers, Op: OpUpsert, ID: theirs.ID, BaseVersion: 1, Data: data("name", "x")},
			{Collection: store.Tasks, Op: OpUpsert, ID: tIDs[store.Tasks], BaseVersion: 1, Data: data("status", "done")},
			{Collection: store.Tasks, Op: OpUpsert, ID: tIDs[store.Tasks], Data: data("customer_id", theirs.ID, "title", "x", "due_at", v.clock.Now())},
			{Collection: store.Tasks, Op: OpUpsert, ID: uuid.New(), BaseVersion: 3, Data: data("status", "done")},
		}
		for i := range cases {
			cases[i].MutationID = mid()
		}
		for i, r := range v.push(ctx, cases...) {
			if r.Status != StatusGone {
				t.Errorf("case %d (%s %s): %+v", i, cases[i].Collection, cases[i].Op, r)
			}
		}
	})
}

// A create whose client id exists is a replay when identical and a
// conflict otherwise; personal data is stored encrypted, never in plain
// text, in the record and in the stored result.
func TestPushCreate(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		ctx := v.as(a)
		id := uuid.New()
		create := data("name", "李雷", "phone", "13812345678", "health_notes", "高血压", "tags", []string{"新客"})
		res := v.push(ctx, Mutation{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: id, Data: create})
		if res[0].Status != StatusApplied || *res[0].Version != 1 || !strings.Contains(string(res[0].Record), "13812345678") {
			t.Fatalf("create: %+v %s", res[0], res[0].Record)
		}
		res = v.push(ctx, Mutation{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: id, Data: create})
		if res[0].Status != StatusApplied || *res[0].Version != 1 {
			t.Errorf("identical create again: %+v", res[0])
		}
		res = v.push(ctx, Mutation{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: id, Data: data("name", "韩梅梅")})
		if res[0].Status != StatusConflict || !cmp.Equal(res[0].Conflicts, []string{"name"}) || !strings.Contains(string(res[0].Record), "李雷") {
			t.Errorf("different create: %+v %s", res[0], res[0].Record)
		}
		row, err := v.db.Client.Customer.Get(v.sys(), id)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(row.PhoneEnc, "13812345678") || row.PhoneEnc == "" || strings.Contains(row.HealthNotesEnc, "高血压") {
			t.Errorf("personal data stored in the clear: %q %q", row.PhoneEnc, row.HealthNotesEnc)
		}
		for _, m := range v.db.Client.SyncMutation.Query().AllX(v.sys()) {
			if strings.Contains(string(m.Result), "13812345678") || strings.Contains(string(m.Result), "高血压") {
				t.Errorf("a stored result holds personal data in the clear: %s", m.Result)
			}
		}
		if a, ok := auth.ViewerFrom(ctx); !ok || a == nil {
			t.Fatal("no viewer")
		}
	})
}

// A pushed change comes back in the next pull with the version the push
// returned, so a client may skip it.
func TestPushThenPull(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		c, ids := v.family(a)
		d := v.device(a)
		d.pull(1000)
		res := v.push(d.ctx,
			Mutation{MutationID: mid(), Collection: store.Tasks, Op: OpUpsert, ID: ids[store.Tasks], BaseVersion: 1, Data: data("status", "done")},
			Mutation{MutationID: mid(), Collection: store.Complaints, Op: OpUpsert, ID: uuid.New(),
				Data: data("customer_id", c.ID, "category", "billing", "summary", "扣费错误")})
		for _, r := range res {
			if r.Status != StatusApplied {
				t.Fatalf("push: %+v", r)
			}
		}
		p := d.pull(1000)
		for _, pg := range p {
			for _, ch := range pg.Changes {
				if ch.ID == ids[store.Tasks] && ch.Version != *res[0].Version {
					t.Errorf("pulled task version %d, push said %d", ch.Version, *res[0].Version)
				}
			}
		}
		d.converged(a)
	})
}

// A client that made and edited records offline sends the edits on the
// version it had: its own earlier mutations in the push are no
// concurrent change.
func TestPushOwnEditsInOneBatch(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		c := v.customer(a)
		ctx := v.as(a)
		id := uuid.New()
		res := v.push(ctx,
			Mutation{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: 1, Data: data("occupation", "教师")},
			Mutation{MutationID: mid(), Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: 1, Data: data("occupation", "校长")},
			Mutation{MutationID: mid(), Collection: store.Tasks, Op: OpUpsert, ID: id,
				Data: data("customer_id", c.ID, "title", "回访", "due_at", v.clock.Now())},
			Mutation{MutationID: mid(), Collection: store.Tasks, Op: OpUpsert, ID: id, Data: data("status", "done")},
		)
		want := []string{StatusApplied, StatusApplied, StatusApplied, StatusApplied}
		for i, r := range res {
			if r.Status != want[i] || len(r.Conflicts) > 0 {
				t.Errorf("mutation %d: %+v (%v)", i, r, r.Err)
			}
		}
		got, err := v.db.Client.Task.Get(v.sys(), id)
		if err != nil || got.Status != "done" {
			t.Errorf("task after create and edit: %+v %v", got, err)
		}
	})
}
