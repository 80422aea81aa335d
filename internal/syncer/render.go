package syncer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/internal/audit"
	custsvc "github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
)

// loaded is a record with what its rendering embeds.
type loaded struct {
	coll string
	rec  any
	// portraits: the customer; service plans: the steps.
	cust  *ent.Customer
	steps []*ent.PlanStep
}

// session renders the records of one response and counts the personal
// data it reveals, for one audit entry per response.
type session struct {
	e        *Engine
	s        *scope
	now      time.Time
	fields   map[string]bool
	subjects int
	// native renders in the native pull's shape (Record.Native).
	native bool
}

func (e *Engine) newSession(s *scope) *session {
	return &session{e: e, s: s, now: e.clock.Now(), fields: map[string]bool{}}
}

// load attaches to records of coll what their rendering embeds, reading
// through the caller's context.
func (ss *session) load(ctx context.Context, coll string, recs []any) ([]*loaded, error) {
	out := make([]*loaded, len(recs))
	for i, r := range recs {
		out[i] = &loaded{coll: coll, rec: r}
	}
	switch coll {
	case store.Portraits:
		ids := make([]uuid.UUID, 0, len(recs))
		for _, r := range recs {
			ids = append(ids, r.(*ent.Portrait).CustomerID)
		}
		q := ss.e.db.Client.Customer.Query().Where(customer.IDIn(ids...))
		if ss.native {
			q.Select(customer.FieldID) // only whether the caller still sees the customer
		}
		custs, err := q.All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load the customers of portraits: %w", err)
		}
		byID := make(map[uuid.UUID]*ent.Customer, len(custs))
		for _, c := range custs {
			byID[c.ID] = c
		}
		for _, l := range out {
			l.cust = byID[l.rec.(*ent.Portrait).CustomerID]
		}
	case store.ServicePlans:
		ids := make([]uuid.UUID, 0, len(recs))
		for _, r := range recs {
			ids = append(ids, r.(*ent.ServicePlan).ID)
		}
		steps, err := ss.e.db.Client.PlanStep.Query().Where(planstep.PlanIDIn(ids...)).
			Order(ent.Asc(planstep.FieldPosition), ent.Asc(planstep.FieldID)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load plan steps: %w", err)
		}
		byPlan := map[uuid.UUID][]*ent.PlanStep{}
		for _, st := range steps {
			byPlan[st.PlanID] = append(byPlan[st.PlanID], st)
		}
		for _, l := range out {
			l.steps = byPlan[l.rec.(*ent.ServicePlan).ID]
		}
	}
	return out, nil
}

// render renders one loaded record. A portrait whose customer the caller
// cannot see (it left the scope meanwhile) renders as nil: skip it.
func (ss *session) render(l *loaded) ([]byte, error) {
	r := Record{Collection: l.coll, Entity: l.rec, Now: ss.now, Native: ss.native}
	switch rec := l.rec.(type) {
	case *ent.Customer:
		p, err := ss.reveal(rec)
		if err != nil {
			return nil, err
		}
		r.Personal = p
	case *ent.Portrait:
		if l.cust == nil {
			return nil, nil
		}
		if ss.native {
			break
		}
		p, err := ss.e.masked(l.cust)
		if err != nil {
			return nil, err
		}
		r.Customer, r.CustomerPersonal = l.cust, p
	case *ent.ServicePlan:
		r.Steps = l.steps
	}
	b, err := ss.e.render(r)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", l.coll, err)
	}
	return b, nil
}

// reveal decrypts a customer's personal data for the phone of the book:
// the agent calls the customer and serves them offline, so the phone and
// the health notes travel in full; the ID number only to admins (masked,
// last 4, for everyone else). Every full value counts towards the
// response's audit entry.
func (ss *session) reveal(c *ent.Customer) (custsvc.Personal, error) {
	var p custsvc.Personal
	if c.ErasedAt != nil {
		return p, nil
	}
	phone, err := ss.e.pii.Decrypt(custsvc.FieldPhone, c.PhoneEnc)
	if err != nil {
		return p, fmt.Errorf("decrypt phone of %s: %w", c.ID, err)
	}
	idn, err := ss.e.pii.Decrypt(custsvc.FieldIDNumber, c.IDNumberEnc)
	if err != nil {
		return p, fmt.Errorf("decrypt id number of %s: %w", c.ID, err)
	}
	notes, err := ss.e.pii.Decrypt(custsvc.FieldHealthNotes, c.HealthNotesEnc)
	if err != nil {
		return p, fmt.Errorf("decrypt health notes of %s: %w", c.ID, err)
	}
	revealed := false
	if phone != "" {
		p.Phone = &phone
		ss.fields[custsvc.FieldPhone], revealed = true, true
	}
	if idn != "" {
		m := pii.MaskIDNumber(idn)
		if ss.s.admin {
			m = idn
			ss.fields[custsvc.FieldIDNumber], revealed = true, true
		}
		p.IDNumber = &m
	}
	if notes != "" {
		p.HealthNotes = &notes
		ss.fields[custsvc.FieldHealthNotes], revealed = true, true
	}
	if revealed {
		ss.subjects++
	}
	return p, nil
}

// masked returns a customer's identifiers masked and no health notes, as
// embedded in other records (the customers collection carries the rest).
func (e *Engine) masked(c *ent.Customer) (custsvc.Personal, error) {
	var p custsvc.Personal
	if c.ErasedAt != nil {
		return p, nil
	}
	phone, err := e.pii.Decrypt(custsvc.FieldPhone, c.PhoneEnc)
	if err != nil {
		return p, fmt.Errorf("decrypt phone of %s: %w", c.ID, err)
	}
	idn, err := e.pii.Decrypt(custsvc.FieldIDNumber, c.IDNumberEnc)
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

// audit writes the response's one audit entry, when it revealed personal
// data: the fields and how many customers, not one entry per record.
func (ss *session) audit(ctx context.Context, action string) error {
	if ss.subjects == 0 || ss.e.audit == nil {
		return nil
	}
	fields := make([]string, 0, len(ss.fields))
	for f := range ss.fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	err := ss.e.audit.Record(ctx, audit.Entry{Action: "pii.read", SubjectType: "sync", SubjectID: ss.s.agent.ID.String(),
		Fields: fields, Reason: action + ": " + strconv.Itoa(ss.subjects) + " customers"})
	ss.subjects = 0
	clear(ss.fields)
	return err
}

// sessionMark is what a session had revealed at a point of its response.
type sessionMark struct {
	fields   map[string]bool
	subjects int
}

func (ss *session) mark() sessionMark {
	return sessionMark{fields: maps.Clone(ss.fields), subjects: ss.subjects}
}

// reset forgets what the session revealed since m: work rolled back and
// done again, whose first results no one receives.
func (ss *session) reset(m sessionMark) {
	ss.fields, ss.subjects = maps.Clone(m.fields), m.subjects
}

// loadByIDs reads records of coll by id through the caller's context and
// returns them by id.
func (ss *session) loadByIDs(ctx context.Context, coll string, ids []uuid.UUID) (map[uuid.UUID]*loaded, error) {
	out := map[uuid.UUID]*loaded{}
	src, ok := sources[coll]
	if !ok || len(ids) == 0 {
		return out, nil
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	ids = slices.Compact(ids)
	const batch = 500
	for start := 0; start < len(ids); start += batch {
		recs, err := src.byIDs(ctx, ss.e.db.Client, ids[start:min(start+batch, len(ids))])
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", coll, err)
		}
		ls, err := ss.load(ctx, coll, recs)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			id, _, _ := recordMeta(l.rec)
			out[id] = l
		}
	}
	return out, nil
}
