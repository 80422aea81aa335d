package httpapi_test

import (
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/ent/toolkitusage"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/plan"
)

// recompute runs one round of the background recompute, as the server
// does between requests.
func recompute(t *testing.T, e *apptest.Env) plan.Stats {
	t.Helper()
	st, err := plan.NewRecomputer(e.App.DB, e.Clock, slog.New(slog.NewTextHandler(io.Discard, nil)), 1).RunOnce(apptest.Sys())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func stepOf(p api.ServicePlan, ruleKey string) *api.PlanStep {
	for i := range p.Steps {
		if p.Steps[i].RuleKey == ruleKey {
			return &p.Steps[i]
		}
	}
	return nil
}

func TestServicePlanAndTaskCompletion(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newPlanBook(t, e)
		script := b.seed.PublishedItem("payment-reminder-call", toolkititem.ScenarioPaymentReminder)
		planPath := "/v1/customers/" + b.wang.ID.String() + "/service-plan"

		// The first read generates the plan: the premium due on 25 November
		// asks for a reminder call three days before, with its script.
		res := e.Do(t, apptest.Request{Method: "GET", Path: planPath, Token: b.team.agent1})
		if res.Status != 200 {
			t.Fatalf("service plan: %d %s", res.Status, res.Body)
		}
		var sp api.ServicePlan
		res.JSON(t, &sp)
		if etagOf(t, res) != `"`+strconv.FormatInt(sp.Version, 10)+`"` || sp.CustomerId != b.wang.ID {
			t.Errorf("plan %v version %d, ETag %s", sp.CustomerId, sp.Version, res.Header.Get("ETag"))
		}
		step := stepOf(sp, "premium-due-3d")
		if step == nil {
			t.Fatalf("no payment reminder step in %+v", sp.Steps)
		}
		shanghai, _ := time.LoadLocation("Asia/Shanghai")
		if want := time.Date(2026, 11, 22, 0, 0, 0, 0, shanghai); !step.DueAt.Equal(want) || step.Status != "todo" ||
			step.Priority != "high" || step.Scenario != "payment_reminder" || step.TaskId == nil ||
			!slices.Equal(step.ToolkitItemIds, []uuid.UUID{script.ID}) || len(step.Checklist) != 2 {
			t.Fatalf("step = %+v", step)
		}
		for i, s := range sp.Steps {
			if s.Position != int32(i+1) {
				t.Errorf("step %d has position %d", i, s.Position)
			}
		}

		// The agent's day: tasks due by the end of today, Shanghai time.
		endOfDay := time.Date(2026, 11, 24, 0, 0, 0, 0, shanghai).UTC().Format(time.RFC3339)
		var day api.TaskPage
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks?status=todo&due_before=" + endOfDay, Token: b.team.agent1})
		res.JSON(t, &day)
		if res.Status != 200 || !slices.ContainsFunc(day.Items, func(x api.Task) bool { return x.Id == *step.TaskId }) {
			t.Fatalf("agent1's day: %d %+v", res.Status, day)
		}
		for _, x := range day.Items {
			if timeOf(x.DueAt).After(time.Date(2026, 11, 24, 0, 0, 0, 0, shanghai)) || x.Status != "todo" {
				t.Errorf("task %s due %s (%s) is not of the day", x.Title, x.DueAt, x.Status)
			}
		}
		var other api.TaskPage
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks", Token: b.team.agent3}).JSON(t, &other)
		if slices.ContainsFunc(other.Items, func(x api.Task) bool { return x.CustomerId == b.wang.ID }) {
			t.Error("agent3 lists agent1's tasks")
		}

		taskPath := "/v1/tasks/" + step.TaskId.String()
		res = e.Do(t, apptest.Request{Method: "GET", Path: taskPath, Token: b.team.agent1})
		var tk api.Task
		res.JSON(t, &tk)
		tag := etagOf(t, res)
		if tk.PlanStepId == nil || *tk.PlanStepId != step.Id || idOf(tk.AgentId) != b.agent1.ID || tk.CompletedAt != nil {
			t.Fatalf("task = %+v", tk)
		}
		patch := func(token, ifMatch string, body map[string]any) apptest.Response {
			r := apptest.Request{Method: "PATCH", Path: taskPath, Token: token, Body: body}
			if ifMatch != "" {
				r.Header = map[string][]string{"If-Match": {ifMatch}}
			}
			return e.Do(t, r)
		}
		for _, c := range []struct {
			name, token, ifMatch string
			body                 map[string]any
			want                 int
			field                string
		}{
			{"stale If-Match", b.team.agent1, `"999"`, map[string]any{"status": "done"}, 412, ""},
			{"skip without a reason", b.team.agent1, tag, map[string]any{"status": "skipped"}, 400, "/skip_reason"},
			{"blank reason", b.team.agent1, tag, map[string]any{"status": "skipped", "skip_reason": "  "}, 400, "/skip_reason"},
			{"done with required entries unticked", b.team.agent1, tag, map[string]any{"status": "done"}, 400, "/checklist"},
			{"unknown checklist entry", b.team.agent1, tag, map[string]any{"checklist": []map[string]any{{"key": "nope", "label": "x", "checked": true}}}, 400, "/checklist/0/key"},
			{"another team's agent", b.team.agent3, tag, map[string]any{"status": "done"}, 404, ""},
			{"integrator", e.IntegratorToken(t, "crm", "tasks:read"), tag, map[string]any{"status": "done"}, 403, ""},
		} {
			res := patch(c.token, c.ifMatch, c.body)
			if res.Status != c.want || (c.field != "" && !strings.Contains(string(res.Body), `"field":"`+c.field+`"`)) {
				t.Errorf("%s: %d %s, want %d naming %q", c.name, res.Status, res.Body, c.want, c.field)
			}
		}

		// Done, with the required entry ticked and the script used.
		res = patch(b.team.agent1, tag, map[string]any{
			"status":           "done",
			"checklist":        []map[string]any{{"key": "confirm-account", "label": "余额", "checked": true}},
			"toolkit_item_ids": []uuid.UUID{script.ID},
		})
		if res.Status != 200 {
			t.Fatalf("complete: %d %s", res.Status, res.Body)
		}
		var done api.Task
		res.JSON(t, &done)
		if done.Status != "done" || done.CompletedAt == nil || !done.CompletedAt.Equal(apptest.Start) || done.Version != tk.Version+1 ||
			etagOf(t, res) != `"`+strconv.FormatInt(done.Version, 10)+`"` || !done.Checklist[0].Checked || done.Checklist[0].Label == "余额" {
			t.Errorf("done = %+v, ETag %s", done, res.Header.Get("ETag"))
		}
		if res := patch(b.team.agent1, tag, map[string]any{"status": "todo"}); res.Status != 412 {
			t.Errorf("a change based on the version before: %d", res.Status)
		}
		if n := e.App.DB.Client.ToolkitUsage.Query().Where(toolkitusage.TaskID(done.Id)).CountX(apptest.Sys()); n != 1 {
			t.Errorf("%d toolkit uses recorded, want 1", n)
		}
		// The step follows the task.
		res = e.Do(t, apptest.Request{Method: "GET", Path: planPath, Token: b.team.agent1})
		var after api.ServicePlan
		res.JSON(t, &after)
		if s := stepOf(after, "premium-due-3d"); s == nil || s.Status != "done" || !s.Checklist[0].Checked || after.Version <= sp.Version {
			t.Errorf("after completion: plan v%d (was v%d), step %+v", after.Version, sp.Version, s)
		}

		// Reopen, then reschedule; then skip with a reason.
		res = patch(b.team.agent1, "", map[string]any{"status": "todo"})
		var reopened api.Task
		res.JSON(t, &reopened)
		if res.Status != 200 || reopened.Status != "todo" || reopened.CompletedAt != nil {
			t.Errorf("reopen: %d %+v", res.Status, reopened)
		}
		later := apptest.Start.Add(72 * time.Hour)
		res = patch(b.team.agent1, "", map[string]any{"due_at": later})
		var moved api.Task
		res.JSON(t, &moved)
		if res.Status != 200 || !timeOf(moved.DueAt).Equal(later) {
			t.Errorf("reschedule: %d %+v", res.Status, moved)
		}
		res = patch(b.team.agent1, "", map[string]any{"status": "skipped", "skip_reason": "客户已自行缴费"})
		var skipped api.Task
		res.JSON(t, &skipped)
		if res.Status != 200 || skipped.Status != "skipped" || skipped.SkipReason == nil || *skipped.SkipReason != "客户已自行缴费" {
			t.Errorf("skip: %d %+v", res.Status, skipped)
		}

		// Scope of the plan and its tasks.
		for _, c := range []struct {
			name, path, token string
			want              int
		}{
			{"lead reads the plan", planPath, b.team.lead1, 200},
			{"integrator reads the plan", planPath, e.IntegratorToken(t, "crm", "customers:read"), 200},
			{"integrator reads the task", taskPath, e.IntegratorToken(t, "crm", "tasks:read"), 200},
			{"integrator without tasks:read", taskPath, e.IntegratorToken(t, "crm", "customers:read"), 403},
			{"other team's plan", planPath, b.team.agent3, 404},
			{"other team's task", taskPath, b.team.agent3, 404},
			{"unknown customer", "/v1/customers/" + uuid.NewString() + "/service-plan", b.team.admin, 404},
		} {
			if res := e.Do(t, apptest.Request{Method: "GET", Path: c.path, Token: c.token}); res.Status != c.want {
				t.Errorf("%s: %d, want %d", c.name, res.Status, c.want)
			}
		}
	})
}

func TestServicePlanFollowsRuleChanges(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newPlanBook(t, e)
		planPath := "/v1/customers/" + b.wang.ID.String() + "/service-plan"
		var sp api.ServicePlan
		e.Do(t, apptest.Request{Method: "GET", Path: planPath, Token: b.team.agent1}).JSON(t, &sp)
		if stepOf(sp, "vip-check-in") != nil {
			t.Fatal("a step of a rule that does not exist yet")
		}
		// An admin adds a rule for VIP customers; the background recompute
		// brings the plan up to date.
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/plan-rules", Token: b.team.admin, Body: map[string]any{
			"key": "vip-check-in", "name": "VIP 关怀", "priority": "medium", "scenario": "consultation",
			"conditions": []map[string]any{{"fact": "customer.tags", "op": "eq", "value": "VIP"}},
			"step":       map[string]any{"title": "问候{customer.name}", "due": map[string]any{"event": "now", "offset_days": 1}},
		}})
		if res.Status != 201 {
			t.Fatalf("create rule: %d %s", res.Status, res.Body)
		}
		var rule api.PlanRule
		res.JSON(t, &rule)
		if st := recompute(t, e); st.PlansWritten == 0 {
			t.Errorf("recompute after a rule change wrote no plan: %+v", st)
		}
		var after api.ServicePlan
		e.Do(t, apptest.Request{Method: "GET", Path: planPath, Token: b.team.agent1}).JSON(t, &after)
		s := stepOf(after, "vip-check-in")
		if s == nil || s.Title != "问候王芳" || s.TaskId == nil {
			t.Fatalf("after the new rule: %+v", after.Steps)
		}
		vipTask := *s.TaskId
		if after.RulesVersion == sp.RulesVersion {
			t.Errorf("rules version stayed %s", after.RulesVersion)
		}
		// Deleting the rule withdraws its open step and task.
		res = e.Do(t, apptest.Request{Method: "DELETE", Path: "/v1/plan-rules/" + rule.Id.String(), Token: b.team.admin})
		if res.Status != 204 {
			t.Fatalf("delete rule: %d %s", res.Status, res.Body)
		}
		recompute(t, e)
		after = api.ServicePlan{}
		e.Do(t, apptest.Request{Method: "GET", Path: planPath, Token: b.team.agent1}).JSON(t, &after)
		if stepOf(after, "vip-check-in") != nil {
			t.Error("the step of a deleted rule stayed")
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks/" + vipTask.String(), Token: b.team.agent1}); res.Status != 404 {
			t.Errorf("the withdrawn step's task: %d", res.Status)
		}
	})
}

func TestPlanRulesAdmin(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		// The built-in rules are there from the start.
		var page api.PlanRulePage
		res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/plan-rules?limit=500", Token: tm.admin})
		res.JSON(t, &page)
		if res.Status != 200 || len(page.Items) != len(plan.Builtins()) || page.NextCursor != nil {
			t.Fatalf("rules: %d, %d items, want %d", res.Status, len(page.Items), len(plan.Builtins()))
		}
		keys := make([]string, 0, len(page.Items))
		for _, r := range page.Items {
			keys = append(keys, r.Key)
		}
		if !slices.IsSorted(keys) || !slices.Contains(keys, "premium-due-3d") {
			t.Errorf("keys = %v", keys)
		}
		// Filters and pages.
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/plan-rules?scenario=renewal", Token: tm.admin}).JSON(t, &page)
		if len(page.Items) != 1 || page.Items[0].Key != "renewal-30d" {
			t.Errorf("renewal rules = %+v", page.Items)
		}
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/plan-rules?limit=2", Token: tm.admin}).JSON(t, &page)
		if len(page.Items) != 2 || page.NextCursor == nil {
			t.Fatalf("first page: %+v", page)
		}
		first := page.Items[1].Key
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/plan-rules?limit=2&cursor=" + *page.NextCursor, Token: tm.admin}).JSON(t, &page)
		if len(page.Items) != 2 || page.Items[0].Key <= first {
			t.Errorf("second page after %s: %+v", first, page.Items)
		}

		valid := func() map[string]any {
			return map[string]any{
				"key": "lapse-rescue", "name": "失效挽回", "priority": "high", "scenario": "payment_reminder",
				"conditions": []map[string]any{{"fact": "policy.status", "op": "eq", "value": "lapsed"}},
				"step": map[string]any{"title": "挽回{customer.name}的 {policy.number}",
					"due":       map[string]any{"event": "now", "offset_days": 2},
					"checklist": []map[string]any{{"key": "call", "label": "致电", "required": true}}},
			}
		}
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/plan-rules", Token: tm.admin, Body: valid()})
		if res.Status != 201 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var r api.PlanRule
		res.JSON(t, &r)
		if r.Revision != 1 || !r.Enabled || etagOf(t, res) != `"1"` || res.Header.Get("Location") != "/v1/plan-rules/"+r.Id.String() ||
			r.Step.Checklist == nil || !*(*r.Step.Checklist)[0].Required || r.Conditions[0].Value != "lapsed" {
			t.Errorf("created %+v, headers %v", r, res.Header)
		}
		path := "/v1/plan-rules/" + r.Id.String()
		res = e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tm.admin})
		if res.Status != 200 || etagOf(t, res) != `"1"` {
			t.Errorf("get: %d %s", res.Status, res.Body)
		}
		body := valid()
		body["name"], body["enabled"] = "失效挽回（停用）", false
		put := func(ifMatch string, body any) apptest.Response {
			return e.Do(t, apptest.Request{Method: "PUT", Path: path, Token: tm.admin, Body: body,
				Header: map[string][]string{"If-Match": {ifMatch}}})
		}
		if res := put(`"7"`, body); res.Status != 412 {
			t.Errorf("stale If-Match: %d", res.Status)
		}
		res = put(`"1"`, body)
		res.JSON(t, &r)
		if res.Status != 200 || r.Revision != 2 || r.Enabled || etagOf(t, res) != `"2"` {
			t.Errorf("replace: %d %+v", res.Status, r)
		}
		var disabled api.PlanRulePage
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/plan-rules?enabled=false", Token: tm.admin}).JSON(t, &disabled)
		if len(disabled.Items) != 1 || disabled.Items[0].Id != r.Id {
			t.Errorf("disabled rules = %+v", disabled.Items)
		}
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: path, Token: tm.admin, Header: map[string][]string{"If-Match": {`"1"`}}}); res.Status != 412 {
			t.Errorf("delete with a stale If-Match: %d", res.Status)
		}
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: path, Token: tm.admin, Header: map[string][]string{"If-Match": {`"2"`}}}); res.Status != 204 {
			t.Errorf("delete: %d %s", res.Status, res.Body)
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: tm.admin}); res.Status != 404 {
			t.Errorf("get after delete: %d", res.Status)
		}
		builtin := page.Items[0]
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: "/v1/plan-rules/" + builtin.Id.String(), Token: tm.admin}); res.Status != 409 {
			t.Errorf("delete a built-in rule: %d %s", res.Status, res.Body)
		}

		// Bad rules are refused with the fields named.
		for _, c := range []struct {
			name  string
			mod   func(m map[string]any)
			field string
		}{
			{"unknown fact", func(m map[string]any) {
				m["conditions"] = []map[string]any{{"fact": "policy.colour", "op": "eq", "value": "red"}}
			}, "/conditions/0/fact"},
			{"operator of another type", func(m map[string]any) {
				m["conditions"] = []map[string]any{{"fact": "customer.tags", "op": "lt", "value": 3}}
			}, "/conditions/0/op"},
			{"value of the wrong type", func(m map[string]any) {
				m["conditions"] = []map[string]any{{"fact": "policy.renewal_in_days", "op": "lte", "value": "thirty"}}
			}, "/conditions/0/value"},
			{"unknown enumerated value", func(m map[string]any) {
				m["conditions"] = []map[string]any{{"fact": "policy.status", "op": "eq", "value": "sleeping"}}
			}, "/conditions/0/value"},
			{"policy and complaint facts mixed", func(m map[string]any) {
				m["conditions"] = []map[string]any{{"fact": "policy.status", "op": "eq", "value": "active"},
					{"fact": "complaint.open", "op": "eq", "value": true}}
			}, "/conditions/1/fact"},
			{"unknown due event", func(m map[string]any) {
				m["step"].(map[string]any)["due"] = map[string]any{"event": "policy.expiry_date", "offset_days": 0}
			}, "/step/due/event"},
			{"offset out of range", func(m map[string]any) {
				m["step"].(map[string]any)["due"] = map[string]any{"event": "now", "offset_days": 5000}
			}, "/step/due/offset_days"},
			{"unknown placeholder", func(m map[string]any) { m["step"].(map[string]any)["title"] = "致电{customer.nickname}" }, "/step/title"},
			{"unknown toolkit item", func(m map[string]any) { m["step"].(map[string]any)["toolkit_item_keys"] = []string{"no-such-item"} }, "/step/toolkit_item_keys/0"},
			{"key taken", func(m map[string]any) { m["key"] = "premium-due-3d" }, "/key"},
			{"blank name", func(m map[string]any) { m["name"] = " " }, "/name"},
		} {
			body := valid()
			c.mod(body)
			res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/plan-rules", Token: tm.admin, Body: body})
			if res.Status != 400 || !strings.Contains(string(res.Body), `"field":"`+c.field+`"`) {
				t.Errorf("%s: %d %s, want 400 naming %s", c.name, res.Status, res.Body, c.field)
			}
		}

		// Only admins manage rules.
		for name, token := range map[string]string{"agent": tm.agent1, "lead": tm.lead1,
			"integrator": e.IntegratorToken(t, "crm", "customers:read", "customers:write", "policies:read", "tasks:read")} {
			for _, req := range []apptest.Request{
				{Method: "GET", Path: "/v1/plan-rules"},
				{Method: "POST", Path: "/v1/plan-rules", Body: valid()},
				{Method: "GET", Path: "/v1/plan-rules/" + builtin.Id.String()},
				{Method: "PUT", Path: "/v1/plan-rules/" + builtin.Id.String(), Body: valid()},
				{Method: "DELETE", Path: "/v1/plan-rules/" + builtin.Id.String()},
			} {
				req.Token = token
				if res := e.Do(t, req); res.Status != 403 {
					t.Errorf("%s %s %s: %d, want 403", name, req.Method, req.Path, res.Status)
				}
			}
		}
	})
}
