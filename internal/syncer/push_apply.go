package syncer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// pushBatch applies ms in one transaction, writing their results to res
// and the versions they made to own; offset numbers ms in the push. On a
// retryable failure of the transaction it applies them again one
// transaction each, as concurrent pushes contend for their rows.
func (e *Engine) pushBatch(ss *session, device uuid.UUID, ms []Mutation, res []Result, own map[changeKey][]int64, offset int) error {
	trial := make(map[changeKey][]int64, len(own))
	for k, v := range own {
		trial[k] = slices.Clone(v)
	}
	seen := ss.mark()
	err := e.db.WithTx(ss.s.vctx, func(ctx context.Context, tx *ent.Tx) error {
		for i, m := range ms {
			k := changeKey{m.Collection, m.ID}
			r, err := e.pushOne(ctx, e.db.WithSavepoint, tx.Client(), ss, device, m, trial[k])
			if err != nil {
				return fmt.Errorf("mutation %d: %w", offset+i, err)
			}
			trial[k] = appendOwn(trial[k], r)
			res[i] = r
		}
		return nil
	})
	if err == nil {
		maps.Copy(own, trial)
		return nil
	}
	if !store.IsRetryable(err) {
		return err
	}
	e.log.Info("push: a batch met concurrent writers; applying its mutations one transaction each",
		"agent", ss.s.agent.ID, "mutations", len(ms), "err", err)
	ss.reset(seen)
	for i, m := range ms {
		k := changeKey{m.Collection, m.ID}
		r, err := e.pushOne(ss.s.vctx, e.db.WithTx, e.db.Client, ss, device, m, own[k])
		if err != nil {
			return fmt.Errorf("mutation %d: %w", offset+i, err)
		}
		own[k] = appendOwn(own[k], r)
		res[i] = r
	}
	return nil
}

// appendOwn adds the version a mutation made of its record to the
// versions earlier mutations of the push made.
func appendOwn(own []int64, r Result) []int64 {
	if r.Version != nil && (r.Status == StatusApplied || r.Status == StatusMerged || r.Status == StatusConflict) {
		return append(own, *r.Version)
	}
	return own
}

// errReplayed reports that another copy of a mutation stored its result first.
var errReplayed = errors.New("mutation already applied")

// rejection carries a client-caused failure out of a transaction or
// savepoint that must roll back, so that its result is stored in one of
// its own.
type rejection struct{ r Result }

func (r *rejection) Error() string { return "mutation rejected: " + r.r.Err.Error() }

// txRunner runs fn in a transaction of its own (store.DB.WithTx) or in a
// savepoint of the push's transaction (store.DB.WithSavepoint).
type txRunner func(ctx context.Context, fn func(ctx context.Context, tx *ent.Tx) error) error

// pushOne applies one mutation through run, reading stored results with
// read: the push's transaction's client inside it, so that the
// transaction's own results count and SQLite's write lock is not waited
// for.
func (e *Engine) pushOne(ctx context.Context, run txRunner, read *ent.Client, ss *session, device uuid.UUID, m Mutation, own []int64) (Result, error) {
	me := ss.s.agent.ID
	if m.MutationID == "" || len(m.MutationID) > 100 {
		return Result{MutationID: m.MutationID, Status: StatusRejected,
			Err: apperr.Invalid("mutation_id must have 1 to 100 characters", apperr.FieldError{Field: "/mutation_id", Code: "length", Message: "must have 1 to 100 characters"})}, nil
	}
	if r, ok, err := e.stored(ctx, read, me, m.MutationID); err != nil || ok {
		return r, err
	}
	var res Result
	err := run(ctx, func(ctx context.Context, tx *ent.Tx) error {
		row, err := tx.SyncMutation.Create().SetAgentID(me).SetMutationID(m.MutationID).SetDeviceID(device.String()).
			SetCollection(m.Collection).SetRecordID(m.ID).SetResult([]byte{}).
			SetCreatedAt(ss.now).SetUpdatedAt(ss.now).Save(auth.SystemContext(ctx))
		if ent.IsConstraintError(err) {
			return errReplayed
		}
		if err != nil {
			return fmt.Errorf("store mutation: %w", err)
		}
		res, err = e.mutate(&mctx{ctx: ctx, tx: tx, ss: ss, m: m, now: ss.now, own: own, base: ownBase(m.BaseVersion, own)})
		if err != nil {
			if ae, ok := clientError(err); ok {
				return &rejection{r: Result{MutationID: m.MutationID, Status: StatusRejected, Err: ae}}
			}
			return err
		}
		res.MutationID = m.MutationID
		b, err := e.encodeResult(m.Collection, res)
		if err != nil {
			return err
		}
		return row.Update().SetResult(b).Exec(auth.SystemContext(ctx))
	})
	var rej *rejection
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, errReplayed):
		r, _, err := e.stored(ctx, read, me, m.MutationID)
		return r, err
	case errors.As(err, &rej):
		return e.storeRejection(ctx, run, read, ss, device, m, rej.r)
	}
	return Result{}, err
}

// storeRejection stores, through run, the result of a mutation whose
// effects rolled back.
func (e *Engine) storeRejection(ctx context.Context, run txRunner, read *ent.Client, ss *session, device uuid.UUID, m Mutation, r Result) (Result, error) {
	b, err := e.encodeResult(m.Collection, r)
	if err != nil {
		return Result{}, err
	}
	me := ss.s.agent.ID
	err = run(ctx, func(ctx context.Context, tx *ent.Tx) error {
		return tx.SyncMutation.Create().SetAgentID(me).SetMutationID(m.MutationID).SetDeviceID(device.String()).
			SetCollection(m.Collection).SetRecordID(m.ID).SetResult(b).SetCreatedAt(ss.now).SetUpdatedAt(ss.now).
			Exec(auth.SystemContext(ctx))
	})
	if ent.IsConstraintError(err) {
		r, _, err := e.stored(ctx, read, me, m.MutationID)
		return r, err
	}
	if err != nil {
		return Result{}, fmt.Errorf("store rejected mutation: %w", err)
	}
	return r, nil
}
