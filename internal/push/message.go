package push

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/reminder"
)

// Keys of a reminder's push data and inbox data.
const (
	dataDeepLink    = "deep_link"
	dataPolicyID    = "policy_id"
	dataCustomerID  = "customer_id"
	dataKind        = "kind"
	dataDueDate     = "due_date"
	dataWindowDays  = "window_days"
	dataReminderID  = "reminder_id"
	dataReminderKey = "reminder_key"
)

// DeepLink is the app link to a customer's service plan.
func DeepLink(customerID uuid.UUID) string {
	return "agentdesk://customers/" + customerID.String() + "/plan"
}

// CollapseKey is the collapse key of every push about a policy (Android
// collapse_key and notification tag, APNs apns-collapse-id; 43 bytes, under
// APNs' 64).
func CollapseKey(policyID uuid.UUID) string { return "policy-" + policyID.String() }

// notificationKind is the inbox kind of a due kind.
func notificationKind(k reminder.DueKind) notification.Kind {
	if k == reminder.DueKindRenewal {
		return notification.KindRenewalDue
	}
	return notification.KindPremiumDue
}

// text is a localized title and body.
type text struct{ title, body string }

// english reports whether a locale asks for English; everything else gets
// Simplified Chinese, the product's language.
func english(locale string) bool {
	return strings.HasPrefix(strings.ToLower(locale), "en")
}

// render writes the reminder's title and body in locale. Agents read the
// customer's name and the policy number; customers read their policy
// number only (lock screens are public). Neither carries phone or ID
// numbers.
func render(locale string, rcpt reminder.RecipientKind, kind reminder.DueKind, window int, due time.Time,
	customerName, policyNumber string) text {
	date := due.Format(time.DateOnly)
	if english(locale) {
		when := fmt.Sprintf("in %d days (%s)", window, date)
		switch window {
		case 0:
			when = "today (" + date + ")"
		case 1:
			when = "tomorrow (" + date + ")"
		}
		switch {
		case rcpt == reminder.RecipientKindAgent && kind == reminder.DueKindPremium:
			return text{"Premium due", fmt.Sprintf("%s's policy %s has a premium due %s.", customerName, policyNumber, when)}
		case rcpt == reminder.RecipientKindAgent:
			return text{"Renewal due", fmt.Sprintf("%s's policy %s is up for renewal %s.", customerName, policyNumber, when)}
		case kind == reminder.DueKindPremium:
			return text{"Premium reminder", fmt.Sprintf("Your policy %s has a premium due %s.", policyNumber, when)}
		default:
			return text{"Renewal reminder", fmt.Sprintf("Your policy %s is up for renewal %s. Contact your agent to renew.", policyNumber, when)}
		}
	}
	when := fmt.Sprintf("将于 %d 天后（%s）", window, date)
	switch window {
	case 0:
		when = "今天（" + date + "）"
	case 1:
		when = "将于明天（" + date + "）"
	}
	switch {
	case rcpt == reminder.RecipientKindAgent && kind == reminder.DueKindPremium:
		return text{"续期缴费提醒", fmt.Sprintf("%s的保单 %s %s缴费。", customerName, policyNumber, when)}
	case rcpt == reminder.RecipientKindAgent:
		return text{"续保提醒", fmt.Sprintf("%s的保单 %s %s到期，请联系客户续保。", customerName, policyNumber, when)}
	case kind == reminder.DueKindPremium:
		return text{"保费缴纳提醒", fmt.Sprintf("您的保单 %s %s缴费，请留意。", policyNumber, when)}
	default:
		return text{"续保提醒", fmt.Sprintf("您的保单 %s %s到期，如需续保请联系您的代理人。", policyNumber, when)}
	}
}

// data is the push and inbox data of a reminder.
func data(r *ent.Reminder) map[string]string {
	d := map[string]string{
		dataPolicyID:    r.PolicyID.String(),
		dataCustomerID:  r.CustomerID.String(),
		dataKind:        notificationKind(r.DueKind).String(),
		dataDueDate:     dateOf(r.DueDate).Format(time.DateOnly),
		dataWindowDays:  strconv.Itoa(r.WindowDays),
		dataReminderID:  r.ID.String(),
		dataReminderKey: keyOf(r).String(),
	}
	if r.RecipientKind == reminder.RecipientKindAgent {
		d[dataDeepLink] = DeepLink(r.CustomerID)
	}
	return d
}

// message builds the push of reminder r to device d.
func (c *Config) message(r *ent.Reminder, d *ent.Device, st *policyState, now time.Time) Message {
	t := render(d.Locale, r.RecipientKind, r.DueKind, r.WindowDays, dateOf(r.DueDate),
		st.customer.Name, st.policy.Number)
	return Message{
		DeviceID: d.ID, Token: d.Token, Platform: d.Platform.String(),
		Title: t.title, Body: t.body, Data: data(r),
		CollapseKey: CollapseKey(r.PolicyID),
		TTL:         c.PushTTL, Expires: now.Add(c.PushTTL),
	}
}
