// Package driver runs the performance scenarios of the reference workload
// against a running AgentDesk server over HTTP, and reports medians and
// tails over repeated runs.
package driver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/agentdesk/agentdesk/internal/syncer"
)

// countingConn counts the bytes of a connection in both directions: the
// HTTP messages as they cross the wire (headers and compressed bodies).
type countingConn struct {
	net.Conn
	c *Counter
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.c.in.Add(int64(n))
	return n, err
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.c.out.Add(int64(n))
	return n, err
}

// Counter totals the bytes of a client's connections.
type Counter struct{ in, out atomic.Int64 }

// Take returns the bytes received and sent since the last Take.
func (c *Counter) Take() (in, out int64) { return c.in.Swap(0), c.out.Swap(0) }

// client talks to the server as one app: its own connections (so their
// bytes can be counted), no transparent decompression.
type client struct {
	base  string
	http  *http.Client
	count *Counter
	token string
	// format is the pull's page format ("" or "changes": the default).
	format string
}

func newClient(cfg Config, conns int) *client {
	cnt := &Counter{}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{c, cnt}, nil
		},
		DisableCompression:  true,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
	}
	if cfg.HTTP2 {
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	return &client{base: strings.TrimRight(cfg.BaseURL, "/"), http: &http.Client{Transport: tr, Timeout: 5 * time.Minute},
		count: cnt, format: cfg.Format}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// response is an answer with its body as sent and decoded.
type response struct {
	status  int
	header  http.Header
	raw     []byte // as on the wire (compressed)
	body    []byte // decoded
	elapsed time.Duration
}

var zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))

func (c *client) do(ctx context.Context, method, path string, body any, hdr map[string]string) (*response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return nil, err
	}
	r := &response{status: resp.StatusCode, header: resp.Header, raw: raw, body: raw, elapsed: elapsed}
	switch resp.Header.Get("Content-Encoding") {
	case "zstd":
		if r.body, err = zdec.DecodeAll(raw, nil); err != nil {
			return nil, fmt.Errorf("%s %s: zstd body: %w", method, path, err)
		}
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s %s: gzip body: %w", method, path, err)
		}
		if r.body, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("%s %s: gzip body: %w", method, path, err)
		}
	}
	return r, nil
}

// expect fails unless the answer has one of the statuses.
func (r *response) expect(what string, statuses ...int) error {
	for _, s := range statuses {
		if r.status == s {
			return nil
		}
	}
	b := r.body
	if len(b) > 300 {
		b = b[:300]
	}
	return fmt.Errorf("%s: status %d: %s", what, r.status, b)
}

func (c *client) login(ctx context.Context, username, password string) error {
	r, err := c.do(ctx, http.MethodPost, "/v1/auth/login", map[string]string{"username": username, "password": password}, nil)
	if err != nil {
		return err
	}
	if err := r.expect("login "+username, http.StatusOK); err != nil {
		return err
	}
	var tp struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(r.body, &tp); err != nil {
		return err
	}
	c.token = tp.AccessToken
	return nil
}

// change is one change of a pull, with its record kept raw.
type change struct {
	Collection string          `json:"collection"`
	Op         string          `json:"op"`
	ID         string          `json:"id"`
	Version    int64           `json:"version"`
	Data       json.RawMessage `json:"data"`
}

type pullPage struct {
	Changes []change `json:"changes"`
	// Batches carry the changes of a format=columns page.
	Batches           json.RawMessage `json:"batches"`
	Cursor            string          `json:"cursor"`
	HasMore           bool            `json:"has_more"`
	EssentialComplete bool            `json:"essential_complete"`
}

// pull fetches one page; enc is the Accept-Encoding ("" for identity).
func (c *client) pull(ctx context.Context, cursor string, limit int, enc, etag string) (*response, *pullPage, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	if c.format != "" {
		q.Set("format", c.format)
	}
	hdr := map[string]string{}
	if enc != "" {
		hdr["Accept-Encoding"] = enc
	}
	if etag != "" {
		hdr["If-None-Match"] = etag
	}
	path := "/v1/sync/pull"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	r, err := c.do(ctx, http.MethodGet, path, nil, hdr)
	if err != nil {
		return nil, nil, err
	}
	if err := r.expect("pull", http.StatusOK, http.StatusNotModified); err != nil {
		return nil, nil, err
	}
	if r.status == http.StatusNotModified {
		return r, nil, nil
	}
	var p pullPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		return nil, nil, fmt.Errorf("pull page: %w", err)
	}
	if len(p.Batches) > 0 {
		cs, err := syncer.DecodeBatches(p.Batches)
		if err != nil {
			return nil, nil, fmt.Errorf("pull page: %w", err)
		}
		for _, ch := range cs {
			p.Changes = append(p.Changes, change{Collection: ch.Collection, Op: ch.Op, ID: ch.ID.String(), Version: ch.Version, Data: ch.Data})
		}
	}
	return r, &p, nil
}
