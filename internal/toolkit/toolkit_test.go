package toolkit_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

func admin() context.Context {
	return auth.WithViewer(context.Background(),
		&auth.Viewer{Kind: auth.KindAgent, Role: auth.RoleAdmin, AgentID: uuid.MustParse("01958f3c-2a10-7c3e-8b21-4d5e6f708001")})
}

func agent() context.Context {
	return auth.WithViewer(context.Background(), &auth.Viewer{Kind: auth.KindAgent, Role: auth.RoleAgent, AgentID: uuid.New()})
}

func agentOf(a *ent.Agent) context.Context {
	return auth.WithViewer(context.Background(), &auth.Viewer{Kind: auth.KindAgent, Role: auth.RoleAgent, AgentID: a.ID})
}

func script(lines ...string) domain.ToolkitContent {
	return domain.ToolkitContent{Sections: []domain.ScriptSection{{Title: "开场", Lines: lines}}}
}

func renewalScript() toolkit.CreateInput {
	return toolkit.CreateInput{Key: "renewal-script", Kind: "script", Scenario: "renewal", Title: "续保话术",
		Tags: []string{"续保"}, Content: script("{customer.name}您好，您的保单 {policy.number} 将于 {policy.renewal_date} 续保。")}
}

func visibleToAgents(t *testing.T, db *store.DB) []string {
	t.Helper()
	page, err := toolkit.List(agent(), db, toolkit.ListInput{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range page.Items {
		keys = append(keys, it.Key)
	}
	return keys
}

func TestLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := admin()
		if _, err := toolkit.Create(agent(), db, renewalScript()); apperr.KindOf(err) != apperr.KindForbidden {
			t.Errorf("agent creates: %v", err)
		}
		it, err := toolkit.Create(ctx, db, renewalScript())
		if err != nil {
			t.Fatal(err)
		}
		if it.Status != "draft" || it.Revision != 0 || it.Draft == nil || it.Draft.Number != 1 {
			t.Fatalf("created = %+v", it)
		}
		if _, err := toolkit.Create(ctx, db, renewalScript()); apperr.KindOf(err) != apperr.KindConflict {
			t.Errorf("duplicate key: %v", err)
		}

		// Agents never see drafts.
		if keys := visibleToAgents(t, db); len(keys) != 0 {
			t.Errorf("agents see %v before publishing", keys)
		}
		if _, err := toolkit.Get(agent(), db, it.ID); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("agent gets a draft: %v", err)
		}
		if _, err := toolkit.Retire(ctx, db, it.ID, 0); apperr.KindOf(err) != apperr.KindConflict {
			t.Errorf("retire a draft: %v", err)
		}

		// Edit the draft in place, with If-Match.
		title := "续保提醒话术"
		if _, err := toolkit.Edit(ctx, db, it.ID, it.Version+1, toolkit.EditInput{Title: &title}); apperr.KindOf(err) != apperr.KindPreconditionFailed {
			t.Errorf("stale If-Match: %v", err)
		}
		it, err = toolkit.Edit(ctx, db, it.ID, it.Version, toolkit.EditInput{Title: &title})
		if err != nil || it.Draft.Number != 1 || it.Draft.Title != title || it.Title != title {
			t.Fatalf("edit draft = %+v, %v", it, err)
		}

		// Publish revision 1.
		it, err = toolkit.Publish(ctx, db, it.ID, it.Version)
		if err != nil || it.Status != "published" || it.Revision != 1 || it.PublishedAt == nil {
			t.Fatalf("publish = %+v, %v", it, err)
		}
		if diff := cmp.Diff([]string{"renewal-script"}, visibleToAgents(t, db)); diff != "" {
			t.Errorf("agents see (-want +got):\n%s", diff)
		}

		// A new draft does not reach agents until published.
		content := script("{customer.title}您好，续保日期是 {policy.renewal_date}。")
		it, err = toolkit.Edit(ctx, db, it.ID, it.Version, toolkit.EditInput{Content: &content})
		if err != nil || it.Draft == nil || it.Draft.Number != 2 {
			t.Fatalf("second draft = %+v, %v", it, err)
		}
		seen, err := toolkit.Get(agent(), db, it.ID)
		if err != nil || seen.Revision != 1 || seen.Draft != nil || seen.Content.Sections[0].Lines[0] == content.Sections[0].Lines[0] {
			t.Errorf("agent sees %+v, %v", seen, err)
		}
		if eff := it.Effective(); eff.Status != "draft" || eff.Content.Sections[0].Lines[0] != content.Sections[0].Lines[0] {
			t.Errorf("admin view = %+v", eff)
		}
		it, err = toolkit.Publish(ctx, db, it.ID, 0)
		if err != nil || it.Revision != 2 || it.Content.Sections[0].Lines[0] != content.Sections[0].Lines[0] {
			t.Fatalf("publish 2 = %+v, %v", it, err)
		}
		// Publishing without a draft changes nothing.
		same, err := toolkit.Publish(ctx, db, it.ID, 0)
		if err != nil || same.Version != it.Version {
			t.Errorf("publish without a draft: version %d → %d, %v", it.Version, same.Version, err)
		}

		vs, err := toolkit.Versions(agent(), db, it.ID, toolkit.VersionsInput{})
		if err != nil || len(vs.Items) != 2 || vs.Items[0].Number != 2 || vs.Items[0].Status != "published" ||
			vs.Items[1].Status != "retired" || vs.Items[1].RetiredAt == nil {
			t.Errorf("versions = %+v, %v", vs, err)
		}

		// Retire: gone from agents; publish brings it back.
		it, err = toolkit.Retire(ctx, db, it.ID, it.Version)
		if err != nil || it.Status != "retired" {
			t.Fatalf("retire = %+v, %v", it, err)
		}
		if keys := visibleToAgents(t, db); len(keys) != 0 {
			t.Errorf("agents see %v after retiring", keys)
		}
		if _, err := toolkit.Get(agent(), db, it.ID); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("agent gets a retired item: %v", err)
		}
		admins, err := toolkit.List(ctx, db, toolkit.ListInput{Status: "retired"})
		if err != nil || len(admins.Items) != 1 {
			t.Errorf("admin lists retired: %+v, %v", admins, err)
		}
		it, err = toolkit.Publish(ctx, db, it.ID, it.Version)
		if err != nil || it.Status != "published" || it.Revision != 2 {
			t.Errorf("republish = %+v, %v", it, err)
		}
	})
}

func TestCreateValidates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := renewalScript()
		in.Key = "Renewal Script"
		in.Kind = "checklist"
		_, err := toolkit.Create(admin(), db, in)
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.KindInvalid {
			t.Fatalf("Create = %v", err)
		}
		var fields []string
		for _, f := range e.Fields {
			fields = append(fields, f.Field)
		}
		if diff := cmp.Diff([]string{"/key", "/content/sections", "/content/items"}, fields); diff != "" {
			t.Errorf("field errors mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestCacheFollowsChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := admin()
		cache := toolkit.NewCache(db)
		k0, items, err := cache.Published(context.Background())
		if err != nil || len(items) != 0 {
			t.Fatalf("empty cache = %d, %v, %v", k0, items, err)
		}
		it, err := toolkit.Create(ctx, db, renewalScript())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := toolkit.Publish(ctx, db, it.ID, 0); err != nil {
			t.Fatal(err)
		}
		k1, items, err := cache.Published(context.Background())
		if err != nil || k1 == k0 || len(items) != 1 || items[0].Key != "renewal-script" {
			t.Fatalf("after publish = %d, %+v, %v", k1, items, err)
		}
		k2, again, err := cache.Published(context.Background())
		if err != nil || k2 != k1 || &again[0] != &items[0] {
			t.Errorf("unchanged toolkit was reloaded")
		}
		if _, err := toolkit.Retire(ctx, db, it.ID, 0); err != nil {
			t.Fatal(err)
		}
		if k3, items, err := cache.Published(context.Background()); err != nil || k3 == k2 || len(items) != 0 {
			t.Errorf("after retire = %d, %+v, %v", k3, items, err)
		}
	})
}
