package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/idempotencyrecord"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/viewer"
)

// idempotencyTTL is how long a write's Idempotency-Key is remembered.
const idempotencyTTL = 24 * time.Hour

// idempotencyField binds stored answers' encryption (they may hold a
// signing secret).
const idempotencyField = "idempotency_record.body"

// once runs write at most once per caller and Idempotency-Key: the first
// run's result is stored, encrypted, in the same transaction as its
// effects; a replay of the same request returns it, and the same key with
// another request is a conflict. Without a key, write just runs.
func (s *Service) once(ctx context.Context, key, op string, req any, write func(ctx context.Context, tx *ent.Tx) (string, error)) (string, error) {
	if key == "" {
		var out string
		err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) (err error) {
			out, err = write(ctx, tx)
			return err
		})
		return out, err
	}
	v, _ := viewer.From(ctx)
	actor := v.ActorID()
	b, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	if out, ok, err := s.replay(ctx, actor, key, op, hash); err != nil || ok {
		return out, err
	}
	now := s.clock.Now()
	var out string
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) (err error) {
		if out, err = write(ctx, tx); err != nil {
			return err
		}
		enc, err := s.pii.Encrypt(idempotencyField, out)
		if err != nil {
			return err
		}
		return tx.IdempotencyRecord.Create().SetActor(actor).SetKey(key).SetMethod("POST").SetPath(op).
			SetRequestHash(hash).SetStatusCode(200).SetContentType("application/json").SetBody([]byte(enc)).
			SetExpiresAt(now.Add(idempotencyTTL)).SetCreatedAt(now).Exec(auth.SystemContext(ctx))
	})
	if err != nil && ent.IsConstraintError(errors.Unwrap(err)) || ent.IsConstraintError(err) {
		// A concurrent request with the same key committed first; its
		// effects stand and ours rolled back.
		if out, ok, rerr := s.replay(ctx, actor, key, op, hash); rerr != nil || ok {
			return out, rerr
		}
	}
	return out, err
}

// replay returns the stored result of an earlier write with this key.
func (s *Service) replay(ctx context.Context, actor, key, op, hash string) (string, bool, error) {
	sys := auth.SystemContext(ctx)
	rec, err := s.db.Client.IdempotencyRecord.Query().
		Where(idempotencyrecord.Actor(actor), idempotencyrecord.Key(key)).Only(sys)
	if ent.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read idempotency record: %w", err)
	}
	if rec.ExpiresAt.Before(s.clock.Now()) {
		if err := s.db.Client.IdempotencyRecord.DeleteOne(rec).Exec(sys); err != nil && !ent.IsNotFound(err) {
			return "", false, fmt.Errorf("drop expired idempotency record: %w", err)
		}
		return "", false, nil
	}
	if rec.Path != op || rec.RequestHash != hash {
		return "", false, &apperr.Error{Kind: apperr.KindConflict, Code: "idempotency-key-reused",
			Detail: "this Idempotency-Key was used with another request"}
	}
	out, err := s.pii.Decrypt(idempotencyField, string(rec.Body))
	if err != nil {
		return "", false, fmt.Errorf("decrypt stored answer: %w", err)
	}
	return out, true, nil
}
