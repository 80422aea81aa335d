package httpapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	entcustomer "github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

// Limits of ad-hoc tasks, from the contract.
const (
	maxTaskChecklist = 50
	maxTaskToolkit   = 50
)

// ListTasks lists the tasks in the caller's scope by due date; with
// due_before at the end of the agent's day it is the agent's day.
func (s *Server) ListTasks(ctx context.Context, req api.ListTasksRequestObject) (api.ListTasksResponseObject, error) {
	p := req.Params
	f := plan.TaskFilter{CustomerID: p.CustomerId, AgentID: p.AgentId, Status: derefString(strPtr(p.Status)),
		Cursor: derefString(p.Cursor), Limit: pageLimit(p.Limit)}
	if p.DueBefore != nil {
		t := p.DueBefore.UTC()
		f.DueBefore = &t
	}
	if p.UpdatedSince != nil {
		t := p.UpdatedSince.UTC()
		f.UpdatedSince = &t
	}
	page, err := plan.ListTasks(ctx, s.db, f)
	if err != nil {
		return nil, err
	}
	out := api.ListTasks200JSONResponse{Items: make([]api.Task, 0, len(page.Items))}
	for _, t := range page.Items {
		out.Items = append(out.Items, taskToAPI(t))
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return out, nil
}

// CreateTask adds an ad-hoc task for a customer of the caller's book. The
// owner is the caller unless a team lead or an admin names another agent
// (one they may see).
func (s *Server) CreateTask(ctx context.Context, req api.CreateTaskRequestObject) (api.CreateTaskResponseObject, error) {
	v, err := viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if err := s.validateTask(ctx, b); err != nil {
		return nil, err
	}
	ok, err := s.db.Client.Customer.Query().Where(entcustomer.ID(b.CustomerId)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("load customer %s: %w", b.CustomerId, err)
	}
	if !ok {
		// The customer is named in the body, not the path: a reference to
		// no customer of the caller's book is a bad request.
		return nil, apperr.Invalid("the customer is unknown", apperr.FieldError{Field: "/customer_id", Code: "unknown",
			Message: "no customer of yours has this id"})
	}
	owner, err := s.taskOwner(ctx, v, b.AgentId)
	if err != nil {
		return nil, err
	}
	id := uuid.Must(uuid.NewV7())
	if b.Id != nil {
		id = *b.Id
	}
	priority := task.PriorityMedium
	if b.Priority != nil {
		priority = task.Priority(*b.Priority)
	}
	checklist := []domain.ChecklistItem{}
	if b.Checklist != nil {
		checklist = checklistFromAPI(*b.Checklist)
	}
	items := []uuid.UUID{}
	if b.ToolkitItemIds != nil {
		items = *b.ToolkitItemIds
	}
	now := s.clock.Now()
	var out *ent.Task
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		c := tx.Task.Create().SetID(id).SetCustomerID(b.CustomerId).SetAgentID(owner).SetTitle(strings.TrimSpace(b.Title)).
			SetDescription(derefString(b.Description)).SetPriority(priority).SetStatus(task.StatusTodo).
			SetDueAt(b.DueAt.UTC()).SetChecklist(checklist).SetToolkitItemIds(items).SetCreatedBy(v.AgentID).
			SetCreatedAt(now).SetUpdatedAt(now)
		if b.Scenario != nil {
			c.SetScenario(task.Scenario(*b.Scenario))
		}
		var serr error
		out, serr = c.Save(ctx)
		return serr
	})
	switch {
	case ent.IsConstraintError(err):
		return nil, apperr.Wrap(apperr.KindConflict, "a task with this id exists", err)
	case err != nil:
		return nil, denied(err)
	}
	return api.CreateTask201JSONResponse{Body: taskToAPI(out), Headers: api.CreateTask201ResponseHeaders{
		ETag: customer.ETag(out.Version), Location: "/v1/tasks/" + out.ID.String()}}, nil
}

// validateTask checks what the contract cannot: a title that is not
// blank, the checklist, and toolkit items the caller can see.
func (s *Server) validateTask(ctx context.Context, b *api.TaskCreate) error {
	var errs []apperr.FieldError
	if strings.TrimSpace(b.Title) == "" {
		errs = append(errs, apperr.FieldError{Field: "/title", Code: "required", Message: "title must not be blank"})
	}
	if b.Checklist != nil {
		errs = append(errs, toolkit.ValidateChecklist("/checklist", checklistFromAPI(*b.Checklist), maxTaskChecklist)...)
	}
	if b.ToolkitItemIds != nil && len(*b.ToolkitItemIds) > 0 {
		ids := *b.ToolkitItemIds
		if len(ids) > maxTaskToolkit {
			errs = append(errs, apperr.FieldError{Field: "/toolkit_item_ids", Code: "maxItems",
				Message: fmt.Sprintf("at most %d toolkit items", maxTaskToolkit)})
		} else {
			known, err := s.db.Client.ToolkitItem.Query().Where(toolkititem.IDIn(ids...),
				toolkititem.StatusEQ(toolkititem.StatusPublished)).IDs(ctx)
			if err != nil {
				return fmt.Errorf("load toolkit items: %w", err)
			}
			seen := make(map[uuid.UUID]bool, len(known))
			for _, id := range known {
				seen[id] = true
			}
			for i, id := range ids {
				if !seen[id] {
					errs = append(errs, apperr.FieldError{Field: fmt.Sprintf("/toolkit_item_ids/%d", i), Code: "unknown",
						Message: "no published toolkit item has this id"})
				}
			}
		}
	}
	if len(errs) > 0 {
		return apperr.Invalid("the task is not valid", errs...)
	}
	return nil
}

// taskOwner is the agent a new task belongs to: the caller, or the agent
// a team lead (of their team) or an admin names.
func (s *Server) taskOwner(ctx context.Context, v *auth.Viewer, agentID *uuid.UUID) (uuid.UUID, error) {
	if v.Kind != auth.KindAgent {
		return uuid.Nil, apperr.Forbidden("only agents create tasks")
	}
	if agentID == nil || *agentID == v.AgentID {
		return v.AgentID, nil
	}
	if v.Role != auth.RoleTeamLead && !v.IsAdmin() {
		return uuid.Nil, apperr.Forbidden("only team leads and admins give tasks to other agents")
	}
	// The access rules show a lead the team and an admin everyone.
	a, err := s.db.Client.Agent.Get(ctx, *agentID)
	if ent.IsNotFound(err) {
		return uuid.Nil, apperr.Invalid("the agent is unknown", apperr.FieldError{Field: "/agent_id", Code: "unknown",
			Message: "no agent of yours has this id"})
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("load agent %s: %w", *agentID, err)
	}
	return a.ID, nil
}

// GetTask returns one task of the caller's scope.
func (s *Server) GetTask(ctx context.Context, req api.GetTaskRequestObject) (api.GetTaskResponseObject, error) {
	t, err := plan.GetTask(ctx, s.db, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetTask200JSONResponse{Body: taskToAPI(t), Headers: api.GetTask200ResponseHeaders{ETag: customer.ETag(t.Version)}}, nil
}

// UpdateTask completes, skips, reopens or reschedules a task, when If-Match
// (if sent) is its current version; the plan step it carries follows.
func (s *Server) UpdateTask(ctx context.Context, req api.UpdateTaskRequestObject) (api.UpdateTaskResponseObject, error) {
	base, err := baseVersion(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := req.Body
	patch := plan.TaskPatch{Status: strPtr(b.Status), SkipReason: b.SkipReason, DueAt: b.DueAt, ToolkitItemIDs: b.ToolkitItemIds}
	if b.Checklist != nil {
		cl := checklistFromAPI(*b.Checklist)
		patch.Checklist = &cl
	}
	t, err := plan.UpdateTask(ctx, s.db, req.Id, base, patch)
	if err != nil {
		return nil, denied(err)
	}
	return api.UpdateTask200JSONResponse{Body: taskToAPI(t), Headers: api.UpdateTask200ResponseHeaders{ETag: customer.ETag(t.Version)}}, nil
}
