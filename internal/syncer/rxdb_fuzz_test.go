package syncer

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// FuzzRxdbPush pushes arbitrary RxDB push bodies: whatever a client
// sends, the answer is a list of documents (each an object with an id and
// _deleted) or a refusal that is the client's fault, never a server error;
// and the same body again answers without a server error either.
func FuzzRxdbPush(f *testing.F) {
	db := storetest.SQLite(f, storetest.Options{})
	v := newEnv(f, db, clock.NewFake(testStart), Options{})
	a := v.agent(auth.RoleAgent, nil)
	c, ids := v.family(a)
	ctx := v.as(a)
	d := v.rxDevice(a)
	d.sync(1000)
	doc := func(coll string) string {
		b, _ := json.Marshal(d.docs[recKey{coll, ids[coll]}])
		return string(b)
	}
	add := func(coll, body string) { f.Add(coll, []byte(body)) }
	add(store.Tasks, fmt.Sprintf(`[{"newDocumentState":%s,"assumedMasterState":%s}]`, doc(store.Tasks), doc(store.Tasks)))
	add(store.Tasks, fmt.Sprintf(`[{"newDocumentState":{"id":%q,"title":"x","_deleted":false},"assumedMasterState":%s}]`, ids[store.Tasks], doc(store.Tasks)))
	add(store.Customers, fmt.Sprintf(`[{"newDocumentState":{"id":%q,"name":"新","_deleted":false}}]`, uuid.New()))
	add(store.Customers, fmt.Sprintf(`[{"newDocumentState":{"id":%q,"_deleted":true},"assumedMasterState":%s}]`, c.ID, doc(store.Customers)))
	add(store.Policies, fmt.Sprintf(`[{"newDocumentState":%s}]`, doc(store.Policies)))
	add(store.Interactions, `[{"newDocumentState":{"id":"nope","_deleted":false}}]`)
	add("claims", `[]`)
	f.Fuzz(func(t *testing.T, coll string, body []byte) {
		var rows []struct {
			New     map[string]json.RawMessage `json:"newDocumentState"`
			Assumed map[string]json.RawMessage `json:"assumedMasterState"`
		}
		if json.Unmarshal(body, &rows) != nil || len(rows) > 20 {
			return
		}
		in := make([]RxdbRow, len(rows))
		for i, r := range rows {
			in[i] = RxdbRow{NewDocumentState: r.New, AssumedMasterState: r.Assumed}
		}
		for range 2 {
			out, err := v.e.RxdbPush(ctx, coll, RxdbSchemaVersion, in)
			if err != nil {
				if ae, ok := apperr.As(err); !ok || ae.Kind == apperr.KindInternal {
					t.Fatalf("server error: %v", err)
				}
				return
			}
			for _, raw := range out {
				var m map[string]any
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatalf("answer %s: %v", raw, err)
				}
				if _, ok := m["id"].(string); !ok {
					t.Fatalf("answer without an id: %s", raw)
				}
				if _, ok := m["_deleted"].(bool); !ok {
					t.Fatalf("answer without _deleted: %s", raw)
				}
			}
		}
	})
}

// FuzzRxdbEventID reads arbitrary Last-Event-ID headers: an id that
// parses says the same when written again.
func FuzzRxdbEventID(f *testing.F) {
	f.Add("124893:01958f41-2f55-7a74-8c35-4d5e6f7a8b91")
	f.Add("0:x")
	f.Add("-1:01958f41-2f55-7a74-8c35-4d5e6f7a8b91")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		lwt, id, ok := parseRxdbEventID(s)
		if !ok {
			return
		}
		if lwt <= 0 {
			t.Fatalf("%q: lwt %d", s, lwt)
		}
		again, id2, ok2 := parseRxdbEventID(fmt.Sprintf("%d:%s", lwt, id))
		if !ok2 || again != lwt || id2 != id {
			t.Fatalf("%q: round trip %d %s", s, again, id2)
		}
	})
}
