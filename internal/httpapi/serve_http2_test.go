package httpapi_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/auth"
)

// The server speaks HTTP/2 without TLS to a client that knows it (a
// proxy that terminates TLS, the benchmark's phones): a pull answers as
// over HTTP/1.1, and the event stream flushes its events through it.
func TestServeHTTP2PriorKnowledge(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		token := e.Token(t, e.Agent(t, "h2-agent", auth.RoleAgent, "东区"))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- e.App.Serve(ctx, ln) }()
		defer func() {
			stop()
			if err := <-served; err != nil {
				t.Errorf("serve: %v", err)
			}
		}()
		tr := &http.Transport{Protocols: new(http.Protocols)}
		tr.Protocols.SetUnencryptedHTTP2(true)
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		defer tr.CloseIdleConnections()
		base := "http://" + ln.Addr().String()

		req, _ := http.NewRequest("GET", base+"/v1/sync/pull", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.ProtoMajor != 2 || res.Header.Get("ETag") == "" {
			t.Fatalf("pull over HTTP/2: %d %s %v", res.StatusCode, res.Proto, res.Header)
		}

		sctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ = http.NewRequestWithContext(sctx, "GET", base+"/v1/sync/events", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err = (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 || res.ProtoMajor != 2 || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("events over HTTP/2: %d %s %v", res.StatusCode, res.Proto, res.Header)
		}
		got := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
					got <- ev
					return
				}
			}
			close(got)
		}()
		select {
		case ev := <-got:
			if ev != "heartbeat" {
				t.Errorf("first event: %q", ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no event over HTTP/2 in 5 s")
		}
		cancel()
	})
}
