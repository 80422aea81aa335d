package push

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the reminder figures exported to Prometheus.
type metrics struct {
	scheduled *prometheus.CounterVec // due_kind, recipient
	skipped   prometheus.Counter     // windows already past when planned
	cancelled *prometheus.CounterVec // reason
	sent      *prometheus.CounterVec // recipient, channel (push | inbox)
	failed    *prometheus.CounterVec // reason (error code)
	retried   prometheus.Counter     // attempts that will be retried
	deferred  prometheus.Counter     // sends moved out of quiet hours at send time
	attempts  *prometheus.CounterVec // outcome, per device
	leaseLost prometheus.Counter     // attempts whose recording found the lease gone
	queueAge  prometheus.Histogram   // now - scheduled_for at the first attempt
	devices   *prometheus.CounterVec // reason: devices disabled
}

// newMetrics registers the collectors on reg (nil: not registered). A
// collector that is already registered (a second Worker in one process)
// is shared.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		scheduled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentdesk_reminders_scheduled_total",
			Help: "Reminders planned into the outbox.",
		}, []string{"due_kind", "recipient"}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentdesk_reminders_skipped_total",
			Help: "Reminder windows already past (beyond the back-fill grace) when first planned.",
		}),
		cancelled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentdesk_reminders_cancelled_total",
			Help: "Pending reminders cancelled because their policy, date or recipient changed.",
		}, []string{"reason"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentdesk_reminders_sent_total",
			Help: "Reminders completed, by recipient and channel (push: accepted by FCM; inbox: in-app only).",
		}, []string{"recipient", "channel"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentdesk_reminders_failed_total",
			Help: "Reminders given up on, by reason.",
		}, []string{"reason"}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentdesk_reminders_retried_total",
			Help: "Delivery attempts that failed transiently and were scheduled again.",
		}),
		deferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentdesk_reminders_deferred_total",
			Help: "Sends postponed to the end of the recipient's quiet hours.",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentdesk_reminder_delivery_attempts_total",
			Help: "Per-device delivery attempts by outcome.",
		}, []string{"outcome"}),
		leaseLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentdesk_reminders_lease_lost_total",
			Help: "Attempts whose result could not be recorded because the lease had passed to another worker.",
		}),
		queueAge: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "agentdesk_reminder_queue_age_seconds",
			Help:    "Time from a reminder's scheduled send time to its first delivery attempt.",
			Buckets: []float64{1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600},
		}),
		devices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentdesk_push_devices_disabled_total",
			Help: "Devices disabled, by reason (dead token, stale).",
		}, []string{"reason"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.scheduled = register(reg, m.scheduled, &err)
	m.skipped = register(reg, m.skipped, &err)
	m.cancelled = register(reg, m.cancelled, &err)
	m.sent = register(reg, m.sent, &err)
	m.failed = register(reg, m.failed, &err)
	m.retried = register(reg, m.retried, &err)
	m.deferred = register(reg, m.deferred, &err)
	m.attempts = register(reg, m.attempts, &err)
	m.leaseLost = register(reg, m.leaseLost, &err)
	m.queueAge = register(reg, m.queueAge, &err)
	m.devices = register(reg, m.devices, &err)
	return m, err
}

// register registers c, or returns the collector already registered under
// its name; it records the first other error in *errp.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errp *error) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	if *errp == nil {
		*errp = fmt.Errorf("register reminder metrics: %w", err)
	}
	return c
}
