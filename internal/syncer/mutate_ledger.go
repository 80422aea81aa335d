package syncer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
)

var interactionReadOnlyCreate = map[string]string{"agent_id": "the server records the calling agent"}

var interactionReadOnlyUpdate = map[string]string{
	"agent_id":               "the server records the calling agent",
	"customer_id":            "an interaction stays with its customer",
	"answers_interaction_id": "set when the interaction is recorded",
	"task_id":                "set when the interaction is recorded",
	"plan_step_id":           "set when the interaction is recorded",
}

var channels = []string{"phone", "visit", "wechat", "app", "email", "branch"}

var interactionTypes = []string{"consultation", "needs_analysis", "revisit", "payment", "renewal", "claim_assistance", "complaint", "care"}

// interactionPatch is a decoded interaction mutation.
type interactionPatch struct {
	customerID, answers, taskID, stepID *uuid.UUID
	channel, typ                        *string
	content, result, feedback           *string
	receivedAt, firstResponseAt         *time.Time
	clearFirstResponse                  bool
	toolkit                             *[]uuid.UUID
}

func decodeInteraction(f *fields, create bool) *interactionPatch {
	p := &interactionPatch{}
	if create {
		p.customerID, _ = f.uuid("customer_id", false)
		p.answers, _ = f.uuid("answers_interaction_id", true)
		p.taskID, _ = f.uuid("task_id", true)
		p.stepID, _ = f.uuid("plan_step_id", true)
		for _, req := range []string{"customer_id", "channel", "type", "content"} {
			if !f.has(req) {
				f.bad(req, "required", "is required")
			}
		}
	}
	p.channel = f.enum("channel", channels...)
	p.typ = f.enum("type", interactionTypes...)
	p.content = f.text("content", quality.MaxContentLength, false)
	p.result = f.text("result", quality.MaxResultLength, true)
	p.feedback = f.text("feedback", quality.MaxFeedbackLength, true)
	p.receivedAt, _ = f.time("received_at", false)
	p.firstResponseAt, p.clearFirstResponse = f.time("first_response_at", true)
	p.toolkit = f.uuids("toolkit_item_ids", quality.MaxToolkitItems)
	if p.content != nil && *p.content == "" {
		f.bad("content", "minLength", "must not be empty")
	}
	return p
}

// mutateInteraction records an interaction (through package quality,
// which keeps the ledger's clocks and the toolkit usage) or changes one.
func (e *Engine) mutateInteraction(c *mctx) (Result, error) {
	if c.m.Op == OpDelete {
		return cannot("the consultation ledger keeps its entries"), nil
	}
	create := c.creates()
	ro := interactionReadOnlyUpdate
	if create {
		ro = interactionReadOnlyCreate
	}
	f := newFields(c.m.Data, ro)
	p := decodeInteraction(f, create)
	if err := f.finish(c.m.ID); err != nil {
		return rejected(err.(*apperr.Error)), nil
	}
	q := c.tx.Interaction.Query().Where(interaction.ID(c.m.ID))
	if c.pg() {
		q.ForUpdate()
	}
	cur, err := q.Only(c.ctx)
	switch {
	case ent.IsNotFound(err) && create:
		if exists, err := c.tx.Interaction.Query().Where(interaction.ID(c.m.ID)).Exist(auth.SystemContext(c.ctx)); err != nil || exists {
			return Result{Status: StatusGone}, err
		}
		id := c.m.ID
		in := quality.InteractionInput{ID: &id, CustomerID: *p.customerID, Channel: interaction.Channel(*p.channel),
			Type: interaction.Type(*p.typ), Content: *p.content, ReceivedAt: p.receivedAt, FirstResponseAt: p.firstResponseAt,
			AnswersInteractionID: p.answers, TaskID: p.taskID, PlanStepID: p.stepID}
		if p.result != nil {
			in.Result = *p.result
		}
		if p.feedback != nil {
			in.Feedback = *p.feedback
		}
		if p.toolkit != nil {
			in.ToolkitItemIDs = *p.toolkit
		}
		rec, err := e.quality.RecordInteractionTx(c.ctx, c.tx, in)
		if err != nil {
			return Result{}, err
		}
		return c.created(store.Interactions, rec, rec.Version)
	case ent.IsNotFound(err):
		return Result{Status: StatusGone}, nil
	case err != nil:
		return Result{}, fmt.Errorf("load interaction: %w", err)
	}
	changed := interactionDiff(cur, p)
	if create {
		return c.existingCreate(store.Interactions, cur, cur.Version, changed)
	}
	if c.m.BaseVersion > cur.Version {
		return rejected(aheadOfServer(cur.Version)), nil
	}
	received, first := cur.ReceivedAt, cur.FirstResponseAt
	if p.receivedAt != nil {
		received = *p.receivedAt
	}
	if p.firstResponseAt != nil || p.clearFirstResponse {
		first = p.firstResponseAt
	}
	var fe []apperr.FieldError
	limit := c.now.Add(quality.MaxClockSkew)
	if received.After(limit) {
		fe = append(fe, apperr.FieldError{Field: "/received_at", Code: "future", Message: "must not be in the future"})
	}
	if first != nil && first.After(limit) {
		fe = append(fe, apperr.FieldError{Field: "/first_response_at", Code: "future", Message: "must not be in the future"})
	}
	if first != nil && first.Before(received) {
		fe = append(fe, apperr.FieldError{Field: "/first_response_at", Code: "before_received", Message: "must not be before received_at"})
	}
	if len(fe) > 0 {
		return rejected(apperr.Invalid("the interaction is invalid", fe...)), nil
	}
	conflicts := c.bothSides(cur.FieldVersions, changed, nil)
	after := cur
	if len(changed) > 0 {
		u := c.tx.Interaction.UpdateOneID(cur.ID).Where(interaction.Version(cur.Version)).SetUpdatedAt(c.now)
		for _, name := range changed {
			switch name {
			case "channel":
				u.SetChannel(interaction.Channel(*p.channel))
			case "type":
				u.SetType(interaction.Type(*p.typ))
			case "content":
				u.SetContent(*p.content)
			case "result":
				u.SetResult(*p.result)
			case "feedback":
				u.SetFeedback(*p.feedback)
			case "received_at":
				u.SetReceivedAt(received)
			case "first_response_at":
				u.SetNillableFirstResponseAt(first)
				if first == nil {
					u.ClearFirstResponseAt()
				}
			case "toolkit_item_ids":
				u.SetToolkitItemIds(nonNil(*p.toolkit))
			}
		}
		if after, err = u.Save(c.ctx); ent.IsNotFound(err) {
			return Result{Status: StatusGone}, nil
		} else if err != nil {
			return Result{}, err
		}
	}
	return c.updated(store.Interactions, after, after.Version, cur.Version, conflicts)
}

// interactionDiff lists the fields of p whose values differ from i's.
func interactionDiff(i *ent.Interaction, p *interactionPatch) []string {
	var out []string
	add := func(name string, diff bool) {
		if diff {
			out = append(out, name)
		}
	}
	if p.customerID != nil {
		add("customer_id", *p.customerID != i.CustomerID)
	}
	if p.channel != nil {
		add("channel", *p.channel != string(i.Channel))
	}
	if p.typ != nil {
		add("type", *p.typ != string(i.Type))
	}
	if p.content != nil {
		add("content", *p.content != i.Content)
	}
	if p.result != nil {
		add("result", *p.result != i.Result)
	}
	if p.feedback != nil {
		add("feedback", *p.feedback != i.Feedback)
	}
	if p.receivedAt != nil {
		add("received_at", !p.receivedAt.Equal(i.ReceivedAt))
	}
	if p.firstResponseAt != nil || p.clearFirstResponse {
		add("first_response_at", !sameTime(p.firstResponseAt, i.FirstResponseAt))
	}
	if p.toolkit != nil {
		add("toolkit_item_ids", !slices.Equal(*p.toolkit, nonNil(i.ToolkitItemIds)))
	}
	return out
}

var complaintReadOnly = map[string]string{
	"status":            "status changes go through the complaint workflow (PATCH /v1/complaints/{id} with a transition)",
	"transition":        "status changes go through the complaint workflow (PATCH /v1/complaints/{id} with a transition)",
	"agent_id":          "the complaint's agent is its customer's",
	"root_cause":        "set through the complaint workflow",
	"corrective_action": "set through the complaint workflow",
	"resolution":        "set through the complaint workflow",
	"acknowledged_at":   "set through the complaint workflow",
	"resolved_at":       "set through the complaint workflow",
	"closed_at":         "set through the complaint workflow",
	"escalated_at":      "set through the complaint workflow",
	"sla":               "derived by the server",
}

var complaintCategories = []string{"claim_timeliness", "service_attitude", "sales_misconduct", "policy_terms", "billing", "other"}

var severities = []string{"low", "medium", "high", "critical"}

// complaintPatch is a decoded complaint mutation.
type complaintPatch struct {
	customerID, policyID        *uuid.UUID
	category, severity, summary *string
	details                     *string
	receivedAt                  *time.Time
}

func decodeComplaint(f *fields, create bool) *complaintPatch {
	p := &complaintPatch{}
	ro := f.readOnly
	if create {
		p.customerID, _ = f.uuid("customer_id", false)
		p.policyID, _ = f.uuid("policy_id", true)
		p.receivedAt, _ = f.time("received_at", false)
		for _, req := range []string{"customer_id", "category", "summary"} {
			if !f.has(req) {
				f.bad(req, "required", "is required")
			}
		}
	} else {
		ro = map[string]string{"customer_id": "a complaint stays with its customer", "policy_id": "set when the complaint is recorded",
			"received_at": "the clocks start when the complaint is recorded"}
		for k, v := range complaintReadOnly {
			ro[k] = v
		}
		f.readOnly = ro
	}
	p.category = f.enum("category", complaintCategories...)
	p.severity = f.enum("severity", severities...)
	p.summary = f.text("summary", 200, false)
	p.details = f.text("details", 20000, true)
	if p.summary != nil && strings.TrimSpace(*p.summary) == "" {
		f.bad("summary", "minLength", "must not be empty")
	}
	return p
}

// mutateComplaint records a complaint or changes its description; its
// status moves only through the workflow.
func (e *Engine) mutateComplaint(c *mctx) (Result, error) {
	if c.m.Op == OpDelete {
		return cannot("complaints are closed through the workflow, not deleted"), nil
	}
	create := c.creates()
	f := newFields(c.m.Data, complaintReadOnly)
	p := decodeComplaint(f, create)
	if err := f.finish(c.m.ID); err != nil {
		return rejected(err.(*apperr.Error)), nil
	}
	q := c.tx.Complaint.Query().Where(complaint.ID(c.m.ID))
	if c.pg() {
		q.ForUpdate()
	}
	cur, err := q.Only(c.ctx)
	switch {
	case ent.IsNotFound(err) && create:
		return e.createComplaint(c, p)
	case ent.IsNotFound(err):
		return Result{Status: StatusGone}, nil
	case err != nil:
		return Result{}, fmt.Errorf("load complaint: %w", err)
	}
	var changed []string
	add := func(name string, diff bool) {
		if diff {
			changed = append(changed, name)
		}
	}
	if p.customerID != nil {
		add("customer_id", *p.customerID != cur.CustomerID)
	}
	if p.category != nil {
		add("category", *p.category != string(cur.Category))
	}
	if p.severity != nil {
		add("severity", *p.severity != string(cur.Severity))
	}
	if p.summary != nil {
		add("summary", strings.TrimSpace(*p.summary) != cur.Summary)
	}
	if p.details != nil {
		add("details", *p.details != cur.Details)
	}
	if create {
		return c.existingCreate(store.Complaints, cur, cur.Version, changed)
	}
	if c.m.BaseVersion > cur.Version {
		return rejected(aheadOfServer(cur.Version)), nil
	}
	if cur.Status == complaint.StatusClosed && len(changed) > 0 {
		return rejected(apperr.Conflict("a closed complaint changes only after it is reopened")), nil
	}
	conflicts := c.bothSides(cur.FieldVersions, changed, nil)
	after := cur
	if len(changed) > 0 {
		u := c.tx.Complaint.UpdateOneID(cur.ID).Where(complaint.Version(cur.Version)).SetUpdatedAt(c.now)
		if p.category != nil {
			u.SetCategory(complaint.Category(*p.category))
		}
		if p.severity != nil {
			u.SetSeverity(complaint.Severity(*p.severity))
		}
		if p.summary != nil {
			u.SetSummary(strings.TrimSpace(*p.summary))
		}
		if p.details != nil {
			u.SetDetails(*p.details)
		}
		if after, err = u.Save(c.ctx); ent.IsNotFound(err) {
			return Result{Status: StatusGone}, nil
		} else if err != nil {
			return Result{}, err
		}
	}
	return c.updated(store.Complaints, after, after.Version, cur.Version, conflicts)
}

// createComplaint records a complaint in state received, with the SLA
// clocks of the standard (package quality's rules and calendar).
func (e *Engine) createComplaint(c *mctx, p *complaintPatch) (Result, error) {
	if exists, err := c.tx.Complaint.Query().Where(complaint.ID(c.m.ID)).Exist(auth.SystemContext(c.ctx)); err != nil || exists {
		return Result{Status: StatusGone}, err
	}
	received := c.now
	if p.receivedAt != nil {
		received = *p.receivedAt
	}
	if received.After(c.now.Add(quality.MaxClockSkew)) {
		return rejected(apperr.Invalid("the complaint is invalid", apperr.FieldError{Field: "/received_at", Code: "future", Message: "must not be in the future"})), nil
	}
	cust, err := c.tx.Customer.Query().Where(customer.ID(*p.customerID)).Only(c.ctx)
	if ent.IsNotFound(err) {
		return rejected(apperr.Invalid("the complaint is invalid", apperr.FieldError{Field: "/customer_id", Code: "not_found", Message: "no such customer"})), nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("load customer: %w", err)
	}
	if p.policyID != nil {
		ok, err := c.tx.InsurancePolicy.Query().Where(insurancepolicy.ID(*p.policyID), insurancepolicy.CustomerID(cust.ID)).Exist(c.ctx)
		if err != nil {
			return Result{}, fmt.Errorf("load policy: %w", err)
		}
		if !ok {
			return rejected(apperr.Invalid("the complaint is invalid", apperr.FieldError{Field: "/policy_id", Code: "not_found", Message: "no such policy of the customer"})), nil
		}
	}
	cal := e.quality.Calendar()
	cr := c.tx.Complaint.Create().SetID(c.m.ID).SetCustomerID(cust.ID).SetNillableAgentID(cust.AgentID).
		SetNillablePolicyID(p.policyID).SetStatus(complaint.StatusReceived).SetCategory(complaint.Category(*p.category)).
		SetSummary(strings.TrimSpace(*p.summary)).SetReceivedAt(received).
		SetAckDueAt(received.Add(quality.ComplaintAckWithin)).
		SetAnswerDueAt(cal.AddWorkingDays(received, quality.ComplaintAnswerWorkingDays)).
		SetCloseDueAt(cal.AddWorkingDays(received, quality.ComplaintCloseWorkingDays)).
		SetCreatedAt(c.now).SetUpdatedAt(c.now)
	if p.severity != nil {
		cr.SetSeverity(complaint.Severity(*p.severity))
	}
	if p.details != nil {
		cr.SetDetails(*p.details)
	}
	rec, err := cr.Save(c.ctx)
	if err != nil {
		return Result{}, err
	}
	return c.created(store.Complaints, rec, rec.Version)
}

var notificationReadOnly = func() map[string]string {
	m := map[string]string{}
	for _, f := range []string{"agent_id", "customer_id", "policy_id", "kind", "title", "body", "data", "deep_link"} {
		m[f] = "notifications are made by the server; only read_at changes"
	}
	return m
}()

// mutateNotification marks a notification of the caller's inbox read (or
// unread).
func (e *Engine) mutateNotification(c *mctx) (Result, error) {
	if c.m.Op == OpDelete || c.m.BaseVersion == 0 {
		return cannot("notifications are made by the server; only read_at changes"), nil
	}
	f := newFields(c.m.Data, notificationReadOnly)
	readAt, clear := f.time("read_at", true)
	if err := f.finish(c.m.ID); err != nil {
		return rejected(err.(*apperr.Error)), nil
	}
	q := c.tx.Notification.Query().Where(notification.ID(c.m.ID))
	if c.pg() {
		q.ForUpdate()
	}
	cur, err := q.Only(c.ctx)
	if ent.IsNotFound(err) {
		return Result{Status: StatusGone}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("load notification: %w", err)
	}
	if c.m.BaseVersion > cur.Version {
		return rejected(aheadOfServer(cur.Version)), nil
	}
	var changed []string
	if (readAt != nil || clear) && !sameTime(readAt, cur.ReadAt) {
		changed = append(changed, "read_at")
	}
	conflicts := c.bothSides(cur.FieldVersions, changed, nil)
	after := cur
	if len(changed) > 0 {
		u := c.tx.Notification.UpdateOneID(cur.ID).Where(notification.Version(cur.Version)).SetUpdatedAt(c.now)
		if clear {
			u.ClearReadAt()
		} else {
			u.SetReadAt(*readAt)
		}
		if after, err = u.Save(c.ctx); ent.IsNotFound(err) {
			return Result{Status: StatusGone}, nil
		} else if err != nil {
			return Result{}, err
		}
	}
	return c.updated(store.Notifications, after, after.Version, cur.Version, conflicts)
}
