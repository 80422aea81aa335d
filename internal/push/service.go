package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Deps are what the Scheduler, the Worker and the Service run on.
type Deps struct {
	DB    *store.DB
	Clock clock.Clock
	// Logger receives operational lines; never personal data. Nil: discard.
	Logger *slog.Logger
	// Registerer receives the metrics; nil: not exported.
	Registerer prometheus.Registerer
	// Sender delivers pushes (Worker); nil: a LogSender.
	Sender Sender
	// Rand returns the jitter of retry delays, in [0, 1); nil: math/rand/v2.
	// It must be safe for concurrent use.
	Rand func() float64
	// OnSent, when set, runs inside the transaction that records a
	// reminder as sent (after the lease-fenced update succeeded), so what
	// it writes exists exactly when the record does: the webhooks'
	// policy.reminder_sent. An error rolls the record back, as any other
	// recording error does.
	OnSent func(ctx context.Context, tx *ent.Tx, r *ent.Reminder, at time.Time) error
}

func (d Deps) check() error {
	if d.DB == nil || d.Clock == nil {
		return errors.New("push: Deps need DB and Clock")
	}
	return nil
}

func (d Deps) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

func (d Deps) rand() func() float64 {
	if d.Rand == nil {
		return rand.Float64
	}
	return d.Rand
}

// Service is the reminder machinery of one process: a Scheduler and a
// Worker over one outbox, and the report.
type Service struct {
	Scheduler *Scheduler
	Worker    *Worker
	db        *store.DB
	clock     clock.Clock
	cfg       Config
	log       *slog.Logger
	zones     *zones
}

// New returns a Service.
func New(d Deps, cfg Config) (*Service, error) {
	sch, err := NewScheduler(d, cfg)
	if err != nil {
		return nil, err
	}
	w, err := NewWorker(d, cfg)
	if err != nil {
		return nil, err
	}
	return &Service{Scheduler: sch, Worker: w, db: d.DB, clock: d.Clock, cfg: cfg, log: d.logger(), zones: sch.zones}, nil
}

// RunStats is what one RunOnce did.
type RunStats struct {
	Plan  PlanStats
	Drain DrainStats
}

// RunOnce plans as of at and delivers everything due at at: `agentdesk
// notify run --at`.
func (s *Service) RunOnce(ctx context.Context, at time.Time) (RunStats, error) {
	var st RunStats
	var err error
	if st.Plan, err = s.Scheduler.Plan(ctx, at); err != nil {
		return st, err
	}
	st.Drain, err = s.Worker.Drain(ctx, at)
	return st, err
}

// Run plans and delivers on the Service's clock every interval until ctx
// ends, and prunes idle devices once a day. Errors are logged; the loop
// goes on. It returns nil when ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("push: interval %v is not positive", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastPrune time.Time
	for {
		now := s.clock.Now()
		if _, err := s.RunOnce(ctx, now); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "reminder run", "err", err)
		}
		if now.Sub(lastPrune) >= 24*time.Hour {
			if _, err := s.PruneDevices(ctx, now); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "prune devices", "err", err)
			}
			lastPrune = now
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PruneDevices disables devices not seen for Config.DeviceMaxIdle (FCM
// considers such tokens stale), with reason "stale". It returns how many.
func (s *Service) PruneDevices(ctx context.Context, now time.Time) (int, error) {
	ctx = auth.SystemContext(ctx)
	now = stamp(now)
	n, err := s.db.Client.Device.Update().
		Where(device.Enabled(true), device.LastSeenAtLT(now.Add(-s.cfg.DeviceMaxIdle))).
		SetEnabled(false).SetDisabledReason("stale").SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune devices: %w", err)
	}
	if n > 0 {
		s.Worker.m.devices.WithLabelValues("stale").Add(float64(n))
		s.log.InfoContext(ctx, "stale devices disabled", "count", n)
	}
	return n, nil
}
