package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/idempotencyrecord"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Idempotency keys (openapi.yaml, info: "Idempotency").
const (
	idempotencyHeader = "Idempotency-Key"
	// ReplayedHeader marks an answer repeated from an earlier request
	// with the same Idempotency-Key.
	ReplayedHeader = "Idempotent-Replayed"
	// idempotencyTTL is how long a key's answer is kept.
	idempotencyTTL = 24 * time.Hour
	// idempotencyStale is how long a key stays "in progress": a request
	// that crashed the process before its answer was stored leaves the
	// key usable again after it.
	idempotencyStale = 2 * time.Minute
	// maxReplayBody is the largest answer stored for replays; a larger one
	// is answered but not kept (the key is then free again).
	maxReplayBody = 1 << 20
)

// replayedHeaders are the answer headers a replay repeats.
var replayedHeaders = []string{"ETag", "Location", "Content-Location", "AgentDesk-Upsert-Result"}

// IdempotencyOptions configure Idempotency.
type IdempotencyOptions struct {
	Clock  clock.Clock
	Logger *slog.Logger
	// Skip lists operation ids that implement the header themselves.
	Skip []string
}

// Idempotency makes the writes whose operation accepts an
// Idempotency-Key safe to retry: the first answer (status, body and the
// headers a client acts on) is stored per caller and key for 24 hours; a
// retry with the same key and the same request gets it again, marked
// Idempotent-Replayed, and changes nothing; the same key with another
// request is refused with 409, as is a retry while the first request is
// still being answered. Answers of 5xx are not stored, so such a request
// may be retried. It runs after authentication (the caller is part of
// the key).
func Idempotency(spec *openapi3.T, db *store.DB, o IdempotencyOptions) (echo.MiddlewareFunc, error) {
	sr, err := newSpecRouter(spec)
	if err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	skip := map[string]bool{}
	for _, id := range o.Skip {
		skip[id] = true
	}
	m := &idempotency{db: db, clock: o.Clock, log: o.Logger}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			key := req.Header.Get(idempotencyHeader)
			if key == "" || !isWrite(req.Method) {
				return next(c)
			}
			v, ok := auth.ViewerFrom(req.Context())
			if !ok {
				return next(c)
			}
			route, _, err := sr.find(req, c.Path(), c.ParamValues())
			if err != nil || skip[route.Operation.OperationID] || !acceptsIdempotencyKey(route.Operation) {
				return next(c)
			}
			return m.serve(c, next, actorOf(v), key)
		}
	}, nil
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

func acceptsIdempotencyKey(op *openapi3.Operation) bool {
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInHeader && http.CanonicalHeaderKey(p.Value.Name) == idempotencyHeader {
			return true
		}
	}
	return false
}

// actorOf names the caller a key belongs to.
func actorOf(v *auth.Viewer) string {
	if v.Kind == auth.KindAgent {
		return "agent:" + v.AgentID.String()
	}
	return "client:" + v.ClientID
}

type idempotency struct {
	db        *store.DB
	clock     clock.Clock
	log       *slog.Logger
	lastPrune atomic.Int64 // unix seconds
}

func (m *idempotency) serve(c echo.Context, next echo.HandlerFunc, actor, key string) error {
	req := c.Request()
	ctx := auth.SystemContext(req.Context())
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return err // the body limit's 413, or a broken connection
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	hash := requestHash(req, body)
	m.prune(ctx)

	rec, err := m.claim(ctx, actor, key, req, hash)
	if err != nil {
		return err
	}
	if rec != nil {
		return replay(c, rec)
	}
	// First use of the key: answer, capturing the answer.
	w := &capture{ResponseWriter: c.Response().Writer}
	c.Response().Writer = w
	defer func() {
		if r := recover(); r != nil {
			m.release(ctx, actor, key)
			panic(r) // to the Recover middleware
		}
	}()
	if err := next(c); err != nil {
		c.Error(err)
	}
	status := c.Response().Status
	if status >= 500 || w.overflow || !c.Response().Committed {
		m.release(ctx, actor, key)
		return nil
	}
	hd := map[string]string{}
	for _, h := range replayedHeaders {
		if v := c.Response().Header().Get(h); v != "" {
			hd[h] = v
		}
	}
	err = m.db.Client.IdempotencyRecord.Update().
		Where(idempotencyrecord.Actor(actor), idempotencyrecord.Key(key), idempotencyrecord.StatusCode(0)).
		SetStatusCode(status).SetContentType(c.Response().Header().Get(echo.HeaderContentType)).SetHeaders(hd).
		SetBody(w.body.Bytes()).SetExpiresAt(m.clock.Now().Add(idempotencyTTL)).Exec(ctx)
	if err != nil {
		// The answer went out; a retry will run the request again.
		m.log.Error("store the answer of an idempotent request", "err", err)
		m.release(ctx, actor, key)
	}
	return nil
}

// claim returns the stored answer of the key, or nil after reserving the
// key for this request; a key in use by another request, or by another
// request body, is a conflict.
func (m *idempotency) claim(ctx context.Context, actor, key string, req *http.Request, hash string) (*ent.IdempotencyRecord, error) {
	now := m.clock.Now()
	for range 3 {
		rec, err := m.db.Client.IdempotencyRecord.Query().
			Where(idempotencyrecord.Actor(actor), idempotencyrecord.Key(key)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			err = m.db.Client.IdempotencyRecord.Create().SetActor(actor).SetKey(key).SetMethod(req.Method).
				SetPath(req.URL.RequestURI()).SetRequestHash(hash).SetStatusCode(0).SetBody([]byte{}).
				SetCreatedAt(now).SetExpiresAt(now.Add(idempotencyStale)).Exec(ctx)
			if err == nil {
				return nil, nil
			}
			if !ent.IsConstraintError(err) {
				return nil, fmt.Errorf("reserve idempotency key: %w", err)
			}
			continue // another request took the key first: look again
		case err != nil:
			return nil, fmt.Errorf("read idempotency key: %w", err)
		}
		if !rec.ExpiresAt.After(now) {
			// Expired: an old answer, or a request that never finished.
			if _, err := m.db.Client.IdempotencyRecord.Delete().Where(idempotencyrecord.ID(rec.ID),
				idempotencyrecord.ExpiresAtLTE(now)).Exec(ctx); err != nil {
				return nil, fmt.Errorf("drop expired idempotency key: %w", err)
			}
			continue
		}
		if rec.Method != req.Method || rec.Path != req.URL.RequestURI() || rec.RequestHash != hash {
			return nil, &apperr.Error{Kind: apperr.KindConflict, Code: "idempotency-key-reused",
				Detail: "this Idempotency-Key was used with another request; use a new key for a new request"}
		}
		if rec.StatusCode == 0 {
			return nil, &apperr.Error{Kind: apperr.KindConflict, Code: "idempotency-key-in-use",
				Detail: "a request with this Idempotency-Key is still being answered; retry in a moment"}
		}
		return rec, nil
	}
	return nil, apperr.Unavailable("the Idempotency-Key is contended; retry")
}

// release frees a key whose answer is not kept.
func (m *idempotency) release(ctx context.Context, actor, key string) {
	_, err := m.db.Client.IdempotencyRecord.Delete().
		Where(idempotencyrecord.Actor(actor), idempotencyrecord.Key(key), idempotencyrecord.StatusCode(0)).Exec(ctx)
	if err != nil {
		m.log.Error("release an idempotency key", "err", err)
	}
}

// prune drops expired keys, at most once an hour per process.
func (m *idempotency) prune(ctx context.Context) {
	now := m.clock.Now()
	last := m.lastPrune.Load()
	if now.Unix()-last < 3600 || !m.lastPrune.CompareAndSwap(last, now.Unix()) {
		return
	}
	if _, err := m.db.Client.IdempotencyRecord.Delete().Where(idempotencyrecord.ExpiresAtLTE(now)).Exec(ctx); err != nil {
		m.log.Error("prune idempotency keys", "err", err)
	}
}

func replay(c echo.Context, rec *ent.IdempotencyRecord) error {
	hd := c.Response().Header()
	for k, v := range rec.Headers {
		hd.Set(k, v)
	}
	hd.Set(ReplayedHeader, "true")
	if len(rec.Body) == 0 {
		return c.NoContent(rec.StatusCode)
	}
	return c.Blob(rec.StatusCode, rec.ContentType, rec.Body)
}

// requestHash identifies a request's content: the same key may only be
// reused for the same request.
func requestHash(req *http.Request, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n", req.Method, req.URL.RequestURI(), req.Header.Get(echo.HeaderContentType),
		req.Header.Get("Content-Encoding"), req.Header.Get("If-Match"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// capture keeps a copy of the answer's body, up to maxReplayBody.
type capture struct {
	http.ResponseWriter
	body     bytes.Buffer
	overflow bool
}

func (w *capture) Write(b []byte) (int, error) {
	if !w.overflow {
		if w.body.Len()+len(b) > maxReplayBody {
			w.overflow = true
			w.body = bytes.Buffer{}
		} else {
			w.body.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *capture) Unwrap() http.ResponseWriter { return w.ResponseWriter }
