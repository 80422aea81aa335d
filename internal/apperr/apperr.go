// Package apperr defines the one closed set of error kinds that AgentDesk's
// capability packages return and that internal/httpapi maps to HTTP.
//
// A capability package says what went wrong (a Kind, a client-safe Detail,
// optional field problems) and wraps the cause; only the HTTP layer decides
// how that is rendered, and only it logs server errors.
package apperr

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error. The zero value is KindInternal, so an Error built
// without a kind is treated as a server fault rather than the client's.
type Kind uint8

// The kinds, one per distinct client reaction.
const (
	KindInternal Kind = iota
	KindInvalid
	KindUnauthenticated
	KindForbidden
	KindNotFound
	KindConflict
	KindPreconditionFailed
	KindPreconditionRequired
	KindTooLarge
	KindUnsupportedMediaType
	KindRateLimited
	KindGone
	KindUpgradeRequired
	KindNotImplemented
	KindUnavailable
)

var kindNames = [...]string{
	KindInternal:             "internal",
	KindInvalid:              "invalid",
	KindUnauthenticated:      "unauthenticated",
	KindForbidden:            "forbidden",
	KindNotFound:             "not_found",
	KindConflict:             "conflict",
	KindPreconditionFailed:   "precondition_failed",
	KindPreconditionRequired: "precondition_required",
	KindTooLarge:             "too_large",
	KindUnsupportedMediaType: "unsupported_media_type",
	KindRateLimited:          "rate_limited",
	KindGone:                 "gone",
	KindUpgradeRequired:      "upgrade_required",
	KindNotImplemented:       "not_implemented",
	KindUnavailable:          "unavailable",
}

// String returns the kind's name, such as "not_found".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// FieldError names one problem with one input field.
type FieldError struct {
	// Field is a JSON pointer into the body ("/mutations/0/op") or the name
	// of a parameter ("limit"); empty means the input as a whole.
	Field string `json:"field"`
	// Code is a short machine-readable reason, such as "required" or "maxLength".
	Code string `json:"code,omitempty"`
	// Message is a human-readable explanation; it never repeats the value.
	Message string `json:"message"`
}

// Error is AgentDesk's error type.
type Error struct {
	Kind Kind
	// Code optionally overrides the problem type slug of Kind, e.g.
	// "sync-reset-required", for clients that must tell cases of one kind apart.
	Code string
	// Detail is sent to clients: it must never hold personal data or internals.
	Detail string
	// Fields lists field-level problems, mostly for KindInvalid.
	Fields []FieldError
	// RetryAfter tells clients when to retry (KindRateLimited, KindUnavailable).
	RetryAfter time.Duration
	// Err is the wrapped cause: logged for server errors, never sent.
	Err error
}

// Error returns the kind, the detail and the cause.
func (e *Error) Error() string {
	msg := e.Kind.String()
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Invalid reports input that breaks the contract or a rule, naming the fields.
func Invalid(detail string, fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Detail: detail, Fields: fields}
}

// NotFound reports a resource that does not exist or that the caller may not see.
func NotFound(detail string) *Error { return &Error{Kind: KindNotFound, Detail: detail} }

// Conflict reports a write that clashes with the current state.
func Conflict(detail string) *Error { return &Error{Kind: KindConflict, Detail: detail} }

// Forbidden reports an authenticated caller without the right to act.
func Forbidden(detail string) *Error { return &Error{Kind: KindForbidden, Detail: detail} }

// Unauthenticated reports missing or invalid credentials.
func Unauthenticated(detail string) *Error {
	return &Error{Kind: KindUnauthenticated, Detail: detail}
}

// PreconditionFailed reports an If-Match (or similar) that no longer holds.
func PreconditionFailed(detail string) *Error {
	return &Error{Kind: KindPreconditionFailed, Detail: detail}
}

// PreconditionRequired reports a write that needs If-Match but came without it.
func PreconditionRequired(detail string) *Error {
	return &Error{Kind: KindPreconditionRequired, Detail: detail}
}

// Gone reports something that existed and no longer does; code, when set,
// names the case (e.g. "sync-reset-required").
func Gone(code, detail string) *Error { return &Error{Kind: KindGone, Code: code, Detail: detail} }

// RateLimited reports a caller over its rate; retryAfter may be zero.
func RateLimited(retryAfter time.Duration, detail string) *Error {
	return &Error{Kind: KindRateLimited, Detail: detail, RetryAfter: retryAfter}
}

// TooLarge reports a request body over the limit.
func TooLarge(detail string) *Error { return &Error{Kind: KindTooLarge, Detail: detail} }

// UnsupportedMediaType reports a request body in a content type the operation does not take.
func UnsupportedMediaType(detail string) *Error {
	return &Error{Kind: KindUnsupportedMediaType, Detail: detail}
}

// UpgradeRequired reports a client too old for the server (e.g. an old schema version).
func UpgradeRequired(detail string) *Error {
	return &Error{Kind: KindUpgradeRequired, Detail: detail}
}

// NotImplemented reports an operation the server does not offer (yet).
func NotImplemented(detail string) *Error {
	return &Error{Kind: KindNotImplemented, Detail: detail}
}

// Unavailable reports a temporary inability to serve, such as a dependency down.
func Unavailable(detail string) *Error { return &Error{Kind: KindUnavailable, Detail: detail} }

// Internal reports a server fault; err is logged, never sent.
func Internal(err error) *Error { return &Error{Kind: KindInternal, Err: err} }

// Wrap builds an Error of kind with a client-safe detail around err.
func Wrap(kind Kind, detail string, err error) *Error {
	return &Error{Kind: kind, Detail: detail, Err: err}
}

// As finds the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// KindOf returns the kind of the first *Error in err's chain. A cancelled or
// timed-out context is KindUnavailable; any other error is KindInternal.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return KindUnavailable
	}
	return KindInternal
}
