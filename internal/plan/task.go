package plan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

// Task states.
const (
	StatusTodo    = "todo"
	StatusDone    = "done"
	StatusSkipped = "skipped"
)

// Limits of task changes, from the API contract.
const (
	maxSkipReason   = 2000
	maxTaskToolkit  = 50
	maxTaskCheckist = 50
)

// TaskPatch is a change to a task with merge-patch semantics: nil leaves a
// field as it is.
type TaskPatch struct {
	// Status: done completes the task, skipped skips it (a non-empty
	// SkipReason is then required), todo reopens it.
	Status     *string
	SkipReason *string
	// DueAt reschedules the task; its plan step keeps the due date the
	// standard asked for, and regeneration leaves the new date alone.
	DueAt *time.Time
	// Checklist is the whole checklist with its ticks. For a plan task only
	// the ticks count: keys must be the step's, labels stay the rule's.
	Checklist *[]domain.ChecklistItem
	// ToolkitItemIDs are the toolkit items used; each is recorded once as a
	// use (the toolkit-usage KPI).
	ToolkitItemIDs *[]uuid.UUID
}

func (p *TaskPatch) validate() []apperr.FieldError {
	var errs []apperr.FieldError
	if p.Status != nil && !slices.Contains([]string{StatusTodo, StatusDone, StatusSkipped}, *p.Status) {
		errs = append(errs, ferr("/status", "enum", "status must be todo, done or skipped"))
	}
	if p.SkipReason != nil && utf8.RuneCountInString(*p.SkipReason) > maxSkipReason {
		errs = append(errs, ferr("/skip_reason", "maxLength", "skip_reason is longer than %d characters", maxSkipReason))
	}
	if p.DueAt != nil && p.DueAt.IsZero() {
		errs = append(errs, ferr("/due_at", "required", "due_at must be a time"))
	}
	if p.Checklist != nil {
		errs = append(errs, toolkit.ValidateChecklist("/checklist", *p.Checklist, maxTaskCheckist)...)
	}
	if p.ToolkitItemIDs != nil && len(*p.ToolkitItemIDs) > maxTaskToolkit {
		errs = append(errs, ferr("/toolkit_item_ids", "maxItems", "at most %d toolkit items", maxTaskToolkit))
	}
	return errs
}

// UpdateTask completes, skips, reopens or reschedules a task, ticks its
// checklist and records the toolkit items used, when baseVersion is the
// task's version (0: no precondition; apperr.PreconditionFailed
// otherwise). Done and skipped set completed_at; done needs every required
// checklist entry ticked. The task's plan step follows its status and
// checklist, and the plan record is touched so that service_plans syncs
// the change. A patch that changes nothing writes nothing. Agents (of any
// role) change the tasks their ctx lets them see; integrators may not.
func UpdateTask(ctx context.Context, db *store.DB, id uuid.UUID, baseVersion int64, patch TaskPatch) (*ent.Task, error) {
	if errs := patch.validate(); len(errs) > 0 {
		return nil, apperr.Invalid("the task change is not valid", errs...)
	}
	if v, ok := auth.ViewerFrom(ctx); !ok || (v.Kind != auth.KindAgent && v.Kind != auth.KindSystem) {
		return nil, apperr.Forbidden("only agents work tasks")
	}
	// The caller may change the tasks it sees: the agent's book.
	head, err := db.Client.Task.Query().Where(task.ID(id)).Select(task.FieldCustomerID).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("task not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get task %s: %w", id, err)
	}
	now, caller := db.Now(), ctx
	var out *ent.Task
	// Authorized above; the transaction runs as the server because
	// store.WithTx appends the change log (server-only) under its context.
	err = db.WithTx(auth.SystemContext(ctx), func(ctx context.Context, tx *ent.Tx) error {
		if err := portrait.LockCustomer(ctx, tx, db.Dialect, head.CustomerID); err != nil {
			return err
		}
		t, err := tx.Task.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("task not found")
		}
		if err != nil {
			return err
		}
		if baseVersion != 0 && baseVersion != t.Version {
			return apperr.PreconditionFailed("the task changed since it was read")
		}
		next, err := patched(t, &patch, now)
		if err != nil {
			return err
		}
		if patch.ToolkitItemIDs != nil {
			agent := t.AgentID
			if v, ok := auth.ViewerFrom(caller); ok && v.Kind == auth.KindAgent {
				agent = &v.AgentID
			}
			if err := toolkit.RecordUsage(ctx, tx, toolkit.Usage{ItemIDs: *patch.ToolkitItemIDs, AgentID: agent,
				CustomerID: &t.CustomerID, TaskID: &t.ID, At: now}); err != nil {
				return err
			}
		}
		if next.same(t) {
			out = t
			return nil
		}
		u := t.Update().SetStatus(task.Status(next.status)).SetSkipReason(next.skipReason).
			SetChecklist(next.checklist).SetToolkitItemIds(next.toolkit).SetUpdatedAt(now)
		if next.completedAt != nil {
			u.SetCompletedAt(*next.completedAt)
		} else {
			u.ClearCompletedAt()
		}
		if next.dueAt != nil {
			u.SetDueAt(*next.dueAt)
		}
		if out, err = u.Save(ctx); err != nil {
			return err
		}
		return mirror(ctx, tx, out, now)
	})
	if err != nil {
		return nil, wrapErr("update task", err)
	}
	return out, nil
}

// taskValues are the fields a patch can change.
type taskValues struct {
	status      string
	skipReason  string
	completedAt *time.Time
	dueAt       *time.Time
	checklist   []domain.ChecklistItem
	toolkit     []uuid.UUID
}

func (v *taskValues) same(t *ent.Task) bool {
	eqTime := func(a, b *time.Time) bool { return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b)) }
	return v.status == string(t.Status) && v.skipReason == t.SkipReason && eqTime(v.completedAt, t.CompletedAt) &&
		eqTime(v.dueAt, t.DueAt) && slices.Equal(v.checklist, t.Checklist) && slices.Equal(v.toolkit, t.ToolkitItemIds)
}

// patched applies a patch to a task's values and checks the result.
func patched(t *ent.Task, p *TaskPatch, now time.Time) (*taskValues, error) {
	v := &taskValues{status: string(t.Status), skipReason: t.SkipReason, completedAt: t.CompletedAt, dueAt: t.DueAt,
		checklist: t.Checklist, toolkit: t.ToolkitItemIds}
	if v.checklist == nil {
		v.checklist = []domain.ChecklistItem{}
	}
	if v.toolkit == nil {
		v.toolkit = []uuid.UUID{}
	}
	var errs []apperr.FieldError
	if p.Status != nil && *p.Status != v.status {
		v.status = *p.Status
		switch v.status {
		case StatusTodo:
			v.completedAt, v.skipReason = nil, ""
		default:
			v.completedAt = &now
		}
	}
	if v.status != StatusSkipped {
		if p.SkipReason != nil && strings.TrimSpace(*p.SkipReason) != "" {
			errs = append(errs, ferr("/skip_reason", "not_skipped", "skip_reason applies only to a skipped task"))
		}
		v.skipReason = ""
	} else {
		if p.SkipReason != nil {
			v.skipReason = strings.TrimSpace(*p.SkipReason)
		}
		if v.skipReason == "" {
			errs = append(errs, ferr("/skip_reason", "required", "a skipped task needs a skip_reason"))
		}
	}
	if p.DueAt != nil {
		d := p.DueAt.UTC()
		v.dueAt = &d
	}
	if p.Checklist != nil {
		if t.PlanStepID == nil {
			v.checklist = slices.Clone(*p.Checklist)
		} else {
			ticks := map[string]bool{}
			for i, it := range *p.Checklist {
				if !slices.ContainsFunc(t.Checklist, func(c domain.ChecklistItem) bool { return c.Key == it.Key }) {
					errs = append(errs, ferr(fmt.Sprintf("/checklist/%d/key", i), "unknown", "the step has no checklist entry %q", it.Key))
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
	if v.status == StatusDone && (p.Status != nil || p.Checklist != nil) {
		var missing []string
		for _, c := range v.checklist {
			if c.Required && !c.Checked {
				missing = append(missing, c.Key)
			}
		}
		if len(missing) > 0 {
			errs = append(errs, ferr("/checklist", "required_unchecked", "tick the required entries before completing: %s", strings.Join(missing, ", ")))
		}
	}
	if p.ToolkitItemIDs != nil {
		v.toolkit = slices.Clone(*p.ToolkitItemIDs)
	}
	if len(errs) > 0 {
		return nil, apperr.Invalid("the task change is not valid", errs...)
	}
	return v, nil
}

// mirror copies a plan task's status and checklist onto its step and
// touches the plan record.
func mirror(ctx context.Context, tx *ent.Tx, t *ent.Task, now time.Time) error {
	if t.PlanStepID == nil {
		return nil
	}
	s, err := tx.PlanStep.Get(ctx, *t.PlanStepID)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	status := planstep.Status(t.Status)
	if s.Status == status && slices.Equal(s.Checklist, t.Checklist) {
		return nil
	}
	if err := s.Update().SetStatus(status).SetChecklist(t.Checklist).SetUpdatedAt(now).Exec(ctx); err != nil {
		return err
	}
	return tx.ServicePlan.UpdateOneID(s.PlanID).SetUpdatedAt(now).Exec(ctx)
}
