// Package syncer is the native delta-sync protocol: pulls from a
// commit-ordered change log with scope moves (out_of_scope deletes and
// backfills), pushes of offline mutations with per-field merges, the
// convergence checksum, the change-notice stream, and the compaction of
// the log.
//
// The change log (package store) draws its sequence numbers at commit
// under a lock, so a reader that sees entry n sees every entry below n
// that will ever commit: a watermark of that sequence is a safe cursor.
// Records are read with the caller's context, so the access rules
// (package access) decide what a caller receives; the log itself is
// server bookkeeping, read as the system.
//
// What a client does (and what the tests' simulated phones do):
//
//   - Apply a page in order: store an upsert when it holds no copy or an
//     older version; drop its copy on a delete, whatever the version.
//   - Save the cursor only once has_more is false; pass it back unchanged.
//   - On 410 sync-reset-required, drop the cursor and pull from the start.
//     When a pull from the start completes, the snapshot is the whole
//     scope: drop every local record it did not deliver, except records
//     made offline and not yet sent (anything committed after the
//     snapshot's watermark comes with the next pull).
//   - Push with each mutation's base version; take the version of each
//     result for the records it still holds (a result never brings back a
//     record that a pull dropped), so that the next pull's upserts of
//     those versions can be skipped.
package syncer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
)

// SchemaVersion is the version of the record shapes this server sends
// (the REST schemas of openapi.yaml). Clients pass theirs as
// schema_version; a cursor made for another version must be reset.
const SchemaVersion = 1

// Defaults of Options.
const (
	DefaultRetention    = 30 * 24 * time.Hour
	DefaultCompactEvery = time.Hour
	DefaultPollEvery    = 2 * time.Second
	DefaultHeartbeat    = 25 * time.Second
	DefaultMaxStream    = 15 * time.Minute
	DefaultPageBytes    = 512 << 10
	// DefaultSnapshotPageBytes: a 2,000-customer book's essential part
	// (~12 MB of JSON) in a few pages, its history (~70 MB) in ~20.
	DefaultSnapshotPageBytes = 4 << 20
	// DefaultSnapshotColumnsPageBytes: the same essential part in one or
	// two pages when the client takes them by column: each column of the
	// page is then long, and compresses ~17 % better than in 4 MB pages.
	DefaultSnapshotColumnsPageBytes = 24 << 20
	DefaultLimit                    = 1000  // openapi.yaml's SyncLimit default
	MaxPullLimit                    = 50000 // openapi.yaml's SyncLimit maximum
	MaxLimit                        = 5000  // of an RxDB pull
)

// ServerMeta keys.
const (
	metaEra   = "server_era"
	metaFloor = "sync_floor"
)

// Record is one record to render as the JSON of its collection's REST
// schema (openapi.yaml: Customer, Portrait, Policy, Interaction, Task,
// ServicePlan, Complaint, ToolkitItem, Notification).
type Record struct {
	Collection string
	// Entity is *ent.Customer, *ent.Portrait, *ent.InsurancePolicy,
	// *ent.Interaction, *ent.Task, *ent.ServicePlan, *ent.Complaint,
	// *ent.ToolkitItem or *ent.Notification.
	Entity any
	// Personal is a customer's personal data as revealed to the caller.
	Personal customer.Personal
	// Customer and CustomerPersonal are a portrait's customer, with
	// masked identifiers.
	Customer         *ent.Customer
	CustomerPersonal customer.Personal
	// Steps are a service plan's steps, in order.
	Steps []*ent.PlanStep
	// Now is the time of the answer (for derived figures such as SLA states).
	Now time.Time
	// Native marks the native pull's shape: a portrait without its
	// customer and timeline (openapi.yaml SyncPortrait); Customer is then
	// nil.
	Native bool
}

// Renderer turns a record into the JSON object of its REST schema. The
// HTTP layer supplies it (its converters), so sync data and REST
// responses are the same shape.
type Renderer func(Record) ([]byte, error)

// Options configure an Engine.
type Options struct {
	// CursorKey signs cursors (at least 32 bytes; derive it from a server
	// secret, so every replica shares it).
	CursorKey []byte
	// Render renders records; required.
	Render Renderer
	// PII decrypts personal data for the phones of the book and encrypts
	// pushed personal data; required.
	PII *pii.Protector
	// Audit records reads of personal data (one entry per page); none when nil.
	Audit *audit.Recorder
	// Quality records pushed interactions (toolkit usage, response clocks)
	// and dates complaints' SLA clocks; a Monday–Friday calendar when nil.
	Quality *quality.Service
	// Clock is "now"; the system clock when nil.
	Clock clock.Clock
	// Logger logs background work; slog.Default when nil.
	Logger *slog.Logger
	// Retention keeps tombstones and scope moves; DefaultRetention when 0.
	Retention time.Duration
	// CompactEvery is the period of Run's compaction; DefaultCompactEvery when 0.
	CompactEvery time.Duration
	// PollEvery is how often the event stream looks for other replicas'
	// commits; DefaultPollEvery when 0.
	PollEvery time.Duration
	// Heartbeat is the period of the event stream's heartbeats; DefaultHeartbeat when 0.
	Heartbeat time.Duration
	// MaxStream ends an event stream after this long (the client
	// reconnects with a fresh token); DefaultMaxStream when 0.
	MaxStream time.Duration
	// PageBytes bounds the JSON of a pull page; DefaultPageBytes when 0.
	PageBytes int
	// SnapshotPageBytes bounds the JSON of a first sync's pages: larger
	// pages compress better (the compressor sees more of the book) and
	// cost fewer round trips. PageBytes when 0 and PageBytes is set,
	// else DefaultSnapshotPageBytes.
	SnapshotPageBytes int
	// SnapshotColumnsPageBytes bounds them for a client that takes its
	// pages by column (PullRequest.Columns);
	// DefaultSnapshotColumnsPageBytes when 0.
	SnapshotColumnsPageBytes int
	// SnapshotBuilds bounds the first-sync pages built at once: a page
	// holds its records' JSON a few times over while it is built (the
	// records, the page's encoding), and it reads the database hardest.
	// Twice GOMAXPROCS when 0; the others wait for their turn.
	SnapshotBuilds int
	// WatermelonSchemas is the history of the WatermelonDB app schema,
	// oldest first; the package's WatermelonSchemas when nil.
	WatermelonSchemas []WatermelonSchema
}

// Engine serves the sync protocol on a database.
type Engine struct {
	db      *store.DB
	key     []byte
	render  Renderer
	pii     *pii.Protector
	audit   *audit.Recorder
	quality *quality.Service
	clock   clock.Clock
	log     *slog.Logger
	opts    Options

	toolkit toolkitCache
	hub     *hub
	// builds holds a token per first-sync page being built (SnapshotBuilds).
	builds chan struct{}

	closeOnce sync.Once
	closed    chan struct{}
}

// New returns an Engine.
func New(db *store.DB, opts Options) (*Engine, error) {
	switch {
	case db == nil:
		return nil, errors.New("syncer: a database is required")
	case len(opts.CursorKey) < 32:
		return nil, errors.New("syncer: the cursor key needs at least 32 bytes")
	case opts.Render == nil:
		return nil, errors.New("syncer: a renderer is required")
	case opts.PII == nil:
		return nil, errors.New("syncer: a personal-data protector is required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.CompactEvery <= 0 {
		opts.CompactEvery = DefaultCompactEvery
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = DefaultPollEvery
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.MaxStream <= 0 {
		opts.MaxStream = DefaultMaxStream
	}
	if opts.SnapshotPageBytes <= 0 {
		opts.SnapshotPageBytes = opts.PageBytes
		if opts.SnapshotPageBytes <= 0 {
			opts.SnapshotPageBytes = DefaultSnapshotPageBytes
		}
	}
	if opts.PageBytes <= 0 {
		opts.PageBytes = DefaultPageBytes
	}
	if opts.SnapshotColumnsPageBytes <= 0 {
		opts.SnapshotColumnsPageBytes = DefaultSnapshotColumnsPageBytes
	}
	if opts.SnapshotBuilds <= 0 {
		opts.SnapshotBuilds = 2 * runtime.GOMAXPROCS(0)
	}
	if opts.WatermelonSchemas == nil {
		opts.WatermelonSchemas = WatermelonSchemas
	}
	if err := validWatermelonSchemas(opts.WatermelonSchemas); err != nil {
		return nil, err
	}
	if opts.Quality == nil {
		opts.Quality = quality.NewService(db, quality.NewCalendar(quality.DefaultLocation()), opts.Clock)
	}
	e := &Engine{db: db, key: append([]byte(nil), opts.CursorKey...), render: opts.Render, pii: opts.PII,
		audit: opts.Audit, quality: opts.Quality, clock: opts.Clock, log: opts.Logger, opts: opts,
		builds: make(chan struct{}, opts.SnapshotBuilds),
		closed: make(chan struct{})}
	e.hub = newHub(e)
	return e, nil
}

// Close ends the event streams and the background work of the engine.
func (e *Engine) Close() {
	e.closeOnce.Do(func() {
		close(e.closed)
		e.hub.close()
	})
}

// maxSeq is the highest committed sequence number (0 for an empty log):
// the watermark a pull that starts now pins.
func (e *Engine) maxSeq(ctx context.Context) (int64, error) {
	n, err := e.db.Client.ChangeLog.Query().Aggregate(ent.Max(changelog.FieldID)).Int(auth.SystemContext(ctx))
	if err != nil {
		// MAX over no rows is NULL, which the aggregate reports as an error.
		if cnt, cerr := e.db.Client.ChangeLog.Query().Limit(1).Count(auth.SystemContext(ctx)); cerr == nil && cnt == 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("read the change log's watermark: %w", err)
	}
	return int64(n), nil
}

// serverMeta holds the era and the retention floor.
type serverMeta struct {
	era   uuid.UUID
	floor int64
}

// meta reads the era (creating it on first use) and the retention floor.
func (e *Engine) meta(ctx context.Context) (serverMeta, error) {
	sys := auth.SystemContext(ctx)
	rows, err := e.db.Client.ServerMeta.Query().Where(servermeta.IDIn(metaEra, metaFloor)).All(sys)
	if err != nil {
		return serverMeta{}, fmt.Errorf("read server meta: %w", err)
	}
	var m serverMeta
	haveEra := false
	for _, r := range rows {
		switch r.ID {
		case metaEra:
			id, err := uuid.Parse(r.Value)
			if err != nil {
				return m, fmt.Errorf("server era %q: %w", r.Value, err)
			}
			m.era, haveEra = id, true
		case metaFloor:
			n, err := strconv.ParseInt(r.Value, 10, 64)
			if err != nil {
				return m, fmt.Errorf("sync floor %q: %w", r.Value, err)
			}
			m.floor = n
		}
	}
	if !haveEra {
		if m.era, err = e.ensureEra(ctx); err != nil {
			return m, err
		}
	}
	return m, nil
}

// ensureEra creates the server era if no replica has yet; concurrent
// first uses agree on whichever insert won.
func (e *Engine) ensureEra(ctx context.Context) (uuid.UUID, error) {
	sys := auth.SystemContext(ctx)
	err := e.db.Client.ServerMeta.Create().SetID(metaEra).SetValue(uuid.New().String()).SetUpdatedAt(e.clock.Now()).
		OnConflictColumns(servermeta.FieldID).DoNothing().Exec(sys)
	if err != nil && !isNoRows(err) {
		return uuid.Nil, fmt.Errorf("create server era: %w", err)
	}
	row, err := e.db.Client.ServerMeta.Get(sys, metaEra)
	if err != nil {
		return uuid.Nil, fmt.Errorf("read server era: %w", err)
	}
	return uuid.Parse(row.Value)
}

// RotateEra gives the server a new era: every cursor issued before is
// answered with 410 sync-reset-required. Run it after restoring the
// database from a backup, whose sequence numbers will be issued again.
func (e *Engine) RotateEra(ctx context.Context) (uuid.UUID, error) {
	sys := auth.SystemContext(ctx)
	id := uuid.New()
	err := e.db.Client.ServerMeta.Create().SetID(metaEra).SetValue(id.String()).SetUpdatedAt(e.clock.Now()).
		OnConflictColumns(servermeta.FieldID).UpdateNewValues().Exec(sys)
	if err != nil {
		return uuid.Nil, fmt.Errorf("rotate server era: %w", err)
	}
	e.hub.notify()
	return id, nil
}

// isNoRows recognizes the answer of an insert that did nothing.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// gone is the answer to a cursor that can no longer be served.
func gone(detail string) error { return apperr.Gone("sync-reset-required", detail) }
