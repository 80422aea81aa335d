package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/httpapi"
	"github.com/agentdesk/agentdesk/internal/syncer"
)

// wmClient is a WatermelonDB database as synchronize() keeps it: raw
// records by table and id, and last_pulled_at. It applies pulls with
// WatermelonDB's rules and fails the test where WatermelonDB logs an
// error (a created record it holds, an updated record it lacks).
type wmClient struct {
	t      *testing.T
	e      *apptest.Env
	token  string
	device uuid.UUID
	last   int64
	tables map[string]map[string]map[string]any
}

func newWMClient(t *testing.T, e *apptest.Env, token string) *wmClient {
	return &wmClient{t: t, e: e, token: token, device: uuid.New(), tables: map[string]map[string]map[string]any{}}
}

func (c *wmClient) path(extra url.Values) string {
	q := url.Values{"device_id": {c.device.String()}}
	if c.last > 0 {
		q.Set("last_pulled_at", strconv.FormatInt(c.last, 10))
	}
	for k, v := range extra {
		q[k] = v
	}
	return "/v1/sync/watermelon?" + q.Encode()
}

// pull pulls and applies; it returns the answer.
func (c *wmClient) pull(extra url.Values) api.WatermelonPullResponse {
	c.t.Helper()
	res := c.e.Do(c.t, apptest.Request{Method: "GET", Path: c.path(extra), Token: c.token})
	if res.Status != 200 {
		c.t.Fatalf("pull: %d %s", res.Status, res.Body)
	}
	var p api.WatermelonPullResponse
	res.JSON(c.t, &p)
	if p.Timestamp < c.last {
		c.t.Errorf("timestamp went back: %d < %d", p.Timestamp, c.last)
	}
	for table, ch := range p.Changes {
		tb := c.tables[table]
		if tb == nil {
			tb = map[string]map[string]any{}
			c.tables[table] = tb
		}
		for _, r := range ch.Created {
			id := r["id"].(string)
			if _, ok := tb[id]; ok {
				c.t.Errorf("%s/%s sent as created, but the client holds it", table, id)
			}
			tb[id] = r
		}
		for _, r := range ch.Updated {
			id := r["id"].(string)
			if _, ok := tb[id]; !ok {
				c.t.Errorf("%s/%s sent as updated, but the client does not hold it", table, id)
			}
			tb[id] = r
		}
		for _, id := range ch.Deleted {
			delete(tb, id)
		}
	}
	c.last = p.Timestamp
	return p
}

// push posts changes made on top of the last pull.
func (c *wmClient) push(changes map[string]any) apptest.Response {
	c.t.Helper()
	q := url.Values{"device_id": {c.device.String()}, "last_pulled_at": {strconv.FormatInt(c.last, 10)}}
	return c.e.Do(c.t, apptest.Request{Method: "POST", Path: "/v1/sync/watermelon?" + q.Encode(), Token: c.token,
		Body: map[string]any{"changes": changes}})
}

// record returns a copy of a held record, with WatermelonDB's bookkeeping.
func (c *wmClient) record(table string, id uuid.UUID, status string) map[string]any {
	c.t.Helper()
	r, ok := c.tables[table][id.String()]
	if !ok {
		c.t.Fatalf("the client does not hold %s/%s", table, id)
	}
	out := map[string]any{"_status": status, "_changed": ""}
	for k, v := range r {
		out[k] = v
	}
	return out
}

func table(created, updated []map[string]any, deleted ...string) map[string]any {
	if created == nil {
		created = []map[string]any{}
	}
	if updated == nil {
		updated = []map[string]any{}
	}
	if deleted == nil {
		deleted = []string{}
	}
	return map[string]any{"created": created, "updated": updated, "deleted": deleted}
}

func ids(rs []map[string]interface{}) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r["id"].(string))
	}
	slices.Sort(out)
	return out
}

// restState is the server's state of a table for an agent, by REST reads
// turned into raw records, to compare with a client's.
func sameAsServer(t *testing.T, c *wmClient, fresh *wmClient) {
	t.Helper()
	for table, tb := range fresh.tables {
		if len(tb) != len(c.tables[table]) {
			t.Errorf("%s: the client holds %d records, a fresh pull %d", table, len(c.tables[table]), len(tb))
		}
		for id, r := range tb {
			got, _ := json.Marshal(c.tables[table][id])
			want, _ := json.Marshal(r)
			if string(got) != string(want) {
				t.Errorf("%s/%s: the client holds %s, the server %s", table, id, got, want)
			}
		}
	}
}

func TestWatermelonFirstSync(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		c := newWMClient(t, e, f.tm.agent1)
		p := c.pull(nil)
		if p.Timestamp < 1 {
			t.Fatalf("timestamp %d", p.Timestamp)
		}
		for _, table := range syncer.Collections {
			if _, ok := p.Changes[table]; !ok {
				t.Errorf("table %s missing", table)
			}
		}
		if n := len(p.Changes["customers"].Created); n != 3 || len(p.Changes["tasks"].Created) != 3 || len(p.Changes["interactions"].Created) != 3 {
			t.Errorf("first sync: %d customers, %d tasks, %d interactions", n, len(p.Changes["tasks"].Created), len(p.Changes["interactions"].Created))
		}
		tk := c.tables["tasks"][f.tasks[0].String()]
		if _, ok := tk["checklist"].(string); !ok {
			t.Errorf("checklist is not JSON text: %#v", tk["checklist"])
		}
		if tk["version"] != float64(1) || tk["title"] != "回访" {
			t.Errorf("task raw record: %v", tk)
		}
		// Nothing new: nothing sent, the same timestamp.
		again := c.pull(nil)
		for table, ch := range again.Changes {
			if len(ch.Created)+len(ch.Updated)+len(ch.Deleted) > 0 {
				t.Errorf("%s changed without a change: %+v", table, ch)
			}
		}
		if again.Timestamp != p.Timestamp {
			t.Errorf("timestamp moved without a change: %d → %d", p.Timestamp, again.Timestamp)
		}
	})
}

// Two devices of one agent: each one's creates come back to it as
// updated and reach the other as created; edits and deletes travel.
func TestWatermelonTwoDevices(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		a, b := newWMClient(t, e, f.tm.agent1), newWMClient(t, e, f.tm.agent1)
		a.pull(nil)
		b.pull(nil)

		// A: a new interaction, a task done, a new customer; B: a task skipped.
		inter := uuid.New()
		cust := uuid.New()
		task := a.record("tasks", f.tasks[0], "updated")
		task["status"] = "done"
		task["_changed"] = "status"
		res := a.push(map[string]any{
			"customers": table([]map[string]any{{"id": cust.String(), "name": "韩梅梅", "phone": "13700001111",
				"tags": `["转介绍"]`, "family": nil, "version": 0, "_status": "created", "_changed": ""}}, nil),
			"interactions": table([]map[string]any{{"id": inter.String(), "customer_id": f.customers[0].String(),
				"channel": "phone", "type": "care", "content": "电话回访", "received_at": "2026-11-23T01:00:00Z",
				"toolkit_item_ids": "[]", "task_id": nil, "_status": "created", "_changed": ""}}, nil),
			"tasks": table(nil, []map[string]any{task}),
		})
		if res.Status != 200 {
			t.Fatalf("push: %d %s", res.Status, res.Body)
		}
		var out api.WatermelonPushResponse
		res.JSON(t, &out)
		if out.ExperimentalRejectedIds == nil || len(*out.ExperimentalRejectedIds) != 0 {
			t.Errorf("rejected: %s", res.Body)
		}
		// A's local copies after the push (as WatermelonDB marks them synced).
		a.tables["customers"][cust.String()] = map[string]any{"id": cust.String()}
		a.tables["interactions"][inter.String()] = map[string]any{"id": inter.String()}

		pa := a.pull(nil)
		if len(pa.Changes["interactions"].Created) != 0 || !slices.Contains(ids(pa.Changes["interactions"].Updated), inter.String()) {
			t.Errorf("A's own interaction: %+v", pa.Changes["interactions"])
		}
		if len(pa.Changes["customers"].Created) != 0 {
			t.Errorf("A's own customer came back as created: %+v", pa.Changes["customers"])
		}
		pb := b.pull(nil)
		if got := ids(pb.Changes["interactions"].Created); !slices.Equal(got, []string{inter.String()}) {
			t.Errorf("B's created interactions: %v", got)
		}
		if got := ids(pb.Changes["customers"].Created); !slices.Equal(got, []string{cust.String()}) {
			t.Errorf("B's created customers: %v", got)
		}
		if got := ids(pb.Changes["tasks"].Updated); !slices.Equal(got, []string{f.tasks[0].String()}) {
			t.Errorf("B's updated tasks: %v", got)
		}
		if b.tables["tasks"][f.tasks[0].String()]["status"] != "done" || b.tables["customers"][cust.String()]["tags"] != `["转介绍"]` {
			t.Errorf("B's copies: %v %v", b.tables["tasks"][f.tasks[0].String()], b.tables["customers"][cust.String()])
		}

		// B deletes the new customer and an id the server never had.
		res = b.push(map[string]any{"customers": table(nil, nil, cust.String(), uuid.NewString())})
		if res.Status != 200 {
			t.Fatalf("delete push: %d %s", res.Status, res.Body)
		}
		delete(b.tables["customers"], cust.String())
		pa = a.pull(nil)
		if !slices.Contains(pa.Changes["customers"].Deleted, cust.String()) {
			t.Errorf("A did not get the delete: %+v", pa.Changes["customers"])
		}
		b.pull(nil)
		fresh := newWMClient(t, e, f.tm.agent1)
		fresh.pull(nil)
		for _, c := range []*wmClient{a, b} {
			sameAsServer(t, c, fresh)
		}
	})
}

// A reassignment by the team lead moves the customer and its records
// from the old owner's database (deleted) to the new owner's (created).
func TestWatermelonReassignment(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		old, nw := newWMClient(t, e, f.tm.agent1), newWMClient(t, e, f.tm.agent2)
		old.pull(nil)
		nw.pull(nil)
		res := e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/customers/" + f.customers[0].String(), Token: f.tm.lead1,
			Body: map[string]any{"agent_id": f.tm.ids["agent2"]}})
		if res.Status != 200 {
			t.Fatalf("reassign: %d %s", res.Status, res.Body)
		}
		po := old.pull(nil)
		for _, table := range []string{"customers", "tasks", "interactions"} {
			if len(po.Changes[table].Deleted) != 1 {
				t.Errorf("old owner's %s deletes: %v", table, po.Changes[table].Deleted)
			}
		}
		pn := nw.pull(nil)
		for _, table := range []string{"customers", "tasks", "interactions"} {
			if len(pn.Changes[table].Created) != 1 || len(pn.Changes[table].Updated) != 0 {
				t.Errorf("new owner's %s: %d created, %d updated", table, len(pn.Changes[table].Created), len(pn.Changes[table].Updated))
			}
		}
		if nw.tables["customers"][f.customers[0].String()]["agent_id"] != f.tm.ids["agent2"].String() {
			t.Errorf("new owner's copy: %v", nw.tables["customers"][f.customers[0].String()])
		}
	})
}

// The push is all or nothing: a record changed on the server since the
// client's version fails it with 409 and nothing applies; records the
// agent may not change are rejected by id and the rest applies.
func TestWatermelonPushRules(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		c := newWMClient(t, e, f.tm.agent1)
		c.pull(nil)
		// The server changes task 1 after the pull.
		res := e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/tasks/" + f.tasks[1].String(), Token: f.tm.agent1,
			Body: map[string]any{"due_at": "2026-12-01T02:00:00Z"}})
		if res.Status != 200 {
			t.Fatalf("patch: %d %s", res.Status, res.Body)
		}
		t0 := c.record("tasks", f.tasks[0], "updated")
		t0["status"] = "done"
		t1 := c.record("tasks", f.tasks[1], "updated")
		t1["description"] = "带上理赔材料"
		res = c.push(map[string]any{"tasks": table(nil, []map[string]any{t0, t1})})
		if res.Status != 409 {
			t.Fatalf("stale push: %d %s", res.Status, res.Body)
		}
		var task api.Task
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks/" + f.tasks[0].String(), Token: f.tm.agent1})
		res.JSON(t, &task)
		if task.Status != "todo" {
			t.Errorf("a failed push applied a record: %+v", task)
		}

		// After a pull the same push goes through, merged per field.
		c.pull(nil)
		t1 = c.record("tasks", f.tasks[1], "updated")
		t1["description"] = "带上理赔材料"
		// Records the agent may not change: a policy (read-only), a task
		// skipped without a reason (invalid); and a create of an existing
		// id, which updates.
		pol := uuid.New()
		t2 := c.record("tasks", f.tasks[2], "updated")
		t2["status"] = "skipped"
		cust := c.record("customers", f.customers[1], "created")
		cust["occupation"] = "教师"
		res = c.push(map[string]any{
			"tasks":     table(nil, []map[string]any{t0, t1, t2}),
			"policies":  table(nil, []map[string]any{{"id": pol.String(), "status": "lapsed", "version": 1}}),
			"customers": table([]map[string]any{cust}, nil),
		})
		if res.Status != 200 {
			t.Fatalf("push: %d %s", res.Status, res.Body)
		}
		var out api.WatermelonPushResponse
		res.JSON(t, &out)
		rej := *out.ExperimentalRejectedIds
		if !slices.Equal(rej["policies"], []string{pol.String()}) || !slices.Equal(rej["tasks"], []string{f.tasks[2].String()}) || len(rej) != 2 {
			t.Errorf("rejected: %s", res.Body)
		}
		for id, want := range map[uuid.UUID]string{f.tasks[0]: "done", f.tasks[1]: "todo", f.tasks[2]: "todo"} {
			res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks/" + id.String(), Token: f.tm.agent1})
			res.JSON(t, &task)
			if string(task.Status) != want {
				t.Errorf("task %s: %s, want %s", id, task.Status, want)
			}
			if id == f.tasks[1] && (task.DueAt.UTC().Format(time.RFC3339) != "2026-12-01T02:00:00Z" || task.Description == nil || *task.Description != "带上理赔材料") {
				t.Errorf("merged task: %+v", task)
			}
		}
		var cu api.Customer
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers/" + f.customers[1].String(), Token: f.tm.agent1})
		res.JSON(t, &cu)
		if cu.Occupation == nil || *cu.Occupation != "教师" {
			t.Errorf("create of an existing id did not update: %+v", cu)
		}
		// The client's next pull brings its own records back as updated.
		p := c.pull(nil)
		if len(p.Changes["tasks"].Created) != 0 || len(p.Changes["customers"].Created) != 0 {
			t.Errorf("own changes came back as created: %+v", p.Changes)
		}
	})
}

func TestWatermelonBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		c := newWMClient(t, e, f.tm.agent1)
		p := c.pull(nil)
		dev := c.device.String()
		for _, tc := range []struct {
			name, method, path string
			body               any
			status             int
			problem            string
		}{
			{"no device", "GET", "/v1/sync/watermelon", nil, 400, "validation-failed"},
			{"ahead of the log", "GET", fmt.Sprintf("/v1/sync/watermelon?device_id=%s&last_pulled_at=%d", dev, p.Timestamp+1000), nil, 410, "sync-reset-required"},
			{"a schema older than the oldest served", "GET", "/v1/sync/watermelon?device_id=" + dev + "&schema_version=0", nil, 426, "upgrade-required"},
			{"bad migration", "GET", "/v1/sync/watermelon?device_id=" + dev + "&migration=%7Bx", nil, 400, "validation-failed"},
			{"migration of an unknown table", "GET", "/v1/sync/watermelon?device_id=" + dev + "&last_pulled_at=1&migration=" +
				url.QueryEscape(`{"from":0,"tables":["cats"],"columns":[]}`), nil, 400, "validation-failed"},
			{"unknown table", "POST", fmt.Sprintf("/v1/sync/watermelon?device_id=%s&last_pulled_at=%d", dev, p.Timestamp),
				map[string]any{"changes": map[string]any{"cats": table(nil, nil)}}, 400, "validation-failed"},
			{"bad id", "POST", fmt.Sprintf("/v1/sync/watermelon?device_id=%s&last_pulled_at=%d", dev, p.Timestamp),
				map[string]any{"changes": map[string]any{"tasks": table(nil, []map[string]any{{"id": "x"}})}}, 400, "validation-failed"},
			{"push ahead of the log", "POST", fmt.Sprintf("/v1/sync/watermelon?device_id=%s&last_pulled_at=%d", dev, p.Timestamp+1000),
				map[string]any{"changes": map[string]any{}}, 410, "sync-reset-required"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := e.Do(t, apptest.Request{Method: tc.method, Path: tc.path, Token: f.tm.agent1, Body: tc.body})
				var pr api.Problem
				res.JSON(t, &pr)
				if res.Status != tc.status || pr.Type != "https://agentdesk.dev/problems/"+tc.problem {
					t.Errorf("%d %s, want %d %s", res.Status, res.Body, tc.status, tc.problem)
				}
			})
		}
	})
}

// A migration's new tables arrive whole as created, the tables with new
// columns whole as updated.
func TestWatermelonMigration(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		c := newWMClient(t, e, f.tm.agent1)
		c.pull(nil)
		// The client's old schema had no interactions table.
		delete(c.tables, "interactions")
		mig := `{"from":0,"tables":["interactions"],"columns":[{"table":"tasks","columns":["checklist"]}]}`
		p := c.pull(url.Values{"migration": {mig}, "schema_version": {"1"}})
		if len(p.Changes["interactions"].Created) != 3 || len(p.Changes["tasks"].Updated) != 3 || len(p.Changes["customers"].Updated) != 0 {
			t.Errorf("migration pull: %d interactions created, %d tasks updated, %d customers updated",
				len(p.Changes["interactions"].Created), len(p.Changes["tasks"].Updated), len(p.Changes["customers"].Updated))
		}
	})
}

// Compaction keeps what tells created from updated: a record made after
// the client's pull still arrives as created when compaction removed
// its first entry's later siblings, and an old record edited after it as
// updated.
func TestWatermelonAfterCompaction(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		c := newWMClient(t, e, f.tm.agent1)
		c.pull(nil)
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers", Token: f.tm.agent1, Body: map[string]any{"name": "新客户"}})
		if res.Status != 201 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var cu api.Customer
		res.JSON(t, &cu)
		for _, path := range []string{"/v1/customers/" + cu.Id.String(), "/v1/customers/" + f.customers[2].String()} {
			res = e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: f.tm.agent1, Body: map[string]any{"occupation": "医生"}})
			if res.Status != 200 {
				t.Fatalf("patch: %d %s", res.Status, res.Body)
			}
		}
		if _, err := e.App.Sync.Compact(context.Background(), e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		p := c.pull(nil)
		if got := ids(p.Changes["customers"].Created); !slices.Equal(got, []string{cu.Id.String()}) {
			t.Errorf("created after compaction: %v", got)
		}
		if got := ids(p.Changes["customers"].Updated); !slices.Equal(got, []string{f.customers[2].String()}) {
			t.Errorf("updated after compaction: %v", got)
		}
	})
}

// The raw records' columns are the REST schemas' fields, and the JSON-text
// columns their objects and arrays, as openapi.yaml documents them.
func TestWatermelonColumnsFollowTheSpec(t *testing.T) {
	spec, err := httpapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]string{"customers": "Customer", "portraits": "Portrait", "policies": "Policy",
		"interactions": "Interaction", "tasks": "Task", "service_plans": "ServicePlan", "complaints": "Complaint",
		"toolkit_items": "ToolkitItem", "notifications": "Notification"}
	var structured func(s *openapi3.Schema) bool
	structured = func(s *openapi3.Schema) bool {
		if s.Type != nil && (s.Type.Includes("object") || s.Type.Includes("array")) {
			return true
		}
		for _, subs := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, sub := range subs {
				if sub.Value != nil && structured(sub.Value) {
					return true
				}
			}
		}
		return false
	}
	for table, name := range schemas {
		ref := spec.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			t.Fatalf("no schema %s", name)
		}
		var cols, jsonCols []string
		for prop, s := range ref.Value.Properties {
			cols = append(cols, prop)
			if s.Value != nil && structured(s.Value) {
				jsonCols = append(jsonCols, prop)
			}
		}
		slices.Sort(cols)
		slices.Sort(jsonCols)
		got := slices.Sorted(slices.Values(syncer.WatermelonColumns[table]))
		if !slices.Equal(got, cols) {
			t.Errorf("%s: columns %v, the spec's %s has %v", table, got, name, cols)
		}
		gotJSON := slices.Sorted(slices.Values(syncer.WatermelonJSONColumns[table]))
		if len(gotJSON) == 0 {
			gotJSON = nil
		}
		if !slices.Equal(gotJSON, jsonCols) {
			t.Errorf("%s: JSON-text columns %v, the spec's objects and arrays %v", table, gotJSON, jsonCols)
		}
	}
	if len(syncer.WatermelonColumns) != len(schemas) {
		t.Errorf("%d tables, want %d", len(syncer.WatermelonColumns), len(schemas))
	}
}

// A role change moves the scope without log entries of the records: a
// timestamp from before it must reset, as a native cursor does.
func TestWatermelonRoleChangeResets(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		c := newWMClient(t, e, f.tm.agent2)
		c.pull(nil)
		res := e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/admin/agents/" + f.tm.ids["agent2"].String(), Token: f.tm.admin,
			Body: map[string]any{"role": "team_lead"}})
		if res.Status != 200 {
			t.Fatalf("role change: %d %s", res.Status, res.Body)
		}
		a, err := e.App.DB.Client.Agent.Get(apptest.Sys(), f.tm.ids["agent2"])
		if err != nil {
			t.Fatal(err)
		}
		c.token = e.Token(t, a)
		res = e.Do(t, apptest.Request{Method: "GET", Path: c.path(nil), Token: c.token})
		var pr api.Problem
		res.JSON(t, &pr)
		if res.Status != 410 || pr.Type != "https://agentdesk.dev/problems/sync-reset-required" {
			t.Fatalf("pull across a role change: %d %s", res.Status, res.Body)
		}
		// The reset: a fresh database syncs from the start and then on.
		c = newWMClient(t, e, c.token)
		p := c.pull(nil)
		if len(p.Changes["customers"].Created) != 3 {
			t.Errorf("the new team lead's book: %d customers", len(p.Changes["customers"].Created))
		}
		c.pull(nil)
	})
}
