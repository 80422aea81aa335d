// Package schema defines AgentDesk's entities. The code in the parent
// package is generated from it with `go generate ./...`.
package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"
)

// NewID returns a new UUIDv7: time-ordered, so inserts stay local in
// B-tree indexes, and creatable offline by clients.
func NewID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// now is the default for timestamps; the capability packages set them from
// an injected clock, this is only the fallback.
func now() time.Time { return time.Now().UTC() }

// dateType stores calendar dates as DATE on PostgreSQL (SQLite has no
// separate type; values are UTC midnights).
var dateType = map[string]string{dialect.Postgres: "date"}

// IDMixin gives an entity a UUIDv7 primary key.
type IDMixin struct{ mixin.Schema }

// Fields of the IDMixin.
func (IDMixin) Fields() []ent.Field {
	return []ent.Field{field.UUID("id", uuid.UUID{}).Default(NewID).Immutable()}
}

// TimeMixin adds created_at and updated_at.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(now).Immutable(),
		field.Time("updated_at").Default(now).UpdateDefault(now),
	}
}

// SyncMixin marks a record that travels through the change log: a
// server-assigned version that grows on every change. The store's change
// hook bumps it and appends the change to the log in the same transaction;
// nothing else may write these tables.
type SyncMixin struct{ mixin.Schema }

// Fields of the SyncMixin.
func (SyncMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("version").Default(1).NonNegative().
			Comment("server-assigned; grows on every change"),
		field.JSON("field_versions", map[string]int64{}).Optional().
			Comment("the version at which each field last changed, for per-field merges of offline edits"),
	}
}

// Indexes of the SyncMixin.
func (SyncMixin) Indexes() []ent.Index {
	return []ent.Index{index.Fields("updated_at")}
}

// synced is the mixin set of every record that syncs to phones.
func synced() []ent.Mixin { return []ent.Mixin{IDMixin{}, TimeMixin{}, SyncMixin{}} }

// plain is the mixin set of server-side records.
func plain() []ent.Mixin { return []ent.Mixin{IDMixin{}, TimeMixin{}} }
