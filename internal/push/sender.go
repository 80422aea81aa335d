package push

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent/deliveryattempt"
)

// maxSendBatch is FCM's limit of messages in one SendEach call.
const maxSendBatch = 500

// Message is one push to one device. It carries no phone or ID numbers:
// the title and body name the customer and the policy number only.
type Message struct {
	DeviceID uuid.UUID
	Token    string
	Platform string // android, ios or web
	Title    string
	Body     string
	// Data travels with the push: deep_link, policy_id, customer_id, kind,
	// due_date, window_days, reminder_id, reminder_key.
	Data map[string]string
	// CollapseKey is the same for every reminder of a policy, so a device
	// that receives two (a late duplicate, or an old window delivered with
	// a new one) shows one.
	CollapseKey string
	// TTL is how long the provider keeps the push for an offline device;
	// Expires is the same as an instant (APNs' apns-expiration).
	TTL     time.Duration
	Expires time.Time
}

// Result is the outcome of one Message.
type Result struct {
	// Outcome is sent, transient_error, permanent_error, unregistered or
	// inbox_only (no provider configured).
	Outcome deliveryattempt.Outcome
	// MessageID is the provider's message name when sent.
	MessageID string
	// ErrorCode is the provider's error code (UNREGISTERED, UNAVAILABLE,
	// QUOTA_EXCEEDED, INTERNAL, DEADLINE_EXCEEDED, …).
	ErrorCode string
	// RetryAfter is the provider's Retry-After, when it gave one.
	RetryAfter time.Duration
	// DisableDevice says the token is dead or invalid: its device is
	// disabled at once and never retried.
	DisableDevice bool
}

// Sender delivers pushes. Send returns one Result per message, in order;
// it never returns fewer. Implementations must honour ctx's deadline.
type Sender interface {
	Send(ctx context.Context, msgs []Message) []Result
}

// LogSender is the Sender without a push provider: it logs one line per
// message (device and reminder IDs only, no names or numbers) and reports
// inbox_only, so reminders still reach the agent's inbox.
type LogSender struct {
	Log *slog.Logger
}

var _ Sender = LogSender{}

// Send logs msgs.
func (s LogSender) Send(ctx context.Context, msgs []Message) []Result {
	out := make([]Result, len(msgs))
	for i, m := range msgs {
		if s.Log != nil {
			s.Log.InfoContext(ctx, "push not configured; reminder left in the inbox",
				"device_id", m.DeviceID, "platform", m.Platform,
				"reminder_id", m.Data[dataReminderID], "kind", m.Data[dataKind])
		}
		out[i] = Result{Outcome: deliveryattempt.OutcomeInboxOnly}
	}
	return out
}

// SenderFunc adapts a function to Sender (tests, wrappers).
type SenderFunc func(ctx context.Context, msgs []Message) []Result

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, msgs []Message) []Result { return f(ctx, msgs) }
