package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

// rxdbPull pulls one batch of a collection.
func rxdbPull(t *testing.T, e *apptest.Env, token, coll string, cp *api.RxdbCheckpoint, limit int) api.RxdbPullResponse {
	t.Helper()
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cp != nil {
		q.Set("lwt", strconv.FormatInt(cp.Lwt, 10))
		q.Set("id", cp.Id)
	}
	res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/rxdb/" + coll + "/0/pull?" + q.Encode(), Token: token})
	if res.Status != 200 {
		t.Fatalf("rxdb pull %s: %d %s", coll, res.Status, res.Body)
	}
	var p api.RxdbPullResponse
	res.JSON(t, &p)
	return p
}

func TestRxdbOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		tok := f.tm.agent1

		// Exactly limit documents while more remain, then the rest, then none.
		p1 := rxdbPull(t, e, tok, "tasks", nil, 2)
		p2 := rxdbPull(t, e, tok, "tasks", p1.Checkpoint, 2)
		p3 := rxdbPull(t, e, tok, "tasks", p2.Checkpoint, 2)
		if len(p1.Documents) != 2 || len(p2.Documents) != 1 || len(p3.Documents) != 0 || *p3.Checkpoint != *p2.Checkpoint {
			t.Fatalf("batches: %d %d %d", len(p1.Documents), len(p2.Documents), len(p3.Documents))
		}
		var task map[string]any
		for _, d := range append(p1.Documents, p2.Documents...) {
			if d.AdditionalProperties["id"] == f.tasks[0].String() {
				task = d.AdditionalProperties
				task["_deleted"] = false
			}
		}
		if task == nil || task["title"] != "回访" {
			t.Fatalf("task %s not pulled: %+v", f.tasks[0], p1)
		}
		// Another agent's book stays out.
		if p := rxdbPull(t, e, f.tm.agent3, "tasks", nil, 100); len(p.Documents) != 0 {
			t.Errorf("agent3 got %d tasks of agent1", len(p.Documents))
		}

		push := func(rows []map[string]any) []map[string]any {
			t.Helper()
			res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/sync/rxdb/tasks/0/push", Token: tok, Body: rows})
			if res.Status != 200 {
				t.Fatalf("push: %d %s", res.Status, res.Body)
			}
			var out []map[string]any
			res.JSON(t, &out)
			return out
		}
		edited := map[string]any{}
		for k, v := range task {
			edited[k] = v
		}
		edited["title"] = "电话回访"
		if got := push([]map[string]any{{"newDocumentState": edited, "assumedMasterState": task}}); len(got) != 0 {
			t.Errorf("edit: conflicts %v", got)
		}
		// The same field from the old state: the server's copy comes back.
		stale := map[string]any{}
		for k, v := range task {
			stale[k] = v
		}
		stale["title"] = "上门回访"
		got := push([]map[string]any{{"newDocumentState": stale, "assumedMasterState": task}})
		if len(got) != 1 || got[0]["title"] != "上门回访" || got[0]["_deleted"] != false {
			t.Errorf("conflict: %v", got)
		}

		// Schema versions the server does not serve: 426.
		for _, r := range []apptest.Request{
			{Method: "GET", Path: "/v1/sync/rxdb/tasks/3/pull", Token: tok},
			{Method: "POST", Path: "/v1/sync/rxdb/tasks/3/push", Token: tok, Body: []any{}},
			{Method: "GET", Path: "/v1/sync/rxdb/tasks/3/pullStream", Token: tok},
		} {
			if res := e.Do(t, r); res.Status != 426 {
				t.Errorf("%s %s: %d, want 426", r.Method, r.Path, res.Status)
			}
		}
		// A checkpoint ahead of the log (a restored database): 410.
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/rxdb/tasks/0/pull?lwt=99999999&id=" + f.tasks[0].String(), Token: tok}); res.Status != 410 {
			t.Errorf("checkpoint ahead of the log: %d", res.Status)
		}
		// An unknown collection: 400 by the spec.
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/sync/rxdb/claims/0/pull", Token: tok}); res.Status != 400 {
			t.Errorf("unknown collection: %d", res.Status)
		}
		// An expired token: 401, so that RxDB's handler refreshes it.
		e.Clock.Advance(time.Hour)
		for _, r := range []apptest.Request{
			{Method: "GET", Path: "/v1/sync/rxdb/tasks/0/pull", Token: tok},
			{Method: "POST", Path: "/v1/sync/rxdb/tasks/0/push", Token: tok, Body: []any{}},
			{Method: "GET", Path: "/v1/sync/rxdb/tasks/0/pullStream", Token: tok},
		} {
			if res := e.Do(t, r); res.Status != 401 {
				t.Errorf("expired token, %s %s: %d, want 401", r.Method, r.Path, res.Status)
			}
		}
	})
}

// sseEvent is one server-sent event.
type sseEvent struct{ id, data string }

// openRxdbStream opens a pull stream; events arrive on the channel.
func openRxdbStream(t *testing.T, ctx context.Context, e *apptest.Env, token, lastID string) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.URL+"/v1/sync/rxdb/tasks/0/pullStream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" || res.Header.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("stream: %d %v", res.StatusCode, res.Header)
	}
	out := make(chan sseEvent, 16)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.data != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return out
}

func nextEvent(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event in 10 s")
	}
	return sseEvent{}
}

func TestRxdbPullStreamOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		tok := f.tm.agent1
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch := openRxdbStream(t, ctx, e, tok, "")
		if ev := nextEvent(t, ch); ev.data != `"RESYNC"` {
			t.Fatalf("first event: %+v, want RESYNC", ev)
		}
		setStatus := func(i int, status string) {
			t.Helper()
			res := e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/tasks/" + f.tasks[i].String(), Token: tok,
				Body: map[string]any{"status": status}})
			if res.Status != 200 {
				t.Fatalf("patch task: %d %s", res.Status, res.Body)
			}
		}
		setStatus(0, "done")
		ev := nextEvent(t, ch)
		var batch api.RxdbPullResponse
		if err := json.Unmarshal([]byte(ev.data), &batch); err != nil {
			t.Fatalf("event %+v: %v", ev, err)
		}
		if len(batch.Documents) != 1 || batch.Documents[0].AdditionalProperties["id"] != f.tasks[0].String() ||
			batch.Documents[0].AdditionalProperties["status"] != "done" || batch.Checkpoint == nil ||
			ev.id != strconv.FormatInt(batch.Checkpoint.Lwt, 10)+":"+batch.Checkpoint.Id {
			t.Fatalf("event: %+v", ev)
		}
		cancel()

		// A change while disconnected comes on reconnection with Last-Event-ID.
		setStatus(1, "done")
		ctx2, cancel2 := context.WithCancel(context.Background())
		defer cancel2()
		ch2 := openRxdbStream(t, ctx2, e, tok, ev.id)
		ev2 := nextEvent(t, ch2)
		if strings.Contains(ev2.data, "RESYNC") || !strings.Contains(ev2.data, f.tasks[1].String()) || strings.Contains(ev2.data, f.tasks[0].String()) {
			t.Fatalf("after reconnection: %+v", ev2)
		}
		// A Last-Event-ID that cannot be continued: RESYNC.
		ctx3, cancel3 := context.WithCancel(context.Background())
		defer cancel3()
		if ev := nextEvent(t, openRxdbStream(t, ctx3, e, tok, "garbage")); ev.data != `"RESYNC"` {
			t.Fatalf("bad Last-Event-ID: %+v", ev)
		}
	})
}

// An admin makes agent2 the team's lead through the API: agent2's RxDB
// client, pulling on from its old checkpoint, receives the team's
// customers (the role event of the change log; the checkpoint carries
// no scope epoch).
func TestRxdbRoleChangeOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := newSyncFixture(t, e)
		err := e.App.DB.WithTx(apptest.Sys(), func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.Create().SetName("乙方客户").SetAgentID(f.tm.ids["agent2"]).Exec(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		p := rxdbPull(t, e, f.tm.agent2, "customers", nil, 100)
		if len(p.Documents) != 1 {
			t.Fatalf("agent2's book: %d customers", len(p.Documents))
		}
		res := e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/admin/agents/" + f.tm.ids["agent2"].String(), Token: f.tm.admin,
			Body: map[string]any{"role": "team_lead"}})
		if res.Status != 200 {
			t.Fatalf("promote: %d %s", res.Status, res.Body)
		}
		a2, err := e.App.DB.Client.Agent.Get(apptest.Sys(), f.tm.ids["agent2"])
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for cp := p.Checkpoint; ; {
			next := rxdbPull(t, e, e.Token(t, a2), "customers", cp, 100)
			if len(next.Documents) == 0 {
				break
			}
			for _, d := range next.Documents {
				got[d.AdditionalProperties["id"].(string)] = d.AdditionalProperties["_deleted"] != true
			}
			cp = next.Checkpoint
		}
		for _, c := range f.customers {
			if !got[c.String()] {
				t.Errorf("the new lead's client lacks the team's customer %s (got %v)", c, got)
			}
		}
	})
}
