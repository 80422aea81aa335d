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
	"github.com/agentdesk/agentdesk/internal/push"
	"github.com/agentdesk/agentdesk/internal/store"
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
	svc, err := push.New(push.Deps{DB: db, Clock: clk, Logger: logger, Registerer: reg, Sender: sender}, pc)
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
