package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/agentdesk/agentdesk/ent"
)

// WithSavepoint runs fn in a savepoint of the transaction that ctx belongs
// to (ctx must come from WithTx, WithSharedTx or WithSavepoint). When fn
// returns an error, its writes and the change-log entries they buffered
// are rolled back and the transaction goes on as it was before fn, also
// after a failed statement (which aborts a PostgreSQL transaction up to
// the savepoint); the error is returned. Otherwise fn's writes stay and
// commit, or roll back, with the transaction. Savepoints nest. fn must
// use the ctx and tx it is given, and the transaction must not be written
// concurrently meanwhile.
func (s *DB) WithSavepoint(ctx context.Context, fn func(ctx context.Context, tx *ent.Tx) error) (err error) {
	buf, _ := ctx.Value(changeKey{}).(*changeBuffer)
	if buf == nil || buf.tx == nil {
		return fmt.Errorf("savepoint: %w", ErrOutsideTx)
	}
	tx := buf.tx
	mark, name := buf.mark()
	// The statements that end a savepoint run even when ctx is done: the
	// buffer and the transaction must agree on what fn left.
	end := context.WithoutCancel(ctx)
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		buf.release()
		return fmt.Errorf("savepoint: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			// WithTx rolls the whole transaction back.
			buf.rollback(mark)
			panic(p)
		}
	}()
	if err = fn(ctx, tx); err == nil {
		if _, err = tx.ExecContext(end, "RELEASE SAVEPOINT "+name); err == nil {
			buf.release()
			return nil
		}
		err = fmt.Errorf("release savepoint: %w", err)
	}
	buf.rollback(mark)
	if _, rerr := tx.ExecContext(end, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
		// The transaction is broken; the caller's WithTx rolls it back.
		return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
	}
	// ROLLBACK TO leaves the savepoint open.
	if _, rerr := tx.ExecContext(end, "RELEASE SAVEPOINT "+name); rerr != nil {
		return errors.Join(err, fmt.Errorf("release savepoint: %w", rerr))
	}
	return err
}

// bufMark is the state of a changeBuffer when a savepoint began.
type bufMark struct{ changes, undo int }

// mark opens a savepoint in the buffer and names it.
func (b *changeBuffer) mark() (bufMark, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.open++
	b.named++
	return bufMark{changes: len(b.changes), undo: len(b.undo)}, fmt.Sprintf("agentdesk_sp%d", b.named)
}

// release closes a savepoint whose changes stay.
func (b *changeBuffer) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.close()
}

// rollback drops the changes added since m and restores the entries
// overwritten since, then closes the savepoint.
func (b *changeBuffer) rollback(m bufMark) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.undo) - 1; i >= m.undo; i-- {
		u := b.undo[i]
		b.changes[u.i] = u.prev
	}
	for _, c := range b.changes[m.changes:] {
		delete(b.byKey, changeBufferKey(c))
	}
	b.changes = b.changes[:m.changes]
	b.undo = b.undo[:m.undo]
	b.close()
}

func (b *changeBuffer) close() {
	b.open--
	if b.open == 0 {
		b.undo = b.undo[:0]
	}
}

// IsRetryable reports whether err is a transaction's failure to get along
// with concurrent ones, which a new, smaller transaction may not meet: on
// PostgreSQL a serialization failure, a deadlock or a lock timeout; on
// SQLite a busy or locked database.
func IsRetryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "55P03": // serialization_failure, deadlock_detected, lock_not_available
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary code of an extended one
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}
