package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/google/uuid"
)

// WebhookSubscription is an integrator's subscription to events.
type WebhookSubscription struct{ ent.Schema }

// Policy of WebhookSubscription: see package access.
func (WebhookSubscription) Policy() ent.Policy { return access.WebhookSubscription() }

// Mixin of WebhookSubscription.
func (WebhookSubscription) Mixin() []ent.Mixin { return plain() }

// Fields of WebhookSubscription.
func (WebhookSubscription) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("client_id", uuid.UUID{}).Optional().Nillable(),
		field.String("url").NotEmpty(),
		field.JSON("events", []string{}),
		field.String("secret_enc").Sensitive(),
		field.Bool("active").Default(true),
		field.String("description").Default(""),
	}
}

// Edges of WebhookSubscription.
func (WebhookSubscription) Edges() []ent.Edge {
	return []ent.Edge{edge.To("deliveries", WebhookDelivery.Type)}
}

// WebhookDelivery is one event to deliver to one subscription: an outbox
// row, unique per subscription and event, claimed with a lease.
type WebhookDelivery struct{ ent.Schema }

// Policy of WebhookDelivery: see package access.
func (WebhookDelivery) Policy() ent.Policy { return access.WebhookDelivery() }

// Mixin of WebhookDelivery.
func (WebhookDelivery) Mixin() []ent.Mixin { return plain() }

// Fields of WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("subscription_id", uuid.UUID{}),
		field.String("event"),
		field.UUID("event_id", uuid.UUID{}),
		field.Int("round").Default(0).NonNegative().
			Comment("0 for the event's first delivery; a manual redelivery adds a row with the next round"),
		field.String("subject_id").Default(""),
		field.Text("payload"),
		field.Enum("status").Values("pending", "delivering", "delivered", "failed").Default("pending"),
		field.JSON("attempts", []domain.WebhookAttempt{}).Default([]domain.WebhookAttempt{}),
		field.Time("next_attempt_at").Optional().Nillable(),
		field.String("lease_owner").Default(""),
		field.Time("lease_until").Optional().Nillable(),
		field.Time("delivered_at").Optional().Nillable(),
	}
}

// Edges of WebhookDelivery.
func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("subscription", WebhookSubscription.Type).Ref("deliveries").Field("subscription_id").Unique().Required(),
	}
}

// Indexes of WebhookDelivery.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subscription_id", "event_id", "round").Unique(),
		index.Fields("status", "next_attempt_at"),
		index.Fields("subscription_id", "subject_id", "created_at"),
	}
}

// WebhookSnapshot is a record as it stood at one version, rendered as
// webhook event data in the transaction that wrote that version: the
// dispatcher, which reads the change log seconds later, sends each event
// with the data of its own version rather than the record's state then.
// Rows live until their change-log entry is dispatched.
type WebhookSnapshot struct{ ent.Schema }

// Policy of WebhookSnapshot: see package access.
func (WebhookSnapshot) Policy() ent.Policy { return access.SystemOnly() }

// Mixin of WebhookSnapshot.
func (WebhookSnapshot) Mixin() []ent.Mixin { return plain() }

// Fields of WebhookSnapshot.
func (WebhookSnapshot) Fields() []ent.Field {
	return []ent.Field{
		field.String("collection").NotEmpty(),
		field.UUID("record_id", uuid.UUID{}),
		field.Int64("version"),
		field.Text("data").Comment("the event data: the record rendered as of version (personal data masked)"),
	}
}

// Indexes of WebhookSnapshot.
func (WebhookSnapshot) Indexes() []ent.Index {
	return []ent.Index{index.Fields("record_id", "version").Unique(), index.Fields("created_at")}
}

// IdempotencyRecord stores the first answer to a write that carried an
// Idempotency-Key, so a replay returns it.
type IdempotencyRecord struct{ ent.Schema }

// Policy of IdempotencyRecord: see package access.
func (IdempotencyRecord) Policy() ent.Policy { return access.SystemOnly() }

// Mixin of IdempotencyRecord.
func (IdempotencyRecord) Mixin() []ent.Mixin { return plain() }

// Fields of IdempotencyRecord.
func (IdempotencyRecord) Fields() []ent.Field {
	return []ent.Field{
		field.String("actor").NotEmpty(),
		field.String("key").NotEmpty(),
		field.String("method"),
		field.String("path"),
		field.String("request_hash"),
		field.Int("status_code"),
		field.String("content_type").Default(""),
		// headers are the answer's headers a replay repeats (ETag, Location).
		field.JSON("headers", map[string]string{}).Optional(),
		field.Bytes("body"),
		field.Time("expires_at"),
	}
}

// Indexes of IdempotencyRecord.
func (IdempotencyRecord) Indexes() []ent.Index {
	return []ent.Index{index.Fields("actor", "key").Unique(), index.Fields("expires_at")}
}

// SyncMutation stores the result of one pushed sync mutation, written in
// the same transaction as its effects, so a replayed push changes nothing
// and answers the same.
type SyncMutation struct{ ent.Schema }

// Policy of SyncMutation: see package access.
func (SyncMutation) Policy() ent.Policy { return access.SystemOnly() }

// Mixin of SyncMutation.
func (SyncMutation) Mixin() []ent.Mixin { return plain() }

// Fields of SyncMutation.
func (SyncMutation) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("agent_id", uuid.UUID{}),
		field.String("mutation_id").NotEmpty(),
		field.String("device_id").Default(""),
		field.String("collection"),
		field.UUID("record_id", uuid.UUID{}),
		field.Bytes("result"),
	}
}

// Indexes of SyncMutation.
func (SyncMutation) Indexes() []ent.Index {
	return []ent.Index{index.Fields("agent_id", "mutation_id").Unique(), index.Fields("created_at")}
}

// ChangeLog is the commit-ordered log that sync reads. The store appends
// one entry per record changed in a transaction, at commit time and under
// a lock, so the sequence (the id) grows in commit order: a reader that has
// seen entry n has seen every entry below n that will ever commit.
type ChangeLog struct{ ent.Schema }

// Policy of ChangeLog: see package access.
func (ChangeLog) Policy() ent.Policy { return access.SystemOnly() }

// Fields of ChangeLog.
func (ChangeLog) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").Positive().Immutable().Comment("the commit-ordered sequence"),
		field.String("collection").Immutable(),
		field.UUID("record_id", uuid.UUID{}).Immutable(),
		field.Enum("op").Values("upsert", "delete").Immutable(),
		field.Int64("version").Immutable(),
		field.UUID("customer_id", uuid.UUID{}).Optional().Nillable().Immutable(),
		field.UUID("agent_id", uuid.UUID{}).Optional().Nillable().Immutable(),
		field.UUID("prev_agent_id", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("the owner before this change, when it moved the record to another agent"),
		field.UUID("team_id", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("scope events of agents: the team after the change"),
		field.UUID("prev_team_id", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("scope events of agents: the team before the change"),
		field.Time("committed_at").Immutable(),
	}
}

// Indexes of ChangeLog.
func (ChangeLog) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("record_id"),
		index.Fields("customer_id", "id"),
		index.Fields("agent_id", "id"),
		index.Fields("collection", "id"),
		index.Fields("committed_at"),
	}
}

// ServerMeta holds server-wide settings as key/value pairs, among them the
// server era that sync cursors carry (a restored database gets a new one).
type ServerMeta struct{ ent.Schema }

// Policy of ServerMeta: see package access.
func (ServerMeta) Policy() ent.Policy { return access.SystemOnly() }

// Fields of ServerMeta.
func (ServerMeta) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").NotEmpty().Immutable().Comment("the key"),
		field.String("value"),
		field.Time("updated_at").Default(now).UpdateDefault(now),
	}
}
