// Package fcmtest is an httptest server that speaks enough of Firebase
// Cloud Messaging's HTTP v1 API (POST /v1/projects/{project}/messages:send)
// for the real firebase-admin-go client to talk to it: each request's
// outcome is scripted per token (success, UNREGISTERED, INVALID_ARGUMENT,
// 429 or 503 with Retry-After, INTERNAL, a slow answer), and every request
// is recorded.
//
// Point the SDK at it with option.WithEndpoint(server.URL+"/v1") and
// option.WithoutAuthentication(), or push.FCMConfig{Endpoint: server.URL}.
package fcmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"firebase.google.com/go/v4/messaging"

	"github.com/agentdesk/agentdesk/internal/clock"
)

// Kind is a scripted answer.
type Kind int

// The answers the server can give.
const (
	Success         Kind = iota // 200 {"name": "projects/p/messages/N"}
	Unregistered                // 404 NOT_FOUND, FcmError UNREGISTERED
	InvalidArgument             // 400 INVALID_ARGUMENT: not a valid registration token
	TooManyRequests             // 429 RESOURCE_EXHAUSTED, QUOTA_EXCEEDED, Retry-After
	Unavailable                 // 503 UNAVAILABLE, Retry-After
	Internal                    // 500 INTERNAL
	Slow                        // success after Delay, or nothing if the client gives up first
)

var kindNames = [...]string{"success", "unregistered", "invalid_argument", "too_many_requests",
	"unavailable", "internal", "slow"}

// String names the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Outcome is the answer to one request.
type Outcome struct {
	Kind Kind
	// RetryAfter is sent as Retry-After (whole seconds) when positive, for
	// TooManyRequests and Unavailable.
	RetryAfter time.Duration
	// Delay is how long a Slow answer takes.
	Delay time.Duration
}

// Request is one request the server received.
type Request struct {
	// At is the server's clock when the request arrived.
	At      time.Time
	Project string
	Token   string
	// Message is the decoded message; Raw is its JSON as sent.
	Message *messaging.Message
	Raw     json.RawMessage
	Outcome Outcome
	// Accepted is true when the server answered success: the message
	// counts as delivered to FCM. A Slow request whose client gave up is
	// not accepted.
	Accepted bool
	// MessageID is the name returned on success.
	MessageID string
}

// Options tune a Server.
type Options struct {
	// Clock stamps Request.At; the system clock when nil.
	Clock clock.Clock
	// Decide answers requests for tokens without a script (n counts the
	// token's requests from 1); success when nil.
	Decide func(token string, n int) Outcome
}

// Server is the fake FCM endpoint. It is safe for concurrent use.
type Server struct {
	// URL is the base URL to give the SDK (add "/v1" for WithEndpoint).
	URL string

	srv    *httptest.Server
	clock  clock.Clock
	decide func(string, int) Outcome

	mu       sync.Mutex
	scripts  map[string][]Outcome
	counts   map[string]int
	requests []Request
	seq      int
}

// New starts a Server; Close stops it.
func New(opts Options) *Server {
	s := &Server{clock: opts.Clock, decide: opts.Decide, scripts: map[string][]Outcome{}, counts: map[string]int{}}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/projects/{project}/messages:send", s.send)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down, ending slow answers.
func (s *Server) Close() { s.srv.Close() }

// Script queues outcomes for a token's next requests, in order; after
// them the token's requests go to Options.Decide (or succeed).
func (s *Server) Script(token string, outcomes ...Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[token] = append(s.scripts[token], outcomes...)
}

// Requests returns every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Accepted returns the requests answered with success.
func (s *Server) Accepted() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Accepted {
			out = append(out, r)
		}
	}
	return out
}

// next picks the outcome of a token's request.
func (s *Server) next(token string) Outcome {
	s.mu.Lock()
	s.counts[token]++
	n := s.counts[token]
	if q := s.scripts[token]; len(q) > 0 {
		s.scripts[token] = q[1:]
		s.mu.Unlock()
		return q[0]
	}
	s.mu.Unlock()
	if s.decide != nil {
		return s.decide(token, n)
	}
	return Outcome{Kind: Success}
}

func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	at := s.clock.Now()
	project := r.PathValue("project")
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	var req struct {
		Message      json.RawMessage `json:"message"`
		ValidateOnly bool            `json:"validate_only"`
	}
	msg := new(messaging.Message)
	if err := json.Unmarshal(raw, &req); err != nil || len(req.Message) == 0 || json.Unmarshal(req.Message, msg) != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "", "Invalid JSON payload received.", 0)
		return
	}
	out := s.next(msg.Token)
	rec := Request{At: at, Project: project, Token: msg.Token, Message: msg, Raw: req.Message, Outcome: out}

	switch out.Kind {
	case Success, Slow:
		if out.Kind == Slow {
			select {
			case <-r.Context().Done():
				s.record(rec)
				return
			case <-time.After(out.Delay):
			}
		}
		s.mu.Lock()
		s.seq++
		rec.MessageID = fmt.Sprintf("projects/%s/messages/%d", project, s.seq)
		s.mu.Unlock()
		rec.Accepted = true
		s.record(rec)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"name": rec.MessageID})
	case Unregistered:
		s.record(rec)
		writeError(w, http.StatusNotFound, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.", 0)
	case InvalidArgument:
		s.record(rec)
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "INVALID_ARGUMENT",
			"The registration token is not a valid FCM registration token", 0)
	case TooManyRequests:
		s.record(rec)
		writeError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED",
			"Quota exceeded for quota metric 'Send requests'.", out.RetryAfter)
	case Unavailable:
		s.record(rec)
		writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "UNAVAILABLE",
			"The service is currently unavailable.", out.RetryAfter)
	case Internal:
		s.record(rec)
		writeError(w, http.StatusInternalServerError, "INTERNAL", "INTERNAL", "Internal error encountered.", 0)
	}
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// writeError writes a Google API error in FCM's shape:
// {"error":{"code":404,"status":"NOT_FOUND","message":"…","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}
func writeError(w http.ResponseWriter, status int, code, fcmCode, msg string, retryAfter time.Duration) {
	type detail struct {
		Type      string `json:"@type"`
		ErrorCode string `json:"errorCode"`
	}
	body := struct {
		Error struct {
			Code    int      `json:"code"`
			Status  string   `json:"status"`
			Message string   `json:"message"`
			Details []detail `json:"details,omitempty"`
		} `json:"error"`
	}{}
	body.Error.Code, body.Error.Status, body.Error.Message = status, code, msg
	if fcmCode != "" {
		body.Error.Details = []detail{{Type: "type.googleapis.com/google.firebase.fcm.v1.FcmError", ErrorCode: fcmCode}}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
