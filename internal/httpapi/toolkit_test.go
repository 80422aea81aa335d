package httpapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

func listToolkit(t *testing.T, e *apptest.Env, token, query string) []api.ToolkitItem {
	t.Helper()
	res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/toolkit/items" + query, Token: token})
	if res.Status != 200 {
		t.Fatalf("list toolkit: %d %s", res.Status, res.Body)
	}
	var page api.ToolkitItemPage
	res.JSON(t, &page)
	return page.Items
}

func hasItem(items []api.ToolkitItem, key string) bool {
	return slices.ContainsFunc(items, func(it api.ToolkitItem) bool { return it.Key == key })
}

func TestToolkitLifecycle(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newPlanBook(t, e)
		admin, agent := b.team.admin, b.team.agent1
		create := map[string]any{
			"key": "renewal-call", "kind": "script", "scenario": "renewal", "tier": "basic", "locale": "zh-CN",
			"title": "续保电话", "tags": []string{"续保"},
			"content": map[string]any{"sections": []map[string]any{{"title": "开场",
				"lines": []string{"{customer.title}您好，我是{agent.name}。", "您的保单 {policy.number} 将于 {policy.renewal_date} 续保，保费 {policy.premium}。", "{customer.hobby}"}}}},
		}
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/toolkit/items", Token: agent, Body: create})
		if res.Status != 403 {
			t.Errorf("an agent creates an item: %d", res.Status)
		}
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/toolkit/items", Token: admin, Body: create})
		if res.Status != 201 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var it api.ToolkitItem
		res.JSON(t, &it)
		tag := etagOf(t, res)
		if it.Status != "draft" || it.Revision != 0 || it.PublishedAt != nil || res.Header.Get("Location") != "/v1/toolkit/items/"+it.Id.String() {
			t.Errorf("created %+v", it)
		}
		path := "/v1/toolkit/items/" + it.Id.String()
		if res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/toolkit/items", Token: admin, Body: create}); res.Status != 409 {
			t.Errorf("a second item with the key: %d", res.Status)
		}
		bad := map[string]any{"key": "empty-script", "kind": "script", "scenario": "renewal", "tier": "basic", "locale": "zh-CN",
			"title": "空", "content": map[string]any{"body": "not a script"}}
		if res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/toolkit/items", Token: admin, Body: bad}); res.Status != 400 ||
			!strings.Contains(string(res.Body), `"field":"/content`) {
			t.Errorf("a script without sections: %d %s", res.Status, res.Body)
		}

		// A draft reaches no agent.
		if res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: agent}); res.Status != 404 {
			t.Errorf("agent reads a draft: %d", res.Status)
		}
		if hasItem(listToolkit(t, e, agent, ""), "renewal-call") || !hasItem(listToolkit(t, e, admin, "?status=draft"), "renewal-call") {
			t.Error("the draft is listed to agents, or not to admins")
		}

		publish := func(path, ifMatch string) apptest.Response {
			r := apptest.Request{Method: "POST", Path: path + "/publish", Token: admin}
			if ifMatch != "" {
				r.Header = map[string][]string{"If-Match": {ifMatch}}
			}
			return e.Do(t, r)
		}
		if res := publish(path, `"99"`); res.Status != 412 {
			t.Errorf("publish with a stale If-Match: %d", res.Status)
		}
		if res := e.Do(t, apptest.Request{Method: "POST", Path: path + "/publish", Token: agent}); res.Status != 403 {
			t.Errorf("an agent publishes: %d", res.Status)
		}
		res = publish(path, tag)
		res.JSON(t, &it)
		if res.Status != 200 || it.Status != "published" || it.Revision != 1 || it.PublishedAt == nil {
			t.Fatalf("publish: %d %+v", res.Status, it)
		}
		tag = etagOf(t, res)
		res = e.Do(t, apptest.Request{Method: "GET", Path: path, Token: agent})
		if res.Status != 200 || !hasItem(listToolkit(t, e, agent, "?scenario=renewal&kind=script&locale=zh-CN"), "renewal-call") {
			t.Errorf("agent after publish: %d", res.Status)
		}
		if hasItem(listToolkit(t, e, agent, "?scenario=complaint"), "renewal-call") {
			t.Error("the scenario filter lets another scenario through")
		}

		// The admin edits the draft; agents keep the published revision.
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: admin, Body: map[string]any{"title": "续保电话（新版）"},
			Header: map[string][]string{"If-Match": {`"1"`}}})
		if res.Status != 412 {
			t.Errorf("edit with a stale If-Match: %d", res.Status)
		}
		res = e.Do(t, apptest.Request{Method: "PATCH", Path: path, Token: admin, Body: map[string]any{"title": "续保电话（新版）"},
			Header: map[string][]string{"If-Match": {tag}}})
		res.JSON(t, &it)
		if res.Status != 200 || it.Title != "续保电话（新版）" || it.Status != "draft" {
			t.Fatalf("edit: %d %+v", res.Status, it)
		}
		e.Do(t, apptest.Request{Method: "GET", Path: path, Token: agent}).JSON(t, &it)
		if it.Title != "续保电话" || it.Status != "published" {
			t.Errorf("agent sees %q (%s) while a draft is pending", it.Title, it.Status)
		}
		e.Do(t, apptest.Request{Method: "GET", Path: path, Token: admin}).JSON(t, &it)
		if it.Title != "续保电话（新版）" {
			t.Errorf("admin sees %q, want the draft", it.Title)
		}
		res = publish(path, "")
		res.JSON(t, &it)
		if res.Status != 200 || it.Revision != 2 || it.Title != "续保电话（新版）" {
			t.Fatalf("second publish: %d %+v", res.Status, it)
		}
		var revs api.ToolkitItemRevisionPage
		e.Do(t, apptest.Request{Method: "GET", Path: path + "/versions", Token: agent}).JSON(t, &revs)
		if len(revs.Items) != 2 || revs.Items[0].Revision != 2 || revs.Items[1].RetiredAt == nil || revs.Items[0].RetiredAt != nil {
			t.Errorf("revisions = %+v", revs.Items)
		}
		e.Do(t, apptest.Request{Method: "GET", Path: path + "/versions?limit=1", Token: agent}).JSON(t, &revs)
		if len(revs.Items) != 1 || revs.NextCursor == nil {
			t.Fatalf("first page of revisions: %+v", revs)
		}
		e.Do(t, apptest.Request{Method: "GET", Path: path + "/versions?limit=1&cursor=" + *revs.NextCursor, Token: agent}).JSON(t, &revs)
		if len(revs.Items) != 1 || revs.Items[0].Revision != 1 || revs.NextCursor != nil {
			t.Errorf("second page of revisions: %+v", revs)
		}

		// Rendering for a customer and one of the customer's policies.
		render := "/render?customer_id=" + b.wang.ID.String() + "&policy_id=" + b.policy.ID.String()
		res = e.Do(t, apptest.Request{Method: "GET", Path: path + render, Token: agent})
		var r api.RenderedToolkitItem
		res.JSON(t, &r)
		if res.Status != 200 || r.Revision != 2 || r.Locale != "zh-CN" || r.Content.Sections == nil {
			t.Fatalf("render: %d %s", res.Status, res.Body)
		}
		lines := (*r.Content.Sections)[0].Lines
		if want := "您的保单 " + b.policy.Number + " 将于 2027-11-25 续保，保费 3,600.00 元。"; lines[1] != want {
			t.Errorf("line = %q, want %q", lines[1], want)
		}
		if !strings.HasPrefix(lines[0], "王芳您好，我是agent1") {
			t.Errorf("line = %q", lines[0])
		}
		if r.UnresolvedPlaceholders == nil || !slices.Equal(*r.UnresolvedPlaceholders, []string{"{customer.hobby}"}) {
			t.Errorf("unresolved = %v", r.UnresolvedPlaceholders)
		}
		res = e.Do(t, apptest.Request{Method: "GET", Path: path + "/render?customer_id=" + b.wang.ID.String() + "&locale=en", Token: agent})
		res.JSON(t, &r)
		if res.Status != 200 || r.Locale != "en" || !slices.Contains(*r.UnresolvedPlaceholders, "{policy.number}") {
			t.Errorf("render without a policy: %d %+v", res.Status, r)
		}
		for _, c := range []struct {
			name, query string
			want        int
		}{
			{"another team's customer", "/render?customer_id=" + b.other.ID.String(), 404},
			{"a policy of another customer", "/render?customer_id=" + b.other.ID.String() + "&policy_id=" + b.policy.ID.String(), 404},
			{"no customer", "/render", 400},
		} {
			if res := e.Do(t, apptest.Request{Method: "GET", Path: path + c.query, Token: agent}); res.Status != c.want {
				t.Errorf("%s: %d, want %d", c.name, res.Status, c.want)
			}
		}
		other := b.seed.Customer(b.agent1, apptest.Start, nil)
		if res := e.Do(t, apptest.Request{Method: "GET", Path: path + "/render?customer_id=" + other.ID.String() + "&policy_id=" + b.policy.ID.String(),
			Token: agent}); res.Status != 400 || !strings.Contains(string(res.Body), `"field":"policy_id"`) {
			t.Errorf("a policy of another customer of the book: %d %s", res.Status, res.Body)
		}

		// Retiring withdraws it from agents; publishing again brings it back.
		res = e.Do(t, apptest.Request{Method: "POST", Path: path + "/retire", Token: admin})
		res.JSON(t, &it)
		if res.Status != 200 || it.Status != "retired" {
			t.Fatalf("retire: %d %s", res.Status, res.Body)
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: path, Token: agent}); res.Status != 404 {
			t.Errorf("agent reads a retired item: %d", res.Status)
		}
		if hasItem(listToolkit(t, e, agent, ""), "renewal-call") || !hasItem(listToolkit(t, e, admin, "?status=retired"), "renewal-call") {
			t.Error("the retired item is listed to agents, or not to admins")
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: path + render, Token: agent}); res.Status != 404 {
			t.Errorf("render a retired item: %d", res.Status)
		}
		res = publish(path, etagOf(t, res))
		res.JSON(t, &it)
		if res.Status != 200 || it.Status != "published" || it.Revision != 2 {
			t.Errorf("publish again: %d %+v", res.Status, it)
		}

		// Integrators have no toolkit.
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/toolkit/items", Token: e.IntegratorToken(t, "crm", "customers:read")}); res.Status != 403 {
			t.Errorf("integrator lists the toolkit: %d", res.Status)
		}
	})
}
