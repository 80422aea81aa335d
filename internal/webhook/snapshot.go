package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/ent/webhooksnapshot"
	"github.com/agentdesk/agentdesk/ent/webhooksubscription"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Event data as of the change.
//
// The change log keeps versions, not contents, and the Dispatcher reads it
// seconds after the commit: by then a record may have changed again. So
// the transaction that writes a version also renders it as event data
// (capture, a store.PreCommit) into a WebhookSnapshot row, and the
// Dispatcher sends each event with the snapshot of its own version; two
// quick updates are two events with two states. Capture runs only for
// the collections that an active subscription wants an event of, and only
// in processes that built a Service on the database (the server); a
// change without a snapshot (another process, a subscription younger
// than the wanted-cache) is sent with the record's state at dispatch, as
// before. A snapshot lives until its change-log entry is dispatched.

// wantedTTL is how long the wanted event types are cached; a Service's
// own subscription writes refresh them at once.
const wantedTTL = 5 * time.Second

// snapshotMaxAge bounds how long an undispatched snapshot is kept (the
// dispatcher stopped for that long sends such changes as of dispatch).
const snapshotMaxAge = 7 * 24 * time.Hour

// wantedCache caches the event types of active subscriptions.
type wantedCache struct {
	mu    sync.Mutex
	types map[string]bool
	until time.Time
}

func (c *wantedCache) invalidate() {
	c.mu.Lock()
	c.until = time.Time{}
	c.mu.Unlock()
}

// wanted returns the event types that active subscriptions want.
// It reads through c, the writing transaction's client: a second
// connection could wait for the pool that the writers hold.
func (s *Service) wanted(ctx context.Context, c *ent.Client) (map[string]bool, error) {
	now := s.clock.Now()
	s.want.mu.Lock()
	defer s.want.mu.Unlock()
	if now.Before(s.want.until) {
		return s.want.types, nil
	}
	subs, err := c.WebhookSubscription.Query().Where(webhooksubscription.Active(true)).
		Select(webhooksubscription.FieldEvents).All(auth.SystemContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	s.want.types, s.want.until = wantedTypes(subs), now.Add(wantedTTL)
	return s.want.types, nil
}

// capture renders the records a transaction changed as event data, for
// the events that subscriptions want.
func (s *Service) capture(ctx context.Context, tx *ent.Tx, changes []store.Change) error {
	var want map[string]bool
	ids := map[string][]uuid.UUID{}
	versions := map[uuid.UUID]int64{}
	for _, c := range changes {
		types, ok := collectionTypes[c.Collection]
		if !ok || c.Op != changelog.OpUpsert || (c.Collection == store.Interactions && c.Version != 1) {
			continue
		}
		if want == nil {
			var err error
			if want, err = s.wanted(ctx, tx.Client()); err != nil {
				return err
			}
		}
		if !slices.ContainsFunc(types, func(t string) bool { return want[t] }) {
			continue
		}
		ids[c.Collection] = append(ids[c.Collection], c.ID)
		versions[c.ID] = c.Version
	}
	if len(ids) == 0 {
		return nil
	}
	sys := auth.SystemContext(ctx)
	recs, err := s.load(sys, tx.Client(), ids)
	if err != nil {
		return err
	}
	now := stamp(s.clock.Now())
	var creates []*ent.WebhookSnapshotCreate
	for coll, all := range ids {
		for _, id := range all {
			rec, ok := recs[id]
			if !ok {
				continue
			}
			if t, ok := rec.(*ent.Task); ok && !completedAt(t, versions[id]) {
				continue // only a completion is an event of a task
			}
			data, err := s.eventData(rec, now)
			if err != nil {
				return fmt.Errorf("render %s %s: %w", coll, id, err)
			}
			creates = append(creates, tx.WebhookSnapshot.Create().SetID(uuid.Must(uuid.NewV7())).
				SetCollection(coll).SetRecordID(id).SetVersion(versions[id]).SetData(string(data)).
				SetCreatedAt(now).SetUpdatedAt(now))
		}
	}
	for part := range slices.Chunk(creates, 500) {
		err := tx.WebhookSnapshot.CreateBulk(part...).
			OnConflictColumns(webhooksnapshot.FieldRecordID, webhooksnapshot.FieldVersion).DoNothing().Exec(sys)
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("store event data: %w", err)
		}
	}
	return nil
}

// snapshots returns the captured event data of the entries' versions.
func snapshots(ctx context.Context, c *ent.Client, entries []*ent.ChangeLog) (map[snapKey]json.RawMessage, error) {
	out := map[snapKey]json.RawMessage{}
	for part := range slices.Chunk(snapshotPredicates(entries, false), 200) {
		rows, err := c.WebhookSnapshot.Query().Where(webhooksnapshot.Or(part...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("read event data: %w", err)
		}
		for _, r := range rows {
			out[snapKey{r.RecordID, r.Version}] = json.RawMessage(r.Data)
		}
	}
	return out, nil
}

// dropSnapshots deletes the snapshots that the entries have used up (their
// versions and older), and any older than snapshotMaxAge.
func dropSnapshots(ctx context.Context, c *ent.Client, entries []*ent.ChangeLog, now time.Time) error {
	for part := range slices.Chunk(snapshotPredicates(entries, true), 200) {
		if _, err := c.WebhookSnapshot.Delete().Where(webhooksnapshot.Or(part...)).Exec(ctx); err != nil {
			return fmt.Errorf("drop event data: %w", err)
		}
	}
	if _, err := c.WebhookSnapshot.Delete().Where(webhooksnapshot.CreatedAtLT(now.Add(-snapshotMaxAge))).Exec(ctx); err != nil {
		return fmt.Errorf("drop old event data: %w", err)
	}
	return nil
}

// snapKey names a record's version.
type snapKey struct {
	id      uuid.UUID
	version int64
}

// snapshotPredicates match the upserts' versions (andOlder: up to them),
// one per record, with its highest version among the entries.
func snapshotPredicates(entries []*ent.ChangeLog, andOlder bool) []predicate.WebhookSnapshot {
	type key = snapKey
	seen := map[key]bool{}
	top := map[uuid.UUID]int64{}
	var order []uuid.UUID
	var out []predicate.WebhookSnapshot
	for _, e := range entries {
		if _, ok := collectionTypes[e.Collection]; !ok {
			continue
		}
		if andOlder {
			if _, ok := top[e.RecordID]; !ok {
				order = append(order, e.RecordID)
			}
			top[e.RecordID] = max(top[e.RecordID], e.Version)
			continue
		}
		if k := (key{e.RecordID, e.Version}); e.Op == changelog.OpUpsert && !seen[k] {
			seen[k] = true
			out = append(out, webhooksnapshot.And(webhooksnapshot.RecordID(e.RecordID), webhooksnapshot.Version(e.Version)))
		}
	}
	for _, id := range order {
		out = append(out, webhooksnapshot.And(webhooksnapshot.RecordID(id), webhooksnapshot.VersionLTE(top[id])))
	}
	return out
}
