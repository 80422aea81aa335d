package integration

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// exportable maps the collections of the change feed to the scopes any
// one of which lets an integrator read them.
var exportable = map[string][]string{
	store.Customers:    {access.CustomersRead, access.CustomersWrite},
	store.Portraits:    {access.CustomersRead, access.CustomersWrite},
	store.ServicePlans: {access.CustomersRead, access.CustomersWrite},
	store.Policies:     {access.PoliciesRead, access.PoliciesWrite},
	store.Interactions: {access.InteractionsRead},
	store.Tasks:        {access.TasksRead},
	store.Complaints:   {access.ComplaintsRead},
	store.Claims:       {access.ClaimsRead},
}

// Change is one entry of the change feed.
type Change struct {
	Seq         int64
	Collection  string
	Op          string
	ID          uuid.UUID
	Version     int64
	CustomerID  *uuid.UUID
	CommittedAt time.Time
}

// ChangesQuery asks for a page of the change feed.
type ChangesQuery struct {
	Cursor      string
	Collections []string // empty: every readable one
	Limit       int
}

// ChangesPage is a page of the change feed.
type ChangesPage struct {
	Changes []Change
	Cursor  string
	HasMore bool
}

// Changes returns the change log after the cursor, in commit order,
// limited to the collections the caller's scopes let it read. The log
// itself is the system's: it is read as the system once the collections
// are decided.
func (s *Service) Changes(ctx context.Context, q ChangesQuery) (ChangesPage, error) {
	v, ok := auth.ViewerFrom(ctx)
	if !ok {
		return ChangesPage{}, apperr.Unauthenticated("authentication required")
	}
	var allowed []string
	for c, scopes := range exportable {
		if v.IsAdmin() || slices.ContainsFunc(scopes, v.HasScope) {
			if len(q.Collections) == 0 || slices.Contains(q.Collections, c) {
				allowed = append(allowed, c)
			}
		}
	}
	if len(allowed) == 0 {
		return ChangesPage{}, apperr.Forbidden("no requested collection is readable with the client's scopes")
	}
	slices.Sort(allowed)
	after, err := decodeSeq(q.Cursor)
	if err != nil {
		return ChangesPage{}, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 500
	}
	rows, err := s.db.Client.ChangeLog.Query().
		Where(changelog.IDGT(after), changelog.CollectionIn(allowed...)).
		Order(ent.Asc(changelog.FieldID)).Limit(limit + 1).All(auth.SystemContext(ctx))
	if err != nil {
		return ChangesPage{}, fmt.Errorf("read change log: %w", err)
	}
	page := ChangesPage{Changes: make([]Change, 0, min(len(rows), limit)), HasMore: len(rows) > limit}
	last := after
	for _, r := range rows[:min(len(rows), limit)] {
		page.Changes = append(page.Changes, Change{Seq: r.ID, Collection: r.Collection, Op: string(r.Op), ID: r.RecordID,
			Version: r.Version, CustomerID: r.CustomerID, CommittedAt: r.CommittedAt})
		last = r.ID
	}
	page.Cursor = encodeSeq(last)
	return page, nil
}

const seqPrefix = "seq:"

func encodeSeq(seq int64) string { return seqPrefix + strconv.FormatInt(seq, 10) }

func decodeSeq(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(c, seqPrefix), 10, 64)
	if !strings.HasPrefix(c, seqPrefix) || err != nil || n < 0 {
		return 0, apperr.Invalid("the cursor is malformed",
			apperr.FieldError{Field: "cursor", Code: "format", Message: "not a cursor of the change feed"})
	}
	return n, nil
}
