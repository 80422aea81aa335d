package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/ent/webhookdelivery"
	"github.com/agentdesk/agentdesk/ent/webhooksubscription"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/domain"
)

// Worker delivers due rows of the webhook outbox.
//
// # Why a delivery is never made twice concurrently
//
// The design is the reminder worker's (package push). A row is called
// only by the worker that holds its lease. A claim is one transaction that
// picks due rows (pending with next_attempt_at ≤ now, or delivering with
// an expired lease) and takes them with a conditional UPDATE that sets
// status delivering, lease_until and a fresh lease token (lease_owner)
// that no other claim uses. On PostgreSQL the pick is SELECT … FOR UPDATE
// SKIP LOCKED, so concurrent claimers take disjoint rows without waiting;
// on SQLite the write transaction holds the single write lock. A second
// claim of a row can only succeed once the first lease has expired, and a
// call ends (RequestTimeout) before half the lease has passed. The write
// that records an attempt is conditional on the lease token; a worker
// whose lease passed on records nothing.
//
// As with any webhook, a crash (or a lost answer) after the receiver took
// a call but before the attempt was recorded leaves the row to be called
// again: receivers deduplicate on the event id, which never changes.
//
// # Order per subject
//
// A row is claimable only when no earlier row (by ID, which follows
// enqueue order) of the same subscription and subject is still pending or
// delivering: a later event about a record waits until the earlier one is
// delivered or given up.
type Worker struct {
	s      *Service
	client *http.Client
}

// DrainStats counts what one Drain did.
type DrainStats struct {
	Claimed   int
	Delivered int
	Retried   int // failed, scheduled again
	Failed    int // given up (410, or retries exhausted)
	LeaseLost int // results not recorded: the lease had passed on
}

func (s *DrainStats) add(o DrainStats) {
	s.Claimed += o.Claimed
	s.Delivered += o.Delivered
	s.Retried += o.Retried
	s.Failed += o.Failed
	s.LeaseLost += o.LeaseLost
}

// Drain delivers every row due at now, a batch at a time, until none is
// left.
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
		if err != nil || st.Claimed == 0 {
			return total, err
		}
	}
}

// claimable are the rows a claim at now may take, as far as their own
// state goes.
func claimable(now time.Time) predicate.WebhookDelivery {
	return webhookdelivery.Or(
		webhookdelivery.And(webhookdelivery.StatusEQ(webhookdelivery.StatusPending), webhookdelivery.NextAttemptAtLTE(now)),
		webhookdelivery.And(webhookdelivery.StatusEQ(webhookdelivery.StatusDelivering), webhookdelivery.LeaseUntilLT(now)),
	)
}

// firstOfSubject holds when no earlier row of the same subscription and
// subject is still open.
func firstOfSubject() predicate.WebhookDelivery {
	return func(s *entsql.Selector) {
		e := entsql.Table(webhookdelivery.Table).As("earlier")
		s.Where(entsql.NotExists(entsql.Select(e.C(webhookdelivery.FieldID)).From(e).Where(entsql.And(
			entsql.ColumnsEQ(e.C(webhookdelivery.FieldSubscriptionID), s.C(webhookdelivery.FieldSubscriptionID)),
			entsql.ColumnsEQ(e.C(webhookdelivery.FieldSubjectID), s.C(webhookdelivery.FieldSubjectID)),
			entsql.ColumnsLT(e.C(webhookdelivery.FieldID), s.C(webhookdelivery.FieldID)),
			entsql.In(e.C(webhookdelivery.FieldStatus), string(webhookdelivery.StatusPending), string(webhookdelivery.StatusDelivering)),
		))))
	}
}

// ready are the rows to claim at now: due, of an active subscription,
// first of their subject.
func ready(now time.Time) predicate.WebhookDelivery {
	return webhookdelivery.And(claimable(now), webhookdelivery.HasSubscriptionWith(webhooksubscription.Active(true)), firstOfSubject())
}

// claim leases up to n ready rows to the token owner.
func (w *Worker) claim(ctx context.Context, now time.Time, owner string, n int) ([]*ent.WebhookDelivery, error) {
	db := w.s.db
	// An idle worker does not take the write lock (SQLite's only one).
	due, err := db.Client.WebhookDelivery.Query().Where(ready(now)).Exist(ctx)
	if err != nil || !due {
		if err != nil {
			err = fmt.Errorf("look for due deliveries: %w", err)
		}
		return nil, err
	}
	var ids []uuid.UUID
	err = db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		q := tx.WebhookDelivery.Query().Where(ready(now)).Order(ent.Asc(webhookdelivery.FieldID)).Limit(n)
		if db.Dialect == dialect.Postgres {
			q = q.ForUpdate(entsql.WithLockAction(entsql.SkipLocked))
		}
		var err error
		if ids, err = q.IDs(ctx); err != nil || len(ids) == 0 {
			return err
		}
		_, err = tx.WebhookDelivery.Update().Where(webhookdelivery.IDIn(ids...), claimable(now)).
			SetStatus(webhookdelivery.StatusDelivering).SetLeaseOwner(owner).
			SetLeaseUntil(now.Add(w.s.cfg.LeaseDuration)).SetUpdatedAt(now).Save(ctx)
		return err
	})
	if err != nil || len(ids) == 0 {
		if err != nil {
			err = fmt.Errorf("claim deliveries: %w", err)
		}
		return nil, err
	}
	rows, err := db.Client.WebhookDelivery.Query().
		Where(webhookdelivery.IDIn(ids...), webhookdelivery.LeaseOwner(owner),
			webhookdelivery.StatusEQ(webhookdelivery.StatusDelivering)).
		WithSubscription().Order(ent.Asc(webhookdelivery.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read claimed deliveries: %w", err)
	}
	return rows, nil
}

// batch claims one batch and calls its rows concurrently.
func (w *Worker) batch(ctx context.Context, now time.Time) (DrainStats, error) {
	var st DrainStats
	owner := w.s.cfg.WorkerID + "/" + uuid.NewString()
	rows, err := w.claim(ctx, now, owner, w.s.cfg.BatchSize)
	if err != nil || len(rows) == 0 {
		return st, err
	}
	st.Claimed = len(rows)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, d := range rows {
		wg.Go(func() {
			out := w.attempt(ctx, d, now)
			res := w.finish(ctx, d, out, now, owner)
			mu.Lock()
			st.add(res)
			mu.Unlock()
		})
	}
	wg.Wait()
	return st, nil
}

// outcome is what one call came to.
type outcome struct {
	attempt    domain.WebhookAttempt
	retryAfter time.Duration
	ok         bool // 2xx
	gone       bool // 410: the receiver wants no more
}

// attempt makes one signed call.
func (w *Worker) attempt(ctx context.Context, d *ent.WebhookDelivery, now time.Time) outcome {
	out := outcome{attempt: domain.WebhookAttempt{At: now}}
	sub := d.Edges.Subscription
	if sub == nil {
		out.attempt.Error = "subscription not found"
		return out
	}
	secret, err := w.s.pii.Decrypt(secretField, sub.SecretEnc)
	if err != nil {
		w.s.log.ErrorContext(ctx, "decrypt webhook secret", "subscription_id", sub.ID, "err", err)
		out.attempt.Error = "signing secret unavailable"
		return out
	}
	body := []byte(d.Payload)
	ctx, cancel := context.WithTimeout(ctx, w.s.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		out.attempt.Error = "invalid URL"
		return out
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "AgentDesk-Webhooks/1")
	req.Header.Set(SignatureHeader, Sign(secret, w.s.clock.Now(), body))
	req.Header.Set(eventHeader, d.Event)
	req.Header.Set(deliveryHeader, d.ID.String())
	start := time.Now()
	res, err := w.client.Do(req)
	out.attempt.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) || (ue != nil && ue.Timeout()) {
			out.attempt.Error = fmt.Sprintf("timeout after %s", w.s.cfg.RequestTimeout)
		} else {
			out.attempt.Error = err.Error()
		}
		return out
	}
	// Drain a little so the connection can be reused; the answer's body is
	// not kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	out.attempt.StatusCode = res.StatusCode
	out.ok = res.StatusCode >= 200 && res.StatusCode < 300
	out.gone = res.StatusCode == http.StatusGone
	if !out.ok {
		out.retryAfter = retryAfter(res.Header.Get("Retry-After"), now)
	}
	return out
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff is the delay before attempt n+1: BackoffBase·2^(n-1), capped,
// with equal jitter, and never shorter than the receiver's Retry-After.
func (w *Worker) backoff(n int, after time.Duration) time.Duration {
	c := w.s.cfg
	d := c.BackoffBase
	for i := 1; i < n && d < c.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, c.BackoffMax)
	d = d/2 + time.Duration(w.s.rand()*float64(d/2))
	return max(d, after)
}

// finish records an attempt, fenced by the lease token: delivered; failed
// on 410 (and the subscription deactivated) or when the next try would
// fall after MaxAge; otherwise pending again after the backoff.
func (w *Worker) finish(ctx context.Context, d *ent.WebhookDelivery, out outcome, now time.Time, owner string) DrainStats {
	var st DrainStats
	attempts := append(append([]domain.WebhookAttempt{}, d.Attempts...), out.attempt)
	status, next := webhookdelivery.StatusPending, time.Time{}
	switch {
	case out.ok:
		status = webhookdelivery.StatusDelivered
	case out.gone:
		status = webhookdelivery.StatusFailed
	default:
		next = now.Add(w.backoff(len(attempts), out.retryAfter))
		if next.After(d.CreatedAt.Add(w.s.cfg.MaxAge)) {
			status, next = webhookdelivery.StatusFailed, time.Time{}
		}
	}
	err := w.s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		u := tx.WebhookDelivery.Update().
			Where(webhookdelivery.ID(d.ID), webhookdelivery.StatusEQ(webhookdelivery.StatusDelivering),
				webhookdelivery.LeaseOwner(owner)).
			SetLeaseOwner("").ClearLeaseUntil().SetUpdatedAt(now).SetAttempts(attempts).SetStatus(status)
		if next.IsZero() {
			u.ClearNextAttemptAt()
		} else {
			u.SetNextAttemptAt(stamp(next))
		}
		if out.ok {
			u.SetDeliveredAt(now)
		}
		n, err := u.Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errLeaseLost
		}
		if out.gone && d.Edges.Subscription != nil {
			// The receiver said it wants no more events.
			if err := tx.WebhookSubscription.UpdateOneID(d.SubscriptionID).SetActive(false).
				SetUpdatedAt(later(now, d.Edges.Subscription.UpdatedAt)).Exec(ctx); err != nil && !ent.IsNotFound(err) {
				return err
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errLeaseLost):
		st.LeaseLost++
		w.s.log.WarnContext(ctx, "webhook lease passed to another worker before its attempt was recorded", "delivery_id", d.ID)
	case err != nil:
		w.s.log.ErrorContext(ctx, "record webhook attempt", "delivery_id", d.ID, "err", err)
	case status == webhookdelivery.StatusDelivered:
		st.Delivered++
	case status == webhookdelivery.StatusFailed:
		st.Failed++
	default:
		st.Retried++
	}
	return st
}

// errLeaseLost ends a recording transaction whose lease token is gone.
var errLeaseLost = errors.New("webhook lease lost")
