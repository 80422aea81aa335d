package syncer

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/internal/store"
)

// runUnit continues the unit of the cursor; it reports whether the unit
// is complete. A unit resumes on the next page where the page ended: the
// cursor keeps the collection and the last record of the unit.
func (e *Engine) runUnit(ctx context.Context, ss *session, cur *cursor, b *builder) (bool, error) {
	u := &cur.unit
	switch u.kind {
	case unitBackfillCustomer:
		return e.backfill(ss, filter{customer: &u.subject}, []uuid.UUID{u.subject}, u, b)
	case unitBackfillAgent:
		set, err := e.agentSet(ss.s, u.subject, cur.pos, false)
		if err != nil || len(set) == 0 {
			return err == nil, err
		}
		return e.backfill(ss, filter{customers: set}, set, u, b)
	case unitDropCustomer:
		return e.drop(ss, []uuid.UUID{u.subject}, ReasonOutOfScope, false, u, b)
	case unitDropDeleted:
		return e.drop(ss, []uuid.UUID{u.subject}, ReasonDeleted, false, u, b)
	case unitDropAgent:
		set, err := e.agentSet(ss.s, u.subject, cur.pos, true)
		if err != nil {
			return false, err
		}
		return e.drop(ss, set, ReasonOutOfScope, false, u, b)
	}
	return true, nil
}

// backfill sends every current record of the customers that f selects
// (custs) and that the caller may see, collection by collection
// (backfillOrder), up to the highest id each table had when its part
// began (records inserted later are changes after the pull's watermark
// and come with the next pull); then the tombstones of their records. A
// customer may re-enter the scope while the client still holds records
// of it that were deleted meanwhile, their tombstones skipped while the
// customer was out: the tombstones make the customer complete and exact.
func (e *Engine) backfill(ss *session, f filter, custs []uuid.UUID, u *unit, b *builder) (bool, error) {
	for u.coll < len(backfillOrder) {
		coll := backfillOrder[u.coll]
		src := sources[coll]
		if u.last == uuid.Nil && u.upper == uuid.Nil {
			upper, err := src.maxID(ss.s.sys, e.db.Client)
			if err != nil {
				return false, fmt.Errorf("backfill %s: %w", coll, err)
			}
			if upper == uuid.Nil {
				u.coll++
				continue
			}
			u.upper = upper
		}
		f.upper = u.upper
		for {
			if b.full() {
				return false, nil
			}
			n := min(b.room(), snapBatch)
			recs, err := src.page(ss.s.vctx, e.db.Client, f, u.last, n)
			if err != nil {
				return false, fmt.Errorf("backfill %s: %w", coll, err)
			}
			ls, err := ss.load(ss.s.vctx, coll, recs)
			if err != nil {
				return false, err
			}
			for _, l := range ls {
				id, version, _ := recordMeta(l.rec)
				data, err := ss.render(l)
				if err != nil {
					return false, err
				}
				if data != nil {
					b.enter(coll, id, version, data)
				}
				u.last = id
				if b.full() {
					return false, nil
				}
			}
			if len(recs) < n {
				break
			}
		}
		u.coll++
		u.last, u.upper = uuid.Nil, uuid.Nil
	}
	// The tombstones, only of customers the caller may see now.
	in, err := e.inBook(ss.s, custs)
	if err != nil {
		return false, err
	}
	visible := custs[:0:0]
	for _, c := range custs {
		if in[c] {
			visible = append(visible, c)
		}
	}
	return e.drop(ss, visible, ReasonDeleted, true, u, b)
}

// unitColls lists unitCollections for queries.
var unitColls = func() []string {
	out := make([]string, 0, len(unitCollections))
	for c := range unitCollections {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}()

// drop deletes, for the caller, every record the log knows under the
// customers of set: the customers themselves and their records, whose
// latest entry still names one of them (a record moved to another
// customer is not deleted), tombstones included; or, with onlyDeleted,
// only the records whose latest entry is a tombstone. Records go in id
// order.
func (e *Engine) drop(ss *session, set []uuid.UUID, reason string, onlyDeleted bool, u *unit, b *builder) (bool, error) {
	if len(set) == 0 {
		return true, nil
	}
	inSet := make(map[uuid.UUID]bool, len(set))
	for _, id := range set {
		inSet[id] = true
	}
	for {
		if b.full() {
			return false, nil
		}
		n := min(b.room(), snapBatch)
		var cands []struct {
			RecordID uuid.UUID `json:"record_id"`
		}
		q := e.db.Client.ChangeLog.Query().
			Where(changelog.CustomerIDIn(set...), changelog.CollectionIn(unitColls...), changelog.RecordIDGT(u.last))
		if onlyDeleted {
			q.Where(changelog.OpEQ(changelog.OpDelete))
		}
		err := q.Unique(true).Order(ent.Asc(changelog.FieldRecordID)).Limit(n).
			Select(changelog.FieldRecordID).Scan(ss.s.sys, &cands)
		if err != nil {
			return false, fmt.Errorf("list the records of dropped customers: %w", err)
		}
		if len(cands) == 0 {
			return true, nil
		}
		ids := make([]uuid.UUID, len(cands))
		for i, c := range cands {
			ids[i] = c.RecordID
		}
		latest, err := e.latestEntries(ss.s.sys, ids)
		if err != nil {
			return false, err
		}
		for _, id := range ids {
			l := latest[id]
			if l != nil && l.CustomerID != nil && inSet[*l.CustomerID] && unitCollections[l.Collection] &&
				(!onlyDeleted || l.Op == changelog.OpDelete) {
				b.remove(l.Collection, id, l.Version, reason)
			}
			u.last = id
			if b.full() {
				return false, nil
			}
		}
		if len(cands) < n {
			return true, nil
		}
	}
}

// latestEntries returns the latest log entry of each record.
func (e *Engine) latestEntries(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*ent.ChangeLog, error) {
	rows, err := e.db.Client.ChangeLog.Query().Where(changelog.RecordIDIn(ids...)).
		Order(ent.Asc(changelog.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the latest entries of records: %w", err)
	}
	out := make(map[uuid.UUID]*ent.ChangeLog, len(ids))
	for _, r := range rows {
		out[r.RecordID] = r
	}
	return out, nil
}

// agentSet is the customers that a team lead may hold (or may lack)
// through an agent who joined or left the team at seq: the agent's
// customers now, and those moved away from the agent since (and, for a
// drop, deleted since); for a drop, only those not in the lead's book now.
// A customer that the agent held at seq and that moved to another member
// of the team since stays in the book without a backfill of its own, so
// it belongs to the agent's backfill.
func (e *Engine) agentSet(s *scope, agentID uuid.UUID, seq int64, drop bool) ([]uuid.UUID, error) {
	now, err := e.db.Client.Customer.Query().Where(customer.AgentID(agentID)).IDs(s.sys)
	if err != nil {
		return nil, fmt.Errorf("list the customers of agent %s: %w", agentID, err)
	}
	since := changelog.PrevAgentID(agentID)
	if drop {
		since = changelog.Or(since, changelog.And(changelog.OpEQ(changelog.OpDelete), changelog.AgentID(agentID)))
	}
	var moved []struct {
		RecordID uuid.UUID `json:"record_id"`
	}
	err = e.db.Client.ChangeLog.Query().
		Where(changelog.CollectionEQ(store.Customers), changelog.IDGT(seq), since).
		Unique(true).Select(changelog.FieldRecordID).Scan(s.sys, &moved)
	if err != nil {
		return nil, fmt.Errorf("list the customers moved from agent %s: %w", agentID, err)
	}
	all := now
	for _, m := range moved {
		all = append(all, m.RecordID)
	}
	slices.SortFunc(all, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	all = slices.Compact(all)
	if !drop {
		return all, nil
	}
	in, err := e.inBook(s, all)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, id := range all {
		if !in[id] {
			out = append(out, id)
		}
	}
	return out, nil
}
