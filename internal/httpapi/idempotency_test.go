package httpapi_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

// A write retried with its Idempotency-Key (a lost answer, an app killed
// before it saw it) is answered again and changes nothing; the key is the
// caller's own, bound to one request, and kept for 24 hours.
func TestIdempotencyKey(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		key := func(k string) http.Header { return http.Header{"Idempotency-Key": {k}} }
		count := func(name string) int {
			return e.App.DB.Client.Customer.Query().Where(customer.Name(name)).CountX(apptest.Sys())
		}
		create := func(token, k, name string) apptest.Response {
			return e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers", Token: token, Header: key(k),
				Body: map[string]any{"name": name}})
		}

		first := create(tm.agent1, "k-1", "韩梅梅")
		again := create(tm.agent1, "k-1", "韩梅梅")
		if first.Status != 201 || again.Status != 201 || string(again.Body) != string(first.Body) ||
			again.Header.Get("Idempotent-Replayed") != "true" || first.Header.Get("Idempotent-Replayed") != "" ||
			again.Header.Get("ETag") != first.Header.Get("ETag") {
			t.Fatalf("replay: %d %s / %d %s %v", first.Status, first.Body, again.Status, again.Body, again.Header)
		}
		if n := count("韩梅梅"); n != 1 {
			t.Fatalf("a replayed create made %d customers", n)
		}

		// The same key with another request is refused; another caller's
		// key of the same name is its own.
		if res := create(tm.agent1, "k-1", "李雷"); res.Status != 409 {
			t.Errorf("key reused for another body: %d %s", res.Status, res.Body)
		}
		if res := create(tm.agent2, "k-1", "韩梅梅"); res.Status != 201 || res.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("another caller's key: %d %v", res.Status, res.Header)
		}
		if n := count("韩梅梅"); n != 2 {
			t.Fatalf("customers named so: %d, want 2", n)
		}

		// An update replayed after another change does not undo it.
		var c api.Customer
		first.JSON(t, &c)
		path := "/v1/customers/" + c.Id.String()
		patch := func(k, city string) apptest.Response {
			return e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: tm.agent1, Header: key(k),
				Body: map[string]any{"name": city}})
		}
		p1 := patch("p-1", "上海")
		if p1.Status != 200 {
			t.Fatalf("patch: %d %s", p1.Status, p1.Body)
		}
		if res := patch("p-2", "杭州"); res.Status != 200 {
			t.Fatalf("patch: %d %s", res.Status, res.Body)
		}
		if res := patch("p-1", "上海"); res.Status != 200 || string(res.Body) != string(p1.Body) {
			t.Fatalf("patch replay: %d %s", res.Status, res.Body)
		}
		res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tm.agent1})
		var now api.Customer
		res.JSON(t, &now)
		if now.Name != "杭州" || res.Header.Get("ETag") != `"3"` {
			t.Errorf("after the replay: name %v, ETag %s", now.Name, res.Header.Get("ETag"))
		}

		// A client error is an answer too: replayed, not run again.
		gone := "/v1/customers/01900000-0000-7000-8000-000000000000"
		for range 2 {
			res := e.Do(t, apptest.Request{Method: "PATCH", Path: gone, Token: tm.agent1, Header: key("p-404"),
				Body: map[string]any{"name": "北京"}})
			if res.Status != 404 {
				t.Fatalf("patch of a missing customer: %d", res.Status)
			}
		}

		// Concurrent retries of one key: one request runs, the others get
		// its answer or are told to retry.
		var wg sync.WaitGroup
		statuses := make([]int, 4)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = create(tm.agent1, "k-race", "并发客户").Status
			}()
		}
		wg.Wait()
		for _, s := range statuses {
			if s != 201 && s != 409 {
				t.Errorf("concurrent retry answered %d", s)
			}
		}
		if n := count("并发客户"); n != 1 {
			t.Errorf("concurrent retries of one key made %d customers (%v)", n, statuses)
		}

		// After 24 hours the key is forgotten: the request runs again.
		e.Clock.Advance(25 * time.Hour)
		fresh := e.Token(t, e.App.DB.Client.Agent.GetX(apptest.Sys(), tm.ids["agent1"]))
		if res := create(fresh, "k-1", "韩梅梅"); res.Status != 201 || res.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("an expired key: %d %v", res.Status, res.Header)
		}
		if n := count("韩梅梅"); n != 2 { // the first was renamed
			t.Errorf("customers named so: %d, want 2", n)
		}
	})
}
