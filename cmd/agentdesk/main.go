// Command agentdesk is the AgentDesk server and its administration tools,
// one binary with subcommands:
//
//	agentdesk serve [--demo] [--addr ADDR]   run the server (migrating first)
//	agentdesk migrate                        apply database migrations
//	agentdesk seed                           load the demo data set once
//	agentdesk user add --username U --role R [--team T] [--display-name N] [--time-zone Z]
//	                                         (password on standard input)
//	agentdesk client add --client-id ID --scopes "a b" [--name N]
//	                                         (prints the secret once)
//	agentdesk notify run --at TIME           plan and send the reminders due
//	                                         at TIME (RFC 3339) once
//
// Settings come from the environment; see the README's table.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "agentdesk:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `usage: agentdesk <command> [flags]

commands:
  serve [--demo] [--addr ADDR]   run the server (migrates the database first)
  migrate                        apply the database migrations
  seed                           load the demo data set (once)
  user add --username U --role agent|team_lead|admin [--team NAME] [--display-name N] [--time-zone Z]
                                 create an account; the password is read from standard input
  client add --client-id ID --scopes "s1 s2" [--name N]
                                 create an integrator client; prints its secret once
  notify run --at TIME           run the reminder scheduler and sender once as of TIME
                                 (RFC 3339, e.g. 2026-11-23T09:00:00+08:00); prints what it did
`

// run is the whole program: main only supplies the process's environment.
func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return cmdServe(ctx, rest, environ, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, environ, stdout, stderr)
	case "seed":
		return cmdSeed(ctx, rest, environ, stdout, stderr)
	case "user":
		if len(rest) == 0 || rest[0] != "add" {
			return errUsage
		}
		return cmdUserAdd(ctx, rest[1:], environ, stdin, stdout, stderr)
	case "client":
		if len(rest) == 0 || rest[0] != "add" {
			return errUsage
		}
		return cmdClientAdd(ctx, rest[1:], environ, stdout, stderr)
	case "notify":
		if len(rest) == 0 || rest[0] != "run" {
			return errUsage
		}
		return cmdNotifyRun(ctx, rest[1:], environ, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return errUsage
	}
}
