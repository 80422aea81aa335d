package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/httpapi"
	"github.com/agentdesk/agentdesk/internal/obs"
)

const internalDetail = "an unexpected error occurred; quote the request id when reporting it"

func problemType(slug string) string { return httpapi.ProblemTypeBase + slug }

func TestProblemFor(t *testing.T) {
	field := apperr.FieldError{Field: "/name", Code: "required", Message: "is required"}
	tests := []struct {
		name string
		err  error
		want httpapi.Problem
	}{
		{"invalid", apperr.Invalid("bad", field),
			httpapi.Problem{Type: problemType("validation-failed"), Title: "Validation failed", Status: 400, Detail: "bad", Errors: []apperr.FieldError{field}}},
		{"unauthenticated", apperr.Unauthenticated("expired"),
			httpapi.Problem{Type: problemType("unauthenticated"), Title: "Authentication required", Status: 401, Detail: "expired"}},
		{"forbidden", apperr.Forbidden("not yours"),
			httpapi.Problem{Type: problemType("forbidden"), Title: "Forbidden", Status: 403, Detail: "not yours"}},
		{"not found, wrapped", fmt.Errorf("get: %w", apperr.NotFound("no such customer")),
			httpapi.Problem{Type: problemType("not-found"), Title: "Not found", Status: 404, Detail: "no such customer"}},
		{"conflict", apperr.Conflict("dup"),
			httpapi.Problem{Type: problemType("conflict"), Title: "Conflict", Status: 409, Detail: "dup"}},
		{"precondition failed", apperr.PreconditionFailed("stale"),
			httpapi.Problem{Type: problemType("precondition-failed"), Title: "Precondition failed", Status: 412, Detail: "stale"}},
		{"precondition required", apperr.PreconditionRequired("If-Match"),
			httpapi.Problem{Type: problemType("precondition-required"), Title: "Precondition required", Status: 428, Detail: "If-Match"}},
		{"too large", apperr.TooLarge("big"),
			httpapi.Problem{Type: problemType("too-large"), Title: "Request too large", Status: 413, Detail: "big"}},
		{"unsupported media type", apperr.UnsupportedMediaType("xml"),
			httpapi.Problem{Type: problemType("unsupported-media-type"), Title: "Unsupported media type", Status: 415, Detail: "xml"}},
		{"rate limited", apperr.RateLimited(time.Second, "slow"),
			httpapi.Problem{Type: problemType("rate-limited"), Title: "Too many requests", Status: 429, Detail: "slow"}},
		{"gone with a code", apperr.Gone("sync-reset-required", "cursor too old"),
			httpapi.Problem{Type: problemType("sync-reset-required"), Title: "Sync reset required", Status: 410, Detail: "cursor too old"}},
		{"gone", apperr.Gone("", "deleted"),
			httpapi.Problem{Type: problemType("gone"), Title: "Gone", Status: 410, Detail: "deleted"}},
		{"upgrade required", apperr.UpgradeRequired("schema too old"),
			httpapi.Problem{Type: problemType("upgrade-required"), Title: "Upgrade required", Status: 426, Detail: "schema too old"}},
		{"not implemented", apperr.NotImplemented("later"),
			httpapi.Problem{Type: problemType("not-implemented"), Title: "Not implemented", Status: 501, Detail: "later"}},
		{"unavailable", apperr.Unavailable(""),
			httpapi.Problem{Type: problemType("unavailable"), Title: "Service unavailable", Status: 503, Detail: "the service is temporarily unavailable; retry later"}},
		{"internal hides its detail and cause", apperr.Wrap(apperr.KindInternal, "pq: relation customers", errors.New("secret")),
			httpapi.Problem{Type: problemType("internal"), Title: "Internal server error", Status: 500, Detail: internalDetail}},
		{"plain error", errors.New("secret"),
			httpapi.Problem{Type: problemType("internal"), Title: "Internal server error", Status: 500, Detail: internalDetail}},
		{"nil", nil,
			httpapi.Problem{Type: problemType("internal"), Title: "Internal server error", Status: 500, Detail: internalDetail}},
		{"context canceled", fmt.Errorf("query: %w", context.Canceled),
			httpapi.Problem{Type: problemType("unavailable"), Title: "Service unavailable", Status: 503, Detail: "the service is temporarily unavailable; retry later"}},
		{"max bytes", fmt.Errorf("decode: %w", &http.MaxBytesError{Limit: 10}),
			httpapi.Problem{Type: problemType("too-large"), Title: "Request too large", Status: 413, Detail: "the request body exceeds the limit of 10 bytes"}},
		{"max bytes inside an internal error", apperr.Internal(&http.MaxBytesError{Limit: 10}),
			httpapi.Problem{Type: problemType("too-large"), Title: "Request too large", Status: 413, Detail: "the request body exceeds the limit of 10 bytes"}},
		{"max bytes inside echo's bind error", echo.NewHTTPError(400, "http: request body too large").SetInternal(&http.MaxBytesError{Limit: 7}),
			httpapi.Problem{Type: problemType("too-large"), Title: "Request too large", Status: 413, Detail: "the request body exceeds the limit of 7 bytes"}},
		{"echo not found", echo.ErrNotFound,
			httpapi.Problem{Type: problemType("not-found"), Title: "Not found", Status: 404, Detail: "no route for this path"}},
		{"echo method not allowed", echo.ErrMethodNotAllowed,
			httpapi.Problem{Type: problemType("method-not-allowed"), Title: "Method not allowed", Status: 405, Detail: "the method is not allowed for this path"}},
		{"echo bind error", echo.NewHTTPError(400, "Syntax error: offset=1, error=invalid character"),
			httpapi.Problem{Type: problemType("validation-failed"), Title: "Validation failed", Status: 400, Detail: "Syntax error: offset=1, error=invalid character"}},
		{"echo unsupported media type", echo.ErrUnsupportedMediaType,
			httpapi.Problem{Type: problemType("unsupported-media-type"), Title: "Unsupported media type", Status: 415, Detail: "the request's content type is not supported here"}},
		{"echo too large", echo.ErrStatusRequestEntityTooLarge,
			httpapi.Problem{Type: problemType("too-large"), Title: "Request too large", Status: 413, Detail: "the request body is too large"}},
		{"echo jwt", echo.NewHTTPError(401, "missing or malformed jwt"),
			httpapi.Problem{Type: problemType("unauthenticated"), Title: "Authentication required", Status: 401, Detail: "missing or malformed jwt"}},
		{"echo forbidden", echo.ErrForbidden,
			httpapi.Problem{Type: problemType("forbidden"), Title: "Forbidden", Status: 403}},
		{"echo teapot", echo.NewHTTPError(418),
			httpapi.Problem{Type: problemType("im-a-teapot"), Title: "I'm a teapot", Status: 418}},
		{"echo 502 hides its message", echo.NewHTTPError(502, "upstream 10.0.0.3 refused"),
			httpapi.Problem{Type: problemType("bad-gateway"), Title: "Bad gateway", Status: 502, Detail: internalDetail}},
		{"echo 500 hides its message", echo.NewHTTPError(500, "boom"),
			httpapi.Problem{Type: problemType("internal"), Title: "Internal server error", Status: 500, Detail: internalDetail}},
		{"echo error wrapping an echo error", echo.NewHTTPError(500).SetInternal(echo.ErrNotFound),
			httpapi.Problem{Type: problemType("not-found"), Title: "Not found", Status: 404, Detail: "no route for this path"}},
		{"echo error with a bogus code", &echo.HTTPError{Code: 42},
			httpapi.Problem{Type: problemType("internal"), Title: "Internal server error", Status: 500, Detail: internalDetail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, httpapi.ProblemFor(tt.err)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatusOf(t *testing.T) {
	for k := apperr.KindInternal; k <= apperr.KindUnavailable; k++ {
		got := httpapi.StatusOf(k)
		if got < 400 || got > 599 || (k == apperr.KindInternal) != (got == 500) {
			t.Errorf("StatusOf(%v) = %d", k, got)
		}
		if p := httpapi.ProblemFor(&apperr.Error{Kind: k}); p.Status != got {
			t.Errorf("ProblemFor(%v).Status = %d, StatusOf = %d", k, p.Status, got)
		}
	}
}

// TestProblemsOverHTTP runs errors through the real stack.
func TestProblemsOverHTTP(t *testing.T) {
	env := startInfra(t)
	tests := []struct {
		name    string
		method  string
		path    string
		want    httpapi.Problem
		headers map[string]string
	}{
		{"unknown route", "GET", "/v1/nothing/here",
			httpapi.Problem{Type: problemType("not-found"), Title: "Not found", Status: 404, Detail: "no route for this path", Instance: "/v1/nothing/here"}, nil},
		{"wrong method on a spec path", "DELETE", "/v1/things/" + nilThingID,
			httpapi.Problem{Type: problemType("method-not-allowed"), Title: "Method not allowed", Status: 405, Detail: "the method is not allowed for this path", Instance: "/v1/things/" + nilThingID},
			map[string]string{"Allow": "OPTIONS, GET"}},
		{"wrong method, other path", "GET", "/v1/things",
			httpapi.Problem{Type: problemType("method-not-allowed"), Title: "Method not allowed", Status: 405, Detail: "the method is not allowed for this path", Instance: "/v1/things"},
			map[string]string{"Allow": "OPTIONS, POST"}},
		{"handler's not found", "GET", "/v1/things/" + nilThingID,
			httpapi.Problem{Type: problemType("not-found"), Title: "Not found", Status: 404, Detail: "no such thing", Instance: "/v1/things/" + nilThingID}, nil},
		{"unauthenticated", "GET", "/v1/me",
			httpapi.Problem{Type: problemType("unauthenticated"), Title: "Authentication required", Status: 401, Detail: "the access token has expired", Instance: "/v1/me"},
			map[string]string{"WWW-Authenticate": "Bearer"}},
		{"rate limited", "GET", "/v1/slow-down",
			httpapi.Problem{Type: problemType("rate-limited"), Title: "Too many requests", Status: 429, Detail: "too many pulls", Instance: "/v1/slow-down"},
			map[string]string{"Retry-After": "2"}},
		{"sync reset", "GET", "/v1/reset",
			httpapi.Problem{Type: problemType("sync-reset-required"), Title: "Sync reset required", Status: 410, Detail: "the cursor is too old", Instance: "/v1/reset"}, nil},
		{"internal", "GET", "/v1/fail",
			httpapi.Problem{Type: problemType("internal"), Title: "Internal server error", Status: 500, Detail: internalDetail, Instance: "/v1/fail"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := env.do(t, tt.method, tt.path, nil, nil)
			got := res.problem(t)
			tt.want.RequestID = res.Header.Get(httpapi.HeaderRequestID)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			for k, v := range tt.headers {
				if g := res.Header.Get(k); g != v {
					t.Errorf("%s = %q, want %q", k, g, v)
				}
			}
		})
	}

	// Server errors are logged with their cause; client errors are not logged as errors.
	line := env.logs.waitFor(t, func(m map[string]any) bool { return m["msg"] == "request failed" })
	if line["level"] != "ERROR" || line["route"] != "/v1/fail" || line["status"] != float64(500) ||
		!strings.Contains(line["error"].(string), "secret-internal-detail") || line["request_id"] == "" {
		t.Errorf("error log line = %v", line)
	}
	for _, m := range env.logs.lines(t) {
		if m["level"] == "ERROR" && m["route"] != "/v1/fail" {
			t.Errorf("unexpected error log line: %v", m)
		}
	}
}

func TestProblemHead(t *testing.T) {
	env := startInfra(t)
	res := env.do(t, http.MethodHead, "/v1/nothing", nil, nil)
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != httpapi.ProblemContentType || len(res.body) != 0 {
		t.Errorf("HEAD: status %d, Content-Type %q, body %q", res.StatusCode, res.Header.Get("Content-Type"), res.body)
	}
}

func TestErrorAfterCommit(t *testing.T) {
	env := startInfra(t)
	res := env.do(t, http.MethodGet, "/v1/late-error", nil, map[string]string{httpapi.HeaderRequestID: "late-1"})
	if res.StatusCode != 200 || string(res.body) != "partial" {
		t.Errorf("status %d, body %q; want the committed 200", res.StatusCode, res.body)
	}
	line := env.logs.waitFor(t, func(m map[string]any) bool { return m["msg"] == "request failed" && m["request_id"] == "late-1" })
	if line["committed"] != true {
		t.Errorf("log line = %v", line)
	}
}

func TestWriteProblem(t *testing.T) {
	e := echo.New()
	req := httptest.NewRequest(http.MethodGet, "/v1/sync/pull?cursor=abc", nil)
	req = req.WithContext(obs.WithRequestID(req.Context(), "ctx-id"))
	rec := httptest.NewRecorder()
	c := e.NewContext(req, rec)
	if err := httpapi.WriteProblem(c, apperr.RateLimited(2100*time.Millisecond, "slow down")); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "3" || rec.Header().Get("Content-Type") != httpapi.ProblemContentType {
		t.Errorf("status %d, headers %v", rec.Code, rec.Header())
	}
	want := `{"type":"https://agentdesk.dev/problems/rate-limited","title":"Too many requests","status":429,"detail":"slow down","instance":"/v1/sync/pull","request_id":"ctx-id"}`
	if got := rec.Body.String(); got != want {
		t.Errorf("body:\n got %s\nwant %s", got, want)
	}

	// Unavailable with a delay; the request ID from the response header when the context lacks it.
	rec = httptest.NewRecorder()
	c = e.NewContext(httptest.NewRequest(http.MethodGet, "/readyz", nil), rec)
	c.Response().Header().Set(httpapi.HeaderRequestID, "hdr-id")
	if err := httpapi.WriteProblem(c, &apperr.Error{Kind: apperr.KindUnavailable, RetryAfter: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "30" || !strings.Contains(rec.Body.String(), `"request_id":"hdr-id"`) {
		t.Errorf("status %d, headers %v, body %s", rec.Code, rec.Header(), rec.Body)
	}
}

func TestErrorHandlerLogsNoClientErrors(t *testing.T) {
	var logs infraLog
	h := httpapi.NewErrorHandler(obs.NewLogger(&logs, slog.LevelDebug))
	e := echo.New()
	for _, err := range []error{apperr.Invalid("bad", apperr.FieldError{Field: "/phone", Message: "13800138000 is bad"}), echo.ErrNotFound, apperr.Forbidden("no")} {
		rec := httptest.NewRecorder()
		h(err, e.NewContext(httptest.NewRequest(http.MethodPost, "/v1/x?phone=1", io.NopCloser(strings.NewReader("body"))), rec))
		if rec.Code < 400 || rec.Code >= 500 {
			t.Errorf("%v: status %d", err, rec.Code)
		}
	}
	if logs.String() != "" {
		t.Errorf("client errors were logged:\n%s", logs.String())
	}
}
