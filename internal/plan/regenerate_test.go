package plan_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/ent/toolkitusage"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/portrait/portraittest"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func changeCount(t *testing.T, db *store.DB) int {
	t.Helper()
	n, err := db.Client.ChangeLog.Query().Count(auth.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustRegenerate(t *testing.T, db *store.DB, id uuid.UUID, now time.Time) plan.Result {
	t.Helper()
	res, err := plan.Regenerate(auth.SystemContext(context.Background()), db, id, now)
	if err != nil {
		t.Fatalf("Regenerate: %v", err)
	}
	return res
}

func tasksByRule(t *testing.T, db *store.DB, customerID uuid.UUID) map[string]*ent.Task {
	t.Helper()
	ts, err := db.Client.Task.Query().Where(task.CustomerID(customerID)).All(auth.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ent.Task{}
	for _, tk := range ts {
		out[tk.RuleKey] = tk
	}
	return out
}

func agentCtx(a *ent.Agent) context.Context {
	return auth.WithViewer(context.Background(), &auth.Viewer{Kind: auth.KindAgent, AgentID: a.ID, Role: auth.RoleAgent})
}

func TestRegenerateAndTasks(t *testing.T) {
	now := noon(2026, 3, 18, "Asia/Shanghai")
	clk := clock.NewFake(now)
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		ctx := seed.Ctx()
		if _, err := plan.EnsureBuiltins(ctx, db); err != nil {
			t.Fatal(err)
		}
		call := seed.PublishedItem("payment-reminder-call", toolkititem.ScenarioPaymentReminder)
		ag := seed.Agent("Asia/Shanghai")
		cu := seed.Customer(ag, portraittest.Day(2026, 1, 1), nil)
		pol := seed.Policy(cu, portraittest.Day(2020, 1, 1), func(c *ent.InsurancePolicyCreate) {
			c.SetNextPremiumDueDate(portraittest.Day(2026, 3, 20)).SetRenewalDate(portraittest.Day(2026, 4, 5))
		})
		seed.Claim(cu, claim.StatusPaid, portraittest.Day(2025, 1, 1))
		seed.Interaction(cu, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), "咨询")

		// New steps create tasks.
		res := mustRegenerate(t, db, cu.ID, now)
		if !res.Changed || res.Created != 2 {
			t.Fatalf("first Regenerate = %+v, want 2 steps created", res)
		}
		tasks := tasksByRule(t, db, cu.ID)
		premium, renewal := tasks["premium-due-3d"], tasks["renewal-30d"]
		if premium == nil || renewal == nil || len(tasks) != 2 {
			t.Fatalf("tasks = %v", tasks)
		}
		wantPremium := struct {
			Title   string
			Due     time.Time
			Status  task.Status
			Toolkit []uuid.UUID
			Agent   uuid.UUID
		}{"提醒王芳缴纳 " + pol.Number + " 续期保费", time.Date(2026, 3, 16, 16, 0, 0, 0, time.UTC), task.StatusTodo, []uuid.UUID{call.ID}, ag.ID}
		gotPremium := wantPremium
		gotPremium.Title, gotPremium.Due, gotPremium.Status, gotPremium.Toolkit, gotPremium.Agent =
			premium.Title, premium.DueAt.UTC(), premium.Status, premium.ToolkitItemIds, *premium.AgentID
		if diff := cmp.Diff(wantPremium, gotPremium); diff != "" {
			t.Errorf("premium task mismatch (-want +got):\n%s", diff)
		}

		// Unchanged inputs: no write, no new version.
		before := changeCount(t, db)
		if res := mustRegenerate(t, db, cu.ID, now.Add(2*time.Hour)); res.Changed {
			t.Errorf("Regenerate with unchanged inputs changed the plan: %+v", res)
		}
		if after := changeCount(t, db); after != before {
			t.Errorf("change log grew from %d to %d with unchanged inputs", before, after)
		}

		// Task updates: validation, precondition, completion.
		_, err := plan.UpdateTask(agentCtx(ag), db, premium.ID, premium.Version, plan.TaskPatch{Status: ptr("done")})
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid || e.Fields[0].Code != "required_unchecked" {
			t.Errorf("done with a required entry unticked: %v", err)
		}
		_, err = plan.UpdateTask(agentCtx(ag), db, premium.ID, premium.Version, plan.TaskPatch{Status: ptr("skipped")})
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid || e.Fields[0].Field != "/skip_reason" {
			t.Errorf("skip without a reason: %v", err)
		}
		_, err = plan.UpdateTask(agentCtx(ag), db, premium.ID, premium.Version+1, plan.TaskPatch{Status: ptr("todo")})
		if apperr.KindOf(err) != apperr.KindPreconditionFailed {
			t.Errorf("stale version: %v", err)
		}
		ticked := []domain.ChecklistItem{{Key: "confirm-account", Label: "确认扣款账户余额充足", Checked: true}}
		donePatch := plan.TaskPatch{Status: ptr("done"), Checklist: &ticked, ToolkitItemIDs: &[]uuid.UUID{call.ID}}
		done, err := plan.UpdateTask(agentCtx(ag), db, premium.ID, premium.Version, donePatch)
		if err != nil {
			t.Fatalf("complete: %v", err)
		}
		if done.Status != task.StatusDone || done.CompletedAt == nil || !done.CompletedAt.Equal(now) || !done.Checklist[0].Checked {
			t.Errorf("completed task = %+v", done)
		}
		step, err := db.Client.PlanStep.Get(ctx, *done.PlanStepID)
		if err != nil || step.Status != planstep.StatusDone || !step.Checklist[0].Checked {
			t.Errorf("plan step after completion = %+v, %v", step, err)
		}
		// A replay changes nothing and counts the toolkit use once.
		again, err := plan.UpdateTask(agentCtx(ag), db, premium.ID, 0, donePatch)
		if err != nil || again.Version != done.Version {
			t.Errorf("replayed completion: version %d → %d, %v", done.Version, again.Version, err)
		}
		uses, err := db.Client.ToolkitUsage.Query().Where(toolkitusage.TaskID(premium.ID)).All(ctx)
		if err != nil || len(uses) != 1 || uses[0].AgentID == nil || *uses[0].AgentID != ag.ID || uses[0].Revision != 1 {
			t.Errorf("toolkit usage = %+v, %v", uses, err)
		}

		// The agent moves the renewal review; regeneration keeps the move.
		moved := time.Date(2026, 3, 24, 16, 0, 0, 0, time.UTC)
		if _, err := plan.UpdateTask(agentCtx(ag), db, renewal.ID, renewal.Version, plan.TaskPatch{DueAt: &moved}); err != nil {
			t.Fatal(err)
		}
		mustRegenerate(t, db, cu.ID, now)
		if got := tasksByRule(t, db, cu.ID)["renewal-30d"]; !got.DueAt.Equal(moved) {
			t.Errorf("rescheduled due %v became %v", moved, got.DueAt)
		}

		// The premium is paid and the policy renewed: the done step stays as
		// history, the open renewal step is withdrawn and its task deleted.
		seed.UpdatePolicy(pol, func(u *ent.InsurancePolicyUpdateOne) {
			u.SetNextPremiumDueDate(portraittest.Day(2027, 3, 20)).SetRenewalDate(portraittest.Day(2027, 4, 5))
		})
		res = mustRegenerate(t, db, cu.ID, now)
		if !res.Changed || res.Removed != 1 || res.Created != 0 {
			t.Errorf("Regenerate after renewal = %+v, want 1 removed", res)
		}
		tasks = tasksByRule(t, db, cu.ID)
		if len(tasks) != 1 || tasks["premium-due-3d"] == nil || tasks["premium-due-3d"].Status != task.StatusDone {
			t.Errorf("tasks after renewal = %v", tasks)
		}
		tomb, err := db.Client.ChangeLog.Query().Where(changelog.RecordID(renewal.ID), changelog.OpEQ(changelog.OpDelete)).Exist(ctx)
		if err != nil || !tomb {
			t.Errorf("no tombstone for the withdrawn task: %v", err)
		}
		view, err := plan.GetPlan(ctx, db, cu.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Steps) != 1 || view.Steps[0].Status != planstep.StatusDone || view.Steps[0].Position != 1 {
			t.Errorf("plan steps = %+v", view.Steps)
		}

		// Skipping with a reason.
		seed.Complaint(cu, "billing", "received", time.Date(2026, 3, 17, 2, 0, 0, 0, time.UTC))
		mustRegenerate(t, db, cu.ID, now)
		follow := tasksByRule(t, db, cu.ID)["complaint-follow-up"]
		skipped, err := plan.UpdateTask(agentCtx(ag), db, follow.ID, follow.Version, plan.TaskPatch{Status: ptr("skipped"), SkipReason: ptr(" 客户已撤诉 ")})
		if err != nil || skipped.Status != task.StatusSkipped || skipped.SkipReason != "客户已撤诉" || skipped.CompletedAt == nil {
			t.Errorf("skip = %+v, %v", skipped, err)
		}
		reopened, err := plan.UpdateTask(agentCtx(ag), db, follow.ID, skipped.Version, plan.TaskPatch{Status: ptr("todo")})
		if err != nil || reopened.SkipReason != "" || reopened.CompletedAt != nil {
			t.Errorf("reopen = %+v, %v", reopened, err)
		}
	})
}

func TestListTasksGivesAnAgentsDay(t *testing.T) {
	now := noon(2026, 3, 18, "Asia/Shanghai")
	storetest.EachWith(t, storetest.Options{Clock: clock.NewFake(now)}, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		ctx := seed.Ctx()
		if _, err := plan.EnsureBuiltins(ctx, db); err != nil {
			t.Fatal(err)
		}
		ag := seed.Agent("Asia/Shanghai")
		for i := range 3 {
			cu := seed.Customer(ag, portraittest.Day(2026, 1, 1), nil)
			seed.Policy(cu, portraittest.Day(2025, 6, 1), func(c *ent.InsurancePolicyCreate) {
				c.SetNextPremiumDueDate(portraittest.Day(2026, 3, 19+i))
			})
			seed.Interaction(cu, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), "咨询")
			mustRegenerate(t, db, cu.ID, now)
		}
		endOfDay := time.Date(2026, 3, 18, 16, 0, 0, 0, time.UTC) // midnight after the 18th in Shanghai
		page, err := plan.ListTasks(ctx, db, plan.TaskFilter{DueBefore: &endOfDay, Status: "todo", Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		var dues []string
		for {
			for _, tk := range page.Items {
				dues = append(dues, tk.DueAt.UTC().Format(time.DateOnly))
			}
			if page.NextCursor == "" {
				break
			}
			if page, err = plan.ListTasks(ctx, db, plan.TaskFilter{DueBefore: &endOfDay, Status: "todo", Limit: 1, Cursor: page.NextCursor}); err != nil {
				t.Fatal(err)
			}
		}
		// Due on the 16th, 17th and 18th in Shanghai: local midnights in UTC.
		if diff := cmp.Diff([]string{"2026-03-15", "2026-03-16", "2026-03-17"}, dues); diff != "" {
			t.Errorf("the agent's day mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestReconcileFollowsRuleAndCustomerChanges(t *testing.T) {
	now := noon(2026, 3, 18, "Asia/Shanghai")
	storetest.EachWith(t, storetest.Options{Clock: clock.NewFake(now)}, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		ctx := seed.Ctx()
		if _, err := plan.EnsureBuiltins(ctx, db); err != nil {
			t.Fatal(err)
		}
		call := seed.PublishedItem("payment-reminder-call", toolkititem.ScenarioPaymentReminder)
		extra := seed.PublishedItem("grace-period-faq", toolkititem.ScenarioPaymentReminder)
		used := seed.PublishedItem("bank-change-form", toolkititem.ScenarioPolicyChange)
		a1, a2 := seed.Agent("Asia/Shanghai"), seed.Agent("Asia/Shanghai")
		cu := seed.Customer(a1, portraittest.Day(2026, 1, 1), nil)
		seed.Policy(cu, portraittest.Day(2025, 6, 1), func(c *ent.InsurancePolicyCreate) {
			c.SetNextPremiumDueDate(portraittest.Day(2026, 3, 20))
		})
		seed.Interaction(cu, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), "咨询")
		mustRegenerate(t, db, cu.ID, now)
		tk := tasksByRule(t, db, cu.ID)["premium-due-3d"]
		if got, err := plan.GetTask(ctx, db, tk.ID); err != nil || got.ID != tk.ID {
			t.Fatalf("GetTask = %v, %v", got, err)
		}
		// The agent ticks an entry and records an item used.
		ticks := []domain.ChecklistItem{{Key: "confirm-account", Label: "x", Checked: true}, {Key: "explain-grace", Label: "x"}}
		tk, err := plan.UpdateTask(agentCtx(a1), db, tk.ID, tk.Version, plan.TaskPatch{Checklist: &ticks,
			ToolkitItemIDs: &[]uuid.UUID{call.ID, used.ID}})
		if err != nil {
			t.Fatal(err)
		}

		// An admin changes the rule's checklist and toolkit items.
		rules, _, err := plan.LoadRules(ctx, db.Client)
		if err != nil {
			t.Fatal(err)
		}
		for _, rl := range rules {
			if rl.Key != "premium-due-3d" {
				continue
			}
			in := plan.RuleInput{Key: rl.Key, Name: rl.Name, Priority: rl.Priority, Scenario: rl.Scenario, Conditions: rl.Conditions, Step: rl.Step}
			in.Step.ToolkitItemKeys = []string{"grace-period-faq", "payment-reminder-call"}
			in.Step.Checklist = []domain.ChecklistItem{{Key: "confirm-account", Label: "确认账户", Required: true}, {Key: "send-link", Label: "发送缴费链接"}}
			if _, err := plan.UpdateRule(adminCtx(), db, rl.ID, rl.Revision, in); err != nil {
				t.Fatal(err)
			}
		}
		// The customer moves to another agent.
		if err := db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(cu.ID).SetAgentID(a2.ID).Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		res := mustRegenerate(t, db, cu.ID, now)
		if !res.Changed || res.Updated != 1 || res.Created != 0 || res.Removed != 0 {
			t.Errorf("Regenerate after the rule edit = %+v", res)
		}
		got := tasksByRule(t, db, cu.ID)["premium-due-3d"]
		if got.ID != tk.ID {
			t.Fatalf("the step lost its task: %v → %v", tk.ID, got.ID)
		}
		wantChecklist := []domain.ChecklistItem{{Key: "confirm-account", Label: "确认账户", Required: true, Checked: true}, {Key: "send-link", Label: "发送缴费链接"}}
		if diff := cmp.Diff(wantChecklist, got.Checklist); diff != "" {
			t.Errorf("checklist mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]uuid.UUID{extra.ID, call.ID, used.ID}, got.ToolkitItemIds); diff != "" {
			t.Errorf("toolkit items mismatch (-want +got):\n%s", diff)
		}
		if got.AgentID == nil || *got.AgentID != a2.ID {
			t.Errorf("task agent = %v, want the new agent", got.AgentID)
		}

		// A task lost out of band is recreated for its open step.
		if err := db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error { return tx.Task.DeleteOneID(got.ID).Exec(ctx) }); err != nil {
			t.Fatal(err)
		}
		mustRegenerate(t, db, cu.ID, now)
		if again := tasksByRule(t, db, cu.ID)["premium-due-3d"]; again == nil || again.ID == got.ID || !again.Checklist[0].Checked {
			t.Errorf("recreated task = %+v", again)
		}

		// An erased customer's open steps are withdrawn.
		if err := db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Customer.UpdateOneID(cu.ID).SetErasedAt(now).Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		if res := mustRegenerate(t, db, cu.ID, now); res.Removed != 1 || len(tasksByRule(t, db, cu.ID)) != 0 {
			t.Errorf("Regenerate of an erased customer = %+v", res)
		}
	})
}

func TestCallersSeeTheirBookOnly(t *testing.T) {
	now := noon(2026, 3, 18, "Asia/Shanghai")
	storetest.EachWith(t, storetest.Options{Clock: clock.NewFake(now)}, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		if _, err := plan.EnsureBuiltins(seed.Ctx(), db); err != nil {
			t.Fatal(err)
		}
		mine, other := seed.Agent("Asia/Shanghai"), seed.Agent("Asia/Shanghai")
		cu := seed.Customer(mine, portraittest.Day(2025, 1, 1), nil)
		seed.Policy(cu, portraittest.Day(2025, 6, 1), func(c *ent.InsurancePolicyCreate) {
			c.SetNextPremiumDueDate(portraittest.Day(2026, 3, 20))
		})
		// The plan does not exist yet: GetPlan generates it for its agent.
		view, err := plan.GetPlan(agentCtx(mine), db, cu.ID)
		if err != nil || view.Plan == nil || len(view.Steps) == 0 {
			t.Fatalf("GetPlan by the agent = %+v, %v", view, err)
		}
		if _, err := plan.GetPlan(agentCtx(other), db, cu.ID); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("GetPlan by another agent: %v", err)
		}
		tk := view.Steps[0].TaskID
		if _, err := plan.GetTask(agentCtx(other), db, *tk); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("GetTask by another agent: %v", err)
		}
		page, err := plan.ListTasks(agentCtx(other), db, plan.TaskFilter{})
		if err != nil || len(page.Items) != 0 {
			t.Errorf("another agent lists %d tasks, %v", len(page.Items), err)
		}
		if page, err := plan.ListTasks(agentCtx(mine), db, plan.TaskFilter{}); err != nil || len(page.Items) != len(view.Steps) {
			t.Errorf("the agent lists %d tasks, %v", len(page.Items), err)
		}
		skip := plan.TaskPatch{Status: ptr("skipped"), SkipReason: ptr("客户出国")}
		if _, err := plan.UpdateTask(agentCtx(other), db, *tk, 0, skip); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("UpdateTask by another agent: %v", err)
		}
		integrator := auth.WithViewer(context.Background(), &auth.Viewer{Kind: auth.KindIntegrator, Scopes: []string{"tasks:read"}})
		if _, err := plan.UpdateTask(integrator, db, *tk, 0, skip); apperr.KindOf(err) != apperr.KindForbidden {
			t.Errorf("UpdateTask by an integrator: %v", err)
		}
		if _, err := plan.UpdateTask(agentCtx(mine), db, *tk, 0, skip); err != nil {
			t.Errorf("UpdateTask by the agent: %v", err)
		}
	})
}
