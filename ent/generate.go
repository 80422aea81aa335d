// Package ent holds the entity schemas (ent/schema, hand-written) and the
// code generated from them (everything else here; do not edit).
package ent

//go:generate go tool ent generate --feature sql/upsert,sql/versioned-migration,privacy,entql,schema/snapshot,sql/lock,sql/execquery ./schema
