package obs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/internal/obs"
)

func TestRequestIDContext(t *testing.T) {
	if got := obs.RequestID(context.Background()); got != "" {
		t.Errorf("RequestID(empty context) = %q, want \"\"", got)
	}
	ctx := obs.WithRequestID(context.Background(), "abc")
	if got := obs.RequestID(ctx); got != "abc" {
		t.Errorf("RequestID = %q, want %q", got, "abc")
	}
	// A plain string key must not collide with the typed key.
	type stringKey string
	ctx = context.WithValue(context.Background(), stringKey("request_id"), "spoof")
	if got := obs.RequestID(ctx); got != "" {
		t.Errorf("RequestID with a string key = %q, want \"\"", got)
	}
}

func TestLogger(t *testing.T) {
	withID := obs.WithRequestID(context.Background(), "req-1")
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want []map[string]any
	}{
		{
			name: "request id from the context",
			log:  func(l *slog.Logger) { l.InfoContext(withID, "hello", "n", 1) },
			want: []map[string]any{{"level": "INFO", "msg": "hello", "n": float64(1), "request_id": "req-1"}},
		},
		{
			name: "no request id without one on the context",
			log:  func(l *slog.Logger) { l.Info("hello") },
			want: []map[string]any{{"level": "INFO", "msg": "hello"}},
		},
		{
			name: "an explicit attribute is not doubled",
			log:  func(l *slog.Logger) { l.InfoContext(withID, "hello", "request_id", "req-1") },
			want: []map[string]any{{"level": "INFO", "msg": "hello", "request_id": "req-1"}},
		},
		{
			name: "nor one attached with With",
			log:  func(l *slog.Logger) { l.With("request_id", "req-0").InfoContext(withID, "hello") },
			want: []map[string]any{{"level": "INFO", "msg": "hello", "request_id": "req-0"}},
		},
		{
			name: "With keeps adding it",
			log:  func(l *slog.Logger) { l.With("component", "sync").WarnContext(withID, "hello") },
			want: []map[string]any{{"level": "WARN", "msg": "hello", "component": "sync", "request_id": "req-1"}},
		},
		{
			name: "below the level nothing is written",
			log:  func(l *slog.Logger) { l.DebugContext(withID, "hidden") },
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(obs.NewLogger(&buf, slog.LevelInfo))
			var got []map[string]any
			dec := json.NewDecoder(&buf)
			for dec.More() {
				var m map[string]any
				if err := dec.Decode(&m); err != nil {
					t.Fatalf("log output is not JSON lines: %v\n%s", err, buf.String())
				}
				delete(m, "time")
				got = append(got, m)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
