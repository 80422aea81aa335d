package push

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"google.golang.org/api/option"
	htransport "google.golang.org/api/transport/http"

	"github.com/agentdesk/agentdesk/ent/deliveryattempt"
	"github.com/agentdesk/agentdesk/internal/clock"
)

// FCMConfig configures the Firebase Cloud Messaging sender.
type FCMConfig struct {
	// ProjectID is the Firebase project (AGENTDESK_FCM_PROJECT_ID); required.
	ProjectID string
	// CredentialsFile is a service-account JSON file
	// (GOOGLE_APPLICATION_CREDENTIALS); empty: Application Default
	// Credentials. Ignored with Endpoint.
	CredentialsFile string
	// Endpoint replaces FCM's base URL (AGENTDESK_FCM_ENDPOINT), e.g. a
	// test server's "http://127.0.0.1:1234"; requests then go to
	// {Endpoint}/v1/projects/{project}/messages:send without credentials.
	Endpoint string
	// RequestTimeout bounds one HTTP request; default 10 s.
	RequestTimeout time.Duration
	// Clock converts an HTTP-date Retry-After; default the system clock.
	Clock clock.Clock
}

// FCMSender sends through the Firebase Admin SDK's messaging client
// (FCM HTTP v1, SendEach: one request per message, in batches of ≤ 500).
//
// The SDK retries 503 responses and network errors by itself, sleeping up
// to minutes of wall time while the worker holds its lease, and those
// retries are invisible to the outbox. The outbox owns retries instead
// (persisted, with jitter, honouring Retry-After across restarts), so the
// sender's HTTP transport turns off the SDK's: every response body is
// read inside the transport under RequestTimeout, a 503's Retry-After is
// moved to a private header and replaced by one longer than the SDK will
// wait (it then returns at once), and a network error or timeout becomes
// a synthetic 503 marked with its cause. classify reads both back.
type FCMSender struct {
	client *messaging.Client
	clock  clock.Clock
}

var _ Sender = (*FCMSender)(nil)

// Headers by which the transport hands the real cause to classify.
const (
	hdrRetryAfter     = "X-Agentdesk-Retry-After"
	hdrTransportError = "X-Agentdesk-Transport-Error"
	// sdkGiveUp is a Retry-After beyond the SDK's two-minute cap: the SDK
	// returns the error instead of sleeping.
	sdkGiveUp = "86400"
)

// NewSender returns the Sender that cfg calls for: a LogSender when
// neither a project nor an endpoint is configured (reminders then go to
// the inbox and the log only), else an FCMSender.
func NewSender(ctx context.Context, cfg FCMConfig, log *slog.Logger) (Sender, error) {
	if cfg.ProjectID == "" && cfg.Endpoint == "" {
		return LogSender{Log: log}, nil
	}
	return NewFCMSender(ctx, cfg)
}

// NewFCMSender builds the Firebase app and messaging client. With an
// Endpoint and no ProjectID the project is "agentdesk".
func NewFCMSender(ctx context.Context, cfg FCMConfig) (*FCMSender, error) {
	if cfg.ProjectID == "" && cfg.Endpoint != "" {
		cfg.ProjectID = "agentdesk"
	}
	if cfg.ProjectID == "" {
		return nil, errors.New("fcm: ProjectID is required")
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	var rt http.RoundTripper = base
	opts := []option.ClientOption{}
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(strings.TrimRight(cfg.Endpoint, "/")+"/v1"))
	} else {
		authOpts := []option.ClientOption{option.WithScopes(
			"https://www.googleapis.com/auth/cloud-platform",
			"https://www.googleapis.com/auth/firebase.messaging")}
		if cfg.CredentialsFile != "" {
			authOpts = append(authOpts, option.WithCredentialsFile(cfg.CredentialsFile))
		}
		var err error
		if rt, err = htransport.NewTransport(ctx, base, authOpts...); err != nil {
			return nil, fmt.Errorf("fcm credentials: %w", err)
		}
	}
	hc := &http.Client{Transport: &noSDKRetry{next: rt, timeout: cfg.RequestTimeout}}
	opts = append(opts, option.WithHTTPClient(hc))
	app, err := firebase.NewApp(ctx, &firebase.Config{ProjectID: cfg.ProjectID}, opts...)
	if err != nil {
		return nil, fmt.Errorf("firebase app: %w", err)
	}
	c, err := app.Messaging(ctx)
	if err != nil {
		return nil, fmt.Errorf("firebase messaging: %w", err)
	}
	return &FCMSender{client: c, clock: cfg.Clock}, nil
}

// Send sends msgs with SendEach, 500 at a time.
func (s *FCMSender) Send(ctx context.Context, msgs []Message) []Result {
	out := make([]Result, 0, len(msgs))
	for i := 0; i < len(msgs); i += maxSendBatch {
		part := msgs[i:min(i+maxSendBatch, len(msgs))]
		fms := make([]*messaging.Message, len(part))
		for k, m := range part {
			fms[k] = fcmMessage(m)
		}
		br, err := s.client.SendEach(ctx, fms)
		if err != nil {
			// The whole batch was refused before any request: the SDK found
			// a message invalid, or ctx had ended.
			res := Result{Outcome: deliveryattempt.OutcomePermanentError, ErrorCode: "INVALID_MESSAGE"}
			if ctx.Err() != nil {
				res = Result{Outcome: deliveryattempt.OutcomeTransientError, ErrorCode: "DEADLINE_EXCEEDED"}
			}
			for range part {
				out = append(out, res)
			}
			continue
		}
		for _, r := range br.Responses {
			if r.Success {
				out = append(out, Result{Outcome: deliveryattempt.OutcomeSent, MessageID: r.MessageID})
				continue
			}
			out = append(out, s.classify(r.Error))
		}
	}
	return out
}

// fcmMessage is the FCM message of m: a notification with data, and the
// per-platform settings (collapse key, TTL, priority).
func fcmMessage(m Message) *messaging.Message {
	ttl := m.TTL
	return &messaging.Message{
		Token:        m.Token,
		Notification: &messaging.Notification{Title: m.Title, Body: m.Body},
		Data:         m.Data,
		Android: &messaging.AndroidConfig{
			CollapseKey: m.CollapseKey,
			Priority:    "high",
			TTL:         &ttl,
			Notification: &messaging.AndroidNotification{
				Tag:       m.CollapseKey,
				ChannelID: "reminders",
			},
		},
		APNS: &messaging.APNSConfig{
			Headers: map[string]string{
				"apns-collapse-id": m.CollapseKey,
				"apns-expiration":  strconv.FormatInt(m.Expires.Unix(), 10),
				"apns-priority":    "10",
				"apns-push-type":   "alert",
			},
			Payload: &messaging.APNSPayload{Aps: &messaging.Aps{Sound: "default", ThreadID: m.CollapseKey}},
		},
		Webpush: &messaging.WebpushConfig{
			Headers: map[string]string{
				"TTL":     strconv.Itoa(int(m.TTL.Seconds())),
				"Urgency": "high",
				// Web Push topics are at most 32 URL-safe characters.
				"Topic": strings.ReplaceAll(strings.TrimPrefix(m.CollapseKey, "policy-"), "-", ""),
			},
		},
	}
}

// classify maps an FCM error to an outcome. UNREGISTERED and SENDER_ID_MISMATCH
// tokens are dead; INVALID_ARGUMENT about the registration token is an
// invalid token: their devices are disabled. Quota, availability,
// internal and transport errors are transient; so are authentication
// errors (the server's credentials, which an operator can fix) and anything
// unknown, bounded by MaxAttempts.
func (s *FCMSender) classify(err error) Result {
	transient := func(code string) Result {
		return Result{Outcome: deliveryattempt.OutcomeTransientError, ErrorCode: code, RetryAfter: s.retryAfter(err)}
	}
	resp := errorutils.HTTPResponse(err)
	if resp != nil {
		if cause := resp.Header.Get(hdrTransportError); cause != "" {
			return transient(cause)
		}
	}
	switch {
	case messaging.IsUnregistered(err):
		return Result{Outcome: deliveryattempt.OutcomeUnregistered, ErrorCode: "UNREGISTERED", DisableDevice: true}
	case messaging.IsSenderIDMismatch(err):
		return Result{Outcome: deliveryattempt.OutcomePermanentError, ErrorCode: "SENDER_ID_MISMATCH", DisableDevice: true}
	case messaging.IsThirdPartyAuthError(err):
		return Result{Outcome: deliveryattempt.OutcomePermanentError, ErrorCode: "THIRD_PARTY_AUTH_ERROR"}
	case messaging.IsInvalidArgument(err) || errorutils.IsInvalidArgument(err):
		// FCM answers INVALID_ARGUMENT both for a malformed token and for a
		// malformed message; only the first says so and condemns the device.
		return Result{Outcome: deliveryattempt.OutcomePermanentError, ErrorCode: "INVALID_ARGUMENT",
			DisableDevice: strings.Contains(strings.ToLower(err.Error()), "token")}
	case messaging.IsQuotaExceeded(err) || errorutils.IsResourceExhausted(err):
		return transient("QUOTA_EXCEEDED")
	case messaging.IsUnavailable(err) || errorutils.IsUnavailable(err):
		return transient("UNAVAILABLE")
	case messaging.IsInternal(err) || errorutils.IsInternal(err):
		return transient("INTERNAL")
	case errorutils.IsDeadlineExceeded(err):
		return transient("DEADLINE_EXCEEDED")
	case errorutils.IsUnauthenticated(err):
		return transient("UNAUTHENTICATED")
	case errorutils.IsPermissionDenied(err):
		return transient("PERMISSION_DENIED")
	case errorutils.IsNotFound(err):
		return transient("NOT_FOUND")
	}
	return transient("UNKNOWN")
}

// retryAfter reads the provider's Retry-After (seconds or an HTTP date)
// from an error's response.
func (s *FCMSender) retryAfter(err error) time.Duration {
	resp := errorutils.HTTPResponse(err)
	if resp == nil {
		return 0
	}
	v := resp.Header.Get(hdrRetryAfter)
	if v == "" && resp.StatusCode != http.StatusServiceUnavailable {
		v = resp.Header.Get("Retry-After")
	}
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(s.clock.Now()))
	}
	return 0
}

// noSDKRetry is the HTTP transport under the SDK that keeps the SDK from
// retrying (see FCMSender).
type noSDKRetry struct {
	next    http.RoundTripper
	timeout time.Duration
}

// RoundTrip sends req and reads the whole response under the timeout.
func (t *noSDKRetry) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	defer cancel()
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err != nil {
		cause := "NETWORK"
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			cause = "DEADLINE_EXCEEDED"
		}
		return synthetic503(req, cause), nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	if resp.StatusCode == http.StatusServiceUnavailable {
		resp.Header = resp.Header.Clone()
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			resp.Header.Set(hdrRetryAfter, ra)
		}
		resp.Header.Set("Retry-After", sdkGiveUp)
	}
	return resp, nil
}

// synthetic503 stands for a request that got no response.
func synthetic503(req *http.Request, cause string) *http.Response {
	body := fmt.Sprintf(`{"error":{"code":503,"status":"UNAVAILABLE","message":"no response from FCM: %s"}}`, cause)
	return &http.Response{
		Status:     "503 Service Unavailable",
		StatusCode: http.StatusServiceUnavailable,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":    {"application/json"},
			"Retry-After":     {sdkGiveUp},
			hdrTransportError: {cause},
		},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
