package syncer

import (
	"context"
	"errors"
	"fmt"

	"github.com/agentdesk/agentdesk/internal/apperr"
)

// PullRequest is a pull.
type PullRequest struct {
	// Cursor is the cursor of the previous page; "" for a first sync.
	Cursor string
	// Limit bounds the page's changes; DefaultLimit when 0.
	Limit int
	// SchemaVersion is the client's schema version; SchemaVersion when nil.
	SchemaVersion *int
	// Columns says the client takes the page by column (format=columns):
	// a first sync's pages may then hold SnapshotColumnsPageBytes.
	Columns bool
}

// Pull returns the next page of changes in the caller's scope (the
// viewer on ctx). Without a cursor it starts a snapshot of the scope at
// the current watermark; with one it continues a snapshot, or returns the
// changes committed after the cursor's watermark, pinned to the
// watermark of the pull's first page until has_more is false.
//
// A forged, corrupted or another agent's cursor is apperr.Invalid; a
// cursor that cannot be served (another era, scope epoch or schema
// version, older than the retention floor, or newer than the log) is
// apperr.Gone with code "sync-reset-required"; an unsupported schema
// version is apperr.UpgradeRequired.
func (e *Engine) Pull(ctx context.Context, req PullRequest) (*Page, error) {
	limit := req.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxPullLimit:
		return nil, apperr.Invalid("limit is out of range", apperr.FieldError{Field: "limit", Code: "out_of_range",
			Message: fmt.Sprintf("must be between 1 and %d", MaxPullLimit)})
	}
	schema, err := checkSchema(req.SchemaVersion)
	if err != nil {
		return nil, err
	}
	s, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	cur, err := e.startCursor(ctx, s, req.Cursor, schema)
	if err != nil {
		return nil, err
	}
	ss := e.newSession(s)
	ss.native = true
	pageBytes := e.opts.PageBytes
	if cur.phase == phaseSnapshot {
		pageBytes = e.opts.SnapshotPageBytes
		if req.Columns {
			pageBytes = e.opts.SnapshotColumnsPageBytes
		}
		select {
		case e.builds <- struct{}{}:
			defer func() { <-e.builds }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	b := newBuilder(limit, pageBytes)
	essential := true
	switch cur.phase {
	case phaseSnapshot:
		done, err := e.snapshot(ctx, ss, &cur, b)
		if err != nil {
			return nil, err
		}
		if done {
			cur = cursor{agent: cur.agent, era: cur.era, epoch: cur.epoch, schema: cur.schema, w: cur.w}
		} else {
			essential = cur.snapIdx >= essentialPhases
		}
	case phaseIncremental:
		if cur.pos == cur.target && cur.unit.kind == unitNone {
			cur = cursor{agent: cur.agent, era: cur.era, epoch: cur.epoch, schema: cur.schema, w: cur.target}
			break
		}
		base := cur.w
		if err := e.loadEvents(s, base); err != nil {
			return nil, err
		}
		done, err := e.incremental(ctx, ss, &cur, b)
		if err != nil {
			return nil, err
		}
		// A compaction that removed entries of this page's range while it
		// was read leaves the client short of them: it must reset.
		if m, err := e.meta(ctx); err != nil {
			return nil, err
		} else if base < m.floor {
			return nil, gone("the cursor is older than the tombstone retention: pull from the start")
		}
		if done {
			cur = cursor{agent: cur.agent, era: cur.era, epoch: cur.epoch, schema: cur.schema, w: cur.target}
		}
	}
	if err := ss.audit(ctx, "GET /v1/sync/pull"); err != nil {
		return nil, err
	}
	p := &Page{Changes: b.result(), HasMore: cur.phase != phaseIdle, EssentialComplete: essential, ServerTime: ss.now}
	p.Cursor = encodeCursor(e.key, cur)
	p.ETag = etag(e.key, p.Cursor)
	return p, nil
}

// checkSchema resolves the client's schema version.
func checkSchema(v *int) (int64, error) {
	switch {
	case v == nil:
		return SchemaVersion, nil
	case *v != SchemaVersion:
		return 0, apperr.UpgradeRequired(fmt.Sprintf("schema version %d is not supported; this server speaks %d", *v, SchemaVersion))
	}
	return SchemaVersion, nil
}

// startCursor decodes and checks the request's cursor, or makes the
// cursor of a first sync; an idle cursor becomes an incremental pull up to
// the current watermark.
func (e *Engine) startCursor(ctx context.Context, s *scope, raw string, schema int64) (cursor, error) {
	m, err := e.meta(ctx)
	if err != nil {
		return cursor{}, err
	}
	top, err := e.maxSeq(ctx)
	if err != nil {
		return cursor{}, err
	}
	if raw == "" {
		return cursor{agent: s.agent.ID, era: m.era, epoch: s.agent.ScopeEpoch, schema: schema, w: top, phase: phaseSnapshot}, nil
	}
	cur, err := e.checkCursor(s, raw, m, top)
	if err != nil {
		return cursor{}, err
	}
	if cur.schema != schema {
		return cursor{}, gone(fmt.Sprintf("the cursor was made for schema version %d, not %d: pull from the start", cur.schema, schema))
	}
	if cur.phase == phaseIdle {
		cur.phase, cur.target, cur.pos = phaseIncremental, top, cur.w
	}
	return cur, nil
}

// checkCursor verifies a cursor against the caller and the server.
func (e *Engine) checkCursor(s *scope, raw string, m serverMeta, top int64) (cursor, error) {
	cur, err := decodeCursor(e.key, raw)
	if err != nil {
		detail := "the cursor is malformed"
		if errors.Is(err, errCursorSignature) {
			detail = "the cursor was not issued by this server"
		}
		return cursor{}, apperr.Invalid(detail, apperr.FieldError{Field: "cursor", Code: "invalid", Message: detail})
	}
	switch {
	case cur.agent != s.agent.ID:
		return cursor{}, apperr.Invalid("the cursor belongs to another user",
			apperr.FieldError{Field: "cursor", Code: "foreign", Message: "the cursor belongs to another user"})
	case cur.era != m.era:
		return cursor{}, gone("the cursor is from another server era (the database was restored): pull from the start")
	case cur.epoch != s.agent.ScopeEpoch:
		return cursor{}, gone("the caller's role changed: pull from the start")
	case cur.schema != SchemaVersion:
		return cursor{}, gone(fmt.Sprintf("cursors of schema version %d are no longer served: pull from the start", cur.schema))
	case cur.w < m.floor:
		return cursor{}, gone("the cursor is older than the tombstone retention: pull from the start")
	case cur.w > top || cur.target > top:
		return cursor{}, gone("the cursor is ahead of the server's change log (the database was restored): pull from the start")
	}
	return cur, nil
}
