package syncer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// pushBody is the JSON of openapi.yaml's SyncPushRequest.
type pushBody struct {
	DeviceID  uuid.UUID `json:"device_id"`
	Mutations []struct {
		MutationID  string                     `json:"mutation_id"`
		Collection  string                     `json:"collection"`
		Op          string                     `json:"op"`
		ID          uuid.UUID                  `json:"id"`
		BaseVersion int64                      `json:"base_version"`
		Data        map[string]json.RawMessage `json:"data"`
	} `json:"mutations"`
}

// FuzzPushBody pushes arbitrary bodies: whatever a client sends, every
// mutation gets a result of a known status, a refusal says why and is the
// client's fault (never a server error), and sending the body again
// answers the same (idempotency).
func FuzzPushBody(f *testing.F) {
	db := storetest.SQLite(f, storetest.Options{})
	v := newEnv(f, db, clock.NewFake(testStart), Options{})
	a := v.agent(auth.RoleAgent, nil)
	c, ids := v.family(a)
	n := v.notification(a)
	ctx := v.as(a)
	seed := func(ms ...string) {
		f.Add([]byte(`{"device_id":"` + uuid.NewString() + `","mutations":[` + strings.Join(ms, ",") + `]}`))
	}
	m := func(mid, coll, op string, id uuid.UUID, base int, data string) string {
		return fmt.Sprintf(`{"mutation_id":%q,"collection":%q,"op":%q,"id":%q,"base_version":%d,"data":%s}`, mid, coll, op, id, base, data)
	}
	seed(m("1", store.Tasks, OpUpsert, ids[store.Tasks], 1, `{"status":"done"}`))
	seed(m("2", store.Customers, OpUpsert, c.ID, 1, `{"phone":"13800001111","tags":["a"],"family":{"spouse":true}}`))
	seed(m("3", store.Customers, OpUpsert, uuid.New(), 0, `{"name":"新","birth_date":"1990-01-02"}`))
	seed(m("4", store.Interactions, OpUpsert, uuid.New(), 0, fmt.Sprintf(`{"customer_id":%q,"channel":"visit","type":"care","content":"x"}`, c.ID)))
	seed(m("5", store.Complaints, OpUpsert, uuid.New(), 0, fmt.Sprintf(`{"customer_id":%q,"category":"other","summary":"s"}`, c.ID)))
	seed(m("6", store.Notifications, OpUpsert, n.ID, 1, `{"read_at":null}`))
	seed(m("7", store.Customers, OpDelete, c.ID, 1, `null`))
	seed(m("8", store.Tasks, OpUpsert, ids[store.Tasks], 1, `{"checklist":[{"key":"k","checked":true}],"due_at":"2026-01-01T00:00:00Z"}`))
	seed(m("9", store.Policies, OpUpsert, ids[store.Policies], 1, `{"status":1}`))
	seed(m("1", store.Tasks, OpUpsert, ids[store.Tasks], 1, `{"status":"done"}`), m("1", "x", "y", uuid.Nil, -1, `[]`))
	statuses := []string{StatusApplied, StatusMerged, StatusConflict, StatusRejected, StatusGone}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in pushBody
		if json.Unmarshal(body, &in) != nil || len(in.Mutations) > 20 {
			return
		}
		req := PushRequest{DeviceID: in.DeviceID}
		for _, mu := range in.Mutations {
			req.Mutations = append(req.Mutations, Mutation{MutationID: mu.MutationID, Collection: mu.Collection, Op: mu.Op,
				ID: mu.ID, BaseVersion: mu.BaseVersion, Data: mu.Data})
		}
		first, err := v.e.Push(ctx, req)
		if err != nil {
			t.Fatalf("push failed on client input: %v", err)
		}
		if len(first.Results) != len(req.Mutations) {
			t.Fatalf("%d results for %d mutations", len(first.Results), len(req.Mutations))
		}
		for i, r := range first.Results {
			if !slices.Contains(statuses, r.Status) {
				t.Fatalf("result %d: status %q", i, r.Status)
			}
			if r.Status == StatusRejected && (r.Err == nil || r.Err.Kind == apperr.KindInternal) {
				t.Fatalf("result %d: rejected without a client reason: %v", i, r.Err)
			}
		}
		again, err := v.e.Push(ctx, req)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if diff := cmp.Diff(first.Results, again.Results, cmp.Comparer(func(a, b *apperr.Error) bool {
			return fmt.Sprint(a) == fmt.Sprint(b)
		})); diff != "" {
			t.Fatalf("the replay answered differently (-first +again):\n%s", diff)
		}
	})
}
