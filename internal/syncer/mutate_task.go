package syncer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/store"
)

var scenarios = []string{
	"consultation", "needs_analysis", "application_underwriting", "policy_delivery_revisit",
	"payment_reminder", "renewal", "claim_assistance", "complaint", "hesitation_surrender",
	"policy_change", "premium_increase", "care_birthday", "care_anniversary", "upgrade_proposal",
}

var taskReadOnlyAlways = map[string]string{
	"plan_step_id": "plan steps are made by the server",
	"completed_at": "completed_at follows status",
	"rule_key":     "rule_key is set by the plan rules",
	"created_by":   "created_by is set by the server",
}

var taskReadOnlyUpdate = map[string]string{
	"plan_step_id": "plan steps are made by the server",
	"completed_at": "completed_at follows status",
	"rule_key":     "rule_key is set by the plan rules",
	"created_by":   "created_by is set by the server",
	"customer_id":  "a task stays with its customer",
	"agent_id":     "a task stays with its agent",
	"priority":     "priority is set when the task is made",
	"scenario":     "scenario is set when the task is made",
}

// taskPatch is a decoded task mutation.
type taskPatch struct {
	customerID, agentID            *uuid.UUID
	title, description, skipReason *string
	status, priority, scenario     *string
	dueAt                          *time.Time
	checklist                      *[]domain.ChecklistItem
	toolkit                        *[]uuid.UUID
}

func decodeTask(f *fields, create bool) *taskPatch {
	p := &taskPatch{}
	if create {
		p.customerID, _ = f.uuid("customer_id", false)
		p.agentID, _ = f.uuid("agent_id", false)
		p.priority = f.enum("priority", "high", "medium", "low")
		p.scenario = f.enumOrNull("scenario", scenarios...)
	}
	p.title = f.text("title", 200, false)
	p.description = f.text("description", 5000, true)
	p.skipReason = f.text("skip_reason", 2000, true)
	p.status = f.enum("status", "todo", "done", "skipped")
	p.dueAt, _ = f.time("due_at", false)
	p.checklist = f.checklist("checklist", 50)
	p.toolkit = f.uuids("toolkit_item_ids", 50)
	if p.title != nil && strings.TrimSpace(*p.title) == "" {
		f.bad("title", "minLength", "must not be empty")
	}
	if create {
		if p.customerID == nil && !f.has("customer_id") {
			f.bad("customer_id", "required", "is required")
		}
		if p.title == nil && !f.has("title") {
			f.bad("title", "required", "is required")
		}
		if p.dueAt == nil && !f.has("due_at") {
			f.bad("due_at", "required", "is required")
		}
	}
	return p
}

// taskValues are a task's writable values after a patch.
type taskValues struct {
	title, description, status, skipReason string
	dueAt, completedAt                     *time.Time
	checklist                              []domain.ChecklistItem
	toolkit                                []uuid.UUID
}

// taskMerge applies p to t's values with the task rules: done and
// skipped set completed_at, todo clears it; a skipped task needs a
// skip_reason and only a skipped one has one; a plan task's checklist
// keeps the step's entries and labels (only ticks change); done needs the
// required entries ticked. It returns the API fields that change.
func taskMerge(t *ent.Task, p *taskPatch, now time.Time) (*taskValues, []string, error) {
	v := &taskValues{title: t.Title, description: t.Description, status: string(t.Status), skipReason: t.SkipReason,
		dueAt: t.DueAt, completedAt: t.CompletedAt, checklist: t.Checklist, toolkit: t.ToolkitItemIds}
	var errs []apperr.FieldError
	bad := func(field, code, msg string) {
		errs = append(errs, apperr.FieldError{Field: field, Code: code, Message: msg})
	}
	if p.title != nil {
		v.title = strings.TrimSpace(*p.title)
	}
	if p.description != nil {
		v.description = *p.description
	}
	if p.status != nil && *p.status != v.status {
		v.status = *p.status
		if v.status == "todo" {
			v.completedAt, v.skipReason = nil, ""
		} else {
			v.completedAt = &now
		}
	}
	if v.status == "skipped" {
		if p.skipReason != nil {
			v.skipReason = strings.TrimSpace(*p.skipReason)
		}
		if v.skipReason == "" {
			bad("/skip_reason", "required", "a skipped task needs a skip_reason")
		}
	} else {
		if p.skipReason != nil && strings.TrimSpace(*p.skipReason) != "" {
			bad("/skip_reason", "not_skipped", "skip_reason applies only to a skipped task")
		}
		v.skipReason = ""
	}
	if p.dueAt != nil {
		d := p.dueAt.UTC()
		v.dueAt = &d
	}
	if p.checklist != nil {
		if t.PlanStepID == nil {
			v.checklist = slices.Clone(*p.checklist)
		} else {
			ticks := map[string]bool{}
			for i, it := range *p.checklist {
				if !slices.ContainsFunc(t.Checklist, func(c domain.ChecklistItem) bool { return c.Key == it.Key }) {
					bad(fmt.Sprintf("/checklist/%d/key", i), "unknown", "the plan step has no such checklist entry")
				}
				ticks[it.Key] = it.Checked
			}
			v.checklist = make([]domain.ChecklistItem, len(t.Checklist))
			for i, c := range t.Checklist {
				if checked, ok := ticks[c.Key]; ok {
					c.Checked = checked
				}
				v.checklist[i] = c
			}
		}
	}
	if p.toolkit != nil {
		v.toolkit = slices.Clone(*p.toolkit)
	}
	if v.status == "done" && (p.status != nil || p.checklist != nil) {
		var missing []string
		for _, c := range v.checklist {
			if c.Required && !c.Checked {
				missing = append(missing, c.Key)
			}
		}
		if len(missing) > 0 {
			bad("/checklist", "required_unchecked", "tick the required entries before completing: "+strings.Join(missing, ", "))
		}
	}
	if len(errs) > 0 {
		return nil, nil, apperr.Invalid("the task change is not valid", errs...)
	}
	var changed []string
	add := func(name string, diff bool) {
		if diff {
			changed = append(changed, name)
		}
	}
	add("title", v.title != t.Title)
	add("description", v.description != t.Description)
	add("status", v.status != string(t.Status))
	add("skip_reason", v.skipReason != t.SkipReason)
	add("due_at", !sameTime(v.dueAt, t.DueAt))
	add("checklist", !slices.Equal(v.checklist, t.Checklist) && !(len(v.checklist) == 0 && len(t.Checklist) == 0))
	add("toolkit_item_ids", !slices.Equal(v.toolkit, t.ToolkitItemIds) && !(len(v.toolkit) == 0 && len(t.ToolkitItemIds) == 0))
	return v, changed, nil
}

func sameTime(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}

// mutateTask creates an agent's task or changes one.
func (e *Engine) mutateTask(c *mctx) (Result, error) {
	if c.m.Op == OpDelete {
		return cannot("tasks are completed or skipped, not deleted"), nil
	}
	create := c.creates()
	ro := taskReadOnlyUpdate
	if create {
		ro = taskReadOnlyAlways
	}
	f := newFields(c.m.Data, ro)
	p := decodeTask(f, create)
	if err := f.finish(c.m.ID); err != nil {
		return rejected(err.(*apperr.Error)), nil
	}
	q := c.tx.Task.Query().Where(task.ID(c.m.ID))
	if c.pg() {
		q.ForUpdate()
	}
	cur, err := q.Only(c.ctx)
	switch {
	case ent.IsNotFound(err) && create:
		return e.createTask(c, p)
	case ent.IsNotFound(err):
		return Result{Status: StatusGone}, nil
	case err != nil:
		return Result{}, fmt.Errorf("load task: %w", err)
	}
	if create {
		return c.existingCreate(store.Tasks, cur, cur.Version, taskCreateDiff(cur, p))
	}
	if c.m.BaseVersion > cur.Version {
		return rejected(aheadOfServer(cur.Version)), nil
	}
	v, changed, err := taskMerge(cur, p, c.now)
	if err != nil {
		ae, _ := apperr.As(err)
		return rejected(ae), nil
	}
	conflicts := c.bothSides(cur.FieldVersions, changed, nil)
	after := cur
	if len(changed) > 0 {
		u := c.tx.Task.UpdateOneID(cur.ID).Where(task.Version(cur.Version)).SetTitle(v.title).SetDescription(v.description).
			SetStatus(task.Status(v.status)).SetSkipReason(v.skipReason).SetChecklist(nonNil(v.checklist)).
			SetToolkitItemIds(nonNil(v.toolkit)).SetNillableDueAt(v.dueAt).SetUpdatedAt(c.now)
		if v.completedAt != nil {
			u.SetCompletedAt(*v.completedAt)
		} else {
			u.ClearCompletedAt()
		}
		if after, err = u.Save(c.ctx); ent.IsNotFound(err) {
			return Result{Status: StatusGone}, nil
		} else if err != nil {
			return Result{}, err
		}
		if slices.Contains(changed, "status") || slices.Contains(changed, "checklist") {
			if err := mirrorStep(c, after); err != nil {
				return Result{}, err
			}
		}
	}
	return c.updated(store.Tasks, after, after.Version, cur.Version, conflicts)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// taskCreateDiff lists the fields of a create that differ from an
// existing task.
func taskCreateDiff(t *ent.Task, p *taskPatch) []string {
	var out []string
	add := func(name string, diff bool) {
		if diff {
			out = append(out, name)
		}
	}
	if p.customerID != nil {
		add("customer_id", *p.customerID != t.CustomerID)
	}
	if p.title != nil {
		add("title", strings.TrimSpace(*p.title) != t.Title)
	}
	if p.description != nil {
		add("description", *p.description != t.Description)
	}
	if p.status != nil {
		add("status", *p.status != string(t.Status))
	}
	if p.priority != nil {
		add("priority", *p.priority != string(t.Priority))
	}
	if p.dueAt != nil {
		add("due_at", !sameTime(p.dueAt, t.DueAt))
	}
	if p.checklist != nil {
		add("checklist", !slices.Equal(*p.checklist, nonNil(t.Checklist)))
	}
	if p.toolkit != nil {
		add("toolkit_item_ids", !slices.Equal(*p.toolkit, nonNil(t.ToolkitItemIds)))
	}
	return out
}

func (e *Engine) createTask(c *mctx, p *taskPatch) (Result, error) {
	if exists, err := c.tx.Task.Query().Where(task.ID(c.m.ID)).Exist(auth.SystemContext(c.ctx)); err != nil || exists {
		return Result{Status: StatusGone}, err
	}
	me := c.me()
	if p.agentID != nil && *p.agentID != me {
		return rejected(apperr.Forbidden("agents make tasks for themselves")), nil
	}
	if ok, err := c.tx.Customer.Query().Where(customer.ID(*p.customerID)).Exist(c.ctx); err != nil || !ok {
		return rejected(apperr.Invalid("the task is invalid", apperr.FieldError{Field: "/customer_id", Code: "not_found", Message: "no such customer"})), err
	}
	v, _, err := taskMerge(&ent.Task{Status: task.StatusTodo, Checklist: []domain.ChecklistItem{}, ToolkitItemIds: []uuid.UUID{}}, p, c.now)
	if err != nil {
		ae, _ := apperr.As(err)
		return rejected(ae), nil
	}
	cr := c.tx.Task.Create().SetID(c.m.ID).SetCustomerID(*p.customerID).SetAgentID(me).SetCreatedBy(me).
		SetTitle(v.title).SetDescription(v.description).SetStatus(task.Status(v.status)).SetSkipReason(v.skipReason).
		SetNillableDueAt(v.dueAt).SetNillableCompletedAt(v.completedAt).SetChecklist(nonNil(v.checklist)).
		SetToolkitItemIds(nonNil(v.toolkit)).SetCreatedAt(c.now).SetUpdatedAt(c.now)
	if p.priority != nil {
		cr.SetPriority(task.Priority(*p.priority))
	}
	if p.scenario != nil {
		cr.SetScenario(task.Scenario(*p.scenario))
	}
	rec, err := cr.Save(c.ctx)
	if err != nil {
		return Result{}, err
	}
	return c.created(store.Tasks, rec, rec.Version)
}

// mirrorStep copies a plan task's status and checklist onto its step and
// touches the plan, so that service_plans sync the change too.
func mirrorStep(c *mctx, t *ent.Task) error {
	if t.PlanStepID == nil {
		return nil
	}
	sys := auth.SystemContext(c.ctx)
	s, err := c.tx.PlanStep.Get(sys, *t.PlanStepID)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load plan step: %w", err)
	}
	status := planstep.Status(t.Status)
	if s.Status == status && slices.Equal(s.Checklist, t.Checklist) {
		return nil
	}
	if err := s.Update().SetStatus(status).SetChecklist(nonNil(t.Checklist)).SetUpdatedAt(c.now).Exec(sys); err != nil {
		return fmt.Errorf("update plan step: %w", err)
	}
	if err := c.tx.ServicePlan.UpdateOneID(s.PlanID).SetUpdatedAt(c.now).Exec(sys); err != nil {
		return fmt.Errorf("touch service plan: %w", err)
	}
	return nil
}
