package plan

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/internal/domain"
)

// fields are the values of a step or task that reconciliation may change;
// nil means unchanged.
type fields struct {
	title     *string
	dueAt     *time.Time
	priority  *string
	scenario  *string
	toolkit   []uuid.UUID // nil: unchanged
	checklist []domain.ChecklistItem
	position  *int
	revision  *int
	agent     *uuid.UUID
	setAgent  bool // agent (possibly nil) replaces the task's agent
}

func (f *fields) any() bool {
	return f.title != nil || f.dueAt != nil || f.priority != nil || f.scenario != nil || f.toolkit != nil ||
		f.checklist != nil || f.position != nil || f.revision != nil || f.setAgent
}

type createOp struct {
	want     Step
	position int
}

type updateOp struct {
	step       *ent.PlanStep
	task       *ent.Task // nil when the task is missing
	newTask    bool      // (re)create the step's task
	want       *Step
	stepFields fields
	taskFields fields
}

type planDiff struct {
	createPlan bool
	creates    []createOp
	updates    []updateOp
	removes    []*ent.PlanStep
}

func (d *planDiff) any() bool {
	return d.createPlan || len(d.creates) > 0 || len(d.updates) > 0 || len(d.removes) > 0
}

// diff compares the stored plan with the steps wanted.
func diff(st *state, want []Step, agentID *uuid.UUID) planDiff {
	d := planDiff{createPlan: st.plan == nil}
	byKey := make(map[string]*ent.PlanStep, len(st.steps))
	for _, s := range st.steps {
		byKey[s.DedupeKey] = s
	}
	used := make(map[uuid.UUID]bool, len(st.steps))
	pos := 1
	for i := range want {
		w := &want[i]
		e := byKey[w.DedupeKey]
		if e == nil {
			d.creates = append(d.creates, createOp{want: *w, position: pos})
			pos++
			continue
		}
		used[e.ID] = true
		u := updateOp{step: e, want: w}
		if e.Position != pos {
			u.stepFields.position = ptr(pos)
		}
		if e.Status == planstep.StatusTodo {
			diffOpen(&u, st.tasks, agentID)
		}
		if u.stepFields.any() || u.taskFields.any() || u.newTask {
			d.updates = append(d.updates, u)
		}
		pos++
	}
	var history []*ent.PlanStep
	for _, s := range st.steps {
		switch {
		case used[s.ID]:
		case s.Status == planstep.StatusTodo:
			d.removes = append(d.removes, s)
		default:
			history = append(history, s)
		}
	}
	// History after the live steps, most recently due first.
	slices.SortFunc(history, func(a, b *ent.PlanStep) int {
		if c := timeOr(b.DueAt).Compare(timeOr(a.DueAt)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	for _, s := range history {
		if s.Position != pos {
			d.updates = append(d.updates, updateOp{step: s, stepFields: fields{position: ptr(pos)}})
		}
		pos++
	}
	return d
}

// diffOpen fills the changes of a todo step that still applies, and of its
// task.
func diffOpen(u *updateOp, tasks map[uuid.UUID]*ent.Task, agentID *uuid.UUID) {
	e, w, sf, tf := u.step, u.want, &u.stepFields, &u.taskFields
	if e.TaskID != nil {
		u.task = tasks[*e.TaskID]
	}
	u.newTask = u.task == nil
	t := u.task
	if e.Title != w.Title {
		sf.title = &w.Title
	}
	if string(e.Priority) != w.Priority {
		sf.priority = &w.Priority
	}
	if string(e.Scenario) != w.Scenario {
		sf.scenario = &w.Scenario
	}
	oldDue := e.DueAt
	if !w.DueFromNow && (oldDue == nil || !oldDue.Equal(w.DueAt)) {
		sf.dueAt = &w.DueAt
	}
	if !slices.Equal(e.ToolkitItemIds, w.ToolkitItemIDs) {
		sf.toolkit = w.ToolkitItemIDs
	}
	checklist := e.Checklist
	if !sameSpec(e.Checklist, w.Checklist) {
		var ticks []domain.ChecklistItem
		if t != nil {
			ticks = t.Checklist
		}
		checklist = withTicks(w.Checklist, ticks)
		sf.checklist = checklist
	}
	if e.RuleRevision != w.RuleRevision && sf.any() {
		sf.revision = &w.RuleRevision
	}
	if t == nil {
		return
	}
	if t.Title != w.Title {
		tf.title = &w.Title
	}
	if string(t.Priority) != w.Priority {
		tf.priority = &w.Priority
	}
	if t.Scenario == nil || string(*t.Scenario) != w.Scenario {
		tf.scenario = &w.Scenario
	}
	// A due date the agent moved stays moved.
	if sf.dueAt != nil && (t.DueAt == nil || (oldDue != nil && t.DueAt.Equal(*oldDue))) {
		tf.dueAt = sf.dueAt
	}
	if sf.toolkit != nil {
		tf.toolkit = mergeToolkit(t.ToolkitItemIds, e.ToolkitItemIds, w.ToolkitItemIDs)
	}
	if sf.checklist != nil {
		tf.checklist = checklist
	}
	if !sameID(t.AgentID, agentID) {
		tf.agent, tf.setAgent = agentID, true
	}
}

// mergeToolkit replaces the old suggestion in a task's items with the new
// one and keeps what the agent added.
func mergeToolkit(task, old, suggested []uuid.UUID) []uuid.UUID {
	out := slices.Clone(suggested)
	for _, id := range task {
		if !slices.Contains(old, id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// sameSpec compares checklists without their ticks.
func sameSpec(a, b []domain.ChecklistItem) bool {
	return slices.EqualFunc(a, b, func(x, y domain.ChecklistItem) bool {
		return x.Key == y.Key && x.Label == y.Label && x.Required == y.Required
	})
}

// withTicks returns spec with the ticks of the same keys in ticked.
func withTicks(spec, ticked []domain.ChecklistItem) []domain.ChecklistItem {
	out := make([]domain.ChecklistItem, len(spec))
	for i, s := range spec {
		s.Checked = false
		for _, t := range ticked {
			if t.Key == s.Key {
				s.Checked = t.Checked
			}
		}
		out[i] = s
	}
	return out
}

func sameID(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func ptr[T any](v T) *T { return &v }

func timeOr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// apply writes the diff inside tx.
func (d *planDiff) apply(ctx context.Context, tx *ent.Tx, st *state, cid uuid.UUID, agentID *uuid.UUID, rulesVersion int64, hash string, now time.Time) (Result, error) {
	res := Result{Changed: true, Created: len(d.creates), Removed: len(d.removes)}
	if d.createPlan {
		p, err := newPlan(tx, cid, rulesVersion, hash, now).Save(ctx)
		if err != nil {
			return Result{}, err
		}
		st.plan = p
	} else if err := tx.ServicePlan.UpdateOne(st.plan).SetGeneratedAt(now).SetRulesVersion(rulesVersion).
		SetInputsHash(hash).SetUpdatedAt(now).Exec(ctx); err != nil {
		return Result{}, err
	}
	res.PlanID = st.plan.ID
	for _, s := range d.removes {
		if s.TaskID != nil {
			if _, err := tx.Task.Delete().Where(task.ID(*s.TaskID), task.StatusEQ(task.StatusTodo)).Exec(ctx); err != nil {
				return Result{}, err
			}
		}
		if err := tx.PlanStep.DeleteOneID(s.ID).Exec(ctx); err != nil {
			return Result{}, err
		}
	}
	steps, tasks := d.newSteps(tx, st.plan.ID, cid, agentID, now)
	for _, u := range d.updates {
		if u.stepFields.any() {
			if err := updateStep(ctx, tx, u.step.ID, &u.stepFields, now); err != nil {
				return Result{}, err
			}
			if u.want != nil && (u.stepFields.title != nil || u.stepFields.dueAt != nil || u.stepFields.toolkit != nil || u.stepFields.checklist != nil) {
				res.Updated++
			}
		}
		switch {
		case u.newTask:
			w := *u.want
			w.Checklist = u.step.Checklist
			if u.stepFields.checklist != nil {
				w.Checklist = u.stepFields.checklist
			}
			if u.want.DueFromNow && u.step.DueAt != nil {
				w.DueAt = *u.step.DueAt
			}
			taskID := uuid.Must(uuid.NewV7())
			tasks = append(tasks, newTask(tx, taskID, u.step.ID, cid, agentID, w, now))
			if err := tx.PlanStep.UpdateOneID(u.step.ID).SetTaskID(taskID).SetUpdatedAt(now).Exec(ctx); err != nil {
				return Result{}, err
			}
		case u.taskFields.any():
			if err := updateTask(ctx, tx, u.task.ID, &u.taskFields, now); err != nil {
				return Result{}, err
			}
		}
	}
	if len(steps) > 0 {
		if err := tx.PlanStep.CreateBulk(steps...).Exec(ctx); err != nil {
			return Result{}, err
		}
	}
	if len(tasks) > 0 {
		if err := tx.Task.CreateBulk(tasks...).Exec(ctx); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// newPlan is the creation of a customer's plan record.
func newPlan(tx *ent.Tx, cid uuid.UUID, rulesVersion int64, hash string, now time.Time) *ent.ServicePlanCreate {
	return tx.ServicePlan.Create().SetCustomerID(cid).SetGeneratedAt(now).SetRulesVersion(rulesVersion).
		SetInputsHash(hash).SetCreatedAt(now).SetUpdatedAt(now)
}

// newSteps are the creations of the diff's new steps of plan planID, each
// with its todo task.
func (d *planDiff) newSteps(tx *ent.Tx, planID, cid uuid.UUID, agentID *uuid.UUID, now time.Time) ([]*ent.PlanStepCreate, []*ent.TaskCreate) {
	var steps []*ent.PlanStepCreate
	var tasks []*ent.TaskCreate
	for _, c := range d.creates {
		stepID, taskID := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
		w := c.want
		steps = append(steps, tx.PlanStep.Create().SetID(stepID).SetPlanID(planID).SetPosition(c.position).
			SetRuleKey(w.RuleKey).SetRuleRevision(w.RuleRevision).SetScenario(planstep.Scenario(w.Scenario)).
			SetTitle(w.Title).SetPriority(planstep.Priority(w.Priority)).SetDueAt(w.DueAt).
			SetStatus(planstep.StatusTodo).SetTaskID(taskID).SetToolkitItemIds(w.ToolkitItemIDs).
			SetChecklist(w.Checklist).SetDedupeKey(w.DedupeKey).SetCreatedAt(now).SetUpdatedAt(now))
		tasks = append(tasks, newTask(tx, taskID, stepID, cid, agentID, w, now))
	}
	return steps, tasks
}

func newTask(tx *ent.Tx, id, stepID, cid uuid.UUID, agentID *uuid.UUID, w Step, now time.Time) *ent.TaskCreate {
	return tx.Task.Create().SetID(id).SetCustomerID(cid).SetNillableAgentID(agentID).SetPlanStepID(stepID).
		SetRuleKey(w.RuleKey).SetScenario(task.Scenario(w.Scenario)).SetTitle(w.Title).
		SetPriority(task.Priority(w.Priority)).SetStatus(task.StatusTodo).SetDueAt(w.DueAt).
		SetToolkitItemIds(w.ToolkitItemIDs).SetChecklist(w.Checklist).SetCreatedAt(now).SetUpdatedAt(now)
}

func updateStep(ctx context.Context, tx *ent.Tx, id uuid.UUID, f *fields, now time.Time) error {
	u := tx.PlanStep.UpdateOneID(id).SetUpdatedAt(now)
	if f.title != nil {
		u.SetTitle(*f.title)
	}
	if f.dueAt != nil {
		u.SetDueAt(*f.dueAt)
	}
	if f.priority != nil {
		u.SetPriority(planstep.Priority(*f.priority))
	}
	if f.scenario != nil {
		u.SetScenario(planstep.Scenario(*f.scenario))
	}
	if f.toolkit != nil {
		u.SetToolkitItemIds(f.toolkit)
	}
	if f.checklist != nil {
		u.SetChecklist(f.checklist)
	}
	if f.position != nil {
		u.SetPosition(*f.position)
	}
	if f.revision != nil {
		u.SetRuleRevision(*f.revision)
	}
	return u.Exec(ctx)
}

func updateTask(ctx context.Context, tx *ent.Tx, id uuid.UUID, f *fields, now time.Time) error {
	u := tx.Task.UpdateOneID(id).SetUpdatedAt(now)
	if f.title != nil {
		u.SetTitle(*f.title)
	}
	if f.dueAt != nil {
		u.SetDueAt(*f.dueAt)
	}
	if f.priority != nil {
		u.SetPriority(task.Priority(*f.priority))
	}
	if f.scenario != nil {
		u.SetScenario(task.Scenario(*f.scenario))
	}
	if f.toolkit != nil {
		u.SetToolkitItemIds(f.toolkit)
	}
	if f.checklist != nil {
		u.SetChecklist(f.checklist)
	}
	if f.setAgent {
		if f.agent != nil {
			u.SetAgentID(*f.agent)
		} else {
			u.ClearAgentID()
		}
	}
	return u.Exec(ctx)
}
