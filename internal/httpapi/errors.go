package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/obs"
)

// This file is the only place where errors become HTTP responses.

// ProblemTypeBase prefixes every problem type slug to form the problem's type URI.
const ProblemTypeBase = "https://agentdesk.dev/problems/"

// ProblemContentType is the media type of error responses (RFC 9457).
const ProblemContentType = "application/problem+json"

// HeaderRequestID carries the request ID in requests and responses.
const HeaderRequestID = "X-Request-ID"

// internalDetail is all a client learns about a server fault.
const internalDetail = "an unexpected error occurred; quote the request id when reporting it"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	// Type is a URI: ProblemTypeBase followed by the problem's slug.
	Type string `json:"type"`
	// Title is the same short summary for every problem of this type.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence; never personal data or internals.
	Detail string `json:"detail,omitempty"`
	// Instance is the request path (without the query).
	Instance string `json:"instance,omitempty"`
	// RequestID is the request's ID, to quote when reporting a problem.
	RequestID string `json:"request_id,omitempty"`
	// Errors lists field-level problems.
	Errors []apperr.FieldError `json:"errors,omitempty"`
}

type problemKind struct {
	status int
	slug   string
	title  string
}

// problemKinds is the table from error kind to HTTP.
var problemKinds = map[apperr.Kind]problemKind{
	apperr.KindInvalid:              {http.StatusBadRequest, "validation-failed", "Validation failed"},
	apperr.KindUnauthenticated:      {http.StatusUnauthorized, "unauthenticated", "Authentication required"},
	apperr.KindForbidden:            {http.StatusForbidden, "forbidden", "Forbidden"},
	apperr.KindNotFound:             {http.StatusNotFound, "not-found", "Not found"},
	apperr.KindConflict:             {http.StatusConflict, "conflict", "Conflict"},
	apperr.KindPreconditionFailed:   {http.StatusPreconditionFailed, "precondition-failed", "Precondition failed"},
	apperr.KindPreconditionRequired: {http.StatusPreconditionRequired, "precondition-required", "Precondition required"},
	apperr.KindTooLarge:             {http.StatusRequestEntityTooLarge, "too-large", "Request too large"},
	apperr.KindUnsupportedMediaType: {http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type"},
	apperr.KindRateLimited:          {http.StatusTooManyRequests, "rate-limited", "Too many requests"},
	apperr.KindGone:                 {http.StatusGone, "gone", "Gone"},
	apperr.KindUpgradeRequired:      {http.StatusUpgradeRequired, "upgrade-required", "Upgrade required"},
	apperr.KindNotImplemented:       {http.StatusNotImplemented, "not-implemented", "Not implemented"},
	apperr.KindUnavailable:          {http.StatusServiceUnavailable, "unavailable", "Service unavailable"},
	apperr.KindInternal:             {http.StatusInternalServerError, "internal", "Internal server error"},
}

// kindByStatus inverts problemKinds for errors that arrive as bare statuses.
var kindByStatus = func() map[int]apperr.Kind {
	m := make(map[int]apperr.Kind, len(problemKinds))
	for k, v := range problemKinds {
		m[v.status] = k
	}
	return m
}()

// StatusOf returns the HTTP status that errors of kind k are answered with.
func StatusOf(k apperr.Kind) int {
	if pk, ok := problemKinds[k]; ok {
		return pk.status
	}
	return http.StatusInternalServerError
}

// ProblemFor describes err as a problem. A *http.MaxBytesError anywhere in
// err's chain is a 413; otherwise the first *apperr.Error decides, then an
// *echo.HTTPError; anything else is a 500 that reveals nothing.
func ProblemFor(err error) Problem {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return problemOfKind(apperr.KindTooLarge, "",
			fmt.Sprintf("the request body exceeds the limit of %d bytes", tooBig.Limit), nil)
	}
	if e, ok := apperr.As(err); ok {
		return problemOfKind(e.Kind, e.Code, e.Detail, e.Fields)
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if inner, ok := he.Internal.(*echo.HTTPError); ok {
			he = inner
		}
		detail, _ := he.Message.(string)
		return ProblemFromEchoStatus(he.Code, detail)
	}
	return problemOfKind(apperr.KindOf(err), "", "", nil)
}

func problemOfKind(k apperr.Kind, code, detail string, fields []apperr.FieldError) Problem {
	pk, ok := problemKinds[k]
	if !ok {
		pk = problemKinds[apperr.KindInternal]
	}
	p := Problem{Type: ProblemTypeBase + pk.slug, Title: pk.title, Status: pk.status, Detail: detail, Errors: fields}
	if code != "" {
		p.Type = ProblemTypeBase + code
		p.Title = titleFromSlug(code)
	}
	switch {
	case k == apperr.KindInternal:
		// Whatever the detail says, a server fault is not explained to clients.
		p.Detail = internalDetail
		p.Errors = nil
	case k == apperr.KindUnavailable && p.Detail == "":
		p.Detail = "the service is temporarily unavailable; retry later"
	}
	return p
}

// ProblemFromEchoStatus describes a bare HTTP status, as echo and its
// middlewares report them, with detail when it is more than the status text.
// Server errors get a generic detail whatever detail says.
func ProblemFromEchoStatus(status int, detail string) Problem {
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	if detail == http.StatusText(status) {
		detail = ""
	}
	if status >= 500 {
		detail = ""
	}
	if k, ok := kindByStatus[status]; ok {
		if detail == "" {
			switch status {
			case http.StatusNotFound:
				detail = "no route for this path"
			case http.StatusRequestEntityTooLarge:
				detail = "the request body is too large"
			case http.StatusUnsupportedMediaType:
				detail = "the request's content type is not supported here"
			}
		}
		return problemOfKind(k, "", detail, nil)
	}
	text := http.StatusText(status)
	slug := strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '-':
			return r
		case r == ' ':
			return '-'
		}
		return -1
	}, strings.ToLower(text))
	if text == "" {
		text, slug = "HTTP "+strconv.Itoa(status), "http-"+strconv.Itoa(status)
	}
	if status == http.StatusMethodNotAllowed && detail == "" {
		detail = "the method is not allowed for this path"
	}
	if status >= 500 {
		detail = internalDetail
	}
	return Problem{Type: ProblemTypeBase + slug, Title: sentenceCase(text), Status: status, Detail: detail}
}

// titleFromSlug turns "sync-reset-required" into "Sync reset required".
func titleFromSlug(slug string) string {
	return sentenceCase(strings.ReplaceAll(slug, "-", " "))
}

func sentenceCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

// WriteProblem answers the request with err as an application/problem+json
// response carrying the request ID, plus Retry-After (429, 503),
// WWW-Authenticate (401) and Allow (405) where they apply.
func WriteProblem(c echo.Context, err error) error {
	p := ProblemFor(err)
	var retryAfter time.Duration
	if e, ok := apperr.As(err); ok {
		retryAfter = e.RetryAfter
	}
	return writeProblem(c, p, retryAfter)
}

func writeProblem(c echo.Context, p Problem, retryAfter time.Duration) error {
	req, h := c.Request(), c.Response().Header()
	p.RequestID = requestIDOf(c)
	if p.Instance == "" && req.URL != nil {
		p.Instance = req.URL.Path
	}
	switch p.Status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if retryAfter > 0 {
			h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(retryAfter.Seconds())), 10))
		}
	case http.StatusUnauthorized:
		if h.Get(echo.HeaderWWWAuthenticate) == "" {
			h.Set(echo.HeaderWWWAuthenticate, "Bearer")
		}
	case http.StatusMethodNotAllowed:
		if allow, _ := c.Get(echo.ContextKeyHeaderAllow).(string); allow != "" && h.Get(echo.HeaderAllow) == "" {
			h.Set(echo.HeaderAllow, allow)
		}
	}
	// A problem must not inherit caching or validators meant for a success.
	h.Del(echo.HeaderContentLength)
	h.Del("ETag")
	h.Del("Last-Modified")
	if req.Method == http.MethodHead {
		h.Set(echo.HeaderContentType, ProblemContentType)
		return c.NoContent(p.Status)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return c.Blob(p.Status, ProblemContentType, body)
}

// requestIDOf finds the request ID on the request context or, failing that,
// on the response header that the RequestID middleware set.
func requestIDOf(c echo.Context) string {
	if id := obs.RequestID(c.Request().Context()); id != "" {
		return id
	}
	return c.Response().Header().Get(HeaderRequestID)
}

// NewErrorHandler returns echo's central error handler: it answers with a
// problem (see ProblemFor) and logs server errors with their cause. Client
// errors are not logged: the access log already has their status. When the
// response is already committed it can only log.
func NewErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		p := ProblemFor(err)
		var retryAfter time.Duration
		if e, ok := apperr.As(err); ok {
			retryAfter = e.RetryAfter
		}
		req := c.Request()
		committed := c.Response().Committed
		if p.Status >= 500 {
			logger.LogAttrs(req.Context(), slog.LevelError, "request failed",
				slog.String("method", req.Method),
				slog.String("route", routeOf(c)),
				slog.Int("status", p.Status),
				slog.String(obs.RequestIDKey, requestIDOf(c)),
				slog.Bool("committed", committed),
				slog.String("error", err.Error()),
			)
		} else if committed {
			logger.LogAttrs(req.Context(), slog.LevelWarn, "error after the response was committed",
				slog.String("method", req.Method),
				slog.String("route", routeOf(c)),
				slog.Int("status", p.Status),
				slog.String("type", p.Type),
				slog.String(obs.RequestIDKey, requestIDOf(c)),
			)
		}
		if committed {
			return
		}
		if werr := writeProblem(c, p, retryAfter); werr != nil {
			logger.LogAttrs(req.Context(), slog.LevelWarn, "writing a problem response failed",
				slog.String(obs.RequestIDKey, requestIDOf(c)),
				slog.String("error", werr.Error()),
			)
		}
	}
}

// routeOf is the route template that served the request, never the raw
// path, so that logs and metric labels stay free of IDs and bounded.
func routeOf(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return "unmatched"
}
