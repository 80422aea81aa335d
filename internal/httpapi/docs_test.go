package httpapi_test

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/internal/httpapi"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// urlAttr finds every attribute or CSS value that could make a browser fetch something.
var urlAttr = regexp.MustCompile(`(?i)(?:src|href|spec-url|action|poster|data)\s*=\s*"([^"]*)"|url\(([^)]*)\)|@import`)

func TestDocsPageIsSelfContained(t *testing.T) {
	page := string(httpapi.DocsPage("/openapi.yaml"))
	for _, want := range []string{"<title>AgentDesk API</title>", `<redoc spec-url="/openapi.yaml"`, `<script src="/docs/redoc.standalone.js"></script>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
	matches := urlAttr.FindAllStringSubmatch(page, -1)
	if len(matches) < 2 {
		t.Fatalf("found only %d URLs in the page:\n%s", len(matches), page)
	}
	for _, m := range matches {
		u := m[1] + m[2]
		if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
			t.Errorf("page refers to %q, not a same-origin path", m[0])
		}
	}
	for _, bad := range []string{"http:", "https:", "//fonts", "googleapis", "cdn."} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

func TestDocsPageTheme(t *testing.T) {
	// Redoc reads the theme attribute with JSON.parse.
	m := regexp.MustCompile(`theme="([^"]*)"`).FindStringSubmatch(string(httpapi.DocsPage("/openapi.yaml")))
	if m == nil {
		t.Fatal("no theme attribute")
	}
	var theme map[string]any
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &theme); err != nil {
		t.Errorf("theme is not JSON: %v", err)
	}
}

func TestDocsPageEscapes(t *testing.T) {
	page := string(httpapi.DocsPage(`/x"><script>alert(1)</script>`))
	if strings.Contains(page, "<script>alert") {
		t.Errorf("spec URL not escaped:\n%s", page)
	}
}

func TestDocsOverHTTP(t *testing.T) {
	env := startInfra(t)
	res := env.do(t, http.MethodGet, "/docs", nil, nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !bytes.Equal(res.body, httpapi.DocsPage("/openapi.yaml")) {
		t.Errorf("GET /docs served another page")
	}

	res = env.do(t, http.MethodGet, httpapi.RedocJSPath, nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", httpapi.RedocJSPath, res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if len(res.body) < 500_000 || !bytes.Contains(res.body, []byte(`"`+httpapi.RedocVersion+`"`)) {
		t.Errorf("the bundle (%d bytes) is not Redoc %s", len(res.body), httpapi.RedocVersion)
	}
	etag := res.Header.Get("ETag")
	if etag == "" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age=") {
		t.Errorf("ETag %q, Cache-Control %q", etag, res.Header.Get("Cache-Control"))
	}
	res = env.do(t, http.MethodGet, httpapi.RedocJSPath, nil, map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified || len(res.body) != 0 {
		t.Errorf("revalidation: %d with %d bytes", res.StatusCode, len(res.body))
	}
}

func TestRedocLicenses(t *testing.T) {
	if !strings.Contains(httpapi.RedocLicense, "MIT License") || !strings.Contains(httpapi.RedocLicense, "Rebilly") {
		t.Errorf("RedocLicense is not Redoc's MIT licence")
	}
	if len(httpapi.RedocThirdPartyLicenses) == 0 {
		t.Errorf("RedocThirdPartyLicenses is empty")
	}
}
