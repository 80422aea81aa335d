package quality

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/internal/apperr"
)

// The complaint clocks of the standard.
const (
	ComplaintAckWithin          = 24 * time.Hour
	ComplaintAnswerWorkingDays  = 2
	ComplaintCloseWorkingDays   = 7
	maxSummaryLength            = 200
	maxDetailsLength            = 20000
	maxComplaintFieldTextLength = 5000
)

// ComplaintTransition is a step of the complaint workflow.
type ComplaintTransition string

// The complaint transitions (openapi.yaml's ComplaintTransition).
const (
	ComplaintAcknowledge ComplaintTransition = "acknowledge"
	ComplaintInvestigate ComplaintTransition = "investigate"
	ComplaintResolve     ComplaintTransition = "resolve"
	ComplaintClose       ComplaintTransition = "close"
	ComplaintEscalate    ComplaintTransition = "escalate"
	ComplaintReopen      ComplaintTransition = "reopen"
)

// complaintRule is one row of the transition table.
type complaintRule struct {
	from []complaint.Status
	to   complaint.Status
}

// complaintRules is the complaint workflow: received → acknowledged →
// investigating → resolved → closed, escalation from any state before
// closed, reopening of a resolved or closed complaint, and investigation
// of an escalated one (so that an escalated complaint can still be
// answered and closed).
var complaintRules = map[ComplaintTransition]complaintRule{
	ComplaintAcknowledge: {from: []complaint.Status{complaint.StatusReceived}, to: complaint.StatusAcknowledged},
	ComplaintInvestigate: {from: []complaint.Status{complaint.StatusAcknowledged, complaint.StatusEscalated}, to: complaint.StatusInvestigating},
	ComplaintResolve:     {from: []complaint.Status{complaint.StatusInvestigating}, to: complaint.StatusResolved},
	ComplaintClose:       {from: []complaint.Status{complaint.StatusResolved}, to: complaint.StatusClosed},
	ComplaintEscalate: {from: []complaint.Status{complaint.StatusReceived, complaint.StatusAcknowledged,
		complaint.StatusInvestigating, complaint.StatusResolved}, to: complaint.StatusEscalated},
	ComplaintReopen: {from: []complaint.Status{complaint.StatusResolved, complaint.StatusClosed}, to: complaint.StatusInvestigating},
}

// complaintOrder lists the transitions in workflow order.
var complaintOrder = []ComplaintTransition{
	ComplaintAcknowledge, ComplaintInvestigate, ComplaintResolve, ComplaintClose, ComplaintEscalate, ComplaintReopen,
}

// ComplaintTransitionsFrom returns the transitions allowed from status, in
// workflow order (for clients that offer only legal actions).
func ComplaintTransitionsFrom(status complaint.Status) []ComplaintTransition {
	var out []ComplaintTransition
	for _, t := range complaintOrder {
		if slices.Contains(complaintRules[t].from, status) {
			out = append(out, t)
		}
	}
	return out
}

// ComplaintInput is a new complaint, in state received.
type ComplaintInput struct {
	// ID is the client-generated ID; generated when nil.
	ID         *uuid.UUID
	CustomerID uuid.UUID
	// AgentID is the agent handling it; the customer's agent when nil.
	AgentID  *uuid.UUID
	PolicyID *uuid.UUID
	Category complaint.Category
	// Severity defaults to medium.
	Severity complaint.Severity
	Summary  string
	Details  string
	// ReceivedAt starts the clocks; now when nil.
	ReceivedAt *time.Time
}

// OpenComplaint records a complaint and sets its due times from the
// calendar: acknowledgement 24 hours after receipt, answer 2 and closure 7
// working days after (see Calendar for the working-day semantics).
func (s *Service) OpenComplaint(ctx context.Context, in ComplaintInput) (*ent.Complaint, error) {
	now := s.clock.Now()
	received := eventTime(in.ReceivedAt, now)
	if in.Severity == "" {
		in.Severity = complaint.SeverityMedium
	}
	var p problems
	if in.Category == "" {
		p.add("/category", "required", "is required")
	} else if complaint.CategoryValidator(in.Category) != nil {
		p.add("/category", "enum", "must be one of claim_timeliness, service_attitude, sales_misconduct, policy_terms, billing, other")
	}
	if complaint.SeverityValidator(in.Severity) != nil {
		p.add("/severity", "enum", "must be one of low, medium, high, critical")
	}
	if strings.TrimSpace(in.Summary) == "" {
		p.add("/summary", "required", "must not be empty")
	}
	p.maxLen("/summary", in.Summary, maxSummaryLength)
	p.maxLen("/details", in.Details, maxDetailsLength)
	p.notFuture("/received_at", &received, now)
	if err := p.err("the complaint is invalid"); err != nil {
		return nil, err
	}
	if err := s.cal.Refresh(ctx); err != nil {
		return nil, err
	}
	var out *ent.Complaint
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		cust, err := loadCustomer(ctx, tx, in.CustomerID, func() error {
			return apperr.Invalid("the complaint is invalid", apperr.FieldError{Field: "/customer_id", Code: "not_found", Message: "no such customer"})
		})
		if err != nil {
			return err
		}
		if err := checkPolicy(ctx, tx, &p, in.PolicyID, in.CustomerID); err != nil {
			return err
		}
		if err := p.err("the complaint is invalid"); err != nil {
			return err
		}
		agentID := in.AgentID
		if agentID == nil {
			agentID = cust.AgentID
		}
		create := tx.Complaint.Create().SetCustomerID(in.CustomerID).SetNillableAgentID(agentID).
			SetNillablePolicyID(in.PolicyID).SetStatus(complaint.StatusReceived).SetCategory(in.Category).
			SetSeverity(in.Severity).SetSummary(in.Summary).SetDetails(in.Details).SetReceivedAt(received).
			SetAckDueAt(received.Add(ComplaintAckWithin)).
			SetAnswerDueAt(s.cal.AddWorkingDays(received, ComplaintAnswerWorkingDays)).
			SetCloseDueAt(s.cal.AddWorkingDays(received, ComplaintCloseWorkingDays)).
			SetCreatedAt(now).SetUpdatedAt(now)
		if in.ID != nil {
			create.SetID(*in.ID)
		}
		out, err = create.Save(ctx)
		if err != nil {
			return createErr("complaint", idOr(in.ID), err)
		}
		return nil
	})
	return out, err
}

// ComplaintFields are the complaint's editable fields (merge-patch: nil
// leaves a field as it is) and the time of the change.
type ComplaintFields struct {
	Category         *complaint.Category
	Severity         *complaint.Severity
	RootCause        *string
	CorrectiveAction *string
	Resolution       *string
	// At is when the transition happened (a change made offline); now
	// when nil. It must not be before the complaint was received.
	At *time.Time
}

func (f ComplaintFields) empty() bool {
	return f.Category == nil && f.Severity == nil && f.RootCause == nil && f.CorrectiveAction == nil && f.Resolution == nil
}

// TransitionComplaint applies a transition (or "" for none) and field
// changes to a complaint, atomically. baseVersion is the version the
// caller's change is based on (If-Match); a mismatch is
// apperr.PreconditionFailed, and 0 skips the check.
//
// A transition not allowed from the current state is apperr.Conflict,
// naming both; resolve needs a resolution, and close needs category,
// severity, root cause and corrective action (given now or before): their
// absence is apperr.Invalid naming the fields. A closed complaint's fields
// change only after reopen. Side effects: acknowledge, resolve, close and
// escalate stamp acknowledged_at, resolved_at, closed_at and escalated_at;
// reopen clears resolved_at and closed_at, so the answer and close clocks
// run again against their original due times.
func (s *Service) TransitionComplaint(ctx context.Context, id uuid.UUID, baseVersion int64, tr ComplaintTransition, f ComplaintFields) (*ent.Complaint, error) {
	now := s.clock.Now()
	var p problems
	if tr != "" {
		if _, ok := complaintRules[tr]; !ok {
			p.add("/transition", "enum", "must be one of acknowledge, investigate, resolve, close, escalate, reopen")
		}
	}
	if f.Category != nil && complaint.CategoryValidator(*f.Category) != nil {
		p.add("/category", "enum", "must be one of claim_timeliness, service_attitude, sales_misconduct, policy_terms, billing, other")
	}
	if f.Severity != nil && complaint.SeverityValidator(*f.Severity) != nil {
		p.add("/severity", "enum", "must be one of low, medium, high, critical")
	}
	for _, t := range []struct {
		field string
		v     *string
	}{{"/root_cause", f.RootCause}, {"/corrective_action", f.CorrectiveAction}, {"/resolution", f.Resolution}} {
		if t.v != nil {
			p.maxLen(t.field, *t.v, maxComplaintFieldTextLength)
		}
	}
	p.notFuture("/at", f.At, now)
	if err := p.err("the complaint change is invalid"); err != nil {
		return nil, err
	}
	at := eventTime(f.At, now)

	var out *ent.Complaint
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		c, err := tx.Complaint.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("complaint not found")
		}
		if err != nil {
			return fmt.Errorf("load complaint %s: %w", id, err)
		}
		if baseVersion > 0 && c.Version != baseVersion {
			return versionErr("complaint", id, baseVersion, c.Version)
		}
		if tr == "" && f.empty() {
			out = c
			return nil
		}
		if tr != "" && at.Before(c.ReceivedAt) {
			return apperr.Invalid("the complaint change is invalid", apperr.FieldError{Field: "/at", Code: "before_received", Message: "must not be before the complaint was received"})
		}
		to := c.Status
		if tr != "" {
			rule := complaintRules[tr]
			if !slices.Contains(rule.from, c.Status) {
				return apperr.Conflict(fmt.Sprintf("cannot %s a complaint that is %s: %s moves %s → %s", tr, c.Status, tr, joinStatuses(rule.from), rule.to))
			}
			to = rule.to
		} else if c.Status == complaint.StatusClosed {
			return apperr.Conflict("the complaint is closed: reopen it before changing its fields")
		}
		merged := mergeComplaint(c, f)
		if err := requireComplaintFields(tr, merged); err != nil {
			return err
		}
		u := tx.Complaint.UpdateOneID(id).Where(complaint.VersionEQ(c.Version)).SetStatus(to).
			SetCategory(merged.Category).SetSeverity(merged.Severity).SetRootCause(merged.RootCause).
			SetCorrectiveAction(merged.CorrectiveAction).SetResolution(merged.Resolution).SetUpdatedAt(now)
		switch tr {
		case ComplaintAcknowledge:
			u.SetAcknowledgedAt(at)
		case ComplaintResolve:
			u.SetResolvedAt(at)
		case ComplaintClose:
			u.SetClosedAt(at)
		case ComplaintEscalate:
			u.SetEscalatedAt(at)
		case ComplaintReopen:
			u.ClearResolvedAt().ClearClosedAt()
		}
		out, err = u.Save(ctx)
		if ent.IsNotFound(err) {
			return apperr.PreconditionFailed(fmt.Sprintf("complaint %s changed meanwhile: reload it and retry", id))
		}
		if err != nil {
			return fmt.Errorf("update complaint %s: %w", id, err)
		}
		return nil
	})
	return out, err
}

// mergeComplaint returns c's fields with f applied.
func mergeComplaint(c *ent.Complaint, f ComplaintFields) ent.Complaint {
	m := *c
	if f.Category != nil {
		m.Category = *f.Category
	}
	if f.Severity != nil {
		m.Severity = *f.Severity
	}
	if f.RootCause != nil {
		m.RootCause = *f.RootCause
	}
	if f.CorrectiveAction != nil {
		m.CorrectiveAction = *f.CorrectiveAction
	}
	if f.Resolution != nil {
		m.Resolution = *f.Resolution
	}
	return m
}

// requireComplaintFields checks the fields a transition needs.
func requireComplaintFields(tr ComplaintTransition, m ent.Complaint) error {
	var p problems
	missing := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			p.add(field, "required", fmt.Sprintf("is required to %s a complaint", tr))
		}
	}
	switch tr {
	case ComplaintResolve:
		missing("/resolution", m.Resolution)
	case ComplaintClose:
		missing("/category", string(m.Category))
		missing("/severity", string(m.Severity))
		missing("/root_cause", m.RootCause)
		missing("/corrective_action", m.CorrectiveAction)
	}
	if len(p) == 0 {
		return nil
	}
	names := make([]string, len(p))
	for i, e := range p {
		names[i] = strings.TrimPrefix(e.Field, "/")
	}
	return p.err(fmt.Sprintf("to %s a complaint, set %s", tr, strings.Join(names, ", ")))
}

func joinStatuses(ss []complaint.Status) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}
