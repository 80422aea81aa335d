package httpapi_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"testing"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/syncer"
)

// flatChange is a pulled change, its record decoded for comparison.
type flatChange struct {
	Collection, Op, ID, Reason string
	Version                    int64
	Data                       any
}

// pullFlat pulls until has_more is false in format, returning the changes
// in order, the cursor of every page and the page count.
func pullFlat(t *testing.T, e *apptest.Env, token, cursor, format string, limit int) ([]flatChange, []string) {
	t.Helper()
	var out []flatChange
	var cursors []string
	for range 1000 {
		q := url.Values{"limit": {strconv.Itoa(limit)}, "format": {format}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/pull?" + q.Encode(), Token: token})
		if res.Status != 200 {
			t.Fatalf("pull %s: %d %s", format, res.Status, res.Body)
		}
		var p struct {
			Changes []struct {
				Collection, Op, Reason string
				ID                     string `json:"id"`
				Version                int64
				Data                   json.RawMessage
			} `json:"changes"`
			Batches json.RawMessage `json:"batches"`
			Cursor  string          `json:"cursor"`
			HasMore bool            `json:"has_more"`
		}
		res.JSON(t, &p)
		add := func(coll, op, id, reason string, version int64, data []byte) {
			fc := flatChange{Collection: coll, Op: op, ID: id, Reason: reason, Version: version}
			if data != nil {
				if err := json.Unmarshal(data, &fc.Data); err != nil {
					t.Fatal(err)
				}
			}
			out = append(out, fc)
		}
		if format == string(api.Columns) {
			if len(p.Changes) != 0 {
				t.Fatalf("format=columns carries changes: %s", res.Body)
			}
			cs, err := syncer.DecodeBatches(p.Batches)
			if err != nil {
				t.Fatalf("decode the batches: %v\n%s", err, res.Body)
			}
			for _, c := range cs {
				add(c.Collection, c.Op, c.ID.String(), c.Reason, c.Version, c.Data)
			}
		} else {
			if p.Batches != nil {
				t.Fatalf("format=changes carries batches: %s", res.Body)
			}
			for _, c := range p.Changes {
				add(c.Collection, c.Op, c.ID, c.Reason, c.Version, c.Data)
			}
		}
		cursors = append(cursors, p.Cursor)
		cursor = p.Cursor
		if !p.HasMore {
			return out, cursors
		}
	}
	t.Fatal("the pull did not end")
	return nil, nil
}

// format=columns carries the very changes of format=changes, in the same
// order under the same cursors: on a first sync over small pages and on
// an incremental pull with deletes of records that left the scope.
func TestSyncPullColumns(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		recompute(t, e)
		same := func(what, cursor string, limit int) string {
			t.Helper()
			rows, rc := pullFlat(t, e, f.tm.agent1, cursor, string(api.Changes), limit)
			cols, cc := pullFlat(t, e, f.tm.agent1, cursor, string(api.Columns), limit)
			if len(rows) == 0 {
				t.Fatalf("%s: no changes", what)
			}
			if !reflect.DeepEqual(rows, cols) {
				t.Fatalf("%s: format=columns differs:\nchanges %+v\ncolumns %+v", what, rows, cols)
			}
			if !reflect.DeepEqual(rc, cc) {
				t.Fatalf("%s: cursors differ: %v vs %v", what, rc, cc)
			}
			return rc[len(rc)-1]
		}
		cur := same("first sync", "", 4)
		same("first sync, one page", "", 1000)
		res := e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/customers/" + f.customers[0].String(), Token: f.tm.lead1,
			Body: map[string]any{"agent_id": f.tm.ids["agent2"]}})
		if res.Status != 200 {
			t.Fatalf("reassign: %d %s", res.Status, res.Body)
		}
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/customers/" + f.customers[1].String(), Token: f.tm.agent1,
			Body: map[string]any{"health_notes": "换了新工作\n\"年薪\" 增加"}})
		if res.Status != 200 {
			t.Fatalf("edit: %d %s", res.Status, res.Body)
		}
		rows, _ := pullFlat(t, e, f.tm.agent1, cur, string(api.Changes), 1000)
		deletes := 0
		for _, c := range rows {
			if c.Op == syncer.OpDelete {
				deletes++
			}
		}
		if deletes == 0 || deletes == len(rows) {
			t.Fatalf("the incremental pull should mix deletes and upserts: %+v", rows)
		}
		same("incremental", cur, 1000)
		same("incremental, small pages", cur, 2)

		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/pull?format=rows", Token: f.tm.agent1})
		if res.Status != 400 {
			t.Fatalf("format=rows: %d %s", res.Status, res.Body)
		}
	})
}
