// Package webhook delivers events to integrators' subscriptions.
//
// # Events
//
// Most events come from the commit-ordered change log: a Dispatcher walks
// it from a watermark kept in the database (ServerMeta) and turns entries
// into WebhookDelivery rows, one per subscription and event. The event ID
// is derived from the change-log sequence number (or, for events of other
// sources, from what they are about), and a delivery is unique per
// subscription, event and round, so a replay of the log, a crash between
// insert and watermark, or several replicas dispatching at once never
// make a second delivery. policy.reminder_sent is enqueued by the reminder
// worker in the transaction that records the reminder as sent
// (ReminderSent); complaint.breached by the Dispatcher when a complaint's
// SLA clock passes on the injected clock.
//
// # Delivery
//
// The WebhookDelivery table is an outbox like the reminders' (package
// push): a Worker claims due rows with a lease (SELECT … FOR UPDATE SKIP
// LOCKED on PostgreSQL, SQLite's single writer), under a fresh lease token
// that fences every write ending the attempt; see Worker. Calls are signed
// (Sign, Verify), retried with exponential backoff and jitter, honouring
// Retry-After, for Config.MaxAge, and delivered in order per subscription
// and subject.
//
// # Targets
//
// Only http(s) URLs whose host resolves to public addresses, unless a
// range is allowed by configuration (Guard); the check runs at subscribe
// time and again at every connection (the dialer's Control), so a DNS
// answer that changes later cannot point a delivery inward.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/syncer"
)

// Event types (openapi.yaml's WebhookEventType).
const (
	CustomerCreated     = "customer.created"
	CustomerUpdated     = "customer.updated"
	CustomerDeleted     = "customer.deleted"
	PolicyUpdated       = "policy.updated"
	PolicyReminderSent  = "policy.reminder_sent"
	InteractionCreated  = "interaction.created"
	ComplaintCreated    = "complaint.created"
	ComplaintBreached   = "complaint.breached"
	ComplaintUpdated    = "complaint.updated"
	ClaimUpdated        = "claim.updated"
	TaskCompleted       = "task.completed"
	secretField         = "webhook_subscription.secret"
	deliveryHeader      = "AgentDesk-Delivery"
	eventHeader         = "AgentDesk-Event"
	defaultRequestLimit = 10 * time.Second
)

// EventTypes are all event types, in the contract's order.
var EventTypes = []string{
	CustomerCreated, CustomerUpdated, CustomerDeleted, PolicyUpdated, PolicyReminderSent, InteractionCreated,
	ComplaintCreated, ComplaintBreached, ComplaintUpdated, ClaimUpdated, TaskCompleted,
}

// Config tunes delivery. Start from DefaultConfig.
type Config struct {
	// Allowed are non-public networks that targets may nevertheless be in
	// (AGENTDESK_WEBHOOK_ALLOWED_NETWORKS).
	Allowed []netip.Prefix
	// RequestTimeout bounds one call, connection included.
	RequestTimeout time.Duration
	// LeaseDuration is how long a claimed row stays claimed; at least
	// twice RequestTimeout, so a worker's call ends before its lease can.
	LeaseDuration time.Duration
	// BatchSize is the number of rows one claim takes; they are called
	// concurrently.
	BatchSize int
	// MaxAge is how long after its creation a delivery is retried; then it
	// is failed.
	MaxAge time.Duration
	// BackoffBase and BackoffMax shape the retry delay: BackoffBase·2^(n-1)
	// after the n-th attempt, capped at BackoffMax, with equal jitter; a
	// longer Retry-After from the receiver wins.
	BackoffBase, BackoffMax time.Duration
	// BreachLookback bounds the complaints scanned for SLA breaches: a
	// breach older than this when first seen (a server down that long) is
	// not announced.
	BreachLookback time.Duration
	// WorkerID names this process in lease tokens.
	WorkerID string
}

// DefaultConfig returns 10-second calls, one-minute leases, batches of
// 16, retries for 24 hours from 30 seconds up to an hour apart.
func DefaultConfig() Config {
	return Config{
		RequestTimeout: defaultRequestLimit,
		LeaseDuration:  time.Minute,
		BatchSize:      16,
		MaxAge:         24 * time.Hour,
		BackoffBase:    30 * time.Second,
		BackoffMax:     time.Hour,
		BreachLookback: 7 * 24 * time.Hour,
		WorkerID:       "agentdesk",
	}
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.RequestTimeout <= 0 || c.LeaseDuration < 2*c.RequestTimeout {
		errs = append(errs, errors.New("RequestTimeout must be positive and LeaseDuration at least twice it"))
	}
	if c.BatchSize <= 0 {
		errs = append(errs, errors.New("BatchSize must be positive"))
	}
	if c.MaxAge <= 0 || c.BackoffBase <= 0 || c.BackoffMax < c.BackoffBase {
		errs = append(errs, errors.New("MaxAge and BackoffBase must be positive and BackoffMax at least BackoffBase"))
	}
	if c.BreachLookback <= 0 {
		errs = append(errs, errors.New("BreachLookback must be positive"))
	}
	return errors.Join(errs...)
}

// Deps are what the webhook machinery runs on.
type Deps struct {
	DB    *store.DB
	PII   *pii.Protector
	Clock clock.Clock
	// Render turns a record into the JSON of its REST schema (an event's
	// data); personal identifiers arrive masked.
	Render func(syncer.Record) ([]byte, error)
	// Logger receives operational lines; never personal data. Nil: discard.
	Logger *slog.Logger
	// Resolver resolves target hosts at subscribe time; nil: the system's.
	Resolver *net.Resolver
	// Rand returns the jitter of retry delays in [0, 1); nil: math/rand/v2.
	Rand func() float64
}

// Service is the webhook machinery of one process: subscriptions, the
// Dispatcher and the Worker.
type Service struct {
	db     *store.DB
	pii    *pii.Protector
	clock  clock.Clock
	render func(syncer.Record) ([]byte, error)
	log    *slog.Logger
	cfg    Config
	guard  *Guard
	rand   func() float64
	want   wantedCache
	// stopCapture removes the capture of event data from the database's
	// transactions.
	stopCapture func()
	// Dispatcher turns events into deliveries.
	Dispatcher *Dispatcher
	// Worker delivers them.
	Worker *Worker
}

// New returns a Service.
func New(d Deps, cfg Config) (*Service, error) {
	if d.DB == nil || d.PII == nil || d.Clock == nil || d.Render == nil {
		return nil, errors.New("webhook: Deps need DB, PII, Clock and Render")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webhook config: %w", err)
	}
	s := &Service{db: d.DB, pii: d.PII, clock: d.Clock, render: d.Render, log: d.Logger, cfg: cfg,
		guard: &Guard{Allowed: cfg.Allowed, Resolver: d.Resolver}, rand: d.Rand}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.rand == nil {
		s.rand = rand.Float64
	}
	s.stopCapture = d.DB.OnPreCommit(s.capture)
	s.Dispatcher = &Dispatcher{s: s}
	s.Worker = &Worker{s: s, client: s.guard.Client(cfg.RequestTimeout)}
	return s, nil
}

// Close stops capturing event data in the database's transactions (New
// starts it); deliveries and dispatch still work.
func (s *Service) Close() { s.stopCapture() }

// stamp truncates to microseconds, what both databases keep.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// RunStats is what one RunOnce did.
type RunStats struct {
	Dispatch DispatchStats
	Drain    DrainStats
}

// RunOnce turns new events into deliveries and delivers what is due at
// now.
func (s *Service) RunOnce(ctx context.Context, now time.Time) (RunStats, error) {
	var st RunStats
	var err error
	if st.Dispatch, err = s.Dispatcher.Dispatch(ctx, now); err != nil {
		return st, err
	}
	st.Drain, err = s.Worker.Drain(ctx, now)
	return st, err
}

// Run calls RunOnce on the Service's clock every interval until ctx ends.
// Errors are logged; the loop goes on. It returns nil when ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("webhook: interval %v is not positive", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx, s.clock.Now()); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "webhook run", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
