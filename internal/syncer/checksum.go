package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Checksum is the checksum of one collection: the number of records and
// the sum modulo 2^64 of RecordChecksum over them.
type Checksum struct {
	Count int64
	Sum   uint64
}

// Add counts a record.
func (c *Checksum) Add(id uuid.UUID, version int64) {
	c.Count++
	c.Sum += RecordChecksum(id, version)
}

// ChecksumReport holds the checksums of every collection of the
// caller's scope at Cursor.
type ChecksumReport struct {
	Cursor      string
	Collections map[string]Checksum
}

// RecordChecksum is a record's term of the checksum: the first 8 bytes,
// big-endian, of SHA-256 over "<id>:<version>" (the id in its canonical
// lowercase form), as DESIGN.md defines it for clients to compute.
func RecordChecksum(id uuid.UUID, version int64) uint64 {
	h := sha256.Sum256([]byte(id.String() + ":" + strconv.FormatInt(version, 10)))
	return binary.BigEndian.Uint64(h[:8])
}

// Checksum returns the checksums of the caller's scope as it is now, for
// a client at cursor, which must be the cursor of a completed pull
// (has_more false). When nothing in the caller's scope changed after
// the cursor, the report's cursor is that cursor: the client compares
// its own checksums. Otherwise the report's cursor is a pull in progress
// from the client's cursor to the state the checksums describe: the
// client pulls from it until has_more is false and then compares (a
// cursor that skips nothing, unlike one at the current watermark would).
func (e *Engine) Checksum(ctx context.Context, raw string) (*ChecksumReport, error) {
	s, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	m, err := e.meta(ctx)
	if err != nil {
		return nil, err
	}
	top, err := e.maxSeq(ctx)
	if err != nil {
		return nil, err
	}
	cur, err := e.checkCursor(s, raw, m, top)
	if err != nil {
		return nil, err
	}
	if cur.phase != phaseIdle {
		return nil, apperr.Invalid("the cursor is of a pull in progress; pull until has_more is false",
			apperr.FieldError{Field: "cursor", Code: "in_progress", Message: "not the cursor of a completed pull"})
	}
	behind, err := e.changedBetween(ctx, s, cur.w, top)
	if err != nil {
		return nil, err
	}
	const attempts = 3
	for range attempts {
		sums, err := e.checksums(s)
		if err != nil {
			return nil, err
		}
		// A change committed in the scope while the sums were read makes
		// them of no one cursor: read them again.
		now, err := e.maxSeq(ctx)
		if err != nil {
			return nil, err
		}
		moved, err := e.changedBetween(ctx, s, top, now)
		if err != nil {
			return nil, err
		}
		if !moved {
			rep := &ChecksumReport{Cursor: raw, Collections: sums}
			if behind {
				to := cur
				to.phase, to.target, to.pos = phaseIncremental, top, cur.w
				rep.Cursor = encodeCursor(e.key, to)
			}
			return rep, nil
		}
		top, behind = now, true
	}
	return nil, apperr.Unavailable("the caller's scope changes too fast to take its checksums; retry")
}

// changedBetween reports whether a pull from watermark from up to to
// would return a change in the caller's scope.
func (e *Engine) changedBetween(ctx context.Context, s *scope, from, to int64) (bool, error) {
	if from >= to {
		return false, nil
	}
	if err := e.loadEvents(s, from); err != nil {
		return false, err
	}
	probe := cursor{phase: phaseIncremental, w: from, target: to, pos: from}
	b := newBuilder(1, e.opts.PageBytes)
	if _, err := e.incremental(ctx, e.newSession(s), &probe, b); err != nil {
		return false, err
	}
	return b.live > 0, nil
}

// checksums computes the checksum of every collection of the scope.
func (e *Engine) checksums(s *scope) (map[string]Checksum, error) {
	type row struct {
		ID      uuid.UUID `json:"id"`
		Version int64     `json:"version"`
	}
	c := e.db.Client
	ctx := s.vctx
	out := make(map[string]Checksum, len(Collections))
	for _, coll := range Collections {
		var rows []row
		var err error
		switch coll {
		case store.Customers:
			err = c.Customer.Query().Select("id", "version").Scan(ctx, &rows)
		case store.Portraits:
			err = c.Portrait.Query().Select("id", "version").Scan(ctx, &rows)
		case store.Policies:
			err = c.InsurancePolicy.Query().Select("id", "version").Scan(ctx, &rows)
		case store.Interactions:
			err = c.Interaction.Query().Select("id", "version").Scan(ctx, &rows)
		case store.Tasks:
			err = c.Task.Query().Select("id", "version").Scan(ctx, &rows)
		case store.ServicePlans:
			err = c.ServicePlan.Query().Select("id", "version").Scan(ctx, &rows)
		case store.Complaints:
			err = c.Complaint.Query().Select("id", "version").Scan(ctx, &rows)
		case store.ToolkitItems:
			err = c.ToolkitItem.Query().Where(toolkititem.StatusEQ(toolkititem.StatusPublished)).Select("id", "version").Scan(ctx, &rows)
		case store.Notifications:
			err = c.Notification.Query().Select("id", "version").Scan(ctx, &rows)
		}
		if err != nil {
			return nil, fmt.Errorf("checksum %s: %w", coll, err)
		}
		var sum Checksum
		for _, r := range rows {
			sum.Add(r.ID, r.Version)
		}
		out[coll] = sum
	}
	return out, nil
}
