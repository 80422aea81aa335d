package syncer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/internal/store"
)

// WebhookWatermarkKey is the ServerMeta key under which the webhook
// dispatcher (package webhook) keeps the last change-log entry it has
// turned into events. Compaction keeps the superseded entries above it,
// so that no event (a customer's creation followed at once by an update)
// is lost to a compaction that runs before the dispatcher has read them.
const WebhookWatermarkKey = "webhook.dispatch_seq"

// compactBatch bounds the entries removed per statement.
const compactBatch = 1000

// CompactStats says what a compaction removed.
type CompactStats struct {
	// Superseded counts entries removed because a later entry of the same
	// record exists: a pull returns a record's current version anyway.
	Superseded int
	// Expired counts tombstones, customer moves and team moves older than
	// the retention.
	Expired int
	// Floor is the retention floor after the compaction: cursors below it
	// are answered with 410 sync-reset-required.
	Floor int64
}

// Compact compacts the change log as of now: it removes every entry
// superseded by a later entry of the same record, except the entries
// that moved a record between owners (a pull still needs them to drop
// the record from the previous owner's phone) and those that made a
// record (see creation), and it removes the tombstones, owner moves,
// team moves and superseded creations older than the retention,
// raising the retention floor to the highest sequence number so removed.
// Replicas may compact concurrently: removal is idempotent and the floor
// only rises.
func (e *Engine) Compact(ctx context.Context, now time.Time) (CompactStats, error) {
	var st CompactStats
	sys := sysContext(ctx)
	held := []predicate.ChangeLog{changelog.PrevAgentIDIsNil(), changelog.CollectionNEQ(store.Agents), superseded(),
		changelog.Not(creation())}
	hook, err := e.db.Client.ServerMeta.Query().Where(servermeta.ID(WebhookWatermarkKey)).Only(sys)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return st, fmt.Errorf("read the webhook watermark: %w", err)
	default:
		w, err := strconv.ParseInt(hook.Value, 10, 64)
		if err != nil {
			return st, fmt.Errorf("webhook watermark %q: %w", hook.Value, err)
		}
		held = append(held, changelog.IDLTE(w))
	}
	var last int64
	for {
		ids, err := e.db.Client.ChangeLog.Query().
			Where(append([]predicate.ChangeLog{changelog.IDGT(last)}, held...)...).
			Order(ent.Asc(changelog.FieldID)).Limit(compactBatch).IDs(sys)
		if err != nil {
			return st, fmt.Errorf("find superseded entries: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		n, err := e.db.Client.ChangeLog.Delete().Where(changelog.IDIn(ids...)).Exec(sys)
		if err != nil {
			return st, fmt.Errorf("remove superseded entries: %w", err)
		}
		st.Superseded += n
		last = ids[len(ids)-1]
	}
	cutoff := now.Add(-e.opts.Retention)
	var floor int64
	for {
		ids, err := e.db.Client.ChangeLog.Query().
			Where(changelog.CommittedAtLT(cutoff), changelog.Or(
				changelog.OpEQ(changelog.OpDelete),
				changelog.CollectionEQ(store.Agents),
				changelog.And(changelog.PrevAgentIDNotNil(), superseded()),
				changelog.And(creation(), superseded()),
			)).
			Order(ent.Asc(changelog.FieldID)).Limit(compactBatch).IDs(sys)
		if err != nil {
			return st, fmt.Errorf("find expired entries: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		n, err := e.db.Client.ChangeLog.Delete().Where(changelog.IDIn(ids...)).Exec(sys)
		if err != nil {
			return st, fmt.Errorf("remove expired entries: %w", err)
		}
		st.Expired += n
		floor = max(floor, ids[len(ids)-1])
	}
	if err := e.raiseFloor(ctx, floor); err != nil {
		return st, err
	}
	m, err := e.meta(ctx)
	if err != nil {
		return st, err
	}
	st.Floor = m.floor
	if st.Expired > 0 {
		e.hub.notify()
	}
	return st, nil
}

// creation selects the entries that made records (their first version).
// Compaction keeps them, though superseded, until the retention expires
// them: the WatermelonDB adapter tells records made after a client's
// last pull (created) from older ones (updated) by them.
func creation() predicate.ChangeLog {
	return changelog.And(changelog.OpEQ(changelog.OpUpsert), changelog.Version(1))
}

// superseded selects entries that a later entry of the same record follows.
func superseded() predicate.ChangeLog {
	return func(s *entsql.Selector) {
		n := entsql.Table(changelog.Table).As("later")
		s.Where(entsql.Exists(entsql.Select(n.C(changelog.FieldID)).From(n).Where(entsql.And(
			entsql.ColumnsEQ(n.C(changelog.FieldRecordID), s.C(changelog.FieldRecordID)),
			entsql.ColumnsGT(n.C(changelog.FieldID), s.C(changelog.FieldID)),
		))))
	}
}

// raiseFloor sets the retention floor to floor unless it is higher already.
func (e *Engine) raiseFloor(ctx context.Context, floor int64) error {
	if floor <= 0 {
		return nil
	}
	sys := sysContext(ctx)
	now := e.clock.Now()
	err := e.db.Client.ServerMeta.Create().SetID(metaFloor).SetValue("0").SetUpdatedAt(now).
		OnConflictColumns(servermeta.FieldID).DoNothing().Exec(sys)
	if err != nil && !isNoRows(err) {
		return fmt.Errorf("create the retention floor: %w", err)
	}
	_, err = e.db.Client.ServerMeta.Update().Where(servermeta.ID(metaFloor), func(s *entsql.Selector) {
		s.Where(entsql.P(func(b *entsql.Builder) {
			b.WriteString("CAST(").Ident(s.C(servermeta.FieldValue)).WriteString(" AS BIGINT) < ").Arg(floor)
		}))
	}).SetValue(strconv.FormatInt(floor, 10)).SetUpdatedAt(now).Save(sys)
	if err != nil {
		return fmt.Errorf("raise the retention floor: %w", err)
	}
	return nil
}

// Run compacts the change log every CompactEvery until ctx ends or the
// engine closes; when ctx ends it closes the engine, which ends the
// event streams (so a server shutting down is not held up by them).
func (e *Engine) Run(ctx context.Context) error {
	t := time.NewTicker(e.opts.CompactEvery)
	defer t.Stop()
	for {
		if st, err := e.Compact(ctx, e.clock.Now()); err != nil {
			if ctx.Err() == nil {
				e.log.ErrorContext(ctx, "sync: compact the change log", "error", err)
			}
		} else if st.Superseded+st.Expired > 0 {
			e.log.InfoContext(ctx, "sync: compacted the change log", "superseded", st.Superseded, "expired", st.Expired, "floor", st.Floor)
		}
		select {
		case <-ctx.Done():
			e.Close()
			return nil
		case <-e.closed:
			return nil
		case <-t.C:
		}
	}
}
