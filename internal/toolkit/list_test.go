package toolkit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/toolkitusage"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

func TestListPagesAndFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := admin()
		for i, sc := range []string{"renewal", "complaint", "renewal", "care_birthday", "renewal"} {
			in := renewalScript()
			in.Key, in.Scenario = fmt.Sprintf("item-%d", i), sc
			if i == 3 {
				in.Locale = "en"
			}
			it, err := toolkit.Create(ctx, db, in)
			if err != nil {
				t.Fatal(err)
			}
			if i != 4 {
				if _, err := toolkit.Publish(ctx, db, it.ID, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
		var keys []string
		for cursor := ""; ; {
			page, err := toolkit.List(agent(), db, toolkit.ListInput{Cursor: cursor, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				keys = append(keys, it.Scenario+"/"+it.Key)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if diff := cmp.Diff([]string{"care_birthday/item-3", "complaint/item-1", "renewal/item-0", "renewal/item-2"}, keys); diff != "" {
			t.Errorf("agent's pages mismatch (-want +got):\n%s", diff)
		}
		filtered := func(in toolkit.ListInput) int {
			t.Helper()
			page, err := toolkit.List(ctx, db, in)
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Items)
		}
		since := time.Now().Add(-time.Hour)
		for name, c := range map[string]struct {
			in   toolkit.ListInput
			want int
		}{
			"scenario": {toolkit.ListInput{Scenario: "renewal"}, 3},
			"locale":   {toolkit.ListInput{Locale: "en"}, 1},
			"kind":     {toolkit.ListInput{Kind: "checklist"}, 0},
			"tier":     {toolkit.ListInput{Tier: "basic"}, 5},
			"drafts":   {toolkit.ListInput{Status: "draft"}, 1},
			"since":    {toolkit.ListInput{UpdatedSince: &since}, 5},
		} {
			if got := filtered(c.in); got != c.want {
				t.Errorf("%s: %d items, want %d", name, got, c.want)
			}
		}
		for _, bad := range []toolkit.ListInput{{Limit: 501}, {Cursor: "!!"}, {Status: "lost"}} {
			if _, err := toolkit.List(ctx, db, bad); apperr.KindOf(err) != apperr.KindInvalid {
				t.Errorf("List(%+v): %v", bad, err)
			}
		}
		ids, err := toolkit.PublishedIDs(auth.SystemContext(ctx), db.Client)
		if err != nil || len(ids) != 4 {
			t.Errorf("PublishedIDs = %v, %v", ids, err)
		}
	})
}

func TestRecordUsage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		it, err := toolkit.Create(admin(), db, renewalScript())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := toolkit.Publish(admin(), db, it.ID, 0); err != nil {
			t.Fatal(err)
		}
		interaction := uuid.New()
		record := func(ids ...uuid.UUID) error {
			return db.WithTx(auth.SystemContext(admin()), func(ctx context.Context, tx *ent.Tx) error {
				return toolkit.RecordUsage(ctx, tx, toolkit.Usage{ItemIDs: ids, InteractionID: &interaction, At: time.Now()})
			})
		}
		if err := record(it.ID, it.ID); err != nil {
			t.Fatal(err)
		}
		if err := record(it.ID); err != nil {
			t.Fatal(err)
		}
		err = record(uuid.New())
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid || e.Fields[0].Field != "/toolkit_item_ids/0" {
			t.Errorf("unknown item: %v", err)
		}
		n, err := db.Client.ToolkitUsage.Query().Where(toolkitusage.InteractionID(interaction)).Count(admin())
		if err != nil || n != 1 {
			t.Errorf("%d uses recorded, %v; want 1", n, err)
		}
	})
}
