// Command benchserve is `agentdesk serve` (the same app.New and Serve, the
// same environment) with Go's profiler on a second, loopback-only
// listener, so a benchmark run can be profiled:
//
//	benchserve --addr 127.0.0.1:8080 --pprof 127.0.0.1:6060 &
//	go tool pprof -seconds 20 http://127.0.0.1:6060/debug/pprof/profile
//
// It is a benchmarking tool, not a way to run AgentDesk: the profiler
// never shares the API's listener and refuses non-loopback addresses.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/internal/app"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/config"
	"github.com/agentdesk/agentdesk/internal/obs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "benchserve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	addr := flag.String("addr", "", "API listen address (overrides AGENTDESK_ADDR)")
	pprofAddr := flag.String("pprof", "127.0.0.1:6060", "profiler listen address (loopback only; empty: none)")
	apiOnly := flag.Bool("api-only", false, "serve the API without the background loops (recompute, reminders, "+
		"webhooks, compaction): the steady state of a server whose background work is done, for throughput runs "+
		"on a freshly loaded database")
	flag.Parse()
	cfg, err := config.Load(os.Environ())
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	level, _ := cfg.SlogLevel()
	a, err := app.New(ctx, cfg, obs.NewLogger(os.Stderr, level), clock.System{})
	if err != nil {
		return err
	}
	defer a.Close()
	if *pprofAddr != "" {
		host, _, err := net.SplitHostPort(*pprofAddr)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return errors.New("--pprof must be a loopback address")
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		srv := &http.Server{Addr: *pprofAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.ListenAndServe() }()
		defer srv.Close()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	fmt.Printf("benchserve: API on http://%s, profiler on http://%s/debug/pprof/\n", ln.Addr(), *pprofAddr)
	if *apiOnly {
		srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, Protocols: new(http.Protocols)}
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
		go func() {
			<-ctx.Done()
			_ = srv.Close()
		}()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return a.Serve(ctx, ln)
}
