package webhook

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/ent/webhookdelivery"
	"github.com/agentdesk/agentdesk/ent/webhooksubscription"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/syncer"
)

// watermarkKey is the ServerMeta key of the last change-log sequence
// number the Dispatcher has turned into deliveries; the sync engine's
// compaction keeps the entries above it.
const watermarkKey = syncer.WebhookWatermarkKey

// dispatchPage bounds the change-log entries one transaction handles.
const dispatchPage = 500

// eventSpace is the UUID namespace of derived event IDs.
var eventSpace = uuid.MustParse("0193a6f1-7d55-7c4e-9f0b-7765626b6f6f")

// eventID derives an event's ID from what makes it unique, so that every
// replica and every replay derives the same one.
func eventID(key string) uuid.UUID { return uuid.NewSHA1(eventSpace, []byte(key)) }

// Event is one event to deliver.
type Event struct {
	ID        uuid.UUID       `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	SubjectID uuid.UUID       `json:"subject_id"`
	Data      json.RawMessage `json:"data"`
}

// Dispatcher turns events into deliveries.
type Dispatcher struct{ s *Service }

// DispatchStats counts what one Dispatch did.
type DispatchStats struct {
	Entries  int // change-log entries read
	Events   int // events derived (before fan-out)
	Enqueued int // deliveries created
}

// Dispatch reads the change log on from the watermark and announces SLA
// breaches as of now. Each page of the log is one transaction that holds
// the watermark row (FOR UPDATE on PostgreSQL; SQLite's write lock), so
// dispatchers of several replicas take turns, and the deliveries it
// inserts are unique per subscription and event, so a page handled twice
// (a crash after the insert) adds nothing.
func (d *Dispatcher) Dispatch(ctx context.Context, now time.Time) (DispatchStats, error) {
	ctx = auth.SystemContext(ctx)
	now = stamp(now)
	var total DispatchStats
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		st, err := d.page(ctx, now)
		total.Entries += st.Entries
		total.Events += st.Events
		total.Enqueued += st.Enqueued
		if err != nil {
			return total, err
		}
		if st.Entries < dispatchPage {
			break
		}
	}
	st, err := d.breaches(ctx, now)
	total.Events += st.Events
	total.Enqueued += st.Enqueued
	return total, err
}

// lockWatermark returns the watermark, holding its row until tx ends.
func (d *Dispatcher) lockWatermark(ctx context.Context, tx *ent.Tx, now time.Time) (int64, error) {
	err := tx.ServerMeta.Create().SetID(watermarkKey).SetValue("0").SetUpdatedAt(now).
		OnConflictColumns(servermeta.FieldID).DoNothing().Exec(ctx)
	if err != nil && !isNoRows(err) {
		return 0, fmt.Errorf("create watermark: %w", err)
	}
	q := tx.ServerMeta.Query().Where(servermeta.ID(watermarkKey))
	if d.s.db.Dialect == dialect.Postgres {
		q = q.ForUpdate()
	}
	row, err := q.Only(ctx)
	if err != nil {
		return 0, fmt.Errorf("read watermark: %w", err)
	}
	seq, err := strconv.ParseInt(row.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("watermark %q: %w", row.Value, err)
	}
	return seq, nil
}

// isNoRows recognises the answer of an insert that ON CONFLICT DO NOTHING
// skipped on PostgreSQL (nothing returned).
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func (d *Dispatcher) page(ctx context.Context, now time.Time) (DispatchStats, error) {
	var st DispatchStats
	err := d.s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		seq, err := d.lockWatermark(ctx, tx, now)
		if err != nil {
			return err
		}
		entries, err := tx.ChangeLog.Query().Where(changelog.IDGT(seq)).
			Order(ent.Asc(changelog.FieldID)).Limit(dispatchPage).All(ctx)
		if err != nil {
			return fmt.Errorf("read change log: %w", err)
		}
		st.Entries = len(entries)
		if len(entries) == 0 {
			return nil
		}
		subs, err := tx.WebhookSubscription.Query().Where(webhooksubscription.Active(true)).All(ctx)
		if err != nil {
			return fmt.Errorf("list subscriptions: %w", err)
		}
		if wanted := wantedTypes(subs); len(wanted) > 0 {
			events, err := d.s.changeEvents(ctx, tx.Client(), entries, wanted)
			if err != nil {
				return err
			}
			st.Events = len(events)
			if st.Enqueued, err = enqueue(ctx, tx, subs, events, now); err != nil {
				return err
			}
		}
		if err := dropSnapshots(ctx, tx.Client(), entries, now); err != nil {
			return err
		}
		_, err = tx.ServerMeta.UpdateOneID(watermarkKey).
			SetValue(strconv.FormatInt(entries[len(entries)-1].ID, 10)).SetUpdatedAt(now).Save(ctx)
		return err
	})
	return st, err
}

func wantedTypes(subs []*ent.WebhookSubscription) map[string]bool {
	out := map[string]bool{}
	for _, s := range subs {
		for _, e := range s.Events {
			out[e] = true
		}
	}
	return out
}

// enqueue inserts one delivery per event and subscription that wants it
// and existed when the event happened, and returns how many it inserted.
// Existing ones (same subscription, event, round 0) are left alone: those
// seen are skipped, and one inserted concurrently by another transaction
// loses on the unique key (ON CONFLICT DO NOTHING).
func enqueue(ctx context.Context, tx *ent.Tx, subs []*ent.WebhookSubscription, events []Event, now time.Time) (int, error) {
	ids := make([]uuid.UUID, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	have := map[[2]uuid.UUID]bool{}
	for part := range slices.Chunk(ids, 500) {
		rows, err := tx.WebhookDelivery.Query().Where(webhookdelivery.EventIDIn(part...), webhookdelivery.Round(0)).
			Select(webhookdelivery.FieldSubscriptionID, webhookdelivery.FieldEventID).All(ctx)
		if err != nil {
			return 0, fmt.Errorf("find enqueued deliveries: %w", err)
		}
		for _, r := range rows {
			have[[2]uuid.UUID{r.SubscriptionID, r.EventID}] = true
		}
	}
	var creates []*ent.WebhookDeliveryCreate
	for _, ev := range events {
		payload, err := json.Marshal(ev)
		if err != nil {
			return 0, fmt.Errorf("encode event: %w", err)
		}
		for _, sub := range subs {
			if !sub.Active || !slices.Contains(sub.Events, ev.Type) || sub.CreatedAt.After(ev.CreatedAt) ||
				have[[2]uuid.UUID{sub.ID, ev.ID}] {
				continue
			}
			creates = append(creates, tx.WebhookDelivery.Create().SetID(uuid.Must(uuid.NewV7())).
				SetSubscriptionID(sub.ID).SetEvent(ev.Type).SetEventID(ev.ID).SetRound(0).
				SetSubjectID(ev.SubjectID.String()).SetPayload(string(payload)).
				SetNextAttemptAt(now).SetCreatedAt(now).SetUpdatedAt(now))
		}
	}
	if len(creates) == 0 {
		return 0, nil
	}
	for part := range slices.Chunk(creates, 200) {
		err := tx.WebhookDelivery.CreateBulk(part...).
			OnConflictColumns(webhookdelivery.FieldSubscriptionID, webhookdelivery.FieldEventID, webhookdelivery.FieldRound).
			DoNothing().Exec(ctx)
		if err != nil && !isNoRows(err) {
			return 0, fmt.Errorf("enqueue deliveries: %w", err)
		}
	}
	return len(creates), nil
}

// breaches announces complaint.breached for complaints whose first SLA
// clock ran out within BreachLookback before now. The event ID is the
// complaint's, so a complaint is announced once however often this runs.
func (d *Dispatcher) breaches(ctx context.Context, now time.Time) (DispatchStats, error) {
	var st DispatchStats
	subs, err := d.s.db.Client.WebhookSubscription.Query().Where(webhooksubscription.Active(true)).All(ctx)
	if err != nil {
		return st, fmt.Errorf("list subscriptions: %w", err)
	}
	if !wantedTypes(subs)[ComplaintBreached] {
		return st, nil
	}
	from := now.Add(-d.s.cfg.BreachLookback)
	cs, err := d.s.db.Client.Complaint.Query().Where(complaint.Or(
		complaint.And(complaint.AckDueAtGT(from), complaint.AckDueAtLT(now)),
		complaint.And(complaint.AnswerDueAtGT(from), complaint.AnswerDueAtLT(now)),
		complaint.And(complaint.CloseDueAtGT(from), complaint.CloseDueAtLT(now)),
	)).Order(ent.Asc(complaint.FieldID)).All(ctx)
	if err != nil {
		return st, fmt.Errorf("scan complaint clocks: %w", err)
	}
	var events []Event
	for _, c := range cs {
		at, ok := breachedAt(c, now)
		if !ok || !at.After(from) {
			continue
		}
		data, err := d.s.render(record(c, now))
		if err != nil {
			return st, fmt.Errorf("render complaint %s: %w", c.ID, err)
		}
		events = append(events, Event{ID: eventID("complaint.breached/" + c.ID.String()), Type: ComplaintBreached,
			CreatedAt: stamp(at), SubjectID: c.ID, Data: data})
	}
	if len(events) == 0 {
		return st, nil
	}
	st.Events = len(events)
	err = d.s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		st.Enqueued, err = enqueue(ctx, tx, subs, events, now)
		return err
	})
	return st, err
}

// breachedAt returns when a complaint's first clock ran out, if one has
// by now: the earliest due time of a clock that was still running then.
func breachedAt(c *ent.Complaint, now time.Time) (time.Time, bool) {
	var at time.Time
	for _, k := range quality.ComplaintClocks(c) {
		if !k.Due.Before(now) || (k.Met != nil && !k.Met.After(k.Due)) {
			continue
		}
		if at.IsZero() || k.Due.Before(at) {
			at = k.Due
		}
	}
	return at, !at.IsZero()
}

// ReminderSent enqueues policy.reminder_sent for reminder r, which the
// reminder worker is recording as sent at in tx (it is push.Deps.OnSent):
// the event exists exactly when that transaction commits, and its ID is
// derived from the reminder's, so it is announced once.
func ReminderSent(ctx context.Context, tx *ent.Tx, r *ent.Reminder, at time.Time) error {
	subs, err := tx.WebhookSubscription.Query().Where(webhooksubscription.Active(true)).All(ctx)
	if err != nil {
		return fmt.Errorf("list subscriptions: %w", err)
	}
	if !wantedTypes(subs)[PolicyReminderSent] {
		return nil
	}
	data, err := json.Marshal(map[string]any{
		"reminder_id": r.ID, "policy_id": r.PolicyID, "customer_id": r.CustomerID,
		"recipient_kind": r.RecipientKind, "recipient_id": r.RecipientID, "due_kind": r.DueKind,
		"due_date": r.DueDate.UTC().Format(time.DateOnly), "window_days": r.WindowDays, "sent_at": stamp(at),
	})
	if err != nil {
		return err
	}
	ev := Event{ID: eventID("reminder_sent/" + r.ID.String()), Type: PolicyReminderSent, CreatedAt: stamp(at),
		SubjectID: r.PolicyID, Data: data}
	_, err = enqueue(ctx, tx, subs, []Event{ev}, stamp(at))
	return err
}
