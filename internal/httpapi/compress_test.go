package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/agentdesk/agentdesk/internal/apptest"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zstded(t *testing.T, b []byte) []byte {
	t.Helper()
	enc, _ := zstd.NewWriter(nil)
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// Answers are compressed as the client accepts; request bodies may come
// compressed; neither changes what the contract says.
func TestCompression(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		for i := range 30 {
			res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers", Token: tm.agent1,
				Body: map[string]any{"name": "客户" + strings.Repeat("甲", i%5+1)}})
			if res.Status != 201 {
				t.Fatalf("create: %d %s", res.Status, res.Body)
			}
		}
		send := func(method, path, acceptEncoding, contentEncoding string, body []byte) (*http.Response, []byte) {
			t.Helper()
			req, _ := http.NewRequest(method, e.URL+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tm.agent1)
			// Set explicitly, so the transport leaves the body encoded.
			req.Header.Set("Accept-Encoding", acceptEncoding)
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			if contentEncoding != "" {
				req.Header.Set("Content-Encoding", contentEncoding)
			}
			res, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			switch res.Header.Get("Content-Encoding") {
			case "gzip":
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				b, err = io.ReadAll(zr)
				if err != nil {
					t.Fatal(err)
				}
			case "zstd":
				d, _ := zstd.NewReader(nil)
				defer d.Close()
				var err error
				if b, err = d.DecodeAll(b, nil); err != nil {
					t.Fatal(err)
				}
			}
			return res, b
		}

		tests := []struct {
			name, accept, wantEncoding string
		}{
			{"zstd preferred", "gzip, zstd", "zstd"},
			{"gzip", "gzip", "gzip"},
			{"zstd refused by q=0", "zstd;q=0, gzip", "gzip"},
			{"none", "identity", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, b := send("GET", "/v1/customers?limit=30", tt.accept, "", nil)
				var page struct {
					Items []map[string]any `json:"items"`
				}
				if res.StatusCode != 200 || json.Unmarshal(b, &page) != nil || len(page.Items) != 30 {
					t.Fatalf("%d %.200s", res.StatusCode, b)
				}
				if got := res.Header.Get("Content-Encoding"); got != tt.wantEncoding {
					t.Errorf("Content-Encoding %q, want %q", got, tt.wantEncoding)
				}
				if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
					t.Errorf("Vary %q", res.Header.Get("Vary"))
				}
			})
		}

		// Short answers and problems go out as they are, whole.
		res, b := send("GET", "/healthz", "gzip", "", nil)
		if res.Header.Get("Content-Encoding") != "" || !strings.Contains(string(b), "ok") {
			t.Errorf("healthz: %q %s", res.Header.Get("Content-Encoding"), b)
		}
		res, b = send("GET", "/v1/customers/01900000-0000-7000-8000-000000000000", "gzip", "", nil)
		if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/problem+json" || !json.Valid(b) {
			t.Errorf("problem: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), b)
		}

		// Compressed request bodies.
		body := []byte(`{"name":"压缩客户"}`)
		for _, c := range []struct {
			name, encoding string
			body           []byte
			status         int
		}{
			{"gzip body", "gzip", gzipped(t, body), 201},
			{"zstd body", "zstd", zstded(t, body), 201},
			{"unknown encoding", "br", body, 415},
			{"not gzip", "gzip", body, 400},
			{"bomb past the limit", "gzip", gzipped(t, append(append([]byte(`{"name":"`), bytes.Repeat([]byte("a"), 2<<20)...), `"}`...)), 413},
		} {
			res, b := send("POST", "/v1/customers", "", c.encoding, c.body)
			if res.StatusCode != c.status {
				t.Errorf("%s: %d %s, want %d", c.name, res.StatusCode, b, c.status)
			}
		}
	})
}
