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

// Checksum returns the checksums of the caller's scope at cursor, which
// must be the cursor of a completed pull (has_more false). The checksums
// are of the current state, so the cursor must be current: when a change
// in the caller's scope committed after it, the answer is apperr.Conflict
// (pull, then ask again), never checksums of a state the client does not
// hold.
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
	if err := e.unchangedSince(ctx, s, cur, top); err != nil {
		return nil, err
	}
	sums, err := e.checksums(s)
	if err != nil {
		return nil, err
	}
	// A change committed while the sums were read makes them of a state
	// between two cursors: look again.
	top2, err := e.maxSeq(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.unchangedSince(ctx, s, cur, top2); err != nil {
		return nil, err
	}
	return &ChecksumReport{Cursor: raw, Collections: sums}, nil
}

// unchangedSince reports apperr.Conflict when a pull from cur up to top
// would return a change.
func (e *Engine) unchangedSince(ctx context.Context, s *scope, cur cursor, top int64) error {
	if cur.w >= top {
		return nil
	}
	probe := cur
	probe.phase, probe.target, probe.pos = phaseIncremental, top, cur.w
	if err := e.loadEvents(s, cur.w); err != nil {
		return err
	}
	b := newBuilder(1, e.opts.PageBytes)
	if _, err := e.incremental(ctx, e.newSession(s), &probe, b); err != nil {
		return err
	}
	if b.live > 0 {
		return apperr.Conflict("the caller's scope changed after the cursor: pull, then ask for the checksums of the new cursor")
	}
	return nil
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
