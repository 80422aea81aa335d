package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

func TestAdHocTasks(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newPlanBook(t, e)
		item := b.seed.PublishedItem("care-call", toolkititem.ScenarioCareBirthday)
		recompute(t, e) // the plans' tasks
		due := apptest.Start.Add(3 * time.Hour)
		id := uuid.Must(uuid.NewV7())
		body := map[string]any{
			"id": id, "customer_id": b.wang.ID, "title": "回访生日祝福", "due_at": due, "scenario": "care_birthday",
			"description": "电话或微信", "toolkit_item_ids": []uuid.UUID{item.ID},
			"checklist": []map[string]any{{"key": "greet", "label": "送上祝福", "checked": false}},
		}
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/tasks", Token: b.team.agent1, Body: body})
		if res.Status != 201 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var tk api.Task
		res.JSON(t, &tk)
		if tk.Id != id || idOf(tk.AgentId) != b.agent1.ID || tk.PlanStepId != nil || tk.Priority != "medium" || tk.Status != "todo" ||
			!timeOf(tk.DueAt).Equal(due) || tk.Scenario == nil || *tk.Scenario != "care_birthday" || tk.Description == nil ||
			len(tk.Checklist) != 1 || etagOf(t, res) != `"1"` || res.Header.Get("Location") != "/v1/tasks/"+id.String() {
			t.Errorf("created %+v", tk)
		}
		if res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/tasks", Token: b.team.agent1, Body: body}); res.Status != 409 {
			t.Errorf("the same id again: %d %s", res.Status, res.Body)
		}

		base := func() map[string]any {
			return map[string]any{"customer_id": b.wang.ID, "title": "跟进", "due_at": due}
		}
		with := func(k string, v any) map[string]any {
			m := base()
			m[k] = v
			return m
		}
		for _, c := range []struct {
			name, token string
			body        map[string]any
			want        int
			field       string
		}{
			{"another team's customer", b.team.agent1, with("customer_id", b.other.ID), 400, "/customer_id"},
			{"unknown customer", b.team.agent1, with("customer_id", uuid.New()), 400, "/customer_id"},
			{"agent gives a task to another", b.team.agent1, with("agent_id", b.team.ids["agent2"]), 403, ""},
			{"lead gives a task outside the team", b.team.lead1, with("agent_id", b.agent3.ID), 400, "/agent_id"},
			{"blank title", b.team.agent1, with("title", "  "), 400, "/title"},
			{"unknown toolkit item", b.team.agent1, with("toolkit_item_ids", []uuid.UUID{uuid.New()}), 400, "/toolkit_item_ids/0"},
			{"duplicate checklist keys", b.team.agent1, with("checklist", []map[string]any{{"key": "a", "label": "x", "checked": false},
				{"key": "a", "label": "y", "checked": false}}), 400, "/checklist"},
			{"integrator", e.IntegratorToken(t, "crm", "tasks:read"), base(), 403, ""},
		} {
			res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/tasks", Token: c.token, Body: c.body})
			if res.Status != c.want || (c.field != "" && !strings.Contains(string(res.Body), `"field":"`+c.field)) {
				t.Errorf("%s: %d %s, want %d naming %q", c.name, res.Status, res.Body, c.want, c.field)
			}
		}
		// The lead gives agent1 a task for agent1's customer.
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/tasks", Token: b.team.lead1, Body: with("agent_id", b.agent1.ID)})
		var given api.Task
		res.JSON(t, &given)
		if res.Status != 201 || idOf(given.AgentId) != b.agent1.ID {
			t.Errorf("lead's task: %d %+v", res.Status, given)
		}

		// Lists: by customer, status, agent, pages in due order.
		var page api.TaskPage
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks?customer_id=" + b.wang.ID.String() + "&limit=1", Token: b.team.agent1})
		res.JSON(t, &page)
		if res.Status != 200 || len(page.Items) != 1 || page.NextCursor == nil {
			t.Fatalf("first page: %d %+v", res.Status, page)
		}
		seen := []api.Task{page.Items[0]}
		for page.NextCursor != nil {
			next := *page.NextCursor
			page = api.TaskPage{}
			e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks?customer_id=" + b.wang.ID.String() + "&limit=1&cursor=" + next, Token: b.team.agent1}).JSON(t, &page)
			seen = append(seen, page.Items...)
		}
		if len(seen) < 3 {
			t.Errorf("paged %d tasks, want the plan's and the two ad-hoc ones", len(seen))
		}
		for i := 1; i < len(seen); i++ {
			if timeOf(seen[i].DueAt).Before(timeOf(seen[i-1].DueAt)) {
				t.Errorf("task %d due %s before task %d due %s", i, seen[i].DueAt, i-1, seen[i-1].DueAt)
			}
		}
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks?status=done", Token: b.team.agent1}).JSON(t, &page)
		if len(page.Items) != 0 {
			t.Errorf("done tasks: %+v", page.Items)
		}
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks?agent_id=" + b.agent1.ID.String(), Token: b.team.lead1}).JSON(t, &page)
		if len(page.Items) < 3 {
			t.Errorf("lead lists %d tasks of agent1", len(page.Items))
		}
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks", Token: e.IntegratorToken(t, "crm", "tasks:read")}).JSON(t, &page)
		if len(page.Items) < 3 {
			t.Errorf("integrator lists %d tasks", len(page.Items))
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks", Token: e.IntegratorToken(t, "crm", "customers:read")}); res.Status != 403 {
			t.Errorf("integrator without tasks:read: %d", res.Status)
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks?cursor=bogus", Token: b.team.agent1}); res.Status != 400 {
			t.Errorf("bad cursor: %d", res.Status)
		}
		// Ad-hoc tasks take a whole checklist.
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: "/v1/tasks/" + id.String(), Token: b.team.agent1, Body: map[string]any{
			"status": "done", "checklist": []map[string]any{{"key": "greet", "label": "送上祝福", "checked": true}, {"key": "gift", "label": "寄送贺卡", "checked": true}},
		}})
		res.JSON(t, &tk)
		if res.Status != 200 || tk.Status != "done" || len(tk.Checklist) != 2 {
			t.Errorf("complete the ad-hoc task: %d %+v", res.Status, tk)
		}
	})
}
