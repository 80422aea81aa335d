package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/task"
	custsvc "github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/syncer"
)

// collectionTypes are the event types each change-log collection can
// produce.
var collectionTypes = map[string][]string{
	store.Customers:    {CustomerCreated, CustomerUpdated, CustomerDeleted},
	store.Policies:     {PolicyUpdated},
	store.Interactions: {InteractionCreated},
	store.Complaints:   {ComplaintCreated, ComplaintUpdated},
	store.Claims:       {ClaimUpdated},
	store.Tasks:        {TaskCompleted},
}

// changeEvents derives the events that subscriptions want from change-log
// entries, in log order. A record's data is the snapshot its writing
// transaction captured of that version (snapshot.go), else its state now;
// an entry without a snapshot whose record is gone since produces nothing
// but its delete.
func (s *Service) changeEvents(ctx context.Context, c *ent.Client, entries []*ent.ChangeLog, wanted map[string]bool) ([]Event, error) {
	ids := map[string][]uuid.UUID{}
	for _, e := range entries {
		if e.Op == changelog.OpUpsert && slices.ContainsFunc(collectionTypes[e.Collection], func(t string) bool { return wanted[t] }) {
			ids[e.Collection] = append(ids[e.Collection], e.RecordID)
		}
	}
	recs, err := s.load(ctx, c, ids)
	if err != nil {
		return nil, err
	}
	snaps, err := snapshots(ctx, c, entries)
	if err != nil {
		return nil, err
	}
	var out []Event
	for _, e := range entries {
		typ := ""
		rec, found := recs[e.RecordID]
		snap, captured := snaps[snapKey{e.RecordID, e.Version}]
		switch e.Collection {
		case store.Customers:
			switch {
			case e.Op == changelog.OpDelete:
				typ = CustomerDeleted
			case e.Version == 1:
				typ = CustomerCreated
			default:
				typ = CustomerUpdated
			}
		case store.Policies:
			if e.Op == changelog.OpUpsert {
				typ = PolicyUpdated
			}
		case store.Interactions:
			if e.Op == changelog.OpUpsert && e.Version == 1 {
				typ = InteractionCreated
			}
		case store.Complaints:
			switch {
			case e.Op == changelog.OpDelete:
			case e.Version == 1:
				typ = ComplaintCreated
			default:
				typ = ComplaintUpdated
			}
		case store.Claims:
			if e.Op == changelog.OpUpsert {
				typ = ClaimUpdated
			}
		case store.Tasks:
			// A task's snapshot is captured only when the change completed it.
			if t, ok := rec.(*ent.Task); e.Op == changelog.OpUpsert && (captured || ok && completedAt(t, e.Version)) {
				typ = TaskCompleted
			}
		}
		if typ == "" || !wanted[typ] {
			continue
		}
		ev := Event{ID: eventID(fmt.Sprintf("changelog/%d/%s", e.ID, typ)), Type: typ,
			CreatedAt: stamp(e.CommittedAt), SubjectID: e.RecordID}
		if e.Op == changelog.OpDelete {
			ev.Data = []byte(fmt.Sprintf(`{"id":%q,"version":%d}`, e.RecordID, e.Version))
			out = append(out, ev)
			continue
		}
		switch {
		case captured:
			ev.Data = snap
		case found:
			if ev.Data, err = s.eventData(rec, e.CommittedAt); err != nil {
				return nil, fmt.Errorf("render %s %s: %w", e.Collection, e.RecordID, err)
			}
		default:
			continue
		}
		out = append(out, ev)
	}
	return out, nil
}

// eventData renders a record as an event's data: its REST JSON as of at,
// a customer's identifiers masked.
func (s *Service) eventData(rec any, at time.Time) (json.RawMessage, error) {
	r := record(rec, at)
	if cu, ok := rec.(*ent.Customer); ok {
		var err error
		if r.Personal, err = s.masked(cu); err != nil {
			return nil, err
		}
	}
	return s.render(r)
}

// completedAt reports whether the change to version v of t is the one
// that set it done: its status last changed at v (field versions), or it
// was created done.
func completedAt(t *ent.Task, v int64) bool {
	if t.Status != task.StatusDone {
		return false
	}
	if fv, ok := t.FieldVersions["status"]; ok {
		return fv == v
	}
	return v == 1
}

// record wraps an entity for the renderer.
func record(e any, now time.Time) syncer.Record {
	return syncer.Record{Entity: e, Now: now}
}

// load reads the records of the entries, by collection.
func (s *Service) load(ctx context.Context, c *ent.Client, ids map[string][]uuid.UUID) (map[uuid.UUID]any, error) {
	out := map[uuid.UUID]any{}
	for coll, all := range ids {
		for part := range slices.Chunk(all, 500) {
			var err error
			switch coll {
			case store.Customers:
				err = put(out, q(c.Customer.Query().Where(customer.IDIn(part...)).All, ctx))
			case store.Policies:
				err = put(out, q(c.InsurancePolicy.Query().Where(insurancepolicy.IDIn(part...)).All, ctx))
			case store.Interactions:
				err = put(out, q(c.Interaction.Query().Where(interaction.IDIn(part...)).All, ctx))
			case store.Complaints:
				err = put(out, q(c.Complaint.Query().Where(complaint.IDIn(part...)).All, ctx))
			case store.Claims:
				err = put(out, q(c.Claim.Query().Where(claim.IDIn(part...)).All, ctx))
			case store.Tasks:
				err = put(out, q(c.Task.Query().Where(task.IDIn(part...)).All, ctx))
			}
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", coll, err)
			}
		}
	}
	return out, nil
}

// result is a query's answer.
type result[T any] struct {
	rows []T
	err  error
}

func q[T any](all func(context.Context) ([]T, error), ctx context.Context) result[T] {
	rows, err := all(ctx)
	return result[T]{rows, err}
}

func put[T any](out map[uuid.UUID]any, r result[T]) error {
	if r.err != nil {
		return r.err
	}
	for _, r := range r.rows {
		out[idOf(any(r))] = r
	}
	return nil
}

func idOf(r any) uuid.UUID {
	switch e := r.(type) {
	case *ent.Customer:
		return e.ID
	case *ent.InsurancePolicy:
		return e.ID
	case *ent.Interaction:
		return e.ID
	case *ent.Complaint:
		return e.ID
	case *ent.Claim:
		return e.ID
	case *ent.Task:
		return e.ID
	}
	return uuid.Nil
}

// masked returns a customer's identifiers masked and no health notes:
// events leave the company, so they carry no more than a list view.
func (s *Service) masked(c *ent.Customer) (custsvc.Personal, error) {
	var p custsvc.Personal
	if c.ErasedAt != nil {
		return p, nil
	}
	phone, err := s.pii.Decrypt(custsvc.FieldPhone, c.PhoneEnc)
	if err != nil {
		return p, fmt.Errorf("decrypt phone of %s: %w", c.ID, err)
	}
	idn, err := s.pii.Decrypt(custsvc.FieldIDNumber, c.IDNumberEnc)
	if err != nil {
		return p, fmt.Errorf("decrypt id number of %s: %w", c.ID, err)
	}
	if phone != "" {
		m := pii.MaskPhone(phone)
		p.Phone = &m
	}
	if idn != "" {
		m := pii.MaskIDNumber(idn)
		p.IDNumber = &m
	}
	return p, nil
}
