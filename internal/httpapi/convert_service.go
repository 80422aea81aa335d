package httpapi

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/privacy"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/quality"
)

// This file holds what the service-quality handlers (interactions,
// complaints, claims, NPS) share: the ent → api converters and the paging
// and precondition helpers.

// defaultPageSize is the contract's default limit.
const defaultPageSize = 50

// interactionToAPI converts a ledger entry. Empty texts are null, as the
// contract shows optional texts that were never given.
func interactionToAPI(i *ent.Interaction) api.Interaction {
	items := make([]uuid.UUID, len(i.ToolkitItemIds))
	copy(items, i.ToolkitItemIds)
	return api.Interaction{
		Id:                   i.ID,
		Version:              i.Version,
		CustomerId:           i.CustomerID,
		AgentId:              i.AgentID,
		Channel:              api.ContactChannel(i.Channel),
		Type:                 api.InteractionType(i.Type),
		Content:              i.Content,
		Result:               nullIfEmpty(i.Result),
		Feedback:             nullIfEmpty(i.Feedback),
		ReceivedAt:           i.ReceivedAt.UTC(),
		FirstResponseAt:      utcTime(i.FirstResponseAt),
		AnswersInteractionId: i.AnswersInteractionID,
		TaskId:               i.TaskID,
		PlanStepId:           i.PlanStepID,
		ToolkitItemIds:       items,
		CreatedAt:            i.CreatedAt.UTC(),
		UpdatedAt:            i.UpdatedAt.UTC(),
	}
}

// complaintToAPI converts a complaint with its SLA state at now.
func complaintToAPI(c *ent.Complaint, now time.Time) api.Complaint {
	return api.Complaint{
		Id:               c.ID,
		Version:          c.Version,
		CustomerId:       c.CustomerID,
		AgentId:          c.AgentID,
		PolicyId:         c.PolicyID,
		Status:           api.ComplaintStatus(c.Status),
		Category:         api.ComplaintCategory(c.Category),
		Severity:         api.Severity(c.Severity),
		Summary:          c.Summary,
		Details:          nullIfEmpty(c.Details),
		ReceivedAt:       c.ReceivedAt.UTC(),
		AcknowledgedAt:   utcTime(c.AcknowledgedAt),
		ResolvedAt:       utcTime(c.ResolvedAt),
		ClosedAt:         utcTime(c.ClosedAt),
		EscalatedAt:      utcTime(c.EscalatedAt),
		RootCause:        nullIfEmpty(c.RootCause),
		CorrectiveAction: nullIfEmpty(c.CorrectiveAction),
		Resolution:       nullIfEmpty(c.Resolution),
		Sla: api.ComplaintSla{
			AcknowledgeDueAt: c.AckDueAt.UTC(),
			AnswerDueAt:      c.AnswerDueAt.UTC(),
			CloseDueAt:       c.CloseDueAt.UTC(),
			State:            api.SlaState(quality.ComplaintSLA(c, now)),
		},
		CreatedAt: c.CreatedAt.UTC(),
		UpdatedAt: c.UpdatedAt.UTC(),
	}
}

// claimCurrency is the currency of every claim: the schema stores none.
const claimCurrency = "CNY"

// claimToAPI converts a claim with its SLA state at now. The amount paid
// is null until the claim is paid.
func claimToAPI(c *ent.Claim, now time.Time) api.Claim {
	claimed := c.AmountClaimedCents
	out := api.Claim{
		Id:                  c.ID,
		Version:             c.Version,
		CustomerId:          c.CustomerID,
		PolicyId:            c.PolicyID,
		AgentId:             c.AgentID,
		Status:              api.ClaimStatus(c.Status),
		Description:         c.Description,
		AmountClaimedCents:  &claimed,
		Currency:            claimCurrency,
		FiledAt:             c.FiledAt.UTC(),
		AcceptedAt:          utcTime(c.AcceptedAt),
		DocumentsCompleteAt: utcTime(c.DocumentsCompleteAt),
		DecidedAt:           utcTime(c.DecidedAt),
		PaidAt:              utcTime(c.PaidAt),
		ClosedAt:            utcTime(c.ClosedAt),
		Sla: api.ClaimSla{
			AcceptDueAt: c.AcceptDueAt.UTC(),
			CloseDueAt:  c.CloseDueAt.UTC(),
			State:       api.SlaState(quality.ClaimSLA(c, now)),
		},
		CreatedAt: c.CreatedAt.UTC(),
		UpdatedAt: c.UpdatedAt.UTC(),
	}
	if c.PaidAt != nil {
		paid := c.AmountPaidCents
		out.AmountPaidCents = &paid
	}
	if c.Decision != nil {
		d := api.ClaimDecision(*c.Decision)
		out.Decision = &d
	}
	return out
}

// npsAnswerToAPI converts an NPS answer.
func npsAnswerToAPI(a *ent.NpsAnswer) api.NpsAnswer {
	return api.NpsAnswer{
		Id:            a.ID,
		CustomerId:    a.CustomerID,
		Score:         int32(a.Score),
		Comment:       nullIfEmpty(a.Comment),
		AnsweredAt:    a.AnsweredAt.UTC(),
		InteractionId: a.InteractionID,
		CreatedAt:     a.CreatedAt.UTC(),
	}
}

// idOrNil returns *id, or the nil UUID for a record without one: the
// contract has agent_id (and a claim's policy_id) required and not
// nullable, while a record of an unassigned customer has none.
func idOrNil(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func utcTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// pageLimit is the limit parameter, or the contract's default.
func pageLimit(l *int32) int {
	if l == nil || *l <= 0 {
		return defaultPageSize
	}
	return int(*l)
}

// afterID decodes the cursor of a list ordered by ID (nil for the first
// page); the cursor is customer.EncodeCursor's.
func afterID(cursor *string) (*uuid.UUID, error) {
	if cursor == nil || *cursor == "" {
		return nil, nil
	}
	id, err := customer.DecodeCursor(*cursor)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// timeKey is the position of a record in a list ordered newest first: by
// a time, then by ID, both descending.
type timeKey struct {
	at time.Time
	id uuid.UUID
}

// encodeTimeCursor makes the cursor that continues after k: its time in
// Unix nanoseconds and its ID, base64url-encoded.
func encodeTimeCursor(k timeKey) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(k.at.UnixNano()))
	copy(b[8:], k.id[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// decodeTimeCursor reads a cursor made by encodeTimeCursor (nil for the
// first page).
func decodeTimeCursor(cursor *string) (*timeKey, error) {
	if cursor == nil || *cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*cursor)
	if err != nil || len(b) != 24 {
		return nil, apperr.Invalid("the cursor is malformed", apperr.FieldError{Field: "cursor", Code: "format", Message: "not a cursor of this list"})
	}
	k := &timeKey{at: time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))).UTC()}
	copy(k.id[:], b[8:])
	return k, nil
}

// baseVersion reads If-Match as the version a change is based on; 0 (no
// check) when absent. An ETag that no record can have fails at once.
func baseVersion(ifMatch *string) (int64, error) {
	v, err := customer.ParseIfMatch(ifMatch)
	switch {
	case err != nil:
		return 0, err
	case v == nil:
		return 0, nil
	case *v < 1:
		return 0, apperr.PreconditionFailed(fmt.Sprintf("If-Match %s matches no version: reload the record and retry", *ifMatch))
	}
	return *v, nil
}

// denied turns a refusal of the access rules that reached a handler into
// a 403: the caller passed the contract's security but the rules do not
// let this kind of caller write the collection.
func denied(err error) error {
	if err != nil && errors.Is(err, privacy.Deny) {
		if _, ok := apperr.As(err); !ok {
			return apperr.Wrap(apperr.KindForbidden, "the access rules do not allow this caller to do that", err)
		}
	}
	return err
}
