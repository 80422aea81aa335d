package apperr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/internal/apperr"
)

func TestConstructors(t *testing.T) {
	cause := errors.New("disk on fire")
	field := apperr.FieldError{Field: "/name", Code: "required", Message: "is required"}
	tests := []struct {
		name string
		err  *apperr.Error
		want apperr.Error
	}{
		{"invalid", apperr.Invalid("bad input", field), apperr.Error{Kind: apperr.KindInvalid, Detail: "bad input", Fields: []apperr.FieldError{field}}},
		{"not found", apperr.NotFound("no such customer"), apperr.Error{Kind: apperr.KindNotFound, Detail: "no such customer"}},
		{"conflict", apperr.Conflict("exists"), apperr.Error{Kind: apperr.KindConflict, Detail: "exists"}},
		{"forbidden", apperr.Forbidden("not yours"), apperr.Error{Kind: apperr.KindForbidden, Detail: "not yours"}},
		{"unauthenticated", apperr.Unauthenticated("no token"), apperr.Error{Kind: apperr.KindUnauthenticated, Detail: "no token"}},
		{"precondition failed", apperr.PreconditionFailed("stale"), apperr.Error{Kind: apperr.KindPreconditionFailed, Detail: "stale"}},
		{"precondition required", apperr.PreconditionRequired("If-Match"), apperr.Error{Kind: apperr.KindPreconditionRequired, Detail: "If-Match"}},
		{"gone", apperr.Gone("sync-reset-required", "reset"), apperr.Error{Kind: apperr.KindGone, Code: "sync-reset-required", Detail: "reset"}},
		{"rate limited", apperr.RateLimited(3*time.Second, "slow down"), apperr.Error{Kind: apperr.KindRateLimited, Detail: "slow down", RetryAfter: 3 * time.Second}},
		{"too large", apperr.TooLarge("big"), apperr.Error{Kind: apperr.KindTooLarge, Detail: "big"}},
		{"media type", apperr.UnsupportedMediaType("xml"), apperr.Error{Kind: apperr.KindUnsupportedMediaType, Detail: "xml"}},
		{"upgrade", apperr.UpgradeRequired("old"), apperr.Error{Kind: apperr.KindUpgradeRequired, Detail: "old"}},
		{"not implemented", apperr.NotImplemented("later"), apperr.Error{Kind: apperr.KindNotImplemented, Detail: "later"}},
		{"unavailable", apperr.Unavailable("db down"), apperr.Error{Kind: apperr.KindUnavailable, Detail: "db down"}},
		{"internal", apperr.Internal(cause), apperr.Error{Kind: apperr.KindInternal, Err: cause}},
		{"wrap", apperr.Wrap(apperr.KindConflict, "dup", cause), apperr.Error{Kind: apperr.KindConflict, Detail: "dup", Err: cause}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, *tt.err, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want apperr.Kind
	}{
		{"nil", nil, apperr.KindInternal},
		{"plain", io.EOF, apperr.KindInternal},
		{"direct", apperr.NotFound("x"), apperr.KindNotFound},
		{"wrapped once", fmt.Errorf("load customer: %w", apperr.Forbidden("x")), apperr.KindForbidden},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", apperr.Conflict("x"))), apperr.KindConflict},
		{"joined", errors.Join(io.EOF, apperr.Gone("", "x")), apperr.KindGone},
		{"zero value", &apperr.Error{}, apperr.KindInternal},
		{"canceled", context.Canceled, apperr.KindUnavailable},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), apperr.KindUnavailable},
		{"explicit kind wins over context", apperr.Wrap(apperr.KindConflict, "x", context.Canceled), apperr.KindConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apperr.KindOf(tt.err); got != tt.want {
				t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestAs(t *testing.T) {
	inner := apperr.NotFound("no such task")
	if got, ok := apperr.As(fmt.Errorf("get task: %w", inner)); !ok || got != inner {
		t.Errorf("As(wrapped) = %v, %v; want %v, true", got, ok, inner)
	}
	if got, ok := apperr.As(io.EOF); ok || got != nil {
		t.Errorf("As(io.EOF) = %v, %v; want nil, false", got, ok)
	}
}

func TestErrorAndUnwrap(t *testing.T) {
	cause := errors.New("unique constraint")
	tests := []struct {
		err  *apperr.Error
		want string
	}{
		{apperr.NotFound("no such customer"), "not_found: no such customer"},
		{apperr.Wrap(apperr.KindConflict, "duplicate", cause), "conflict: duplicate: unique constraint"},
		{apperr.Gone("sync-reset-required", "cursor too old"), "gone (sync-reset-required): cursor too old"},
		{apperr.Internal(cause), "internal: unique constraint"},
		{&apperr.Error{Kind: apperr.Kind(200)}, "kind(200)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if !errors.Is(apperr.Wrap(apperr.KindInternal, "", cause), cause) {
		t.Error("errors.Is does not reach the cause through Unwrap")
	}
}
