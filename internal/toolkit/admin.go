package toolkit

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/ent/toolkitrevision"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/store"
)

// CreateInput is a new item, created as a draft.
type CreateInput struct {
	ID       *uuid.UUID // client-generated; generated when nil
	Key      string
	Kind     string
	Scenario string
	Tier     string // default basic
	Locale   string // default zh-CN
	Title    string
	Summary  string
	Tags     []string
	Content  domain.ToolkitContent
}

// EditInput changes an item's draft (merge-patch: nil leaves a field as it
// is). Scenario, tier and locale belong to the item, not to a revision:
// they change at once, also for agents.
type EditInput struct {
	Scenario *string
	Tier     *string
	Locale   *string
	Title    *string
	Summary  *string
	Tags     *[]string
	Content  *domain.ToolkitContent
}

// asServer is the context of a write the caller was authorized for (the
// admin check): store.WithTx appends the change log, which only the server
// writes, under the context it is given, so the transaction runs as the
// server.
func asServer(ctx context.Context) context.Context { return auth.SystemContext(ctx) }

func authorOf(ctx context.Context) *uuid.UUID {
	if v, ok := auth.ViewerFrom(ctx); ok && v.Kind == auth.KindAgent {
		id := v.AgentID
		return &id
	}
	return nil
}

// Create adds an item as a draft (revision 1). A taken key or id is
// apperr.Conflict.
func Create(ctx context.Context, db *store.DB, in CreateInput) (Item, error) {
	if err := requireAdmin(ctx); err != nil {
		return Item{}, err
	}
	if in.Tier == "" {
		in.Tier = string(toolkititem.DefaultTier)
	}
	if in.Locale == "" {
		in.Locale = string(toolkititem.DefaultLocale)
	}
	in.Tags = nonNil(in.Tags)
	var errs []apperr.FieldError
	if !KeyPattern.MatchString(in.Key) || len(in.Key) > maxKey {
		errs = append(errs, fieldErr("/key", "pattern", "key must be lower-case letters and digits separated by -, _ or . (at most %d)", maxKey))
	}
	if toolkititem.KindValidator(toolkititem.Kind(in.Kind)) != nil {
		errs = append(errs, fieldErr("/kind", "enum", "kind must be script, checklist, flowchart or template"))
	} else {
		errs = append(errs, ValidateContent(in.Kind, in.Content)...)
	}
	errs = append(errs, validateMeta(in.Scenario, in.Tier, in.Locale, in.Title, in.Summary, in.Tags)...)
	if len(errs) > 0 {
		return Item{}, apperr.Invalid("the toolkit item is not valid", errs...)
	}
	id := uuid.Must(uuid.NewV7())
	if in.ID != nil {
		id = *in.ID
	}
	now, author := db.Now(), authorOf(ctx)
	var out Item
	err := db.WithTx(asServer(ctx), func(ctx context.Context, tx *ent.Tx) error {
		taken, err := tx.ToolkitItem.Query().Where(toolkititem.Or(toolkititem.Key(in.Key), toolkititem.ID(id))).Exist(ctx)
		if err != nil {
			return err
		}
		if taken {
			return apperr.Conflict("a toolkit item with this key or id exists")
		}
		e, err := tx.ToolkitItem.Create().SetID(id).SetKey(in.Key).SetKind(toolkititem.Kind(in.Kind)).
			SetScenario(toolkititem.Scenario(in.Scenario)).SetTier(toolkititem.Tier(in.Tier)).
			SetLocale(toolkititem.Locale(in.Locale)).SetTitle(in.Title).SetSummary(in.Summary).SetTags(in.Tags).
			SetStatus(toolkititem.StatusDraft).SetRevision(0).SetContent(in.Content).
			SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		d, err := tx.ToolkitRevision.Create().SetItemID(id).SetNumber(1).SetStatus(toolkitrevision.StatusDraft).
			SetTitle(in.Title).SetSummary(in.Summary).SetTags(in.Tags).SetContent(in.Content).
			SetNillableAuthorID(author).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		out = itemOf(e)
		out.Draft = revisionOf(d)
		return nil
	})
	if err != nil {
		return Item{}, wrap("create toolkit item", err)
	}
	return out, nil
}

// loadForWrite reads an item inside a write and checks If-Match (0: no
// precondition).
func loadForWrite(ctx context.Context, tx *ent.Tx, id uuid.UUID, ifMatch int64) (*ent.ToolkitItem, error) {
	e, err := tx.ToolkitItem.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("toolkit item not found")
	}
	if err != nil {
		return nil, err
	}
	if ifMatch != 0 && ifMatch != e.Version {
		return nil, apperr.PreconditionFailed("the toolkit item changed since it was read")
	}
	return e, nil
}

func draftOf(ctx context.Context, tx *ent.Tx, id uuid.UUID) (*ent.ToolkitRevision, error) {
	d, err := tx.ToolkitRevision.Query().
		Where(toolkitrevision.ItemID(id), toolkitrevision.StatusEQ(toolkitrevision.StatusDraft)).
		Order(ent.Desc(toolkitrevision.FieldNumber)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return d, err
}

func lastNumber(ctx context.Context, tx *ent.Tx, id uuid.UUID) (int, error) {
	r, err := tx.ToolkitRevision.Query().Where(toolkitrevision.ItemID(id)).
		Order(ent.Desc(toolkitrevision.FieldNumber)).First(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return r.Number, nil
}

// Edit changes the item's draft, starting a new draft revision from the
// published one when there is none. If-Match is the item's version.
func Edit(ctx context.Context, db *store.DB, id uuid.UUID, ifMatch int64, in EditInput) (Item, error) {
	if err := requireAdmin(ctx); err != nil {
		return Item{}, err
	}
	now, author := db.Now(), authorOf(ctx)
	var out Item
	err := db.WithTx(asServer(ctx), func(ctx context.Context, tx *ent.Tx) error {
		e, err := loadForWrite(ctx, tx, id, ifMatch)
		if err != nil {
			return err
		}
		d, err := draftOf(ctx, tx, id)
		if err != nil {
			return err
		}
		title, summary, tags, content := e.Title, e.Summary, e.Tags, e.Content
		if d != nil {
			title, summary, tags, content = d.Title, d.Summary, d.Tags, d.Content
		}
		scenario, tier, locale := string(e.Scenario), string(e.Tier), string(e.Locale)
		set(&scenario, in.Scenario)
		set(&tier, in.Tier)
		set(&locale, in.Locale)
		set(&title, in.Title)
		set(&summary, in.Summary)
		set(&tags, in.Tags)
		set(&content, in.Content)
		tags = nonNil(tags)
		errs := validateMeta(scenario, tier, locale, title, summary, tags)
		errs = append(errs, ValidateContent(string(e.Kind), content)...)
		if len(errs) > 0 {
			return apperr.Invalid("the toolkit item is not valid", errs...)
		}
		if d == nil {
			n, err := lastNumber(ctx, tx, id)
			if err != nil {
				return err
			}
			d, err = tx.ToolkitRevision.Create().SetItemID(id).SetNumber(n + 1).SetStatus(toolkitrevision.StatusDraft).
				SetTitle(title).SetSummary(summary).SetTags(tags).SetContent(content).
				SetNillableAuthorID(author).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		} else {
			d, err = d.Update().SetTitle(title).SetSummary(summary).SetTags(tags).SetContent(content).
				SetNillableAuthorID(author).SetUpdatedAt(now).Save(ctx)
		}
		if err != nil {
			return err
		}
		u := e.Update().SetScenario(toolkititem.Scenario(scenario)).SetTier(toolkititem.Tier(tier)).
			SetLocale(toolkititem.Locale(locale)).SetUpdatedAt(now)
		if e.Status == toolkititem.StatusDraft {
			// Never published: the record shows the draft (to admins only).
			u.SetTitle(title).SetSummary(summary).SetTags(tags).SetContent(content)
		}
		if e, err = u.Save(ctx); err != nil {
			return err
		}
		out = itemOf(e)
		out.Draft = revisionOf(d)
		return nil
	})
	if err != nil {
		return Item{}, wrap("edit toolkit item", err)
	}
	return out, nil
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func sameRevision(d *ent.ToolkitRevision, e *ent.ToolkitItem) bool {
	return d.Title == e.Title && d.Summary == e.Summary &&
		reflect.DeepEqual(nonNil(d.Tags), nonNil(e.Tags)) && reflect.DeepEqual(d.Content, e.Content)
}

// Publish makes the draft the item's published revision (the revision
// before it is retired) and copies it onto the item record, which then
// reaches agents at their next sync. Without a draft it re-publishes a
// retired item's last revision, and otherwise changes nothing; so does a
// draft identical to the published revision (which is dropped).
func Publish(ctx context.Context, db *store.DB, id uuid.UUID, ifMatch int64) (Item, error) {
	if err := requireAdmin(ctx); err != nil {
		return Item{}, err
	}
	now := db.Now()
	var out Item
	err := db.WithTx(asServer(ctx), func(ctx context.Context, tx *ent.Tx) error {
		e, err := loadForWrite(ctx, tx, id, ifMatch)
		if err != nil {
			return err
		}
		d, err := draftOf(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case d == nil && e.Status == toolkititem.StatusRetired:
			return republish(ctx, tx, e, now, &out)
		case d == nil:
			out = itemOf(e)
			return nil
		case e.Status == toolkititem.StatusPublished && sameRevision(d, e):
			out = itemOf(e)
			return tx.ToolkitRevision.DeleteOne(d).Exec(ctx)
		}
		if errs := ValidateContent(string(e.Kind), d.Content); len(errs) > 0 {
			return apperr.Invalid("the draft is not valid", errs...)
		}
		if _, err := tx.ToolkitRevision.Update().
			Where(toolkitrevision.ItemID(id), toolkitrevision.StatusEQ(toolkitrevision.StatusPublished)).
			SetStatus(toolkitrevision.StatusRetired).SetUpdatedAt(now).Save(ctx); err != nil {
			return err
		}
		if err := d.Update().SetStatus(toolkitrevision.StatusPublished).SetPublishedAt(now).SetUpdatedAt(now).Exec(ctx); err != nil {
			return err
		}
		e, err = e.Update().SetStatus(toolkititem.StatusPublished).SetRevision(d.Number).
			SetTitle(d.Title).SetSummary(d.Summary).SetTags(nonNil(d.Tags)).SetContent(d.Content).
			SetPublishedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		out = itemOf(e)
		return nil
	})
	if err != nil {
		return Item{}, wrap("publish toolkit item", err)
	}
	return out, nil
}

func republish(ctx context.Context, tx *ent.Tx, e *ent.ToolkitItem, now time.Time, out *Item) error {
	if err := tx.ToolkitRevision.Update().
		Where(toolkitrevision.ItemID(e.ID), toolkitrevision.Number(e.Revision)).
		SetStatus(toolkitrevision.StatusPublished).SetPublishedAt(now).SetUpdatedAt(now).Exec(ctx); err != nil {
		return err
	}
	e, err := e.Update().SetStatus(toolkititem.StatusPublished).SetPublishedAt(now).SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return err
	}
	*out = itemOf(e)
	return nil
}

// Retire withdraws a published item from agents; its revisions are kept
// and a pending draft stays. Retiring a retired item changes nothing; an
// item never published cannot be retired (apperr.Conflict).
func Retire(ctx context.Context, db *store.DB, id uuid.UUID, ifMatch int64) (Item, error) {
	if err := requireAdmin(ctx); err != nil {
		return Item{}, err
	}
	now := db.Now()
	var out Item
	err := db.WithTx(asServer(ctx), func(ctx context.Context, tx *ent.Tx) error {
		e, err := loadForWrite(ctx, tx, id, ifMatch)
		if err != nil {
			return err
		}
		switch e.Status {
		case toolkititem.StatusRetired:
			out = itemOf(e)
			return nil
		case toolkititem.StatusDraft:
			return apperr.Conflict("the toolkit item was never published")
		}
		if _, err := tx.ToolkitRevision.Update().
			Where(toolkitrevision.ItemID(id), toolkitrevision.StatusEQ(toolkitrevision.StatusPublished)).
			SetStatus(toolkitrevision.StatusRetired).SetUpdatedAt(now).Save(ctx); err != nil {
			return err
		}
		if e, err = e.Update().SetStatus(toolkititem.StatusRetired).SetUpdatedAt(now).Save(ctx); err != nil {
			return err
		}
		out = itemOf(e)
		return nil
	})
	if err != nil {
		return Item{}, wrap("retire toolkit item", err)
	}
	return out, nil
}

// VersionsInput pages Versions.
type VersionsInput struct {
	Cursor string // the number of the last revision of the previous page
	Limit  int    // 1–500; 0 means 50
}

// RevisionPage is a page of revisions, newest first.
type RevisionPage struct {
	Items      []Revision
	NextCursor string
}

// Versions lists the revisions of an item that were ever published,
// newest first. Agents see them only for a published item.
func Versions(ctx context.Context, db *store.DB, id uuid.UUID, in VersionsInput) (RevisionPage, error) {
	if _, err := Get(ctx, db, id); err != nil {
		return RevisionPage{}, err
	}
	limit := in.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 1 || limit > 500:
		return RevisionPage{}, apperr.Invalid("limit out of range", fieldErr("limit", "range", "limit must be between 1 and 500"))
	}
	// Get decided that the caller sees the item; its published revisions
	// are public to whoever does (revisions are admin-only records).
	q := db.Client.ToolkitRevision.Query().Where(toolkitrevision.ItemID(id), toolkitrevision.PublishedAtNotNil())
	if in.Cursor != "" {
		var n int
		if _, err := fmt.Sscanf(in.Cursor, "%d", &n); err != nil || n < 1 {
			return RevisionPage{}, apperr.Invalid("bad cursor", fieldErr("cursor", "format", "cursor is not one this server returned"))
		}
		q.Where(toolkitrevision.NumberLT(n))
	}
	rows, err := q.Order(ent.Desc(toolkitrevision.FieldNumber)).Limit(limit + 1).All(auth.SystemContext(ctx))
	if err != nil {
		return RevisionPage{}, fmt.Errorf("list revisions of toolkit item %s: %w", id, err)
	}
	var page RevisionPage
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = fmt.Sprint(rows[limit-1].Number)
	}
	page.Items = make([]Revision, 0, len(rows))
	for _, r := range rows {
		page.Items = append(page.Items, *revisionOf(r))
	}
	return page, nil
}

// wrap keeps apperr errors as they are and adds context to the others.
func wrap(op string, err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	if ent.IsConstraintError(err) {
		// Two creates of one key or id raced past the existence check.
		return apperr.Wrap(apperr.KindConflict, "a toolkit item with this key or id exists", err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
