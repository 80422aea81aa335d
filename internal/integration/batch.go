package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/idempotencyrecord"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
)

// MaxBatch is the most items a batch takes.
const MaxBatch = 10000

// batchPath names batches in idempotency records.
const batchPath = "/v1/integrations/batch"

// idempotencyTTL is how long a batch's result is kept for replays.
const idempotencyTTL = 24 * time.Hour

// Item kinds of a batch.
const (
	KindCustomer = "customer"
	KindPolicy   = "policy"
)

// BatchItem is one row of a batch, decoded by the caller: exactly one of
// Customer and Policy is set, or Err says why the row could not be read.
type BatchItem struct {
	Kind       string
	ExternalID string
	Customer   *CustomerInput
	Policy     *PolicyInput
	Err        error
}

// Problem is a rejected row's error, kept in a form that survives storage.
type Problem struct {
	Kind   apperr.Kind         `json:"kind"`
	Code   string              `json:"code,omitempty"`
	Detail string              `json:"detail,omitempty"`
	Fields []apperr.FieldError `json:"fields,omitempty"`
}

// Err returns the problem as an error for the HTTP layer.
func (p *Problem) Err() error {
	return &apperr.Error{Kind: p.Kind, Code: p.Code, Detail: p.Detail, Fields: p.Fields}
}

// RowResult is the outcome of one row.
type RowResult struct {
	Index      int        `json:"index"`
	Kind       string     `json:"kind"`
	ExternalID string     `json:"external_id"`
	Status     string     `json:"status"` // created, updated, unchanged or rejected
	ID         *uuid.UUID `json:"id"`
	Problem    *Problem   `json:"problem,omitempty"`
}

// Rejected is the status of a row that was not applied.
const Rejected = "rejected"

// BatchResult is the outcome of a batch.
type BatchResult struct {
	ID   uuid.UUID   `json:"id"`
	Rows []RowResult `json:"rows"`
}

// Counts returns the number of rows per status.
func (r BatchResult) Counts() map[string]int {
	n := map[string]int{string(Created): 0, string(Updated): 0, string(Unchanged): 0, Rejected: 0}
	for _, row := range r.Rows {
		n[row.Status]++
	}
	return n
}

// Batch applies the items in order, in chunks of BatchChunk rows, each
// chunk in one transaction: short enough that a large load never holds
// the locks the agents' requests wait on for long, large enough that
// 100,000 rows are not 100,000 commits. One bad row is reported and never
// fails the batch: a chunk with a rejected row is rolled back and applied
// again row by row. Portraits and service plans are not computed here:
// the plan.Recomputer tails the change log and recomputes the customers
// whose inputs changed, in the background. With an idempotency key,
// the first result is stored and a replay of the same items returns it;
// the same key with other items is a conflict.
func (s *Service) Batch(ctx context.Context, key string, items []BatchItem) (BatchResult, error) {
	v, ok := auth.ViewerFrom(ctx)
	if !ok {
		return BatchResult{}, apperr.Unauthenticated("authentication required")
	}
	if len(items) == 0 || len(items) > MaxBatch {
		return BatchResult{}, apperr.Invalid("a batch has 1 to 10,000 items",
			apperr.FieldError{Field: "/items", Code: "length", Message: "must have 1 to 10000 items"})
	}
	var hash string
	if key != "" {
		h, err := requestHash(items)
		if err != nil {
			return BatchResult{}, err
		}
		hash = h
		if prev, found, err := s.replay(ctx, v.ActorID(), key, hash); err != nil || found {
			return prev, err
		}
	}
	res := BatchResult{ID: uuid.New(), Rows: make([]RowResult, 0, len(items))}
	size := s.chunk
	if size <= 0 {
		size = BatchChunk
	}
	for start := 0; start < len(items); start += size {
		if err := ctx.Err(); err != nil {
			return BatchResult{}, fmt.Errorf("batch interrupted: %w", err)
		}
		rows, err := s.applyChunk(ctx, start, items[start:min(start+size, len(items))])
		if err != nil {
			return BatchResult{}, err
		}
		res.Rows = append(res.Rows, rows...)
	}
	if key != "" {
		if err := s.remember(ctx, v.ActorID(), key, hash, res); err != nil {
			return BatchResult{}, err
		}
	}
	return res, nil
}

// BatchChunk is the number of rows a batch applies per transaction.
const BatchChunk = 500

// errRowFailed stops a chunk's shared transaction at its first failed row.
var errRowFailed = errors.New("a row of the chunk failed")

// applyChunk applies rows (items from index start on) in one transaction.
// Rows that could not be read are rejected without touching the database;
// if any other row fails, the chunk is rolled back and its rows applied
// one transaction each, so that only the bad rows are rejected and no good
// row is lost.
func (s *Service) applyChunk(ctx context.Context, start int, items []BatchItem) ([]RowResult, error) {
	rows := make([]RowResult, len(items))
	err := s.db.WithSharedTx(ctx, func(ctx context.Context) error {
		for j, it := range items {
			row, err := s.applyRow(ctx, start+j, it)
			if err != nil {
				return err
			}
			if row.Status == Rejected && it.Err == nil {
				// Rows that could not be read are rejected before any
				// write; any other rejection may have left a failed
				// statement behind.
				return errRowFailed
			}
			rows[j] = row
		}
		return nil
	})
	if err == nil {
		return rows, nil
	}
	// A rejected row, or a fault that may be one row's: apply the rows one
	// by one (a real fault shows again there and fails the batch).
	for j, it := range items {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("batch interrupted: %w", err)
		}
		row, err := s.applyRow(ctx, start+j, it)
		if err != nil {
			return nil, err
		}
		rows[j] = row
	}
	return rows, nil
}

// applyRow applies one row; only server faults are returned as errors.
func (s *Service) applyRow(ctx context.Context, i int, it BatchItem) (RowResult, error) {
	row := RowResult{Index: i, Kind: it.Kind, ExternalID: it.ExternalID}
	err := it.Err
	if err == nil {
		switch {
		case it.Kind == KindCustomer && it.Customer != nil:
			var c *ent.Customer
			var r Result
			if c, r, err = s.UpsertCustomer(ctx, it.ExternalID, nil, *it.Customer); err == nil {
				row.Status, row.ID = string(r), &c.ID
			}
		case it.Kind == KindPolicy && it.Policy != nil:
			var p *ent.InsurancePolicy
			var r Result
			if p, r, err = s.UpsertPolicy(ctx, it.ExternalID, nil, *it.Policy); err == nil {
				row.Status, row.ID = string(r), &p.ID
			}
		default:
			err = apperr.Invalid("the item's kind is unknown",
				apperr.FieldError{Field: "/kind", Code: "enum", Message: "must be customer or policy"})
		}
	}
	if err == nil {
		return row, nil
	}
	e, ok := apperr.As(err)
	if !ok || e.Kind == apperr.KindInternal {
		return RowResult{}, fmt.Errorf("batch item %d: %w", i, err)
	}
	row.Status = Rejected
	row.Problem = &Problem{Kind: e.Kind, Code: e.Code, Detail: e.Detail, Fields: itemFields(e.Fields)}
	return row, nil
}

// itemFields points the fields of an upsert's problem into the item's
// data; pointers that name the data already are kept.
func itemFields(fields []apperr.FieldError) []apperr.FieldError {
	out := make([]apperr.FieldError, len(fields))
	for i, f := range fields {
		if strings.HasPrefix(f.Field, "/") && !strings.HasPrefix(f.Field, "/data/") && f.Field != "/kind" {
			f.Field = "/data" + f.Field
		}
		out[i] = f
	}
	return out
}

// requestHash digests the items as decoded, so that the same rows sent as
// JSON or as NDJSON are the same request.
func requestHash(items []BatchItem) (string, error) {
	type wire struct {
		Kind       string         `json:"kind"`
		ExternalID string         `json:"external_id"`
		Customer   *CustomerInput `json:"customer,omitempty"`
		Policy     *PolicyInput   `json:"policy,omitempty"`
		Err        string         `json:"err,omitempty"`
	}
	rows := make([]wire, len(items))
	for i, it := range items {
		rows[i] = wire{Kind: it.Kind, ExternalID: it.ExternalID, Customer: it.Customer, Policy: it.Policy}
		if it.Err != nil {
			rows[i].Err = it.Err.Error()
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("hash batch: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// replay returns the stored result of an earlier batch with this key.
func (s *Service) replay(ctx context.Context, actor, key, hash string) (BatchResult, bool, error) {
	sys := auth.SystemContext(ctx)
	rec, err := s.db.Client.IdempotencyRecord.Query().
		Where(idempotencyrecord.Actor(actor), idempotencyrecord.Key(key)).Only(sys)
	if ent.IsNotFound(err) {
		return BatchResult{}, false, nil
	}
	if err != nil {
		return BatchResult{}, false, fmt.Errorf("read idempotency record: %w", err)
	}
	if rec.ExpiresAt.Before(s.clock.Now()) {
		if err := s.db.Client.IdempotencyRecord.DeleteOne(rec).Exec(sys); err != nil {
			return BatchResult{}, false, fmt.Errorf("drop expired idempotency record: %w", err)
		}
		return BatchResult{}, false, nil
	}
	if rec.Path != batchPath || rec.RequestHash != hash {
		return BatchResult{}, false, &apperr.Error{Kind: apperr.KindConflict, Code: "idempotency-key-reused",
			Detail: "this Idempotency-Key was used with another request"}
	}
	var res BatchResult
	if err := json.Unmarshal(rec.Body, &res); err != nil {
		return BatchResult{}, false, fmt.Errorf("decode stored batch result: %w", err)
	}
	return res, true, nil
}

// remember stores a batch's result for replays. A concurrent batch with
// the same key may have stored its own first: its rows had the same
// effect, so that is not an error.
func (s *Service) remember(ctx context.Context, actor, key, hash string, res BatchResult) error {
	body, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode batch result: %w", err)
	}
	err = s.db.Client.IdempotencyRecord.Create().SetActor(actor).SetKey(key).SetMethod("POST").SetPath(batchPath).
		SetRequestHash(hash).SetStatusCode(200).SetContentType("application/json").SetBody(body).
		SetExpiresAt(s.clock.Now().Add(idempotencyTTL)).SetCreatedAt(s.clock.Now()).Exec(auth.SystemContext(ctx))
	if err != nil && !ent.IsConstraintError(err) {
		return fmt.Errorf("store idempotency record: %w", err)
	}
	return nil
}
