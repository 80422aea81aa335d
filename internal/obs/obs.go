// Package obs holds AgentDesk's logging conventions: JSON lines through
// log/slog, with the request ID taken from the context.
package obs

import (
	"context"
	"io"
	"log/slog"
)

// RequestIDKey is the attribute under which log lines carry the request ID.
const RequestIDKey = "request_id"

type requestIDKey struct{}

// WithRequestID returns a copy of ctx that carries the request ID id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID carried by ctx, or "".
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// NewLogger returns a JSON logger writing to w at level and above. Records
// logged with a context that carries a request ID get a request_id attribute,
// unless they already have one.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(&handler{next: slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// handler adds the request ID of the record's context.
type handler struct {
	next slog.Handler
	// hasID is set once WithAttrs attached a request_id, so that Handle does
	// not add a second one.
	hasID bool
}

func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" && !h.hasID && !hasRequestID(r) {
		r = r.Clone()
		r.AddAttrs(slog.String(RequestIDKey, id))
	}
	return h.next.Handle(ctx, r)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	has := h.hasID
	for _, a := range attrs {
		if a.Key == RequestIDKey {
			has = true
		}
	}
	return &handler{next: h.next.WithAttrs(attrs), hasID: has}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), hasID: h.hasID}
}

func hasRequestID(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == RequestIDKey
		return !found
	})
	return found
}
