package syncer

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// wmBody is the JSON of openapi.yaml's WatermelonPushRequest.
type wmBody struct {
	Changes map[string]struct {
		Created []map[string]json.RawMessage `json:"created"`
		Updated []map[string]json.RawMessage `json:"updated"`
		Deleted []string                     `json:"deleted"`
	} `json:"changes"`
}

// FuzzWatermelonPush pushes arbitrary WatermelonDB changes: whatever a
// client sends, the push either applies (rejecting only records it was
// sent) or refuses with a client error, never a server error.
func FuzzWatermelonPush(f *testing.F) {
	db := storetest.SQLite(f, storetest.Options{})
	v := newEnv(f, db, clock.NewFake(testStart), Options{})
	a := v.agent(auth.RoleAgent, nil)
	c, ids := v.family(a)
	ctx := v.as(a)
	seed := func(table, kind, rec string) {
		f.Add([]byte(fmt.Sprintf(`{"changes":{%q:{"created":[],"updated":[],"deleted":[],%q:[%s]}}}`, table, kind, rec)))
	}
	seed(store.Tasks, "updated", fmt.Sprintf(`{"id":%q,"version":1,"status":"done","_status":"updated","_changed":"status"}`, ids[store.Tasks]))
	seed(store.Customers, "created", fmt.Sprintf(`{"id":%q,"name":"新","tags":"[\"a\"]","family":"{}","_status":"created"}`, uuid.New()))
	seed(store.Customers, "updated", fmt.Sprintf(`{"id":%q,"version":1,"tags":"not json"}`, c.ID))
	seed(store.Interactions, "created", fmt.Sprintf(`{"id":%q,"customer_id":%q,"channel":"visit","type":"care","content":"x","toolkit_item_ids":"[]"}`, uuid.New(), c.ID))
	seed(store.Policies, "updated", fmt.Sprintf(`{"id":%q,"version":1,"status":"lapsed"}`, ids[store.Policies]))
	f.Add([]byte(fmt.Sprintf(`{"changes":{"customers":{"created":[],"updated":[],"deleted":[%q,"x"]}}}`, c.ID)))
	f.Add([]byte(`{"changes":{"cats":{"created":[{"id":1}],"updated":[],"deleted":[]}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in wmBody
		if json.Unmarshal(body, &in) != nil {
			return
		}
		req := WatermelonPushRequest{DeviceID: uuid.New(), Changes: map[string]WatermelonPushTable{}}
		sent := map[string]bool{}
		n := 0
		for table, tc := range in.Changes {
			req.Changes[table] = WatermelonPushTable{Created: tc.Created, Updated: tc.Updated, Deleted: tc.Deleted}
			n += len(tc.Created) + len(tc.Updated) + len(tc.Deleted)
			for _, recs := range [][]map[string]json.RawMessage{tc.Created, tc.Updated} {
				for _, r := range recs {
					var id string
					_ = json.Unmarshal(r["id"], &id)
					sent[table+"/"+id] = true
				}
			}
			for _, id := range tc.Deleted {
				sent[table+"/"+id] = true
			}
		}
		if n > 20 {
			return
		}
		res, err := v.e.WatermelonPush(ctx, req)
		if err != nil {
			if ae, ok := apperr.As(err); !ok || ae.Kind == apperr.KindInternal || ae.Kind == apperr.KindUnavailable {
				t.Fatalf("push failed on client input: %v", err)
			}
			return
		}
		for table, rej := range res.Rejected {
			for _, id := range rej {
				if !sent[table+"/"+id] {
					t.Fatalf("rejected %s/%s, which was not sent (%v)", table, id, slices.Collect(func(yield func(string) bool) {
						for k := range sent {
							if !yield(k) {
								return
							}
						}
					}))
				}
			}
		}
	})
}
