package quality

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/claimevent"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
)

// The claim clocks of the standard, in calendar days counted as elapsed
// time: a claim filed at 10:00 is due for acceptance at 10:00 three days
// later, whatever the weekends and holidays in between.
const (
	ClaimAcceptWithin = 3 * 24 * time.Hour
	ClaimCloseWithin  = 7 * 24 * time.Hour
)

// ClaimTransition is a step of the claim-assistance workflow.
type ClaimTransition string

// The claim transitions (openapi.yaml's ClaimTransition).
const (
	ClaimAccept            ClaimTransition = "accept"
	ClaimDocumentsComplete ClaimTransition = "documents_complete"
	ClaimDecide            ClaimTransition = "decide"
	ClaimPay               ClaimTransition = "pay"
	ClaimClose             ClaimTransition = "close"
)

// claimRule is one row of the transition table; decision, when set, is
// the decision the claim must carry.
type claimRule struct {
	from     claim.Status
	decision claim.Decision
	to       claim.Status
}

// claimRules is the workflow filed → accepted → documents_complete →
// decided → paid → closed, where a declined claim is closed without
// payment. Acceptance comes first and never waits for the documents
// ("先受理、后补证": accept first, documents later).
var claimRules = map[ClaimTransition][]claimRule{
	ClaimAccept:            {{from: claim.StatusFiled, to: claim.StatusAccepted}},
	ClaimDocumentsComplete: {{from: claim.StatusAccepted, to: claim.StatusDocumentsComplete}},
	ClaimDecide:            {{from: claim.StatusDocumentsComplete, to: claim.StatusDecided}},
	ClaimPay:               {{from: claim.StatusDecided, decision: claim.DecisionApproved, to: claim.StatusPaid}},
	ClaimClose: {
		{from: claim.StatusPaid, to: claim.StatusClosed},
		{from: claim.StatusDecided, decision: claim.DecisionDeclined, to: claim.StatusClosed},
	},
}

var claimOrder = []ClaimTransition{ClaimAccept, ClaimDocumentsComplete, ClaimDecide, ClaimPay, ClaimClose}

// matchClaimRule returns the rule of tr that applies to a claim in status
// with decision (nil when undecided).
func matchClaimRule(tr ClaimTransition, status claim.Status, decision *claim.Decision) (claimRule, bool) {
	for _, r := range claimRules[tr] {
		if r.from == status && (r.decision == "" || decision != nil && *decision == r.decision) {
			return r, true
		}
	}
	return claimRule{}, false
}

// ClaimTransitionsFrom returns the transitions allowed for a claim in
// status with decision (nil when undecided), in workflow order.
func ClaimTransitionsFrom(status claim.Status, decision *claim.Decision) []ClaimTransition {
	var out []ClaimTransition
	for _, t := range claimOrder {
		if _, ok := matchClaimRule(t, status, decision); ok {
			out = append(out, t)
		}
	}
	return out
}

// ClaimInput is a new claim, in state filed.
type ClaimInput struct {
	// ID is the client-generated ID; generated when nil.
	ID         *uuid.UUID
	CustomerID uuid.UUID
	PolicyID   uuid.UUID
	// AgentID is the assisting agent; the customer's agent when nil.
	AgentID            *uuid.UUID
	Description        string
	AmountClaimedCents int64
	// FiledAt starts the clocks; now when nil.
	FiledAt *time.Time
}

// OpenClaim records a claim with its due times: accepted within 3 and
// settled within 7 calendar days of filing.
func (s *Service) OpenClaim(ctx context.Context, in ClaimInput) (*ent.Claim, error) {
	now := s.clock.Now()
	filed := eventTime(in.FiledAt, now)
	var p problems
	if strings.TrimSpace(in.Description) == "" {
		p.add("/description", "required", "must not be empty")
	}
	p.maxLen("/description", in.Description, maxDetailsLength)
	if in.AmountClaimedCents < 0 {
		p.add("/amount_claimed_cents", "minimum", "must not be negative")
	}
	p.notFuture("/filed_at", &filed, now)
	if in.PolicyID == uuid.Nil {
		p.add("/policy_id", "required", "is required")
	}
	if err := p.err("the claim is invalid"); err != nil {
		return nil, err
	}
	var out *ent.Claim
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		cust, err := loadCustomer(ctx, tx, in.CustomerID, func() error {
			return apperr.Invalid("the claim is invalid", apperr.FieldError{Field: "/customer_id", Code: "not_found", Message: "no such customer"})
		})
		if err != nil {
			return err
		}
		if err := checkPolicy(ctx, tx, &p, &in.PolicyID, in.CustomerID); err != nil {
			return err
		}
		if err := p.err("the claim is invalid"); err != nil {
			return err
		}
		agentID := in.AgentID
		if agentID == nil {
			agentID = cust.AgentID
		}
		create := tx.Claim.Create().SetCustomerID(in.CustomerID).SetPolicyID(in.PolicyID).
			SetNillableAgentID(agentID).SetStatus(claim.StatusFiled).SetDescription(in.Description).
			SetAmountClaimedCents(in.AmountClaimedCents).SetFiledAt(filed).
			SetAcceptDueAt(filed.Add(ClaimAcceptWithin)).SetCloseDueAt(filed.Add(ClaimCloseWithin)).
			SetCreatedAt(now).SetUpdatedAt(now)
		if in.ID != nil {
			create.SetID(*in.ID)
		}
		out, err = create.Save(ctx)
		if err != nil {
			return createErr("claim", idOr(in.ID), err)
		}
		return nil
	})
	return out, err
}

// ClaimFields is the data of a claim transition.
type ClaimFields struct {
	// Decision is required by decide and refused with other transitions.
	Decision *claim.Decision
	// AmountPaidCents is required by pay and refused with other transitions.
	AmountPaidCents *int64
	// At is when the transition happened; now when nil. It must not be
	// before the claim was filed.
	At *time.Time // Note is kept with the transition in the claim's history (at most
	// MaxClaimNote characters).
	Note *string
}

// MaxClaimNote is the longest note of a claim transition, in characters.
const MaxClaimNote = 5000

// TransitionClaim applies a transition to a claim. baseVersion works as in
// TransitionComplaint. A transition not allowed from the claim's state (or
// decision) is apperr.Conflict naming both; missing or misplaced data is
// apperr.Invalid. Each transition stamps its time (accepted_at,
// documents_complete_at, decided_at, paid_at, closed_at).
func (s *Service) TransitionClaim(ctx context.Context, id uuid.UUID, baseVersion int64, tr ClaimTransition, f ClaimFields) (*ent.Claim, error) {
	now := s.clock.Now()
	var p problems
	if _, ok := claimRules[tr]; !ok {
		p.add("/transition", "enum", "must be one of accept, documents_complete, decide, pay, close")
	}
	switch {
	case tr == ClaimDecide && f.Decision == nil:
		p.add("/decision", "required", "is required to decide a claim")
	case tr != ClaimDecide && f.Decision != nil:
		p.add("/decision", "unexpected", "is set only with decide")
	case f.Decision != nil && claim.DecisionValidator(*f.Decision) != nil:
		p.add("/decision", "enum", "must be approved or declined")
	}
	switch {
	case tr == ClaimPay && f.AmountPaidCents == nil:
		p.add("/amount_paid_cents", "required", "is required to pay a claim")
	case tr != ClaimPay && f.AmountPaidCents != nil:
		p.add("/amount_paid_cents", "unexpected", "is set only with pay")
	case f.AmountPaidCents != nil && *f.AmountPaidCents < 0:
		p.add("/amount_paid_cents", "minimum", "must not be negative")
	}
	p.notFuture("/at", f.At, now)
	if f.Note != nil && utf8.RuneCountInString(*f.Note) > MaxClaimNote {
		p.add("/note", "maxLength", fmt.Sprintf("must have at most %d characters", MaxClaimNote))
	}
	if err := p.err("the claim change is invalid"); err != nil {
		return nil, err
	}
	at := eventTime(f.At, now)

	var out *ent.Claim
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		c, err := tx.Claim.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("claim not found")
		}
		if err != nil {
			return fmt.Errorf("load claim %s: %w", id, err)
		}
		if baseVersion > 0 && c.Version != baseVersion {
			return versionErr("claim", id, baseVersion, c.Version)
		}
		rule, ok := matchClaimRule(tr, c.Status, c.Decision)
		if !ok {
			return apperr.Conflict(fmt.Sprintf("cannot %s a claim that is %s: %s", tr, claimState(c), describeClaimRule(tr)))
		}
		if at.Before(c.FiledAt) {
			return apperr.Invalid("the claim change is invalid", apperr.FieldError{Field: "/at", Code: "before_filed", Message: "must not be before the claim was filed"})
		}
		u := tx.Claim.UpdateOneID(id).Where(claim.VersionEQ(c.Version)).SetStatus(rule.to).SetUpdatedAt(now)
		switch tr {
		case ClaimAccept:
			u.SetAcceptedAt(at)
		case ClaimDocumentsComplete:
			u.SetDocumentsCompleteAt(at)
		case ClaimDecide:
			u.SetDecision(*f.Decision).SetDecidedAt(at)
		case ClaimPay:
			u.SetAmountPaidCents(*f.AmountPaidCents).SetPaidAt(at)
		case ClaimClose:
			u.SetClosedAt(at)
		}
		out, err = u.Save(ctx)
		if ent.IsNotFound(err) {
			return apperr.PreconditionFailed(fmt.Sprintf("claim %s changed meanwhile: reload it and retry", id))
		}
		if err != nil {
			return fmt.Errorf("update claim %s: %w", id, err)
		}
		ev := tx.ClaimEvent.Create().SetClaimID(id).SetCustomerID(c.CustomerID).SetTransition(string(tr)).
			SetFromStatus(string(c.Status)).SetToStatus(string(rule.to)).SetNillableNote(f.Note).
			SetAt(at).SetRecordedAt(now).SetNillableAgentID(viewerAgent(ctx))
		if err := ev.Exec(auth.SystemContext(ctx)); err != nil {
			return fmt.Errorf("record claim %s event: %w", id, err)
		}
		return nil
	})
	return out, err
}

// ClaimEvents returns the history of a claim the caller may read, oldest
// first: apperr.NotFound when the claim is not in the caller's view.
func (s *Service) ClaimEvents(ctx context.Context, id uuid.UUID) ([]*ent.ClaimEvent, error) {
	if _, err := s.db.Client.Claim.Get(ctx, id); ent.IsNotFound(err) {
		return nil, apperr.NotFound("claim not found")
	} else if err != nil {
		return nil, fmt.Errorf("load claim %s: %w", id, err)
	}
	evs, err := s.db.Client.ClaimEvent.Query().Where(claimevent.ClaimID(id)).
		Order(ent.Asc(claimevent.FieldAt), ent.Asc(claimevent.FieldID)).All(auth.SystemContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("load claim %s events: %w", id, err)
	}
	return evs, nil
}

// claimState names a claim's state for messages: "decided (declined)".
func claimState(c *ent.Claim) string {
	if c.Status == claim.StatusDecided && c.Decision != nil {
		return fmt.Sprintf("%s (%s)", c.Status, *c.Decision)
	}
	return string(c.Status)
}

// describeClaimRule says where a transition goes from: "close moves paid →
// closed or decided (declined) → closed".
func describeClaimRule(tr ClaimTransition) string {
	rules := claimRules[tr]
	parts := make([]string, len(rules))
	for i, r := range rules {
		from := string(r.from)
		if r.decision != "" {
			from += " (" + string(r.decision) + ")"
		}
		parts[i] = from + " → " + string(r.to)
	}
	return string(tr) + " moves " + strings.Join(parts, " or ")
}
