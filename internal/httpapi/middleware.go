package httpapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/obs"
)

// The middlewares here are meant to run, outermost first, as
//
//	e.HTTPErrorHandler = NewErrorHandler(logger)
//	e.Use(RequestID(), AccessLog(logger), metrics, Recover(logger),
//		SecurityHeaders(), BodyLimit(…), validator)
//
// with e.Use, not e.Pre, so that c.Path() holds the matched route. AccessLog,
// Metrics and Recover hand errors to the error handler themselves, so that
// what they record is the status that was actually sent.

// RequestID takes the request's ID from an incoming X-Request-ID header when
// it is a sane token (at most 64 characters of [A-Za-z0-9._-]) and otherwise
// makes a UUIDv7. It echoes the ID in the response header and puts it on the
// request context (see obs.RequestID), where strict handlers can see it.
func RequestID() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			id := req.Header.Get(HeaderRequestID)
			if !saneRequestID(id) {
				id = newRequestID()
			}
			c.Response().Header().Set(HeaderRequestID, id)
			c.SetRequest(req.WithContext(obs.WithRequestID(req.Context(), id)))
			return next(c)
		}
	}
}

func newRequestID() string {
	u, err := uuid.NewV7()
	if err != nil {
		// NewV7 fails only if the system's randomness does; a v4 fails the same way.
		return uuid.NewString()
	}
	return u.String()
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '.', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

// AccessLog writes one Info line per request with the method, the route
// template (never the raw URL: no IDs, no query strings), the status, the
// duration, the bytes read and written, the request ID and the client's IP.
func AccessLog(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			req := c.Request()
			var in *countingBody
			if req.Body != nil && req.Body != http.NoBody {
				in = &countingBody{ReadCloser: req.Body}
				req.Body = in
			}
			if err := next(c); err != nil {
				c.Error(err)
			}
			bytesIn := max(req.ContentLength, 0)
			if in != nil {
				bytesIn = max(bytesIn, in.n)
			}
			res := c.Response()
			logger.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", req.Method),
				slog.String("route", routeOf(c)),
				slog.Int("status", res.Status),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.Int64("bytes_in", bytesIn),
				slog.Int64("bytes_out", res.Size),
				slog.String(obs.RequestIDKey, requestIDOf(c)),
				slog.String("remote", c.RealIP()),
			)
			return nil
		}
	}
}

type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// Recover turns a panic into a 500 problem that reveals nothing, and logs the
// panic value and the stack at Error. http.ErrAbortHandler is re-panicked, as
// net/http expects.
func Recover(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if r == http.ErrAbortHandler {
					panic(r)
				}
				req := c.Request()
				logger.LogAttrs(req.Context(), slog.LevelError, "panic",
					slog.String("method", req.Method),
					slog.String("route", routeOf(c)),
					slog.String(obs.RequestIDKey, requestIDOf(c)),
					slog.String("panic", fmt.Sprint(r)),
					slog.String("stack", string(debug.Stack())),
				)
				if c.Response().Committed {
					err = nil
					return
				}
				// Logged above already: write the problem without the error handler's log line.
				err = writeProblem(c, ProblemFor(apperr.Internal(fmt.Errorf("panic: %v", r))), 0)
			}()
			return next(c)
		}
	}
}

// BodyLimit caps request bodies at defaultLimit bytes (a body sent with
// Content-Encoding gzip or zstd is decoded here, and capped again as
// decoded), or at the limit of the
// longest prefix in overrides that the request path starts with (for example
// "/v1/sync/"); a limit ≤ 0 means none. A declared Content-Length over the
// limit is refused at once; a body without one (chunked) is cut off at the
// limit with a *http.MaxBytesError, which ProblemFor maps to 413 wherever it
// surfaces.
func BodyLimit(defaultLimit int64, overrides map[string]int64) echo.MiddlewareFunc {
	prefixes := make([]string, 0, len(overrides))
	for p := range overrides {
		prefixes = append(prefixes, p)
	}
	limitFor := func(path string) int64 {
		limit, best := defaultLimit, -1
		for _, p := range prefixes {
			if len(p) > best && strings.HasPrefix(path, p) {
				limit, best = overrides[p], len(p)
			}
		}
		return limit
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			limit := limitFor(req.URL.Path)
			if limit <= 0 || req.Body == nil || req.Body == http.NoBody {
				return next(c)
			}
			if req.ContentLength > limit {
				return apperr.TooLarge(fmt.Sprintf("the request body exceeds the limit of %d bytes", limit))
			}
			// The response writer lets net/http close the connection after a
			// body was cut off, instead of draining it.
			req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, limit)
			if enc := req.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
				// A compressed body is limited twice: as sent, and as
				// decoded (so a small bomb cannot expand past the limit).
				body, err := decodeBody(req.Body, enc)
				if err != nil {
					return err
				}
				req.Body = http.MaxBytesReader(c.Response().Writer, body, limit)
				req.Header.Del("Content-Encoding")
				req.Header.Del("Content-Length")
				req.ContentLength = -1
			}
			return next(c)
		}
	}
}

// Content-Security-Policy values: nothing at all for API responses; for the
// Redoc page, its own script, the inline styles and blob: search worker it
// needs, and data: images and fonts. Redoc's attribution logo on a CDN is
// blocked, so the page never reaches out of the origin.
const (
	apiCSP  = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
		"worker-src 'self' blob:; child-src blob:; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

// SecurityHeaders sets X-Content-Type-Options, X-Frame-Options,
// Referrer-Policy, Cross-Origin-Opener-Policy and a Content-Security-Policy
// (strict for the API, one that lets Redoc work under /docs), and marks
// /v1/ responses Cache-Control: no-store unless the handler set Cache-Control.
func SecurityHeaders() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			path := c.Request().URL.Path
			res := c.Response()
			h := res.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			if path == "/docs" || strings.HasPrefix(path, "/docs/") {
				h.Set("Content-Security-Policy", docsCSP)
			} else {
				h.Set("Content-Security-Policy", apiCSP)
			}
			if strings.HasPrefix(path, "/v1/") {
				res.Before(func() {
					if h := res.Header(); h.Get(echo.HeaderCacheControl) == "" {
						h.Set(echo.HeaderCacheControl, "no-store")
					}
				})
			}
			return next(c)
		}
	}
}

// Metrics registers agentdesk_http_requests_total{method,route,status} and
// agentdesk_http_request_duration_seconds{method,route} with reg and returns
// the middleware that feeds them. route is the route template, or
// "unmatched" for requests that matched none, so that label values stay few.
func Metrics(reg prometheus.Registerer) (echo.MiddlewareFunc, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "agentdesk_http_requests_total",
		Help: "HTTP requests answered, by method, route template and status.",
	}, []string{"method", "route", "status"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "agentdesk_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests, by method and route template.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route"})
	requests, err := registerOrReuse(reg, requests)
	if err != nil {
		return nil, err
	}
	duration, err = registerOrReuse(reg, duration)
	if err != nil {
		return nil, err
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			method := metricMethod(c.Request().Method)
			route := routeOf(c)
			requests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status)).Inc()
			duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
			return nil
		}
	}, nil
}

// registerOrReuse registers col with reg, or returns the identical collector
// registered before, so that two servers can share one registry.
func registerOrReuse[C prometheus.Collector](reg prometheus.Registerer, col C) (C, error) {
	err := reg.Register(col)
	if err == nil {
		return col, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return col, fmt.Errorf("register HTTP metrics: %w", err)
}

// metricMethod bounds the method label: clients may send any token.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// MetricsHandler serves the metrics of g in the Prometheus text format, for /metrics.
func MetricsHandler(g prometheus.Gatherer) echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
}
