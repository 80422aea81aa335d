package httpapi_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

// TestTaskCompletionThroughSyncPush: an agent completes a plan step's task
// offline; the phone's sync push (tasks collection, status done) reaches
// the service plan and the key-node coverage KPI.
func TestTaskCompletionThroughSyncPush(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newPlanBook(t, e)
		planPath := "/v1/customers/" + b.wang.ID.String() + "/service-plan"
		var sp api.ServicePlan
		res := e.Do(t, apptest.Request{Method: "GET", Path: planPath, Token: b.team.agent1})
		if res.Status != 200 {
			t.Fatalf("service plan: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &sp)
		// A step still due (so that completing it now is on time).
		now := e.Clock.Now()
		var step *api.PlanStep
		for i := range sp.Steps {
			if s := &sp.Steps[i]; s.TaskId != nil && s.Status == "todo" && s.DueAt.After(now) {
				step = s
				break
			}
		}
		if step == nil {
			t.Fatalf("no step due after %s in %+v", now, sp.Steps)
		}
		shanghai, _ := time.LoadLocation("Asia/Shanghai")
		kpiPath := "/v1/reports/kpis?agent_id=" + b.agent1.ID.String() + "&from=" + now.In(shanghai).Format(time.DateOnly) +
			"&to=" + step.DueAt.In(shanghai).Format(time.DateOnly)
		coverage := func() api.Kpi {
			t.Helper()
			res := e.Do(t, apptest.Request{Method: "GET", Path: kpiPath, Token: b.team.admin})
			if res.Status != 200 {
				t.Fatalf("report: %d %s", res.Status, res.Body)
			}
			var r api.KpiReport
			res.JSON(t, &r)
			return kpiOf(t, r, api.KeyNodeCoverage)
		}
		before := coverage()

		var tk api.Task
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks/" + step.TaskId.String(), Token: b.team.agent1}).JSON(t, &tk)
		checklist := make([]map[string]any, len(tk.Checklist))
		for i, c := range tk.Checklist {
			checklist[i] = map[string]any{"key": c.Key, "label": c.Label, "checked": true}
		}
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/sync/push", Token: b.team.agent1, Body: map[string]any{
			"device_id": uuid.New(), "mutations": []map[string]any{
				{"mutation_id": "done-1", "collection": "tasks", "op": "upsert", "id": tk.Id, "base_version": tk.Version,
					"data": map[string]any{"status": "done", "checklist": checklist}},
			}}})
		if res.Status != 200 {
			t.Fatalf("push: %d %s", res.Status, res.Body)
		}
		var out api.SyncPushResponse
		res.JSON(t, &out)
		if len(out.Results) != 1 || out.Results[0].Status != "applied" {
			t.Fatalf("push results: %s", res.Body)
		}

		// The task and its step are done; the plan moved on a version.
		var done api.Task
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/tasks/" + tk.Id.String(), Token: b.team.agent1}).JSON(t, &done)
		if done.Status != "done" || done.CompletedAt == nil || !done.CompletedAt.Equal(now) {
			t.Errorf("task after push = %+v", done)
		}
		var after api.ServicePlan
		e.Do(t, apptest.Request{Method: "GET", Path: planPath, Token: b.team.agent1}).JSON(t, &after)
		var got *api.PlanStep
		for i := range after.Steps {
			if after.Steps[i].Id == step.Id {
				got = &after.Steps[i]
			}
		}
		if got == nil || got.Status != "done" || after.Version <= sp.Version {
			t.Errorf("plan v%d (was v%d), step %+v", after.Version, sp.Version, got)
		}

		// Key-node coverage: the step was undecided (still due); now it is
		// covered, in the numerator and the denominator.
		cov := coverage()
		if cov.Numerator != before.Numerator+1 || cov.Denominator != before.Denominator+1 || cov.Value == nil {
			t.Errorf("key-node coverage %v/%v → %v/%v, want one more covered", before.Numerator, before.Denominator, cov.Numerator, cov.Denominator)
		}
	})
}
