// Command loadgen loads the performance reference workload into a database:
// the books datagen.py wrote (run it first, from ../shared:
// `python3 bench/datagen.py --agents 20 --out DIR`), 200 agent accounts in
// teams of 20 with team leads, an admin, a toolkit of 500 published items,
// and the portraits and service plans computed.
//
//	AGENTDESK_ENCRYPTION_KEY=… go run ./bench/cmd/loadgen --db sqlite:/tmp/bench.db --data DIR [--agents N]
//
// The key must be the one the server will run with. Every account's
// password is workload.AgentPassword.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"

	"github.com/agentdesk/agentdesk/bench/workload"
	"github.com/agentdesk/agentdesk/internal/obs"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	dbURL := fs.String("db", os.Getenv("DATABASE_URL"), "database: sqlite:PATH or postgres://…")
	dir := fs.String("data", "", "directory of datagen.py's JSONL files")
	agents := fs.Int("agents", 0, "books to load (the first N in the files; 0: all)")
	accounts := fs.Int("accounts", 200, "agent accounts to create (agent000…), with or without a book")
	toolkit := fs.Int("toolkit", 500, "published toolkit items")
	txRows := fs.Int("tx-rows", 20000, "rows per transaction")
	recompute := fs.Bool("recompute", true, "compute portraits and plans after loading")
	workers := fs.Int("workers", 2, "concurrent recomputes")
	txCustomers := fs.Int("tx-customers", 100, "customers recomputed per transaction")
	verbose := fs.Bool("v", false, "log every batch")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the load to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbURL == "" || *dir == "" {
		return fmt.Errorf("--db and --data are required")
	}
	p, err := pii.ParseKeyring(os.Getenv("AGENTDESK_ENCRYPTION_KEY"))
	if err != nil {
		return fmt.Errorf("AGENTDESK_ENCRYPTION_KEY (the server's key): %w", err)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := obs.NewLogger(os.Stderr, level)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	db, err := store.Open(ctx, *dbURL, store.Options{BulkLoad: true, MaxOpenConns: 4})
	if err != nil {
		return err
	}
	defer db.Close()
	sum, err := workload.Load(ctx, db, p, workload.Options{Dir: *dir, Agents: *agents, Accounts: *accounts,
		ToolkitItems: *toolkit, TxRows: *txRows, Recompute: *recompute, Workers: *workers, TxCustomers: *txCustomers, Log: log})
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d books (%d accounts, %d teams): %d customers, %d policies, %d interactions, %d tasks, %d toolkit items\n",
		sum.Agents, sum.Accounts, sum.Teams, sum.Customers, sum.Policies, sum.Interactions, sum.Tasks, sum.ToolkitItems)
	fmt.Printf("portraits %d, plans %d, change log %d entries\n", sum.Portraits, sum.Plans, sum.ChangeLog)
	fmt.Printf("rows %s, recompute %s, total %s\n", sum.Rows.Round(1e6), sum.Recompute.Round(1e6), sum.Total.Round(1e6))
	fmt.Printf("accounts: agent000@example.com… (books: the first %d), %s, bench-lead00@example.com…; password %s\n",
		sum.Agents, sum.AdminUsername, sum.Password)
	return nil
}
