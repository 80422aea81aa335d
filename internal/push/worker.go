package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/deliveryattempt"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Worker delivers due reminders from the outbox.
//
// # Why a reminder is never sent twice concurrently
//
// A row is sent only by the worker that holds its lease. A claim is one
// transaction that picks due rows (pending with next_attempt_at ≤ now, or
// sending with an expired lease) and takes them with a conditional UPDATE
// that sets status sending, a lease_until and a fresh lease token
// (lease_owner) that no other claim ever uses. On PostgreSQL the pick is
// SELECT … FOR UPDATE SKIP LOCKED, so concurrent claimers take disjoint
// rows without waiting, and the UPDATE re-checks the condition after any
// lock wait; on SQLite the write transaction holds the database's single
// write lock from BEGIN (IMMEDIATE), so claims are serial. Either way a
// second claim of a row can only succeed once the first lease has expired.
// A worker stops sending before its lease can expire: a batch's sends are
// bounded by Config.SendTimeout, at most half the lease, and a batch that
// took too long to prepare is not sent at all. Every write that ends an
// attempt (sent, retry, failed, cancelled, deferred) is conditional on the
// worker's lease token and rolls back, inbox entry and attempt records
// included, when the token is gone.
//
// A crash between claim and send leaves the row sending with its lease;
// when the lease expires another claim takes it and sends it once.
//
// # The provider's window
//
// FCM has no idempotency key. A crash (or a lost response) after FCM
// accepted a push but before the worker recorded it leaves the row to be
// claimed again, and the push goes a second time: delivery to FCM is at
// least once within that window (one RPC and one transaction long). Two
// things bound the damage: every push about a policy carries the same
// collapse key (Android collapse_key and notification tag, APNs
// apns-collapse-id, Web Push Topic), so a device shows one notification;
// and the inbox entry is keyed by the reminder key (Notification.dedupe_key),
// so the inbox never holds two.
type Worker struct {
	db     *store.DB
	clock  clock.Clock
	cfg    Config
	log    *slog.Logger
	m      *metrics
	zones  *zones
	sender Sender
	rand   func() float64
	onSent func(ctx context.Context, tx *ent.Tx, r *ent.Reminder, at time.Time) error
}

// NewWorker returns a Worker that sends through d.Sender (a LogSender
// when nil).
func NewWorker(d Deps, cfg Config) (*Worker, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("push config: %w", err)
	}
	m, err := newMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	z, err := newZones(cfg.DefaultTimeZone)
	if err != nil {
		return nil, err
	}
	w := &Worker{db: d.DB, clock: d.Clock, cfg: cfg, log: d.logger(), m: m, zones: z,
		sender: d.Sender, rand: d.rand(), onSent: d.OnSent}
	if w.sender == nil {
		w.sender = LogSender{Log: w.log}
	}
	return w, nil
}

// DrainStats counts what one Drain did, per reminder.
type DrainStats struct {
	Claimed   int
	Sent      int // completed: pushed, or in the inbox only
	Retried   int // failed transiently, scheduled again
	Failed    int // given up on
	Cancelled int // no longer held when claimed
	Skipped   int // customer reminders with nowhere to go
	Deferred  int // moved to the end of quiet hours
	LeaseLost int // results not recorded: the lease had passed on
	Abandoned int // claimed but not sent (the batch took too long to prepare)
}

func (s *DrainStats) add(o DrainStats) {
	s.Claimed += o.Claimed
	s.Sent += o.Sent
	s.Retried += o.Retried
	s.Failed += o.Failed
	s.Cancelled += o.Cancelled
	s.Skipped += o.Skipped
	s.Deferred += o.Deferred
	s.LeaseLost += o.LeaseLost
	s.Abandoned += o.Abandoned
}

// Drain delivers every reminder due at now, a batch at a time, until none
// is left. Errors recording single reminders are logged and leave those
// rows to be claimed again after their leases; an error claiming ends the
// drain.
func (w *Worker) Drain(ctx context.Context, now time.Time) (DrainStats, error) {
	ctx = auth.SystemContext(ctx)
	now = stamp(now)
	var total DrainStats
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		st, err := w.batch(ctx, now)
		total.add(st)
		if err != nil {
			return total, err
		}
		if st.Claimed == 0 {
			return total, nil
		}
	}
}

// errLeaseLost ends a recording transaction whose lease token is gone.
var errLeaseLost = errors.New("reminder lease lost")

// claimable are the rows a claim at now may take.
func claimable(now time.Time) predicate.Reminder {
	return reminder.Or(
		reminder.And(reminder.StatusEQ(reminder.StatusPending), reminder.NextAttemptAtLTE(now)),
		reminder.And(reminder.StatusEQ(reminder.StatusSending), reminder.LeaseUntilLT(now)),
	)
}

// claim leases up to n due rows to the token owner.
func (w *Worker) claim(ctx context.Context, now time.Time, owner string, n int) ([]*ent.Reminder, error) {
	// An idle worker does not take the write lock (SQLite's only one).
	due, err := w.db.Client.Reminder.Query().Where(claimable(now)).Exist(ctx)
	if err != nil || !due {
		if err != nil {
			err = fmt.Errorf("look for due reminders: %w", err)
		}
		return nil, err
	}
	var ids []uuid.UUID
	err = w.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		q := tx.Reminder.Query().Where(claimable(now)).
			Order(ent.Asc(reminder.FieldNextAttemptAt), ent.Asc(reminder.FieldID)).Limit(n)
		if w.db.Dialect == dialect.Postgres {
			q = q.ForUpdate(entsql.WithLockAction(entsql.SkipLocked))
		}
		var err error
		if ids, err = q.IDs(ctx); err != nil || len(ids) == 0 {
			return err
		}
		_, err = tx.Reminder.Update().Where(reminder.IDIn(ids...), claimable(now)).
			SetStatus(reminder.StatusSending).SetLeaseOwner(owner).
			SetLeaseUntil(now.Add(w.cfg.LeaseDuration)).SetUpdatedAt(now).Save(ctx)
		return err
	})
	if err != nil || len(ids) == 0 {
		if err != nil {
			err = fmt.Errorf("claim reminders: %w", err)
		}
		return nil, err
	}
	rows, err := w.db.Client.Reminder.Query().
		Where(reminder.IDIn(ids...), reminder.LeaseOwner(owner), reminder.StatusEQ(reminder.StatusSending)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read claimed reminders: %w", err)
	}
	return rows, nil
}

// job is one claimed reminder on its way out.
type job struct {
	r          *ent.Reminder
	st         *policyState
	loc        *time.Location
	targets    []*ent.Device
	start, end int // its messages in the batch
	prior      bool
}

// batch claims one batch and delivers it.
func (w *Worker) batch(ctx context.Context, now time.Time) (DrainStats, error) {
	var st DrainStats
	started := w.clock.Now()
	owner := w.cfg.WorkerID + "/" + uuid.NewString()
	rows, err := w.claim(ctx, now, owner, w.cfg.BatchSize)
	if err != nil || len(rows) == 0 {
		return st, err
	}
	st.Claimed = len(rows)
	jobs, msgs, err := w.prepare(ctx, rows, now, owner, &st)
	if err != nil {
		// The rows stay leased and are claimed again when the lease ends.
		return st, err
	}
	if len(jobs) == 0 {
		return st, nil
	}
	if w.clock.Now().Sub(started)+w.cfg.SendTimeout >= w.cfg.LeaseDuration {
		w.log.WarnContext(ctx, "reminder batch prepared too slowly to send within its lease; left to expire",
			"reminders", len(jobs))
		st.Abandoned += len(jobs)
		return st, nil
	}
	results := w.send(ctx, msgs)
	for _, j := range jobs {
		w.finish(ctx, j, results[j.start:j.end], now, owner, &st)
	}
	return st, nil
}

// prepare checks each claimed row, settles those that need no push
// (cancelled, deferred) and builds the messages of the rest.
func (w *Worker) prepare(ctx context.Context, rows []*ent.Reminder, now time.Time, owner string, st *DrainStats) ([]job, []Message, error) {
	c := w.db.Client
	var pids, agentIDs, custIDs, rids []uuid.UUID
	for _, r := range rows {
		pids = append(pids, r.PolicyID)
		rids = append(rids, r.ID)
		if r.RecipientKind == reminder.RecipientKindAgent {
			agentIDs = append(agentIDs, r.RecipientID)
		} else {
			custIDs = append(custIDs, r.RecipientID)
		}
	}
	policies, err := loadPolicies(ctx, c, uniq(pids))
	if err != nil {
		return nil, nil, err
	}
	states, err := loadStates(ctx, c, policies)
	if err != nil {
		return nil, nil, err
	}
	devs, err := c.Device.Query().
		Where(device.Enabled(true), device.Or(device.AgentIDIn(uniq(agentIDs)...), device.CustomerIDIn(uniq(custIDs)...))).
		Order(ent.Asc(device.FieldID)).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load devices: %w", err)
	}
	byAgent, byCustomer := map[uuid.UUID][]*ent.Device{}, map[uuid.UUID][]*ent.Device{}
	for _, d := range devs {
		if d.AgentID != nil {
			byAgent[*d.AgentID] = append(byAgent[*d.AgentID], d)
		}
		if d.CustomerID != nil {
			byCustomer[*d.CustomerID] = append(byCustomer[*d.CustomerID], d)
		}
	}
	done, err := c.DeliveryAttempt.Query().
		Where(deliveryattempt.ReminderIDIn(rids...), deliveryattempt.OutcomeEQ(deliveryattempt.OutcomeSent)).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load attempts: %w", err)
	}
	reached := map[uuid.UUID]map[uuid.UUID]bool{}
	for _, a := range done {
		if a.DeviceID == nil {
			continue
		}
		if reached[a.ReminderID] == nil {
			reached[a.ReminderID] = map[uuid.UUID]bool{}
		}
		reached[a.ReminderID][*a.DeviceID] = true
	}

	var (
		jobs []job
		msgs []Message
	)
	for _, r := range rows {
		pst := states[r.PolicyID]
		if reason := w.cfg.check(r, pst); reason != "" {
			w.settle(ctx, r, owner, now, st, func(u *ent.ReminderUpdate) {
				u.SetStatus(reminder.StatusCancelled).SetLastError(reason).ClearNextAttemptAt()
			}, func() { st.Cancelled++; w.m.cancelled.WithLabelValues(reason).Inc() })
			continue
		}
		loc := recipientZone(w.zones, r.RecipientKind, pst)
		if w.cfg.Quiet.Contains(now, loc) {
			next := w.cfg.Quiet.After(now, loc)
			w.settle(ctx, r, owner, now, st, func(u *ent.ReminderUpdate) {
				u.SetStatus(reminder.StatusPending).SetNextAttemptAt(stamp(next))
			}, func() { st.Deferred++; w.m.deferred.Inc() })
			continue
		}
		all := byAgent[r.RecipientID]
		if r.RecipientKind == reminder.RecipientKindCustomer {
			all = byCustomer[r.RecipientID]
		}
		j := job{r: r, st: pst, loc: loc, start: len(msgs), prior: len(reached[r.ID]) > 0}
		for _, d := range all {
			if reached[r.ID][d.ID] {
				continue
			}
			j.targets = append(j.targets, d)
			msgs = append(msgs, w.cfg.message(r, d, pst, now))
		}
		j.end = len(msgs)
		jobs = append(jobs, j)
	}
	return jobs, msgs, nil
}

// send hands msgs to the Sender in batches of at most 500, all within
// SendTimeout.
func (w *Worker) send(ctx context.Context, msgs []Message) []Result {
	results := make([]Result, len(msgs))
	if len(msgs) == 0 {
		return results
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.SendTimeout)
	defer cancel()
	for i := 0; i < len(msgs); i += maxSendBatch {
		part := msgs[i:min(i+maxSendBatch, len(msgs))]
		got := w.sender.Send(ctx, part)
		for k := range part {
			if k < len(got) {
				results[i+k] = got[k]
			} else {
				results[i+k] = Result{Outcome: deliveryattempt.OutcomeTransientError, ErrorCode: "NO_RESULT"}
			}
		}
	}
	return results
}

// settle ends a claimed row without a push, fenced by the lease token.
func (w *Worker) settle(ctx context.Context, r *ent.Reminder, owner string, now time.Time, st *DrainStats,
	set func(*ent.ReminderUpdate), counted func()) {
	u := fenced(w.db.Client, r, owner, now)
	set(u)
	n, err := u.Save(ctx)
	switch {
	case err != nil:
		w.log.ErrorContext(ctx, "settle reminder", "reminder_id", r.ID, "err", err)
	case n == 0:
		st.LeaseLost++
		w.m.leaseLost.Inc()
	default:
		counted()
	}
}

// fenced starts the update that ends an attempt: it applies only while
// the row is still sending under this worker's lease token.
func fenced(c *ent.Client, r *ent.Reminder, owner string, now time.Time) *ent.ReminderUpdate {
	return c.Reminder.Update().
		Where(reminder.ID(r.ID), reminder.StatusEQ(reminder.StatusSending), reminder.LeaseOwner(owner)).
		SetLeaseOwner("").ClearLeaseUntil().SetUpdatedAt(now)
}

// backoff is the delay before attempt n+1: BackoffBase·2^(n-1), capped,
// with equal jitter, and never shorter than the provider's Retry-After.
func (w *Worker) backoff(n int, retryAfter time.Duration) time.Duration {
	d := w.cfg.BackoffBase
	for i := 1; i < n && d < w.cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, w.cfg.BackoffMax)
	d = d/2 + time.Duration(w.rand()*float64(d/2))
	return max(d, retryAfter)
}
