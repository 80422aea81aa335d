// Package config reads AgentDesk's settings from the environment (and the
// flags that override them). Only cmd/agentdesk's run calls Load.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is every setting of the server and the commands.
type Config struct {
	Addr        string `env:"AGENTDESK_ADDR" envDefault:"127.0.0.1:8080"`
	DatabaseURL string `env:"DATABASE_URL"`
	// DBMaxConns caps this process's PostgreSQL connections (a burst of
	// requests queues for a connection instead of exhausting the server's
	// max_connections); SQLite has its own fixed pool.
	DBMaxConns      int           `env:"AGENTDESK_DB_MAX_CONNS" envDefault:"25"`
	DataDir         string        `env:"AGENTDESK_DATA_DIR" envDefault:"./data"`
	JWTSigningKey   string        `env:"AGENTDESK_JWT_SIGNING_KEY"`
	JWTPreviousKeys []string      `env:"AGENTDESK_JWT_PREVIOUS_KEYS" envSeparator:";"`
	EncryptionKey   string        `env:"AGENTDESK_ENCRYPTION_KEY"`
	DemoPassword    string        `env:"AGENTDESK_DEMO_PASSWORD"`
	FCMProjectID    string        `env:"AGENTDESK_FCM_PROJECT_ID"`
	FCMCredentials  string        `env:"GOOGLE_APPLICATION_CREDENTIALS"`
	FCMEndpoint     string        `env:"AGENTDESK_FCM_ENDPOINT"`
	LogLevel        string        `env:"AGENTDESK_LOG_LEVEL" envDefault:"info"`
	ShutdownTimeout time.Duration `env:"AGENTDESK_SHUTDOWN_TIMEOUT" envDefault:"15s"`
	BodyLimit       int64         `env:"AGENTDESK_BODY_LIMIT" envDefault:"1048576"`
	BulkBodyLimit   int64         `env:"AGENTDESK_BULK_BODY_LIMIT" envDefault:"33554432"`
	CORSOrigins     []string      `env:"AGENTDESK_CORS_ORIGINS" envSeparator:","`
	RateLimit       float64       `env:"AGENTDESK_RATE_LIMIT" envDefault:"50"`
	RateBurst       int           `env:"AGENTDESK_RATE_BURST" envDefault:"100"`

	// ReminderInterval is how often the server plans and sends reminders.
	ReminderInterval time.Duration `env:"AGENTDESK_REMINDER_INTERVAL" envDefault:"1m"`

	// SyncRetention is how long deletes are kept as tombstones (and scope
	// moves in the change log); a sync cursor older than it must reset.
	SyncRetention time.Duration `env:"AGENTDESK_SYNC_RETENTION" envDefault:"720h"`
	// WebhookAllowedNetworks are non-public networks (CIDR prefixes or
	// addresses) that webhook targets may nevertheless be in; by default
	// targets must resolve to public addresses only.
	WebhookAllowedNetworks []string `env:"AGENTDESK_WEBHOOK_ALLOWED_NETWORKS" envSeparator:","`
	// WebhookInterval is how often the server turns events into webhook
	// deliveries and delivers those due.
	WebhookInterval time.Duration `env:"AGENTDESK_WEBHOOK_INTERVAL" envDefault:"5s"`

	// Demo is set by `serve --demo`, not by the environment.
	Demo bool `env:"-"`
}

// Load reads the configuration from environ (os.Environ's format).
func Load(environ []string) (Config, error) {
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: env.ToMap(environ)}); err != nil {
		return c, fmt.Errorf("configuration: %w", err)
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("AGENTDESK_ADDR is empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("AGENTDESK_DATA_DIR is empty"))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") &&
		!strings.HasPrefix(c.DatabaseURL, "postgresql://") && !strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		errs = append(errs, errors.New("DATABASE_URL must start with postgres://, postgresql:// or sqlite:"))
	}
	if c.DBMaxConns < 1 {
		errs = append(errs, errors.New("AGENTDESK_DB_MAX_CONNS must be positive"))
	}
	if c.RateLimit < 0 || c.RateBurst < 1 {
		errs = append(errs, errors.New("AGENTDESK_RATE_LIMIT must not be negative and AGENTDESK_RATE_BURST must be positive"))
	}
	if c.ReminderInterval <= 0 {
		errs = append(errs, errors.New("AGENTDESK_REMINDER_INTERVAL must be positive"))
	}
	if c.SyncRetention < time.Hour {
		errs = append(errs, errors.New("AGENTDESK_SYNC_RETENTION must be at least 1h"))
	}
	if c.WebhookInterval <= 0 {
		errs = append(errs, errors.New("AGENTDESK_WEBHOOK_INTERVAL must be positive"))
	}
	for _, n := range c.WebhookAllowedNetworks {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if _, err := netip.ParsePrefix(n); err != nil {
			if _, err := netip.ParseAddr(n); err != nil {
				errs = append(errs, fmt.Errorf("AGENTDESK_WEBHOOK_ALLOWED_NETWORKS: %q is neither a CIDR prefix nor an address", n))
			}
		}
	}
	if _, err := c.SlogLevel(); err != nil {
		errs = append(errs, err)
	}
	if c.BodyLimit <= 0 || c.BulkBodyLimit < c.BodyLimit {
		errs = append(errs, errors.New("AGENTDESK_BODY_LIMIT must be positive and not above AGENTDESK_BULK_BODY_LIMIT"))
	}
	return errors.Join(errs...)
}

// SlogLevel parses LogLevel.
func (c Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("AGENTDESK_LOG_LEVEL: %w", err)
	}
	return l, nil
}

func mask(s string) string {
	if s == "" {
		return ""
	}
	return "set (masked)"
}

// LogValue lists the settings for a start-up log line with secrets masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.String("data_dir", c.DataDir),
		slog.Int("db_max_conns", c.DBMaxConns),
		slog.String("jwt_signing_key", mask(c.JWTSigningKey)),
		slog.Int("jwt_previous_keys", len(c.JWTPreviousKeys)),
		slog.String("encryption_key", mask(c.EncryptionKey)),
		slog.String("demo_password", mask(c.DemoPassword)),
		slog.String("fcm_project_id", c.FCMProjectID),
		slog.String("fcm_credentials", mask(c.FCMCredentials)),
		slog.String("fcm_endpoint", c.FCMEndpoint),
		slog.String("reminder_interval", c.ReminderInterval.String()),
		slog.String("sync_retention", c.SyncRetention.String()),
		slog.Any("webhook_allowed_networks", c.WebhookAllowedNetworks),
		slog.String("webhook_interval", c.WebhookInterval.String()),
		slog.String("log_level", c.LogLevel),
		slog.Any("cors_origins", c.CORSOrigins),
		slog.Float64("rate_limit", c.RateLimit),
		slog.Bool("demo", c.Demo),
	)
}

// String formats the settings with secrets masked, so a stray %v in a
// log cannot leak them.
func (c Config) String() string { return c.LogValue().String() }

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }

// redactURL hides a password in a database URL.
func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	userinfo := u[scheme+3 : at]
	if name, _, ok := strings.Cut(userinfo, ":"); ok {
		return u[:scheme+3] + name + ":xxxxx" + u[at:]
	}
	return u
}
