package httpapi_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/httpapi"
)

// syncFixture is a team with a few customers, each with records under it.
type syncFixture struct {
	tm        team
	customers []uuid.UUID
	tasks     []uuid.UUID
}

func newSyncFixture(t *testing.T, e *apptest.Env) syncFixture {
	t.Helper()
	f := syncFixture{tm: newTeam(t, e)}
	now := e.Clock.Now()
	err := e.App.DB.WithTx(apptest.Sys(), func(ctx context.Context, tx *ent.Tx) error {
		for i := range 3 {
			c, err := tx.Customer.Create().SetName("客户" + string(rune('甲'+i))).SetAgentID(f.tm.ids["agent1"]).Save(ctx)
			if err != nil {
				return err
			}
			f.customers = append(f.customers, c.ID)
			tk, err := tx.Task.Create().SetCustomerID(c.ID).SetAgentID(f.tm.ids["agent1"]).SetTitle("回访").SetDueAt(now).Save(ctx)
			if err != nil {
				return err
			}
			f.tasks = append(f.tasks, tk.ID)
			if _, err := tx.Interaction.Create().SetCustomerID(c.ID).SetChannel("phone").SetType("consultation").
				SetContent(strings.Repeat("客户咨询保单条款与理赔流程。", 40)).SetReceivedAt(now).Save(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// checkSyncRecords fails unless every upsert of pages carries its
// collection's REST schema, a portrait SyncPortrait (no customer, no
// timeline); it returns the collections seen.
func checkSyncRecords(t *testing.T, pages []api.SyncPullResponse) map[api.SyncCollection]bool {
	t.Helper()
	spec, err := httpapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[api.SyncCollection]string{"customers": "Customer", "portraits": "SyncPortrait", "policies": "Policy",
		"interactions": "Interaction", "tasks": "Task", "service_plans": "ServicePlan", "complaints": "Complaint",
		"toolkit_items": "ToolkitItem", "notifications": "Notification"}
	colls := map[api.SyncCollection]bool{}
	for _, p := range pages {
		for _, c := range p.Changes {
			colls[c.Collection] = true
			if c.Data == nil || (*c.Data)["id"] != c.Id.String() {
				t.Fatalf("change %s %s without its record", c.Collection, c.Id)
			}
			if err := spec.Components.Schemas[schemas[c.Collection]].Value.VisitJSON(map[string]any(*c.Data)); err != nil {
				t.Errorf("%s %s is not a %s: %v", c.Collection, c.Id, schemas[c.Collection], err)
			}
			if c.Collection == "portraits" {
				for _, k := range []string{"customer", "timeline"} {
					if _, ok := (*c.Data)[k]; ok {
						t.Errorf("a synced portrait carries %s: %v", k, *c.Data)
					}
				}
			}
		}
	}
	return colls
}

// A first sync carries portraits and service plans as computed, in their
// sync shapes; the portrait's REST answer keeps its customer and timeline.
func TestSyncPortraitShape(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		recompute(t, e)
		pages, _ := pullAll(t, e, f.tm.agent1, "", 4)
		if colls := checkSyncRecords(t, pages); !colls["portraits"] || !colls["service_plans"] {
			t.Fatalf("the first sync lacks portraits or plans: %v", colls)
		}
		res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers/" + f.customers[0].String() + "/portrait", Token: f.tm.agent1})
		var pt api.Portrait
		res.JSON(t, &pt)
		if res.Status != 200 || pt.Customer.Id != f.customers[0] || len(pt.Timeline) == 0 {
			t.Fatalf("REST portrait: %d %s", res.Status, res.Body)
		}
	})
}

// pullAll pulls until has_more is false, returning the pages.
func pullAll(t *testing.T, e *apptest.Env, token, cursor string, limit int) ([]api.SyncPullResponse, string) {
	t.Helper()
	var pages []api.SyncPullResponse
	for range 1000 {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/pull?" + q.Encode(), Token: token})
		if res.Status != 200 {
			t.Fatalf("pull: %d %s", res.Status, res.Body)
		}
		var p api.SyncPullResponse
		res.JSON(t, &p)
		pages = append(pages, p)
		cursor = p.Cursor
		if !p.HasMore {
			return pages, cursor
		}
	}
	t.Fatal("the pull did not end")
	return nil, ""
}

func TestSyncPullOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		pages, cursor := pullAll(t, e, f.tm.agent1, "", 2)
		checkSyncRecords(t, pages)
		held := map[uuid.UUID]int64{}
		for _, p := range pages {
			for _, c := range p.Changes {
				held[c.Id] = c.Version
			}
		}
		if len(held) != 9 || !pages[len(pages)-1].EssentialComplete {
			t.Fatalf("first sync: %d records, essential %v", len(held), pages[len(pages)-1].EssentialComplete)
		}

		// Nothing new: a tiny answer, then 304 with the ETag.
		res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/pull?cursor=" + cursor, Token: f.tm.agent1,
			Header: http.Header{"Accept-Encoding": {"identity"}}})
		if res.Status != 200 || len(res.Body) > 400 || res.Header.Get("ETag") == "" {
			t.Fatalf("no-change pull: %d, %d bytes: %s", res.Status, len(res.Body), res.Body)
		}
		etag := res.Header.Get("ETag")
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/pull?cursor=" + cursor, Token: f.tm.agent1,
			Header: http.Header{"If-None-Match": {etag}}})
		if res.Status != 304 || res.Header.Get("ETag") != etag || len(res.Body) != 0 {
			t.Fatalf("If-None-Match: %d %q %s", res.Status, res.Header.Get("ETag"), res.Body)
		}

		// A task done on another phone comes back; the ETag no longer holds.
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/sync/push", Token: f.tm.agent1, Body: map[string]any{
			"device_id": uuid.New(), "mutations": []map[string]any{{"mutation_id": "m1", "collection": "tasks", "op": "upsert",
				"id": f.tasks[0], "base_version": 1, "data": map[string]any{"status": "done"}}}}})
		if res.Status != 200 {
			t.Fatalf("push: %d %s", res.Status, res.Body)
		}
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/pull?cursor=" + cursor, Token: f.tm.agent1,
			Header: http.Header{"If-None-Match": {etag}}})
		var p api.SyncPullResponse
		res.JSON(t, &p)
		if res.Status != 200 || len(p.Changes) != 1 || p.Changes[0].Id != f.tasks[0] || (*p.Changes[0].Data)["status"] != "done" {
			t.Fatalf("after the push: %d %s", res.Status, res.Body)
		}

		// Cursors: forged 400, foreign 400, another era 410, other schema 426.
		for _, tc := range []struct {
			token, cursor, extra string
			status               int
			problem              string
		}{
			{f.tm.agent1, cursor[:len(cursor)-3] + "AAA", "", 400, "validation-failed"},
			{f.tm.agent2, cursor, "", 400, "validation-failed"},
			{f.tm.agent1, cursor, "&schema_version=2", 426, "upgrade-required"},
		} {
			res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/pull?cursor=" + tc.cursor + tc.extra, Token: tc.token})
			if res.Status != tc.status || !strings.Contains(string(res.Body), tc.problem) {
				t.Errorf("cursor case: %d %s, want %d %s", res.Status, res.Body, tc.status, tc.problem)
			}
		}
		if err := e.App.DB.Client.ServerMeta.Update().Where(servermeta.ID("server_era")).SetValue(uuid.NewString()).Exec(apptest.Sys()); err != nil {
			t.Fatal(err)
		}
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/pull?cursor=" + p.Cursor, Token: f.tm.agent1})
		if res.Status != 410 || !strings.Contains(string(res.Body), "/sync-reset-required") {
			t.Errorf("another era: %d %s", res.Status, res.Body)
		}
	})
}

// The page is compressed with zstd when the client lists it, else gzip;
// the decoded body is what the contract says.
func TestSyncPullCompression(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		spec, err := httpapi.Spec()
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ accept, want string }{
			{"gzip, deflate, br, zstd", "zstd"},
			{"gzip", "gzip"},
			{"zstd;q=0, gzip;q=0.5", "gzip"},
			{"identity", ""},
		} {
			req, _ := http.NewRequest("GET", e.URL+"/v1/sync/pull?limit=100", nil)
			req.Header.Set("Authorization", "Bearer "+f.tm.agent1)
			req.Header.Set("Accept-Encoding", tc.accept)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if got := res.Header.Get("Content-Encoding"); got != tc.want || res.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Accept-Encoding %q: Content-Encoding %q, Vary %q", tc.accept, got, res.Header.Get("Vary"))
				continue
			}
			body := raw
			switch tc.want {
			case "zstd":
				d, _ := zstd.NewReader(nil)
				body, err = d.DecodeAll(raw, nil)
				d.Close()
			case "gzip":
				var r *gzip.Reader
				if r, err = gzip.NewReader(bytes.NewReader(raw)); err == nil {
					body, err = io.ReadAll(r)
				}
			}
			if err != nil {
				t.Fatalf("%s: decode: %v", tc.want, err)
			}
			if tc.want != "" && len(raw) >= len(body) {
				t.Errorf("%s: %d bytes for %d", tc.want, len(raw), len(body))
			}
			hdr := res.Header.Clone()
			hdr.Del("Content-Encoding")
			if err := httpapi.ValidateResponse(spec, req, res.StatusCode, hdr, body); err != nil {
				t.Errorf("%s: decoded body does not match openapi.yaml: %v", tc.want, err)
			}
		}
	})
}

// A lead's reassignment (PATCH /v1/customers/{id}) moves the customer
// with its records from the old owner's phone to the new owner's.
func TestSyncReassignmentOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		_, c1 := pullAll(t, e, f.tm.agent1, "", 1000)
		_, c2 := pullAll(t, e, f.tm.agent2, "", 1000)
		res := e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/customers/" + f.customers[0].String(), Token: f.tm.lead1,
			Body: map[string]any{"agent_id": f.tm.ids["agent2"]}})
		if res.Status != 200 {
			t.Fatalf("reassign: %d %s", res.Status, res.Body)
		}
		pages, _ := pullAll(t, e, f.tm.agent1, c1, 1000)
		out := map[string]int{}
		for _, p := range pages {
			for _, c := range p.Changes {
				if c.Op == api.Delete && c.Reason != nil && *c.Reason == "out_of_scope" {
					out[string(c.Collection)]++
				}
			}
		}
		if out["customers"] != 1 || out["tasks"] != 1 || out["interactions"] != 1 {
			t.Errorf("old owner's deletes: %v", out)
		}
		pages, _ = pullAll(t, e, f.tm.agent2, c2, 1000)
		in := map[string]int{}
		for _, p := range pages {
			for _, c := range p.Changes {
				if c.Op == api.Upsert {
					in[string(c.Collection)]++
				}
			}
		}
		if in["customers"] != 1 || in["tasks"] != 1 || in["interactions"] != 1 {
			t.Errorf("new owner's upserts: %v", in)
		}
	})
}

// Push results per mutation, checksums a client can recompute.
func TestSyncPushAndChecksumOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/sync/push", Token: f.tm.agent1, Body: map[string]any{
			"device_id": uuid.New(), "mutations": []map[string]any{
				{"mutation_id": "a", "collection": "customers", "op": "upsert", "id": uuid.New(), "base_version": 0,
					"data": map[string]any{"name": "韩梅梅", "phone": "13700001111"}},
				{"mutation_id": "b", "collection": "policies", "op": "upsert", "id": uuid.New(), "base_version": 1,
					"data": map[string]any{"status": "lapsed"}},
				{"mutation_id": "c", "collection": "tasks", "op": "upsert", "id": f.tasks[1], "base_version": 1,
					"data": map[string]any{"status": "skipped"}},
				{"mutation_id": "d", "collection": "tasks", "op": "upsert", "id": uuid.New(), "base_version": 4,
					"data": map[string]any{"status": "done"}},
			}}})
		if res.Status != 200 {
			t.Fatalf("push: %d %s", res.Status, res.Body)
		}
		var out api.SyncPushResponse
		res.JSON(t, &out)
		want := []api.SyncMutationResultStatus{"applied", "rejected", "rejected", "gone"}
		for i, r := range out.Results {
			if r.Status != want[i] {
				t.Errorf("result %d: %s, want %s (%s)", i, r.Status, want[i], res.Body)
			}
		}
		if out.Results[0].Record == nil || (*out.Results[0].Record)["phone"] != "13700001111" {
			t.Errorf("create's record: %v", out.Results[0].Record)
		}
		if e := out.Results[2].Error; e == nil || e.Errors == nil || (*e.Errors)[0].Field != "/skip_reason" {
			t.Errorf("skipped without a reason: %+v", e)
		}

		_, cursor := pullAll(t, e, f.tm.agent1, "", 1000)
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/checksum?cursor=" + cursor, Token: f.tm.agent1})
		if res.Status != 200 {
			t.Fatalf("checksum: %d %s", res.Status, res.Body)
		}
		var rep api.SyncChecksumReport
		res.JSON(t, &rep)
		if rep.Cursor != cursor || rep.Collections["customers"].Count != 4 || rep.Collections["tasks"].Count != 3 {
			t.Errorf("checksums: %s", res.Body)
		}
	})
}

// The event stream pokes the client when its scope changes, beats, and
// tells proxies not to buffer it.
func TestSyncEventsOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", e.URL+"/v1/sync/events", nil)
		req.Header.Set("Authorization", "Bearer "+f.tm.agent1)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" ||
			res.Header.Get("X-Accel-Buffering") != "no" || res.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("stream: %d %v", res.StatusCode, res.Header)
		}
		events := make(chan string, 16)
		go func() {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
					events <- ev
				}
			}
			close(events)
		}()
		next := func() string {
			select {
			case ev := <-events:
				return ev
			case <-time.After(5 * time.Second):
				return "(nothing)"
			}
		}
		if ev := next(); ev != "heartbeat" {
			t.Fatalf("first event: %s", ev)
		}
		res2 := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/sync/push", Token: f.tm.agent1, Body: map[string]any{
			"device_id": uuid.New(), "mutations": []map[string]any{{"mutation_id": "m1", "collection": "tasks", "op": "upsert",
				"id": f.tasks[0], "base_version": 1, "data": map[string]any{"status": "done"}}}}})
		if res2.Status != 200 {
			t.Fatalf("push: %d", res2.Status)
		}
		if ev := next(); ev != "changed" {
			t.Fatalf("after a change in the scope: %s", ev)
		}
		cancel()
	})
}

// Who may sync, and what each caller receives: the devices of agents of
// every role, each with its own scope; never integrators or anonymous
// callers. A lead's phone holds the team's customers, an agent of
// another team none of them.
func TestSyncAccessOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		integrator := e.IntegratorToken(t, "crm", "customers:read", "customers:write")
		tests := []struct {
			name      string
			token     string
			status    int
			customers int // customers in a full pull
		}{
			{"no token", "", 401, 0},
			{"integrator", integrator, 403, 0},
			{"owner", f.tm.agent1, 200, 3},
			{"colleague in the team", f.tm.agent2, 200, 0},
			{"lead of the team", f.tm.lead1, 200, 3},
			{"agent of another team", f.tm.agent3, 200, 0},
			{"admin", f.tm.admin, 200, 3},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, path := range []string{"/v1/sync/pull?limit=1000", "/v1/sync/checksum?cursor=x"} {
					if tt.status == 200 {
						continue
					}
					if res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tt.token}); res.Status != tt.status {
						t.Errorf("GET %s: %d, want %d", path, res.Status, tt.status)
					}
				}
				push := map[string]any{"device_id": uuid.NewString(), "mutations": []any{}}
				if res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/sync/push", Token: tt.token, Body: push}); res.Status != tt.status {
					t.Errorf("POST /v1/sync/push: %d, want %d (%s)", res.Status, tt.status, res.Body)
				}
				if tt.status != 200 {
					return
				}
				pages, _ := pullAll(t, e, tt.token, "", 1000)
				got := map[uuid.UUID]bool{}
				for _, p := range pages {
					for _, c := range p.Changes {
						if c.Collection == "customers" && c.Op == "upsert" {
							got[c.Id] = true
						}
					}
				}
				if len(got) != tt.customers {
					t.Errorf("customers pulled: %d, want %d", len(got), tt.customers)
				}
				for _, id := range f.customers {
					if tt.customers > 0 && !got[id] {
						t.Errorf("customer %s missing", id)
					}
				}
			})
		}
	})
}
