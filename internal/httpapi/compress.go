package httpapi

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/labstack/echo/v4"

	"github.com/agentdesk/agentdesk/internal/apperr"
)

// decodeBody decodes a request body sent with Content-Encoding enc
// (openapi.yaml: gzip or zstd); another encoding is refused with 415.
func decodeBody(body io.ReadCloser, enc string) (io.ReadCloser, error) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, apperr.Invalid("the request body is not gzip data")
		}
		return readCloser{Reader: zr, close: func() error { zr.Close(); return body.Close() }}, nil
	case "zstd":
		zr, err := zstd.NewReader(body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(8<<20))
		if err != nil {
			return nil, apperr.Invalid("the request body is not zstd data")
		}
		return readCloser{Reader: zr, close: func() error { zr.Close(); return body.Close() }}, nil
	}
	return nil, apperr.UnsupportedMediaType("request bodies may be sent with Content-Encoding gzip or zstd only")
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// Compress encodes responses as the client's Accept-Encoding allows
// (zstd preferred, then gzip), unless the handler encoded the body itself
// (the sync pull), the body is an event stream, or it is shorter than
// minCompress bytes (the frame would cost about what it saves).
func Compress() echo.MiddlewareFunc {
	zstdPool := sync.Pool{New: func() any {
		w, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
		return w
	}}
	gzipPool := sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
		return w
	}}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			res := c.Response()
			res.Header().Add("Vary", "Accept-Encoding") // a cache keeps one copy per encoding
			enc := pickEncoding(c.Request().Header.Get("Accept-Encoding"))
			if enc == "" || c.Request().Method == http.MethodHead {
				return next(c)
			}
			w := &compressWriter{ResponseWriter: res.Writer, enc: enc, zstd: &zstdPool, gzip: &gzipPool}
			res.Writer = w
			defer func() {
				w.finish()
				res.Writer = w.ResponseWriter // anything later goes out as it is
			}()
			if err := next(c); err != nil {
				// The error's problem is written here, through the encoder,
				// not after this middleware has finished the answer.
				c.Error(err)
			}
			return nil
		}
	}
}

// compressWriter holds the first minCompress bytes back to decide whether
// the answer is worth compressing, then streams it through the encoder.
type compressWriter struct {
	http.ResponseWriter
	enc        string
	zstd, gzip *sync.Pool

	wrote   bool // the handler set the status
	status  int
	decided bool // the status went out, with or without an encoder
	buf     []byte
	encoder io.WriteCloser
	put     func()
}

func (w *compressWriter) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote, w.status = true, status
	h := w.Header()
	if status < 200 || status == http.StatusNoContent || status == http.StatusNotModified ||
		h.Get("Content-Encoding") != "" || strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
		w.passthrough()
	}
}

func (w *compressWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.decided {
		if w.encoder != nil {
			return w.encoder.Write(b)
		}
		return w.ResponseWriter.Write(b)
	}
	w.buf = append(w.buf, b...)
	if len(w.buf) >= minCompress {
		if err := w.startEncoder(); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// passthrough sends the answer as the handler writes it, starting with
// what was held back.
func (w *compressWriter) passthrough() {
	w.decided = true
	w.ResponseWriter.WriteHeader(w.status)
	if len(w.buf) > 0 {
		_, _ = w.ResponseWriter.Write(w.buf)
		w.buf = nil
	}
}

func (w *compressWriter) startEncoder() error {
	w.decided = true
	h := w.Header()
	h.Set("Content-Encoding", w.enc)
	h.Del("Content-Length")
	w.ResponseWriter.WriteHeader(w.status)
	switch w.enc {
	case "zstd":
		zw := w.zstd.Get().(*zstd.Encoder)
		zw.Reset(w.ResponseWriter)
		w.encoder, w.put = zw, func() { w.zstd.Put(zw) }
	default:
		gw := w.gzip.Get().(*gzip.Writer)
		gw.Reset(w.ResponseWriter)
		w.encoder, w.put = gw, func() { w.gzip.Put(gw) }
	}
	buf := w.buf
	w.buf = nil
	_, err := w.encoder.Write(buf)
	return err
}

// finish ends the answer: a short body goes out as it is; an encoder is
// closed (its last frame written) and returned to its pool.
func (w *compressWriter) finish() {
	switch {
	case w.encoder != nil:
		_ = w.encoder.Close()
		w.put()
	case w.wrote && !w.decided:
		w.passthrough()
	}
}

// Flush sends what is held back (event streams flush after each event).
func (w *compressWriter) Flush() {
	if w.wrote && !w.decided {
		w.passthrough()
	}
	if f, ok := w.encoder.(interface{ Flush() error }); ok {
		_ = f.Flush()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack is not supported through compression.
func (w *compressWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, http.ErrNotSupported
}

// Unwrap lets http.ResponseController reach the connection.
func (w *compressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
