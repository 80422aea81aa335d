// Command syncbench drives a running AgentDesk server loaded by loadgen
// over HTTP and prints the figures of the performance issue: first sync
// (gzip and zstd, essential part and whole, on the wire and on a 1 Mbit/s,
// 300 ms link) beside the zstd-19 reference, no-change pull, pull after 1 %
// of a book changed, push of 100 mutations, delta-pull throughput of 200
// agents, service plan and portrait of a large customer, KPI report.
//
//	go run ./bench/cmd/syncbench --url http://127.0.0.1:8080 --data DIR [--json]
//
// Run the server with AGENTDESK_RATE_LIMIT=0 (the per-caller limit would
// throttle the load generator).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/bench/driver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	var cfg driver.Config
	fs := flag.NewFlagSet("syncbench", flag.ContinueOnError)
	fs.StringVar(&cfg.BaseURL, "url", "http://127.0.0.1:8080", "the server")
	fs.StringVar(&cfg.DataDir, "data", "", "datagen's JSONL, for the zstd-19 reference of the source records")
	fs.StringVar(&cfg.Zstd, "zstd", "", "zstd command (default: zstd on PATH)")
	fs.StringVar(&cfg.Username, "agent", "", "agent of the book (default agent000@example.com)")
	fs.IntVar(&cfg.Runs, "runs", 3, "runs of the first sync per encoding, of the 1% change and of the KPI report")
	fs.IntVar(&cfg.Samples, "samples", 200, "samples of the no-change pull, plan and portrait (pushes: samples/10)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 200, "agents pulling at once in the throughput run")
	fs.IntVar(&cfg.ThroughputFirst, "tp-first", 0, "throughput agents are agent(N+1)… besides the book's device (accounts past the loaded books sync fast)")
	fs.DurationVar(&cfg.ThroughputFor, "for", 10*time.Second, "length of the throughput run")
	fs.BoolVar(&cfg.NoReference, "no-reference", false, "skip the zstd-19 reference (minutes on a whole book)")
	fs.StringVar(&cfg.Format, "format", "", "page format of the pulls: changes (the default) or columns")
	fs.BoolVar(&cfg.HTTP2, "http2", false, "speak HTTP/2 without TLS (prior knowledge) instead of HTTP/1.1")
	skip := fs.String("skip", "", "scenarios not to run, comma-separated: nochange, changed, push, plan, kpi, throughput")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Log = os.Stderr
	cfg.Skip = map[string]bool{}
	for _, k := range strings.Split(*skip, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.Skip[k] = true
		}
	}
	rep, err := driver.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		e := json.NewEncoder(os.Stdout)
		e.SetIndent("", "  ")
		return e.Encode(rep)
	}
	rep.Print(os.Stdout)
	return nil
}
