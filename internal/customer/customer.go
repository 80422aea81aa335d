// Package customer owns the book: customers and their personal data,
// which it encrypts on the way in, masks or reveals (with an audit entry)
// on the way out, and erases on request.
package customer

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Field names of personal data, as encrypted (and as in the API).
const (
	FieldPhone       = "phone"
	FieldIDNumber    = "id_number"
	FieldHealthNotes = "health_notes"
)

// Service manages customers.
type Service struct {
	db    *store.DB
	pii   *pii.Protector
	clock clock.Clock
	audit *audit.Recorder
}

// NewService returns the customer service.
func NewService(db *store.DB, p *pii.Protector, clk clock.Clock, rec *audit.Recorder) *Service {
	return &Service{db: db, pii: p, clock: clk, audit: rec}
}

// Input is a create or a partial update; nil means "not given".
type Input struct {
	ID               *uuid.UUID
	AgentID          *uuid.UUID
	ExternalID       *string
	Name             *string
	Phone            *string
	IDNumber         *string
	HealthNotes      *string
	BirthDate        *time.Time
	Gender           *string
	Occupation       *string
	IncomeBand       *string
	RiskPreference   *string
	PreferredChannel *string
	LifeStage        *string
	Family           *domain.Family
	Consent          *domain.Consent
	Tags             *[]string
}

var (
	phonePattern    = regexp.MustCompile(`^\+?[0-9]{7,15}$`)
	idNumberPattern = regexp.MustCompile(`^[0-9]{17}[0-9X]$|^[0-9]{15}$`)
)

// Validate checks an input; create says whether the name is required.
func (in Input) Validate(create bool, now time.Time) error {
	var fe []apperr.FieldError
	bad := func(field, code, msg string) {
		fe = append(fe, apperr.FieldError{Field: field, Code: code, Message: msg})
	}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || utf8.RuneCountInString(n) > 100 {
			bad("/name", "length", "must have 1 to 100 characters")
		}
	} else if create {
		bad("/name", "required", "is required")
	}
	if in.Phone != nil && *in.Phone != "" && !phonePattern.MatchString(pii.NormalizePhone(*in.Phone)) {
		bad("/phone", "format", "must be a phone number of 7 to 15 digits")
	}
	if in.IDNumber != nil && *in.IDNumber != "" && !idNumberPattern.MatchString(strings.ToUpper(strings.TrimSpace(*in.IDNumber))) {
		bad("/id_number", "format", "must be a resident ID number of 15 or 18 characters")
	}
	if in.HealthNotes != nil && utf8.RuneCountInString(*in.HealthNotes) > 2000 {
		bad("/health_notes", "length", "must have at most 2000 characters")
	}
	if in.BirthDate != nil && (in.BirthDate.After(now) || in.BirthDate.Year() < 1900) {
		bad("/birth_date", "range", "must be a date between 1900 and today")
	}
	if in.Occupation != nil && utf8.RuneCountInString(*in.Occupation) > 100 {
		bad("/occupation", "length", "must have at most 100 characters")
	}
	if in.Tags != nil {
		if len(*in.Tags) > 30 {
			bad("/tags", "length", "at most 30 tags")
		}
		for i, t := range *in.Tags {
			if t = strings.TrimSpace(t); t == "" || utf8.RuneCountInString(t) > 30 {
				bad(fmt.Sprintf("/tags/%d", i), "length", "a tag has 1 to 30 characters")
			}
		}
	}
	if in.Family != nil {
		if in.Family.Dependants < 0 || in.Family.Dependants > 50 {
			bad("/family/dependants", "range", "must be between 0 and 50")
		}
		for i, c := range in.Family.Children {
			if c.BirthYear != 0 && (c.BirthYear < 1900 || c.BirthYear > now.Year()) {
				bad(fmt.Sprintf("/family/children/%d/birth_year", i), "range", "must be a past year")
			}
		}
	}
	if len(fe) > 0 {
		return apperr.Invalid("the customer is invalid", fe...)
	}
	return nil
}

// Get returns a customer in the caller's scope.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*ent.Customer, error) {
	c, err := s.db.Client.Customer.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("no such customer")
	}
	if err != nil {
		return nil, fmt.Errorf("get customer: %w", err)
	}
	return c, nil
}

// Filter narrows List.
type Filter struct {
	Q            string
	Tag          string
	AgentID      *uuid.UUID
	Phone        string
	UpdatedSince *time.Time
	Cursor       string
	Limit        int
}

// List returns a page of the caller's customers in id order, and the
// cursor of the next page ("" at the end).
func (s *Service) List(ctx context.Context, f Filter) ([]*ent.Customer, string, error) {
	q := s.db.Client.Customer.Query()
	if f.Q != "" {
		q.Where(customer.NameContains(f.Q))
	}
	if f.Tag != "" {
		q.Where(predicate.Customer(func(sel *entsql.Selector) { sel.Where(sqljson.ValueContains(customer.FieldTags, f.Tag)) }))
	}
	if f.AgentID != nil {
		q.Where(customer.AgentID(*f.AgentID))
	}
	if f.Phone != "" {
		q.Where(customer.PhoneHash(s.pii.Hash(FieldPhone, pii.NormalizePhone(f.Phone))))
	}
	if f.UpdatedSince != nil {
		q.Where(customer.UpdatedAtGTE(*f.UpdatedSince))
	}
	if f.Cursor != "" {
		after, err := DecodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		q.Where(customer.IDGT(after))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := q.Order(ent.Asc(customer.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("list customers: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = EncodeCursor(rows[len(rows)-1].ID)
	}
	return rows, next, nil
}

// EncodeCursor makes a page cursor from the last id of a page.
func EncodeCursor(id uuid.UUID) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(s string) (uuid.UUID, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return uuid.Nil, apperr.Invalid("the cursor is malformed", apperr.FieldError{Field: "cursor", Code: "format", Message: "not a cursor of this list"})
	}
	return uuid.UUID(b), nil
}

// ETag is a record's entity tag: its version.
func ETag(version int64) string { return fmt.Sprintf(`"%d"`, version) }

// ParseIfMatch reads an If-Match header into the expected version; nil
// when absent or "*".
func ParseIfMatch(h *string) (*int64, error) {
	if h == nil || strings.TrimSpace(*h) == "" || strings.TrimSpace(*h) == "*" {
		return nil, nil
	}
	var v int64
	t := strings.TrimPrefix(strings.TrimSpace(*h), "W/")
	if _, err := fmt.Sscanf(t, `"%d"`, &v); err != nil {
		return nil, apperr.Invalid("If-Match must be an ETag of this API", apperr.FieldError{Field: "If-Match", Code: "format", Message: `expected "<version>"`})
	}
	return &v, nil
}

// requireViewer returns the caller.
func requireViewer(ctx context.Context) (*auth.Viewer, error) {
	v, ok := auth.ViewerFrom(ctx)
	if !ok {
		return nil, apperr.Unauthenticated("authentication required")
	}
	return v, nil
}
