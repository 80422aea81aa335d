package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/obs"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/syncer"
)

// minCompress is the smallest body worth compressing: below it the
// frame costs about what it saves (a pull with nothing new is ~250 bytes).
const minCompress = 512

// bestCompress is the body size from which a page is compressed at the
// encoders' best levels: a first sync's pages, which a phone on a slow
// link receives once; the server spends ~30 ms per MB on them.
const bestCompress = 1 << 20

// syncHTTP is the HTTP side of the sync engine: its compressors (for
// small pages and for large ones).
type syncHTTP struct {
	engine           *syncer.Engine
	zstd, zstdBest   *zstd.Encoder
	gzips, gzipsBest sync.Pool
}

func newSyncHTTP(e *syncer.Engine) (*syncHTTP, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	best, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	h := &syncHTTP{engine: e, zstd: enc, zstdBest: best}
	h.gzips.New = func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
		return w
	}
	h.gzipsBest.New = func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.BestCompression)
		return w
	}
	return h, nil
}

// compress encodes body as the client accepts: zstd when it lists it,
// else gzip, else as is; it returns the body and its Content-Encoding.
func (h *syncHTTP) compress(body []byte, acceptEncoding string) ([]byte, string) {
	return h.compressAs(body, len(body), acceptEncoding)
}

// compressAs is compress with the level chosen for a page of size bytes
// in the changes format (a columns page of the same changes is smaller).
func (h *syncHTTP) compressAs(body []byte, size int, acceptEncoding string) ([]byte, string) {
	if len(body) < minCompress {
		return body, ""
	}
	large := size >= bestCompress
	switch pickEncoding(acceptEncoding) {
	case "zstd":
		enc := h.zstd
		if large {
			enc = h.zstdBest
		}
		return enc.EncodeAll(body, make([]byte, 0, len(body)/4)), "zstd"
	case "gzip":
		var buf bytes.Buffer
		buf.Grow(len(body) / 4)
		pool := &h.gzips
		if large {
			pool = &h.gzipsBest
		}
		w := pool.Get().(*gzip.Writer)
		defer pool.Put(w)
		w.Reset(&buf)
		if _, err := w.Write(body); err != nil {
			return body, ""
		}
		if err := w.Close(); err != nil {
			return body, ""
		}
		return buf.Bytes(), "gzip"
	}
	return body, ""
}

// pickEncoding reads Accept-Encoding: zstd when listed (q > 0), else
// gzip (or *), else none.
func pickEncoding(header string) string {
	accepted := map[string]bool{}
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		if name != "" && q > 0 {
			accepted[name] = true
		}
	}
	switch {
	case accepted["zstd"]:
		return "zstd"
	case accepted["gzip"], accepted["*"]:
		return "gzip"
	}
	return ""
}

// pullResponse writes a pull page: 304 when the client's ETag still
// holds, otherwise the page, compressed as the client accepts.
type pullResponse struct {
	h              *syncHTTP
	page           *syncer.Page
	ifNoneMatch    string
	acceptEncoding string
	// columns: the page goes by column (format=columns).
	columns bool
}

func (r pullResponse) VisitPullChangesResponse(w http.ResponseWriter) error {
	hd := w.Header()
	hd.Set("ETag", r.page.ETag)
	hd.Set("Vary", "Accept-Encoding")
	hd.Set("Cache-Control", "private, no-cache")
	if len(r.page.Changes) == 0 && !r.page.HasMore && etagMatches(r.ifNoneMatch, r.page.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	raw := r.page.AppendJSON(make([]byte, 0, 1024))
	size := len(raw)
	if r.columns {
		var err error
		if raw, err = r.page.AppendColumnsJSON(raw[:0]); err != nil {
			return err
		}
	}
	body, enc := r.h.compressAs(raw, size, r.acceptEncoding)
	hd.Set("Content-Type", "application/json")
	if enc != "" {
		hd.Set("Content-Encoding", enc)
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

// etagMatches reports whether an If-None-Match header lists etag.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// PullChanges returns the next page of changes in the caller's scope
// (package syncer).
func (s *Server) PullChanges(ctx context.Context, req api.PullChangesRequestObject) (api.PullChangesResponseObject, error) {
	p := req.Params
	in := syncer.PullRequest{}
	if p.Cursor != nil {
		in.Cursor = *p.Cursor
	}
	if p.Limit != nil {
		in.Limit = int(*p.Limit)
	}
	if p.SchemaVersion != nil {
		v := int(*p.SchemaVersion)
		in.SchemaVersion = &v
	}
	in.Columns = p.Format != nil && *p.Format == api.Columns
	page, err := s.sync.engine.Pull(ctx, in)
	if err != nil {
		return nil, err
	}
	out := pullResponse{h: s.sync, page: page, columns: in.Columns}
	if p.IfNoneMatch != nil {
		out.ifNoneMatch = *p.IfNoneMatch
	}
	if p.AcceptEncoding != nil {
		out.acceptEncoding = *p.AcceptEncoding
	}
	return out, nil
}

// syncResult is one result of a push, as openapi.yaml's SyncMutationResult.
type syncResult struct {
	MutationID string          `json:"mutation_id"`
	Status     string          `json:"status"`
	Version    *int64          `json:"version,omitempty"`
	Record     json.RawMessage `json:"record,omitempty"`
	Conflicts  []string        `json:"conflicts,omitempty"`
	Error      *Problem        `json:"error,omitempty"`
}

// pushResponse writes the results of a push.
type pushResponse struct {
	Results []syncResult `json:"results"`
}

func (r pushResponse) VisitPushChangesResponse(w http.ResponseWriter) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// PushChanges applies a batch of offline mutations, each on its own
// (package syncer).
func (s *Server) PushChanges(ctx context.Context, req api.PushChangesRequestObject) (api.PushChangesResponseObject, error) {
	if req.Body == nil {
		return nil, apperr.Invalid("a body is required")
	}
	in := syncer.PushRequest{DeviceID: req.Body.DeviceId, Mutations: make([]syncer.Mutation, len(req.Body.Mutations))}
	for i, m := range req.Body.Mutations {
		mu := syncer.Mutation{MutationID: m.MutationId, Collection: string(m.Collection), Op: string(m.Op), ID: m.Id,
			BaseVersion: m.BaseVersion}
		if m.Data != nil {
			mu.Data = make(map[string]json.RawMessage, len(*m.Data))
			for k, v := range *m.Data {
				b, err := json.Marshal(v)
				if err != nil {
					return nil, apperr.Invalid("a mutation's data is not JSON",
						apperr.FieldError{Field: fmt.Sprintf("/mutations/%d/data/%s", i, k), Code: "type", Message: "not JSON"})
				}
				mu.Data[k] = b
			}
		}
		in.Mutations[i] = mu
	}
	res, err := s.sync.engine.Push(ctx, in)
	if err != nil {
		return nil, err
	}
	out := pushResponse{Results: make([]syncResult, len(res.Results))}
	for i, r := range res.Results {
		out.Results[i] = syncResult{MutationID: r.MutationID, Status: r.Status, Version: r.Version, Record: r.Record,
			Conflicts: r.Conflicts}
		if r.Err != nil {
			p := ProblemFor(r.Err)
			p.RequestID = obs.RequestID(ctx)
			out.Results[i].Error = &p
		}
	}
	return out, nil
}

// GetSyncChecksum returns the checksums of the caller's scope (package
// syncer: when the scope moved past the cursor, the report's cursor is
// the pull that brings the client to the state the checksums describe).
func (s *Server) GetSyncChecksum(ctx context.Context, req api.GetSyncChecksumRequestObject) (api.GetSyncChecksumResponseObject, error) {
	rep, err := s.sync.engine.Checksum(ctx, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	out := api.GetSyncChecksum200JSONResponse{Cursor: rep.Cursor, Collections: make(map[string]api.SyncChecksum, len(rep.Collections))}
	for coll, c := range rep.Collections {
		out.Collections[coll] = api.SyncChecksum{Count: c.Count, Sum: strconv.FormatUint(c.Sum, 10)}
	}
	return out, nil
}

// eventStream writes the server-sent events of a subscription, flushing
// each at once (and telling proxies not to buffer).
type eventStream struct{ sub *syncer.Subscription }

func (r eventStream) VisitStreamSyncEventsResponse(w http.ResponseWriter) error {
	return serveEvents(w, r.sub.Serve)
}

// serveEvents starts a server-sent-events answer (no caching, no proxy
// buffering) and lets serve write it, flushing after each event.
func serveEvents(w http.ResponseWriter, serve func(io.Writer, func()) error) error {
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	return serve(w, func() { _ = rc.Flush() })
}

// StreamSyncEvents streams change notices of the caller's scope (package
// syncer).
func (s *Server) StreamSyncEvents(ctx context.Context, _ api.StreamSyncEventsRequestObject) (api.StreamSyncEventsResponseObject, error) {
	sub, err := s.sync.engine.Subscribe(ctx)
	if err != nil {
		return nil, err
	}
	return eventStream{sub: sub}, nil
}

// defaultSync builds a sync engine for a handler built without one: its
// cursors are signed with a random key, so they hold only within this
// process (tests; the server passes an engine keyed from its secrets).
func defaultSync(d Deps, rec *audit.Recorder, q *quality.Service) (*syncer.Engine, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return syncer.New(d.DB, syncer.Options{CursorKey: key, Render: SyncRecordJSON, PII: d.PII, Audit: rec,
		Quality: q, Clock: d.Clock, Logger: d.Logger})
}
