package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/team"
	"github.com/agentdesk/agentdesk/internal/app"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/config"
	"github.com/agentdesk/agentdesk/internal/obs"
)

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level, _ := cfg.SlogLevel()
	return obs.NewLogger(w, level)
}

func cmdServe(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "load the demo data set (once) and generate development keys")
	addr := fs.String("addr", "", "listen address (overrides AGENTDESK_ADDR)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	cfg.Demo = *demo
	if *addr != "" {
		cfg.Addr = *addr
	}
	logger := newLogger(cfg, stderr)
	if cfg.Demo {
		if err := app.PrepareDemoSecrets(&cfg, stdout); err != nil {
			return err
		}
	}
	a, err := app.New(ctx, cfg, logger, clock.System{})
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Demo {
		if err := a.LoadDemo(ctx, stdout); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	fmt.Fprintf(stdout, "AgentDesk listening on http://%s (API docs at http://%s/docs)\n", ln.Addr(), ln.Addr())
	return a.Serve(ctx, ln)
}

func cmdMigrate(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return errUsage
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	db, err := app.OpenDatabase(ctx, cfg, clock.System{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	v, err := db.MigrationVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database at migration %s (%s)\n", v, db.Dialect)
	return nil
}

func cmdSeed(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return errUsage
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	cfg.Demo = true
	if err := app.PrepareDemoSecrets(&cfg, stdout); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, newLogger(cfg, stderr), clock.System{})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.LoadDemo(ctx, stdout)
}

func cmdUserAdd(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	username := fs.String("username", "", "login name (required)")
	role := fs.String("role", "agent", "agent, team_lead or admin")
	teamName := fs.String("team", "", "team name (created when missing)")
	display := fs.String("display-name", "", "display name")
	tz := fs.String("time-zone", "Asia/Shanghai", "IANA time zone")
	locale := fs.String("locale", "zh-CN", "locale")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	if *username == "" {
		return errors.New("user add: --username is required")
	}
	if err := agent.RoleValidator(agent.Role(*role)); err != nil {
		return fmt.Errorf("user add: --role must be agent, team_lead or admin")
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	db, err := app.OpenDatabase(ctx, cfg, clock.System{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	var created *ent.Agent
	err = db.WithTx(auth.SystemContext(ctx), func(ctx context.Context, tx *ent.Tx) error {
		c := tx.Agent.Create().SetUsername(*username).SetRole(agent.Role(*role)).SetDisplayName(*display).
			SetTimeZone(*tz).SetLocale(*locale).SetPasswordHash(hash)
		if *teamName != "" {
			t, err := tx.Team.Query().Where(team.Name(*teamName)).Only(ctx)
			if ent.IsNotFound(err) {
				t, err = tx.Team.Create().SetName(*teamName).Save(ctx)
			}
			if err != nil {
				return err
			}
			c.SetTeamID(t.ID)
		}
		created, err = c.Save(ctx)
		if ent.IsConstraintError(err) {
			return fmt.Errorf("user %q already exists", *username)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(stdout, "created %s %s (%s)\n", created.Role, created.Username, created.ID)
	return nil
}

func cmdClientAdd(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("client add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clientID := fs.String("client-id", "", "OAuth client id (required)")
	name := fs.String("name", "", "display name")
	scopes := fs.String("scopes", "", "space-separated scopes (required)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	if *clientID == "" || strings.TrimSpace(*scopes) == "" {
		return errors.New("client add: --client-id and --scopes are required")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	hash, err := auth.HashPassword(secret)
	if err != nil {
		return err
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	db, err := app.OpenDatabase(ctx, cfg, clock.System{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	err = db.WithTx(auth.SystemContext(ctx), func(ctx context.Context, tx *ent.Tx) error {
		err := tx.IntegratorClient.Create().SetClientID(*clientID).SetName(*name).SetSecretHash(hash).
			SetScopes(strings.Fields(*scopes)).Exec(ctx)
		if ent.IsConstraintError(err) {
			return fmt.Errorf("client %q already exists", *clientID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("client add: %w", err)
	}
	fmt.Fprintf(stdout, "created client %s\nclient_secret: %s\n(shown once; store it now)\n", *clientID, secret)
	return nil
}

// cmdNotifyRun plans the reminders as of --at and sends those due then,
// through FCM when it is configured (as the server would), and prints the
// counts.
func cmdNotifyRun(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("notify run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	atFlag := fs.String("at", "", "the moment to run as of, RFC 3339 (required)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	at, err := time.Parse(time.RFC3339, *atFlag)
	if err != nil {
		fmt.Fprintf(stderr, "notify run: --at must be an RFC 3339 time such as 2026-11-23T09:00:00+08:00, not %q\n", *atFlag)
		return errUsage
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	db, err := app.OpenDatabase(ctx, cfg, clock.System{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	svc, err := app.NewReminders(ctx, cfg, db, logger, clock.System{}, nil)
	if err != nil {
		return err
	}
	st, err := svc.RunOnce(ctx, at)
	if err != nil {
		return fmt.Errorf("notify run: %w", err)
	}
	p, d := st.Plan, st.Drain
	fmt.Fprintf(stdout, "reminders as of %s\n", at.UTC().Format(time.RFC3339))
	fmt.Fprintf(stdout, "planned: scheduled=%d skipped=%d revived=%d rescheduled=%d cancelled=%d\n",
		p.Scheduled, p.Skipped, p.Revived, p.Rescheduled, p.Cancelled)
	fmt.Fprintf(stdout, "sent: claimed=%d sent=%d retried=%d failed=%d cancelled=%d skipped=%d deferred=%d lease_lost=%d abandoned=%d\n",
		d.Claimed, d.Sent, d.Retried, d.Failed, d.Cancelled, d.Skipped, d.Deferred, d.LeaseLost, d.Abandoned)
	return nil
}

func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if len(pw) < 10 {
		return "", errors.New("the password (read from standard input) must have at least 10 characters")
	}
	return pw, nil
}
