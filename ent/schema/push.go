package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/google/uuid"
)

// Device is a registered push token of an agent or of a consenting customer.
type Device struct{ ent.Schema }

// Policy of Device: see package access.
func (Device) Policy() ent.Policy { return access.Device() }

// Mixin of Device.
func (Device) Mixin() []ent.Mixin { return plain() }

// Fields of Device.
func (Device) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("agent_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("customer_id", uuid.UUID{}).Optional().Nillable(),
		field.String("token").NotEmpty().Unique().Sensitive(),
		field.Enum("platform").Values("android", "ios", "web"),
		field.String("app_version").Default(""),
		field.String("locale").Default("zh-CN"),
		field.String("time_zone").Default("Asia/Shanghai"),
		field.Bool("enabled").Default(true),
		field.String("disabled_reason").Default(""),
		field.Time("last_seen_at").Default(now),
	}
}

// Indexes of Device.
func (Device) Indexes() []ent.Index {
	return []ent.Index{index.Fields("agent_id"), index.Fields("customer_id"), index.Fields("last_seen_at")}
}

// Notification is an entry of an agent's in-app inbox; every reminder
// lands here too, so an agent offline at push time still sees it.
type Notification struct{ ent.Schema }

// Policy of Notification: see package access.
func (Notification) Policy() ent.Policy { return access.Notification() }

// Mixin of Notification.
func (Notification) Mixin() []ent.Mixin { return synced() }

// Fields of Notification.
func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("agent_id", uuid.UUID{}),
		field.UUID("customer_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("policy_id", uuid.UUID{}).Optional().Nillable(),
		field.Enum("kind").Values("premium_due", "renewal_due", "complaint_sla", "claim_sla", "task_due", "system"),
		field.String("title"),
		field.String("body").Default(""),
		field.JSON("data", map[string]string{}).Default(map[string]string{}),
		field.String("deep_link").Default(""),
		field.Time("read_at").Optional().Nillable(),
		field.String("dedupe_key").Optional().Nillable().Unique().
			Comment("the reminder key, so a reminder lands in the inbox exactly once"),
	}
}

// Indexes of Notification.
func (Notification) Indexes() []ent.Index {
	return []ent.Index{index.Fields("agent_id", "created_at")}
}

// Reminder is one row of the reminder outbox: one per policy, due date,
// window and recipient (a unique key), claimed by a worker with a lease.
type Reminder struct{ ent.Schema }

// Policy of Reminder: see package access.
func (Reminder) Policy() ent.Policy { return access.SystemOnly() }

// Mixin of Reminder.
func (Reminder) Mixin() []ent.Mixin { return plain() }

// Fields of Reminder.
func (Reminder) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("policy_id", uuid.UUID{}),
		field.UUID("customer_id", uuid.UUID{}),
		field.Enum("recipient_kind").Values("agent", "customer"),
		field.UUID("recipient_id", uuid.UUID{}),
		field.Enum("due_kind").Values("premium", "renewal"),
		field.Time("due_date").SchemaType(dateType),
		field.Int("window_days").NonNegative(),
		field.Time("scheduled_for"),
		field.Enum("status").Values("pending", "sending", "sent", "failed", "cancelled", "skipped").Default("pending"),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at").Optional().Nillable(),
		field.String("lease_owner").Default(""),
		field.Time("lease_until").Optional().Nillable(),
		field.Time("sent_at").Optional().Nillable(),
		field.String("last_error").Default(""),
		field.String("provider_message_id").Default(""),
		field.UUID("notification_id", uuid.UUID{}).Optional().Nillable(),
		field.Enum("channel").Values("push", "inbox").Optional().Nillable().
			Comment("how a sent reminder reached its recipient: push (a device took it) or inbox (the agent's inbox only); null until sent"),
	}
}

// Indexes of Reminder.
func (Reminder) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("policy_id", "due_kind", "due_date", "window_days", "recipient_kind", "recipient_id").Unique(),
		index.Fields("status", "scheduled_for"),
		index.Fields("status", "next_attempt_at"),
	}
}

// DeliveryAttempt records one attempt to deliver a reminder to a device.
type DeliveryAttempt struct{ ent.Schema }

// Policy of DeliveryAttempt: see package access.
func (DeliveryAttempt) Policy() ent.Policy { return access.SystemOnly() }

// Mixin of DeliveryAttempt.
func (DeliveryAttempt) Mixin() []ent.Mixin { return []ent.Mixin{IDMixin{}} }

// Fields of DeliveryAttempt.
func (DeliveryAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("reminder_id", uuid.UUID{}),
		field.UUID("device_id", uuid.UUID{}).Optional().Nillable(),
		field.Time("at").Default(now),
		field.Enum("outcome").Values("sent", "transient_error", "permanent_error", "unregistered", "no_device", "inbox_only"),
		field.String("provider_message_id").Default(""),
		field.String("error_code").Default(""),
		field.Int("retry_after_seconds").Default(0),
	}
}

// Indexes of DeliveryAttempt.
func (DeliveryAttempt) Indexes() []ent.Index {
	return []ent.Index{index.Fields("reminder_id", "at"), index.Fields("reminder_id", "outcome")}
}
