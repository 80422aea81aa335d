package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/httpapi"
)

func TestValidator(t *testing.T) {
	env := startInfra(t)
	const jsonCT = "application/json"
	tests := []struct {
		name   string
		method string
		path   string
		ct     string
		body   any
		status int
		// want is the problem's type slug and fields, for failures.
		slug   string
		fields []apperr.FieldError
		// echo is what a 201 from POST /v1/things says the handler read.
		echo string
	}{
		{name: "valid", method: "POST", path: "/v1/things?limit=10", ct: jsonCT, body: `{"name":"ok"}`, status: 201, echo: "ok"},
		{name: "valid, chunked", method: "POST", path: "/v1/things", ct: jsonCT, body: io.MultiReader(strings.NewReader(`{"name":"chunk"}`)), status: 201, echo: "chunk"},
		{name: "valid with a charset", method: "POST", path: "/v1/things", ct: "application/json; charset=utf-8", body: `{"name":"utf8"}`, status: 201, echo: "utf8"},
		{
			name: "missing body field", method: "POST", path: "/v1/things", ct: jsonCT, body: `{}`, status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "/name", Code: "required", Message: `property "name" is missing`}},
		},
		{
			name: "body field too long", method: "POST", path: "/v1/things", ct: jsonCT, body: `{"name":"much too long a name"}`, status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "/name", Code: "maxLength", Message: "maximum string length is 10"}},
		},
		{
			name: "nested array item", method: "POST", path: "/v1/things", ct: jsonCT, body: `{"name":"a","tags":["ok","toolong"]}`, status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "/tags/1", Code: "maxLength", Message: "maximum string length is 5"}},
		},
		{
			name: "wrong type", method: "POST", path: "/v1/things", ct: jsonCT, body: `{"name":12}`, status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "/name", Code: "type", Message: `value must be a string`}},
		},
		{
			name: "query out of range", method: "POST", path: "/v1/things?limit=0", ct: jsonCT, body: `{"name":"a"}`, status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "limit", Code: "minimum", Message: "number must be at least 1"}},
		},
		{
			name: "query not a number", method: "POST", path: "/v1/things?limit=lots", ct: jsonCT, body: `{"name":"a"}`, status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "limit", Code: "malformed", Message: "is not a valid integer"}},
		},
		{
			name: "body and query both wrong", method: "POST", path: "/v1/things?limit=101", ct: jsonCT, body: `{"name":"much too long a name"}`, status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{
				{Field: "/name", Code: "maxLength", Message: "maximum string length is 10"},
				{Field: "limit", Code: "maximum", Message: "number must be at most 100"},
			},
		},
		{
			name: "unknown property", method: "POST", path: "/v1/things", ct: jsonCT, body: `{"name":"a","color/hue":"red"}`, status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "/color~1hue", Code: "additionalProperties", Message: "is not a known property"}},
		},
		{
			name: "malformed JSON", method: "POST", path: "/v1/things", ct: jsonCT, body: `{"name":`, status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "", Code: "malformed", Message: "the request body cannot be decoded"}},
		},
		{
			name: "no body", method: "POST", path: "/v1/things", ct: jsonCT, status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "", Code: "required", Message: "a request body is required"}},
		},
		{name: "wrong content type", method: "POST", path: "/v1/things", ct: "text/plain", body: `name=a`, status: 415, slug: "unsupported-media-type"},
		{name: "no content type", method: "POST", path: "/v1/things", body: `{"name":"a"}`, status: 415, slug: "unsupported-media-type"},
		{
			name: "path parameter format", method: "GET", path: "/v1/things/not-a-uuid", status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "id", Code: "format", Message: "must be a valid uuid"}},
		},
		{
			// echo lets a trailing parameter swallow slashes; the spec's router does not match it.
			name: "path parameter that swallowed a slash", method: "GET", path: "/v1/things/" + nilThingID + "/x", status: 400, slug: "validation-failed",
			fields: []apperr.FieldError{{Field: "id", Code: "format", Message: "must be a valid uuid"}},
		},
		{name: "valid path parameter", method: "GET", path: "/v1/things/0190b6c4-4c4e-7b1e-9d8a-1c2d3e4f5a6b", status: 200},
		{name: "ndjson as a string", method: "POST", path: "/v1/imports", ct: "application/x-ndjson", body: "{\"a\":1}\n{\"a\":2}\n", status: 204},
		{name: "csv as a string", method: "POST", path: "/v1/imports", ct: "text/csv", body: "a,\"b,c\"\n1,2\n", status: 204},
		{name: "json to a csv operation", method: "POST", path: "/v1/imports", ct: jsonCT, body: `{}`, status: 415, slug: "unsupported-media-type"},
		{name: "path outside the spec passes", method: "POST", path: "/v1/bind", ct: jsonCT, body: `{"anything":[1,2]}`, status: 204},
		{name: "wrong method on a spec path", method: "PUT", path: "/v1/things", ct: jsonCT, body: `{}`, status: 405, slug: "method-not-allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{}
			if tt.ct != "" {
				headers["Content-Type"] = tt.ct
			}
			res := env.do(t, tt.method, tt.path, tt.body, headers)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, res.body)
			}
			if tt.status < 400 {
				if tt.echo != "" {
					var got struct{ Name string }
					if err := json.Unmarshal(res.body, &got); err != nil || got.Name != tt.echo {
						t.Errorf("the handler read %q (%v), want %q", got.Name, err, tt.echo)
					}
				}
				return
			}
			p := res.problem(t)
			if p.Type != httpapi.ProblemTypeBase+tt.slug {
				t.Errorf("type = %q, want slug %q", p.Type, tt.slug)
			}
			if diff := cmp.Diff(tt.fields, p.Errors); diff != "" {
				t.Errorf("fields mismatch (-want +got):\n%s", diff)
			}
			// Problems of operations in the spec conform to it too.
			if strings.HasPrefix(tt.path, "/v1/things") && tt.status != 405 && !strings.HasSuffix(tt.path, "/x") {
				req := httptest.NewRequest(tt.method, tt.path, nil)
				if err := httpapi.ValidateResponse(env.spec, req, res.StatusCode, res.Header, res.body); err != nil {
					t.Errorf("ValidateResponse: %v", err)
				}
			}
		})
	}
}

func TestValidatorSkipper(t *testing.T) {
	spec := loadMiniSpec(t)
	mw, err := httpapi.Validator(spec, httpapi.ValidatorOptions{Skipper: func(c echo.Context) bool {
		return c.Request().Header.Get("X-Skip") != ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.HTTPErrorHandler = httpapi.NewErrorHandler(discardLogger())
	e.Use(mw)
	e.POST("/v1/things", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	for _, tt := range []struct {
		skip   bool
		status int
	}{{false, 400}, {true, 204}} {
		req := httptest.NewRequest(http.MethodPost, "/v1/things", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		if tt.skip {
			req.Header.Set("X-Skip", "1")
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("skip=%v: status %d, want %d", tt.skip, rec.Code, tt.status)
		}
	}
}

func TestValidatorServers(t *testing.T) {
	// Absolute server URLs with a base path: the router must match on the path alone,
	// and the caller's spec must stay as it was.
	spec := loadMiniSpec(t)
	for _, p := range spec.Paths.InMatchingOrder() {
		item := spec.Paths.Value(p)
		spec.Paths.Delete(p)
		spec.Paths.Set(strings.TrimPrefix(p, "/v1"), item)
	}
	spec.Servers = openapi3.Servers{{URL: "https://api.agentdesk.example/v1"}, {URL: "http://localhost:8080/v1"}}
	mw, err := httpapi.Validator(spec, httpapi.ValidatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Servers[0].URL != "https://api.agentdesk.example/v1" {
		t.Errorf("Validator changed the spec's servers: %v", spec.Servers[0].URL)
	}
	e := echo.New()
	e.HTTPErrorHandler = httpapi.NewErrorHandler(discardLogger())
	e.Use(mw)
	e.POST("/v1/things", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.GET("/v1/things/:id", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	for _, tt := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/v1/things", `{}`, 400},
		{"POST", "/v1/things", `{"name":"a"}`, 204},
		{"GET", "/v1/things/nope", ``, 400},
		{"GET", "/v1/things/" + nilThingID + "/more", ``, 400},
		{"GET", "/v1/things/" + nilThingID, ``, 204},
	} {
		req := httptest.NewRequest(tt.method, "http://127.0.0.1:1234"+tt.path, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("%s %s: status %d, want %d: %s", tt.method, tt.path, rec.Code, tt.status, rec.Body)
		}
	}
}

func TestValidateResponse(t *testing.T) {
	spec := loadMiniSpec(t)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	problemHeader := http.Header{"Content-Type": {httpapi.ProblemContentType}}
	thing := "/v1/things/" + nilThingID
	tests := []struct {
		name    string
		method  string
		path    string
		status  int
		header  http.Header
		body    string
		wantErr string
	}{
		{"conforming", "GET", thing, 200, jsonHeader, `{"id":"` + nilThingID + `","name":"a"}`, ""},
		{"missing property", "GET", thing, 200, jsonHeader, `{"id":"` + nilThingID + `"}`, `property "name" is missing`},
		{"undocumented status", "GET", thing, 418, jsonHeader, `{}`, "status is not supported"},
		{"documented problem", "GET", thing, 404, problemHeader, `{"type":"t","title":"Not found","status":404}`, ""},
		{"problem lacking a field", "GET", thing, 404, problemHeader, `{"type":"t","status":404}`, `property "title" is missing`},
		{"default response", "POST", "/v1/things", 409, problemHeader, `{"type":"t","title":"Conflict","status":409}`, ""},
		{"wrong content type", "GET", thing, 200, http.Header{"Content-Type": {"text/plain"}}, `hi`, "Content-Type"},
		{"unknown operation", "GET", "/v1/nope", 200, jsonHeader, `{}`, "no matching operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://127.0.0.1:8080"+tt.path, nil)
			err := httpapi.ValidateResponse(spec, req, tt.status, tt.header, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidatorNoSpec(t *testing.T) {
	if _, err := httpapi.Validator(nil, httpapi.ValidatorOptions{}); err == nil {
		t.Error("Validator(nil): no error")
	}
}
