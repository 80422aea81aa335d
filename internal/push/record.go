package push

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/deliveryattempt"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/reminder"
)

// verdict is what one attempt means for its reminder.
type verdict struct {
	status    reminder.Status
	next      time.Time // pending: when to try again
	lastError string
	msgID     string
	pushed    bool // some device has it
}

// channel is how a sent reminder reached its recipient.
func (v verdict) channel() reminder.Channel {
	if v.pushed {
		return reminder.ChannelPush
	}
	return reminder.ChannelInbox
}

// Reasons recorded on reminders that reach no device.
const (
	reasonPushOff = "push_not_configured"
)

// judge decides a reminder's state from the results of an attempt. A
// transient failure on any device is retried (that device only) until
// MaxAttempts; a dead or invalid token disables its device and is not
// retried; an agent reminder that no device can take is complete in the
// inbox; a customer reminder that no device can take is skipped.
func (w *Worker) judge(j job, results []Result, now time.Time) verdict {
	r := j.r
	attempts := r.Attempts + 1
	v := verdict{msgID: r.ProviderMessageID, pushed: j.prior}
	var (
		transient, permanent, gone string
		retryAfter                 time.Duration
		inboxOnly                  bool
	)
	for _, res := range results {
		switch res.Outcome {
		case deliveryattempt.OutcomeSent:
			v.pushed = true
			if v.msgID == "" {
				v.msgID = res.MessageID
			}
		case deliveryattempt.OutcomeTransientError:
			if transient == "" {
				transient = res.ErrorCode
			}
			retryAfter = max(retryAfter, res.RetryAfter)
		case deliveryattempt.OutcomeInboxOnly:
			inboxOnly = true
		default:
			if res.DisableDevice || res.Outcome == deliveryattempt.OutcomeUnregistered {
				gone = res.ErrorCode
			} else if permanent == "" {
				permanent = res.ErrorCode
			}
		}
	}
	switch {
	case transient != "" && attempts < w.cfg.MaxAttempts:
		v.status = reminder.StatusPending
		v.next = w.cfg.Quiet.After(now.Add(w.backoff(attempts, retryAfter)), j.loc)
		v.lastError = transient
	case transient != "" && v.pushed:
		v.status = reminder.StatusSent
		v.lastError = fmt.Sprintf("%s on some devices after %d attempts", transient, attempts)
	case transient != "":
		v.status = reminder.StatusFailed
		v.lastError = fmt.Sprintf("%s after %d attempts", transient, attempts)
	case v.pushed:
		v.status = reminder.StatusSent
		v.lastError = firstOf(permanent, gone)
	case permanent != "":
		v.status = reminder.StatusFailed
		v.lastError = permanent
	case r.RecipientKind == reminder.RecipientKindAgent:
		// No device took it: the inbox entry is the reminder.
		v.status = reminder.StatusSent
		v.lastError = gone
	default:
		v.status = reminder.StatusSkipped
		switch {
		case gone != "":
			v.lastError = gone
		case inboxOnly:
			v.lastError = reasonPushOff
		default:
			v.lastError = reasonNoDevice
		}
	}
	return v
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// finish records an attempt in one transaction, fenced by the lease
// token: the attempt rows, dead tokens disabled, the agent's inbox entry
// (once per reminder key) and the reminder's new state.
func (w *Worker) finish(ctx context.Context, j job, results []Result, now time.Time, owner string, st *DrainStats) {
	r := j.r
	v := w.judge(j, results, now)
	disable := map[string][]uuid.UUID{}
	for i, res := range results {
		if res.DisableDevice || res.Outcome == deliveryattempt.OutcomeUnregistered {
			disable[res.ErrorCode] = append(disable[res.ErrorCode], j.targets[i].ID)
		}
	}
	err := w.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		nid := r.NotificationID
		if r.RecipientKind == reminder.RecipientKindAgent {
			id, err := ensureInbox(ctx, tx, r, j.st, now)
			if err != nil {
				return err
			}
			nid = &id
		}
		u := fenced(tx.Client(), r, owner, now).
			SetStatus(v.status).SetAttempts(r.Attempts + 1).SetLastError(v.lastError).
			SetProviderMessageID(v.msgID).SetNillableNotificationID(nid)
		if v.status == reminder.StatusPending {
			u.SetNextAttemptAt(stamp(v.next))
		} else {
			u.ClearNextAttemptAt()
		}
		if v.status == reminder.StatusSent {
			u.SetSentAt(now).SetChannel(v.channel())
		}
		n, err := u.Save(ctx)
		if err != nil {
			return fmt.Errorf("update reminder: %w", err)
		}
		if n == 0 {
			return errLeaseLost
		}
		if v.status == reminder.StatusSent && w.onSent != nil {
			if err := w.onSent(ctx, tx, r, now); err != nil {
				return fmt.Errorf("on sent: %w", err)
			}
		}
		creates := make([]*ent.DeliveryAttemptCreate, 0, max(1, len(results)))
		for i, res := range results {
			creates = append(creates, tx.DeliveryAttempt.Create().SetReminderID(r.ID).SetAt(now).
				SetDeviceID(j.targets[i].ID).SetOutcome(res.Outcome).SetProviderMessageID(res.MessageID).
				SetErrorCode(res.ErrorCode).SetRetryAfterSeconds(int(math.Ceil(res.RetryAfter.Seconds()))))
		}
		if len(results) == 0 {
			creates = append(creates, tx.DeliveryAttempt.Create().SetReminderID(r.ID).SetAt(now).
				SetOutcome(deliveryattempt.OutcomeNoDevice))
		}
		if err := tx.DeliveryAttempt.CreateBulk(creates...).Exec(ctx); err != nil {
			return fmt.Errorf("record attempts: %w", err)
		}
		for code, ids := range disable {
			if _, err := tx.Device.Update().Where(device.IDIn(ids...), device.Enabled(true)).
				SetEnabled(false).SetDisabledReason(code).SetUpdatedAt(now).Save(ctx); err != nil {
				return fmt.Errorf("disable devices: %w", err)
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errLeaseLost):
		st.LeaseLost++
		w.m.leaseLost.Inc()
		w.log.WarnContext(ctx, "reminder lease passed to another worker before its attempt was recorded",
			"reminder_id", r.ID)
		return
	case err != nil:
		w.log.ErrorContext(ctx, "record reminder attempt", "reminder_id", r.ID, "err", err)
		return
	}
	w.count(j, results, v, now, disable, st)
}

// count updates metrics and stats after a recorded attempt.
func (w *Worker) count(j job, results []Result, v verdict, now time.Time, disabled map[string][]uuid.UUID, st *DrainStats) {
	r := j.r
	if r.Attempts == 0 {
		w.m.queueAge.Observe(max(0, now.Sub(r.ScheduledFor).Seconds()))
	}
	for _, res := range results {
		w.m.attempts.WithLabelValues(res.Outcome.String()).Inc()
	}
	if len(results) == 0 {
		w.m.attempts.WithLabelValues(deliveryattempt.OutcomeNoDevice.String()).Inc()
	}
	for code, ids := range disabled {
		w.m.devices.WithLabelValues(code).Add(float64(len(ids)))
	}
	switch v.status {
	case reminder.StatusPending:
		st.Retried++
		w.m.retried.Inc()
	case reminder.StatusSent:
		st.Sent++
		channel := "inbox"
		if v.pushed {
			channel = "push"
		}
		w.m.sent.WithLabelValues(r.RecipientKind.String(), channel).Inc()
	case reminder.StatusFailed:
		st.Failed++
		w.m.failed.WithLabelValues(reasonCode(v.lastError)).Inc()
	case reminder.StatusSkipped:
		st.Skipped++
	}
}

// reasonCode is the error code at the head of a last_error.
func reasonCode(s string) string {
	for i, c := range s {
		if c == ' ' {
			return s[:i]
		}
	}
	return s
}

// ensureInbox returns the agent's inbox entry of reminder r, creating it
// the first time. The entry is keyed by the reminder key
// (Notification.dedupe_key, unique), so however often a reminder is
// attempted, the inbox holds it once; a concurrent creator's insert fails
// on the unique key and its transaction rolls back.
func ensureInbox(ctx context.Context, tx *ent.Tx, r *ent.Reminder, st *policyState, now time.Time) (uuid.UUID, error) {
	if r.NotificationID != nil {
		return *r.NotificationID, nil
	}
	key := keyOf(r).String()
	n, err := tx.Notification.Query().Where(notification.DedupeKey(key)).Only(ctx)
	if err == nil {
		return n.ID, nil
	}
	if !ent.IsNotFound(err) {
		return uuid.Nil, fmt.Errorf("find inbox entry: %w", err)
	}
	locale := ""
	if st.agent != nil {
		locale = st.agent.Locale
	}
	t := render(locale, r.RecipientKind, r.DueKind, r.WindowDays, dateOf(r.DueDate), st.customer.Name, st.policy.Number)
	id := uuid.Must(uuid.NewV7())
	err = tx.Notification.Create().SetID(id).
		SetAgentID(r.RecipientID).SetCustomerID(r.CustomerID).SetPolicyID(r.PolicyID).
		SetKind(notificationKind(r.DueKind)).SetTitle(t.title).SetBody(t.body).
		SetData(data(r)).SetDeepLink(DeepLink(r.CustomerID)).SetDedupeKey(key).
		SetCreatedAt(now).SetUpdatedAt(now).Exec(ctx)
	if err != nil {
		return uuid.Nil, fmt.Errorf("create inbox entry: %w", err)
	}
	return id, nil
}
