package config

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.ShutdownTimeout != 15*time.Second || c.BodyLimit != 1<<20 ||
		c.ReminderInterval != time.Minute || c.SyncRetention != 30*24*time.Hour || c.WebhookInterval != 5*time.Second ||
		c.WebhookAllowedNetworks != nil || c.DBMaxConns != 25 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    string
	}{
		{"bad db scheme", []string{"DATABASE_URL=mysql://x"}, "DATABASE_URL"},
		{"bad level", []string{"AGENTDESK_LOG_LEVEL=loud"}, "AGENTDESK_LOG_LEVEL"},
		{"bad duration", []string{"AGENTDESK_SHUTDOWN_TIMEOUT=soon"}, `invalid duration "soon"`},
		{"limits", []string{"AGENTDESK_BODY_LIMIT=10", "AGENTDESK_BULK_BODY_LIMIT=5"}, "BODY_LIMIT"},
		{"reminder interval", []string{"AGENTDESK_REMINDER_INTERVAL=0s"}, "AGENTDESK_REMINDER_INTERVAL"},
		{"sync retention", []string{"AGENTDESK_SYNC_RETENTION=5m"}, "AGENTDESK_SYNC_RETENTION"},
		{"db connections", []string{"AGENTDESK_DB_MAX_CONNS=0"}, "AGENTDESK_DB_MAX_CONNS"},
		{"webhook interval", []string{"AGENTDESK_WEBHOOK_INTERVAL=0s"}, "AGENTDESK_WEBHOOK_INTERVAL"},
		{"webhook networks", []string{"AGENTDESK_WEBHOOK_ALLOWED_NETWORKS=10.0.0.0/8,intranet"}, `"intranet"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.environ)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load(%v) error = %v, want mention of %s", tt.environ, err, tt.want)
			}
		})
	}
}

func TestLoadWebhookNetworks(t *testing.T) {
	c, err := Load([]string{"AGENTDESK_WEBHOOK_ALLOWED_NETWORKS=10.20.0.0/16, 127.0.0.1,::1/128"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.WebhookAllowedNetworks) != "[10.20.0.0/16  127.0.0.1 ::1/128]" {
		t.Fatalf("networks %q", c.WebhookAllowedNetworks)
	}
}

func TestLogValueMasksSecrets(t *testing.T) {
	c, err := Load([]string{
		"DATABASE_URL=postgres://app:hunter2@db:5432/agentdesk",
		"AGENTDESK_JWT_SIGNING_KEY=jwt-secret-material",
		"AGENTDESK_ENCRYPTION_KEY=enc-secret-material",
		"AGENTDESK_DEMO_PASSWORD=demo-secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("config", "config", c)
	out := b.String()
	for _, secret := range []string{"hunter2", "jwt-secret-material", "enc-secret-material", "demo-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("log line leaks %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "postgres://app:xxxxx@db:5432/agentdesk") {
		t.Errorf("log line lacks the redacted URL: %s", out)
	}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "secret-material") {
			t.Errorf("formatting the config leaks a secret: %s", s)
		}
	}
}
