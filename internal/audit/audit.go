// Package audit writes the audit trail: every read of unmasked personal
// data and every privileged action, with who, what, when and through
// which endpoint.
package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/auditentry"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/obs"
)

// Recorder appends audit entries.
type Recorder struct {
	client *ent.Client
	clock  clock.Clock
}

// New returns a Recorder writing through client.
func New(client *ent.Client, clk clock.Clock) *Recorder { return &Recorder{client: client, clock: clk} }

// Entry is one audited event.
type Entry struct {
	Action      string   // e.g. "pii.read", "customer.erase"
	SubjectType string   // e.g. "customer"
	SubjectID   string   // the record
	Fields      []string // the personal-data fields revealed or changed
	Reason      string   // the endpoint or job, e.g. "GET /v1/customers/{id}"
}

// Record writes e for the viewer on ctx. It runs as the system: callers
// cannot write the trail themselves. Pass the transaction's client via
// RecordTx when the event belongs to a transaction.
func (r *Recorder) Record(ctx context.Context, e Entry) error {
	return record(ctx, r.client, r.clock, e)
}

// RecordTx writes e inside tx.
func (r *Recorder) RecordTx(ctx context.Context, tx *ent.Tx, e Entry) error {
	return record(ctx, tx.Client(), r.clock, e)
}

func record(ctx context.Context, c *ent.Client, clk clock.Clock, e Entry) error {
	kind, actor := auditentry.ActorKindSystem, "system"
	if v, ok := auth.ViewerFrom(ctx); ok {
		switch v.Kind {
		case auth.KindAgent:
			kind, actor = auditentry.ActorKindAgent, v.AgentID.String()
		case auth.KindIntegrator:
			kind, actor = auditentry.ActorKindIntegrator, v.ClientPK.String()
		}
	}
	err := c.AuditEntry.Create().SetAt(clk.Now()).SetActorKind(kind).SetActorID(actor).
		SetAction(e.Action).SetSubjectType(e.SubjectType).SetSubjectID(e.SubjectID).SetFields(e.Fields).
		SetReason(e.Reason).SetRequestID(obs.RequestID(ctx)).Exec(auth.SystemContext(ctx))
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Filter narrows List.
type Filter struct {
	ActorID, SubjectID string
	From, To           *time.Time
	Before             *uuid.UUID // the cursor: entries older than this one
	Limit              int
}

// List returns audit entries, newest first, for admins.
func (r *Recorder) List(ctx context.Context, f Filter) ([]*ent.AuditEntry, error) {
	v, ok := auth.ViewerFrom(ctx)
	if !ok || !v.IsAdmin() {
		return nil, apperr.Forbidden("the audit trail is for admins")
	}
	q := r.client.AuditEntry.Query()
	if f.ActorID != "" {
		q.Where(auditentry.ActorID(f.ActorID))
	}
	if f.SubjectID != "" {
		q.Where(auditentry.SubjectID(f.SubjectID))
	}
	if f.From != nil {
		q.Where(auditentry.AtGTE(*f.From))
	}
	if f.To != nil {
		q.Where(auditentry.AtLT(*f.To))
	}
	if f.Before != nil {
		q.Where(auditentry.IDLT(*f.Before))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := q.Order(ent.Desc(auditentry.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return rows, nil
}
