// Package quality records the events that the service-quality clocks of
// the standard need, and runs their workflows: the consultation ledger
// (咨询台账), complaints, claim assistance and NPS answers, with a
// working-day calendar for the clocks counted in working days.
//
// Every function that serves a caller takes the caller's ctx, so the
// access rules (ent privacy) decide what the caller may read and write;
// the writes of synced records go through store.DB.WithTx. Errors that the
// caller caused are apperr kinds whose field names are the JSON fields of
// openapi.yaml ("/channel", "/received_at", …).
package quality

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
)

// MaxClockSkew is how far in the future an event time sent by a client may
// lie: phones' clocks drift.
const MaxClockSkew = 5 * time.Minute

// Service runs the service-quality workflows on a database.
type Service struct {
	db    *store.DB
	cal   *Calendar
	clock clock.Clock
}

// NewService returns a Service. cal supplies working days for the
// complaint clocks; clk tells the time of transitions and defaults.
func NewService(db *store.DB, cal *Calendar, clk clock.Clock) *Service {
	if clk == nil {
		clk = clock.System{}
	}
	return &Service{db: db, cal: cal, clock: clk}
}

// Calendar returns the service's working-day calendar.
func (s *Service) Calendar() *Calendar { return s.cal }

// problems collects the field problems of one input.
type problems []apperr.FieldError

func (p *problems) add(field, code, msg string) {
	*p = append(*p, apperr.FieldError{Field: field, Code: code, Message: msg})
}

// maxLen checks a text field's length in characters, as JSON Schema's
// maxLength counts them.
func (p *problems) maxLen(field, v string, n int) {
	if utf8.RuneCountInString(v) > n {
		p.add(field, "maxLength", fmt.Sprintf("must be at most %d characters", n))
	}
}

// notFuture checks that an event time sent by a client is not later than
// now plus MaxClockSkew.
func (p *problems) notFuture(field string, t *time.Time, now time.Time) {
	if t != nil && t.After(now.Add(MaxClockSkew)) {
		p.add(field, "future", "must not be in the future")
	}
}

func (p problems) err(detail string) error {
	if len(p) == 0 {
		return nil
	}
	return apperr.Invalid(detail, p...)
}

// eventTime returns *t in UTC, or now when t is nil.
func eventTime(t *time.Time, now time.Time) time.Time {
	if t == nil {
		return now.UTC()
	}
	return t.UTC()
}

// viewerAgent returns the calling agent's ID, if the caller is an agent.
func viewerAgent(ctx context.Context) *uuid.UUID {
	if v, ok := auth.ViewerFrom(ctx); ok && v.Kind == auth.KindAgent && v.AgentID != uuid.Nil {
		id := v.AgentID
		return &id
	}
	return nil
}

// loadCustomer reads a customer through the caller's ctx; a missing (or
// invisible) customer is reported by notFound.
func loadCustomer(ctx context.Context, tx *ent.Tx, id uuid.UUID, notFound func() error) (*ent.Customer, error) {
	c, err := tx.Customer.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, notFound()
	}
	if err != nil {
		return nil, fmt.Errorf("load customer %s: %w", id, err)
	}
	return c, nil
}

// checkPolicy reports a policy that does not exist or is another customer's.
func checkPolicy(ctx context.Context, tx *ent.Tx, p *problems, policyID *uuid.UUID, customerID uuid.UUID) error {
	if policyID == nil {
		return nil
	}
	pol, err := tx.InsurancePolicy.Get(ctx, *policyID)
	switch {
	case ent.IsNotFound(err):
		p.add("/policy_id", "not_found", "no such policy")
	case err != nil:
		return fmt.Errorf("load policy %s: %w", *policyID, err)
	case pol.CustomerID != customerID:
		p.add("/policy_id", "customer_mismatch", "is a policy of another customer")
	}
	return nil
}

// createErr translates the storage error of a create with a client-chosen
// ID.
func createErr(what string, id uuid.UUID, err error) error {
	if ent.IsConstraintError(err) {
		return apperr.Wrap(apperr.KindConflict, fmt.Sprintf("%s %s already exists", what, id), err)
	}
	return fmt.Errorf("create %s: %w", what, err)
}

// versionErr reports a write based on a stale version.
func versionErr(what string, id uuid.UUID, base, current int64) error {
	return apperr.PreconditionFailed(fmt.Sprintf("%s %s is at version %d, not %d: reload it and retry", what, id, current, base))
}
