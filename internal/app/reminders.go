package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/config"
	"github.com/agentdesk/agentdesk/internal/httpapi"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/push"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/webhook"
)

// NewReminders builds the reminder service on db: pushes go through
// Firebase Cloud Messaging when AGENTDESK_FCM_PROJECT_ID or
// AGENTDESK_FCM_ENDPOINT is set, and otherwise to the log only (every
// reminder still reaches the agent's inbox). A configured project whose
// credentials cannot be loaded is an error: a server that was meant to
// push must not start silent. reg receives the metrics; nil: none.
func NewReminders(ctx context.Context, cfg config.Config, db *store.DB, logger *slog.Logger, clk clock.Clock,
	reg prometheus.Registerer) (*push.Service, error) {
	sender, err := push.NewSender(ctx, push.FCMConfig{
		ProjectID: cfg.FCMProjectID, CredentialsFile: cfg.FCMCredentials, Endpoint: cfg.FCMEndpoint, Clock: clk,
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	if _, ok := sender.(push.LogSender); ok {
		logger.Info("push not configured (AGENTDESK_FCM_PROJECT_ID unset): reminders go to the inbox and the log")
	} else {
		logger.Info("push through Firebase Cloud Messaging", "project", cfg.FCMProjectID, "endpoint", cfg.FCMEndpoint)
	}
	pc := push.DefaultConfig()
	pc.WorkerID = workerID()
	// A reminder recorded sent is announced to webhook subscribers in the
	// same transaction (policy.reminder_sent).
	svc, err := push.New(push.Deps{DB: db, Clock: clk, Logger: logger, Registerer: reg, Sender: sender,
		OnSent: webhook.ReminderSent}, pc)
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	return svc, nil
}

// workerID names this process in the outbox's lease tokens.
func workerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "agentdesk"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// RunReminders plans and sends reminders every AGENTDESK_REMINDER_INTERVAL
// (a minute when unset) on the App's clock, and disables devices unseen for too long once a day,
// until ctx ends.
func (a *App) RunReminders(ctx context.Context) error {
	interval := a.cfg.ReminderInterval
	if interval <= 0 {
		interval = time.Minute
	}
	return a.Reminders.Run(ctx, interval)
}

// startReminders runs RunReminders in the background; the function it
// returns stops it and waits for it to finish.
func (a *App) startReminders(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.RunReminders(ctx); err != nil {
			a.log.Error("reminders stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// NewWebhooks builds the webhook service on db: targets must resolve to
// public addresses, or to AGENTDESK_WEBHOOK_ALLOWED_NETWORKS.
func NewWebhooks(cfg config.Config, db *store.DB, protector *pii.Protector, logger *slog.Logger, clk clock.Clock) (*webhook.Service, error) {
	allowed, err := webhook.ParsePrefixes(cfg.WebhookAllowedNetworks)
	if err != nil {
		return nil, fmt.Errorf("AGENTDESK_WEBHOOK_ALLOWED_NETWORKS: %w", err)
	}
	wc := webhook.DefaultConfig()
	wc.Allowed = allowed
	wc.WorkerID = workerID()
	svc, err := webhook.New(webhook.Deps{DB: db, PII: protector, Clock: clk, Render: httpapi.WebhookRecordJSON, Logger: logger}, wc)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	return svc, nil
}

// RunWebhooks dispatches events and delivers webhooks every
// AGENTDESK_WEBHOOK_INTERVAL on the App's clock until ctx ends.
func (a *App) RunWebhooks(ctx context.Context) error {
	interval := a.cfg.WebhookInterval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	return a.Webhooks.Run(ctx, interval)
}

// startWebhooks runs RunWebhooks in the background; the function it
// returns stops it and waits for it to finish.
func (a *App) startWebhooks(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.RunWebhooks(ctx); err != nil {
			a.log.Error("webhooks stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
