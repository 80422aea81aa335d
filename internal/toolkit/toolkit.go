// Package toolkit manages the service toolkit (工具包): script cards,
// checklists, flowcharts and templates for the core service scenarios,
// authored by admins and used by agents.
//
// An item has numbered revisions (ToolkitRevision). Admins create an item
// as a draft (revision 1), edit the draft, publish it and retire the item.
// The ToolkitItem record — the synced collection toolkit_items — always
// carries what agents may see: the published revision's title, tags and
// content (before the first publish, the draft's, with status draft, which
// sync must not send to agents). Publishing copies the draft onto the
// record and retires the revision published before; retiring withdraws the
// item from agents, and publishing again brings it back.
//
// Agents (and integrators) see published items only: List and Get hide
// drafts and retired items from everyone but admins and the system.
//
// The item record's version is the ETag of every write (If-Match): editing
// a draft touches the record too, so two admins editing one draft cannot
// overwrite each other unseen. The record's content does not change on such
// a touch; agents merely receive the same published item again.
package toolkit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/ent/toolkitrevision"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/store"
)

// States of items and revisions.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusRetired   = "retired"
)

// Item is a toolkit item as a caller sees it.
type Item struct {
	ID          uuid.UUID
	Version     int64
	Key         string
	Kind        string
	Scenario    string
	Tier        string
	Locale      string
	Title       string
	Summary     string
	Tags        []string
	Status      string
	Revision    int // the published revision; 0 before the first publish
	Content     domain.ToolkitContent
	PublishedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Draft is the unpublished revision, if any; filled for admins only.
	Draft *Revision
}

// Revision is one numbered revision of an item.
type Revision struct {
	ItemID      uuid.UUID
	Number      int
	Status      string
	Title       string
	Summary     string
	Tags        []string
	Content     domain.ToolkitContent
	AuthorID    *uuid.UUID
	PublishedAt *time.Time
	// RetiredAt is when a retired revision was superseded or withdrawn.
	RetiredAt *time.Time
	UpdatedAt time.Time
}

// Effective returns the item as an admin edits it: with a pending draft,
// the draft's title, summary, tags and content and status "draft".
func (it Item) Effective() Item {
	if it.Draft == nil {
		return it
	}
	out := it
	out.Title, out.Summary, out.Tags, out.Content = it.Draft.Title, it.Draft.Summary, it.Draft.Tags, it.Draft.Content
	out.Status = StatusDraft
	return out
}

func itemOf(e *ent.ToolkitItem) Item {
	return Item{
		ID: e.ID, Version: e.Version, Key: e.Key, Kind: string(e.Kind), Scenario: string(e.Scenario),
		Tier: string(e.Tier), Locale: string(e.Locale), Title: e.Title, Summary: e.Summary, Tags: nonNil(e.Tags),
		Status: string(e.Status), Revision: e.Revision, Content: e.Content, PublishedAt: utcPtr(e.PublishedAt),
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(),
	}
}

func revisionOf(r *ent.ToolkitRevision) *Revision {
	out := &Revision{
		ItemID: r.ItemID, Number: r.Number, Status: string(r.Status), Title: r.Title, Summary: r.Summary,
		Tags: nonNil(r.Tags), Content: r.Content, AuthorID: r.AuthorID, PublishedAt: utcPtr(r.PublishedAt),
		UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.Status == toolkitrevision.StatusRetired {
		at := r.UpdatedAt.UTC()
		out.RetiredAt = &at
	}
	return out
}

// ListInput filters and pages List. Empty fields do not filter.
type ListInput struct {
	Scenario string
	Kind     string
	Tier     string
	Locale   string
	// Status filters for admins; everyone else gets published items only.
	Status       string
	UpdatedSince *time.Time
	Cursor       string
	Limit        int // 1–500; 0 means 100
}

// Page is a page of items.
type Page struct {
	Items      []Item
	NextCursor string // empty on the last page
}

// IsAdmin reports whether the caller may see and author drafts: an admin
// agent or the system.
func IsAdmin(ctx context.Context) bool {
	v, ok := auth.ViewerFrom(ctx)
	return ok && (v.IsAdmin() || v.Kind == auth.KindSystem)
}

func requireAdmin(ctx context.Context) error {
	if !IsAdmin(ctx) {
		return apperr.Forbidden("only admins author toolkit items")
	}
	return nil
}

type listCursor struct {
	Scenario string `json:"s"`
	Key      string `json:"k"`
}

// List returns toolkit items ordered by scenario and key.
func List(ctx context.Context, db *store.DB, in ListInput) (Page, error) {
	limit := in.Limit
	switch {
	case limit == 0:
		limit = 100
	case limit < 1 || limit > 500:
		return Page{}, apperr.Invalid("limit out of range", apperr.FieldError{Field: "limit", Code: "range", Message: "limit must be between 1 and 500"})
	}
	admin := IsAdmin(ctx)
	q := db.Client.ToolkitItem.Query()
	switch {
	case !admin:
		q.Where(toolkititem.StatusEQ(toolkititem.StatusPublished))
	case in.Status != "":
		if toolkititem.StatusValidator(toolkititem.Status(in.Status)) != nil {
			return Page{}, apperr.Invalid("unknown status", apperr.FieldError{Field: "status", Code: "enum", Message: "status must be draft, published or retired"})
		}
		q.Where(toolkititem.StatusEQ(toolkititem.Status(in.Status)))
	}
	if in.Scenario != "" {
		q.Where(toolkititem.ScenarioEQ(toolkititem.Scenario(in.Scenario)))
	}
	if in.Kind != "" {
		q.Where(toolkititem.KindEQ(toolkititem.Kind(in.Kind)))
	}
	if in.Tier != "" {
		q.Where(toolkititem.TierEQ(toolkititem.Tier(in.Tier)))
	}
	if in.Locale != "" {
		q.Where(toolkititem.LocaleEQ(toolkititem.Locale(in.Locale)))
	}
	if in.UpdatedSince != nil {
		q.Where(toolkititem.UpdatedAtGTE(*in.UpdatedSince))
	}
	if in.Cursor != "" {
		var c listCursor
		b, err := base64.RawURLEncoding.DecodeString(in.Cursor)
		if err == nil {
			err = json.Unmarshal(b, &c)
		}
		if err != nil {
			return Page{}, apperr.Invalid("bad cursor", apperr.FieldError{Field: "cursor", Code: "format", Message: "cursor is not one this server returned"})
		}
		q.Where(predicate.ToolkitItem(func(s *entsql.Selector) {
			s.Where(entsql.Or(
				entsql.GT(s.C(toolkititem.FieldScenario), c.Scenario),
				entsql.And(entsql.EQ(s.C(toolkititem.FieldScenario), c.Scenario), entsql.GT(s.C(toolkititem.FieldKey), c.Key)),
			))
		}))
	}
	rows, err := q.Order(ent.Asc(toolkititem.FieldScenario), ent.Asc(toolkititem.FieldKey)).Limit(limit + 1).All(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("list toolkit items: %w", err)
	}
	var page Page
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		b, _ := json.Marshal(listCursor{Scenario: string(last.Scenario), Key: last.Key})
		page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	page.Items = make([]Item, 0, len(rows))
	for _, r := range rows {
		page.Items = append(page.Items, itemOf(r))
	}
	if admin {
		if err := attachDrafts(ctx, db.Client, page.Items); err != nil {
			return Page{}, err
		}
	}
	return page, nil
}

// Get returns one item: to agents its published revision (drafts and
// retired items are not found), to admins also its draft.
func Get(ctx context.Context, db *store.DB, id uuid.UUID) (Item, error) {
	e, err := db.Client.ToolkitItem.Get(ctx, id)
	if ent.IsNotFound(err) {
		return Item{}, apperr.NotFound("toolkit item not found")
	}
	if err != nil {
		return Item{}, fmt.Errorf("get toolkit item %s: %w", id, err)
	}
	it := itemOf(e)
	if !IsAdmin(ctx) {
		if it.Status != StatusPublished {
			return Item{}, apperr.NotFound("toolkit item not found")
		}
		return it, nil
	}
	items := []Item{it}
	if err := attachDrafts(ctx, db.Client, items); err != nil {
		return Item{}, err
	}
	return items[0], nil
}

// attachDrafts fills the Draft of the items that have one, in one query.
func attachDrafts(ctx context.Context, c *ent.Client, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	drafts, err := c.ToolkitRevision.Query().
		Where(toolkitrevision.ItemIDIn(ids...), toolkitrevision.StatusEQ(toolkitrevision.StatusDraft)).All(ctx)
	if err != nil {
		return fmt.Errorf("load toolkit drafts: %w", err)
	}
	byItem := make(map[uuid.UUID]*ent.ToolkitRevision, len(drafts))
	for _, d := range drafts {
		if cur, ok := byItem[d.ItemID]; !ok || d.Number > cur.Number {
			byItem[d.ItemID] = d
		}
	}
	for i := range items {
		if d, ok := byItem[items[i].ID]; ok {
			items[i].Draft = revisionOf(d)
		}
	}
	return nil
}

// PublishedIDs maps the keys of the published items to their ids: what
// plan rules' toolkit_item_keys resolve against.
func PublishedIDs(ctx context.Context, c *ent.Client) (map[string]uuid.UUID, error) {
	rows, err := c.ToolkitItem.Query().Where(toolkititem.StatusEQ(toolkititem.StatusPublished)).
		Select(toolkititem.FieldID, toolkititem.FieldKey).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load published toolkit keys: %w", err)
	}
	out := make(map[string]uuid.UUID, len(rows))
	for _, r := range rows {
		out[r.Key] = r.ID
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
