// Package app wires AgentDesk together: configuration, database, keys and
// the HTTP stack. End-to-end tests start an App on a loopback listener the
// same way the serve command does.
package app

import (
	"context"
	"crypto"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/config"
	"github.com/agentdesk/agentdesk/internal/demo"
	"github.com/agentdesk/agentdesk/internal/httpapi"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/push"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/syncer"
	"github.com/agentdesk/agentdesk/internal/webhook"
)

// App is a running AgentDesk: its database, keys and HTTP handler.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	clock   clock.Clock
	DB      *store.DB
	PII     *pii.Protector
	Signer  crypto.Signer
	Auth    *auth.Service
	handler http.Handler
	// recompute keeps portraits and service plans current; Serve runs it.
	recompute *plan.Recomputer
	// Reminders plans and sends renewal and premium reminders; Serve runs
	// it (RunReminders).
	Reminders *push.Service
	// Sync serves the delta-sync protocol; Serve runs its compaction, and
	// its event streams end when Serve's context does.
	Sync *syncer.Engine
	// Webhooks turns events into deliveries and delivers them; Serve runs
	// it (RunWebhooks).
	Webhooks *webhook.Service
}

// Background recompute of portraits and plans: the interval between
// rounds (commits of this process wake it sooner), its concurrency, and
// the customers recomputed per transaction (a day's sweep of a large book
// loads and writes them together; a transaction holds SQLite's write lock
// for tens of milliseconds).
const (
	recomputeInterval    = time.Minute
	recomputeWorkers     = 2
	recomputeTxCustomers = 20
)

// OpenDatabase opens the configured database (SQLite in the data
// directory unless DATABASE_URL says otherwise).
func OpenDatabase(ctx context.Context, cfg config.Config, clk clock.Clock) (*store.DB, error) {
	u := cfg.DatabaseURL
	if u == "" {
		u = store.DefaultURL(cfg.DataDir)
	}
	return store.Open(ctx, u, store.Options{Clock: clk, MaxOpenConns: cfg.DBMaxConns})
}

// New opens and migrates the database, loads the keys and builds the HTTP
// stack. Keys are required (PrepareDemoSecrets fills them in for --demo).
func New(ctx context.Context, cfg config.Config, logger *slog.Logger, clk clock.Clock) (*App, error) {
	if cfg.JWTSigningKey == "" || cfg.EncryptionKey == "" {
		return nil, errors.New("AGENTDESK_JWT_SIGNING_KEY and AGENTDESK_ENCRYPTION_KEY are required (or run with --demo)")
	}
	signer, err := auth.LoadSigningKey(cfg.JWTSigningKey)
	if err != nil {
		return nil, fmt.Errorf("AGENTDESK_JWT_SIGNING_KEY: %w", err)
	}
	protector, err := pii.ParseKeyring(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("AGENTDESK_ENCRYPTION_KEY: %w", err)
	}
	var previous []crypto.Signer
	for _, k := range cfg.JWTPreviousKeys {
		p, err := auth.LoadSigningKey(k)
		if err != nil {
			return nil, fmt.Errorf("AGENTDESK_JWT_PREVIOUS_KEYS: %w", err)
		}
		previous = append(previous, p)
	}
	db, err := OpenDatabase(ctx, cfg, clk)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	logger.Info("database ready", "dialect", db.Dialect)
	if added, err := plan.EnsureBuiltins(auth.SystemContext(ctx), db); err != nil {
		db.Close()
		return nil, fmt.Errorf("built-in plan rules: %w", err)
	} else if added > 0 {
		logger.Info("built-in plan rules stored", "added", added)
	}
	recompute := plan.NewRecomputer(db, clk, logger, recomputeWorkers)
	recompute.TxCustomers = recomputeTxCustomers

	tokens, err := auth.NewTokens(signer, clk, auth.TokenOptions{Previous: previous})
	if err != nil {
		db.Close()
		return nil, err
	}
	authSvc, err := auth.NewService(db, tokens, clk, logger)
	if err != nil {
		db.Close()
		return nil, err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reminders, err := NewReminders(ctx, cfg, db, logger, clk, reg)
	if err != nil {
		db.Close()
		return nil, err
	}
	hooks, err := NewWebhooks(cfg, db, protector, logger, clk)
	if err != nil {
		db.Close()
		return nil, err
	}
	cal, err := quality.LoadCalendar(ctx, db, quality.CalendarOptions{Clock: clk})
	if err != nil {
		db.Close()
		return nil, err
	}
	cursorKey, err := syncCursorKey(cfg.EncryptionKey)
	if err != nil {
		db.Close()
		return nil, err
	}
	syncEngine, err := syncer.New(db, syncer.Options{CursorKey: cursorKey, Render: httpapi.SyncRecordJSON, PII: protector,
		Audit: audit.New(db.Client, clk), Quality: quality.NewService(db, cal, clk), Clock: clk, Logger: logger, Retention: cfg.SyncRetention})
	if err != nil {
		db.Close()
		return nil, err
	}
	h, err := httpapi.NewHandler(httpapi.Deps{
		DB:            db,
		Auth:          authSvc,
		PII:           protector,
		Logger:        logger,
		Clock:         clk,
		Registry:      reg,
		BodyLimit:     cfg.BodyLimit,
		BulkBodyLimit: cfg.BulkBodyLimit,
		CORSOrigins:   cfg.CORSOrigins,
		RateLimit:     cfg.RateLimit,
		RateBurst:     cfg.RateBurst,
		Recomputer:    recompute,
		Reminders:     reminders,
		Calendar:      cal,
		Sync:          syncEngine,
		Webhooks:      hooks,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &App{cfg: cfg, log: logger, clock: clk, DB: db, PII: protector, Signer: signer, Auth: authSvc, handler: h,
		recompute: recompute, Reminders: reminders, Sync: syncEngine, Webhooks: hooks}, nil
}

// Handler is the HTTP handler of the whole API.
func (a *App) Handler() http.Handler { return a.handler }

// Serve answers HTTP on ln until ctx ends, then shuts down gracefully:
// in-flight requests get the configured shutdown timeout to finish.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// HTTP/1.1, and HTTP/2 with prior knowledge for clients and proxies
	// that speak it without TLS (TLS terminates in front of the server);
	// HTTP/2 compresses the headers every pull repeats.
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	stopRecompute := a.startRecompute(ctx)
	defer stopRecompute()
	stopReminders := a.startReminders(ctx)
	defer stopReminders()
	stopWebhooks := a.startWebhooks(ctx)
	defer stopWebhooks()
	// Run compacts the change log and, when ctx ends, ends the event
	// streams, which would otherwise hold the shutdown up.
	go func() {
		if err := a.Sync.Run(ctx); err != nil {
			a.log.Error("sync compaction stopped", "err", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("serving", "addr", ln.Addr().String(), "config", a.cfg)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// RunRecompute keeps portraits and service plans current until ctx ends:
// it recomputes the customers whose inputs changed and sweeps the book
// when the rules, the published toolkit or the day change.
func (a *App) RunRecompute(ctx context.Context) error {
	return a.recompute.Run(ctx, recomputeInterval)
}

// startRecompute runs RunRecompute in the background; the function it
// returns stops it and waits for it to finish.
func (a *App) startRecompute(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.RunRecompute(ctx); err != nil {
			a.log.Error("recompute portraits and plans stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// Close ends the sync engine's streams and releases the database.
func (a *App) Close() error {
	a.Sync.Close()
	return a.DB.Close()
}

// syncCursorKey derives the key that signs sync cursors from the member
// of AGENTDESK_ENCRYPTION_KEY that never changes (the one the search
// hashes derive from: "k1", else the oldest), so that every replica signs
// alike and cursors outlive key rotations.
func syncCursorKey(encryptionKey string) ([]byte, error) {
	s := strings.TrimSpace(encryptionKey)
	stable := s
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ",")
		_, stable, _ = strings.Cut(strings.TrimSpace(parts[len(parts)-1]), ":")
		for _, p := range parts {
			if id, b64, ok := strings.Cut(strings.TrimSpace(p), ":"); ok && id == "k1" {
				stable = b64
			}
		}
	}
	k, err := pii.ParseKey(stable)
	if err != nil {
		return nil, fmt.Errorf("AGENTDESK_ENCRYPTION_KEY: %w", err)
	}
	return hkdf.Key(sha256.New, k, nil, "agentdesk sync cursor", 32)
}

// LoadDemo loads the demo data set unless it is already there, and prints
// the accounts to out.
func (a *App) LoadDemo(ctx context.Context, out io.Writer) error {
	start := time.Now()
	sum, err := demo.Load(ctx, a.DB, a.PII, demo.Options{Password: a.cfg.DemoPassword, Now: a.clock.Now(), Seed: 20261122})
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	if sum.Loaded {
		a.log.Info("demo data loaded", "customers", sum.Customers, "policies", sum.Policies,
			"duration_ms", time.Since(start).Milliseconds())
	}
	// Portraits and service plans at once, rather than at the first round
	// of the background recompute.
	start = time.Now()
	st, err := a.recompute.RunOnce(ctx)
	if err != nil {
		return fmt.Errorf("demo data: recompute portraits and plans: %w", err)
	}
	if st.Customers > 0 {
		a.log.Info("demo portraits and plans computed", "customers", st.Customers, "portraits_written", st.PortraitsWritten,
			"plans_written", st.PlansWritten, "duration_ms", time.Since(start).Milliseconds())
	}
	fmt.Fprintf(out, "demo accounts: agent1, agent2, lead1 (team A), agent3 (team B), admin; integrator client demo-integrator\n")
	fmt.Fprintf(out, "demo password: %s\n", a.cfg.DemoPassword)
	return nil
}

// PrepareDemoSecrets fills in, for --demo and seed, the keys and the demo
// password that the environment does not set: generated once into the
// data directory (mode 0600) and reused on later starts, so the demo
// accounts keep working.
func PrepareDemoSecrets(cfg *config.Config, out io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	type secret struct {
		value *string
		file  string
		make  func() (string, error)
	}
	secrets := []secret{
		{&cfg.JWTSigningKey, "jwt-signing-key.pem", func() (string, error) {
			b, err := auth.GenerateSigningKeyPEM()
			return string(b), err
		}},
		{&cfg.EncryptionKey, "encryption.key", func() (string, error) { return pii.NewKey(), nil }},
		{&cfg.DemoPassword, "demo-password", func() (string, error) { return demoPassword(), nil }},
	}
	for _, s := range secrets {
		if *s.value != "" {
			continue
		}
		path := filepath.Join(cfg.DataDir, s.file)
		b, err := os.ReadFile(path)
		if err == nil {
			*s.value = strings.TrimSpace(string(b))
			continue
		}
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		v, err := s.make()
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", s.file, err)
		}
		*s.value = v
		fmt.Fprintf(out, "generated %s (development only)\n", path)
	}
	return nil
}

func demoPassword() string {
	return "demo-" + strings.ReplaceAll(pii.NewKey()[:12], "/", "x")
}
