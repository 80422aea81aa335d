package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

func changeLogSize(t *testing.T, e *apptest.Env) int {
	t.Helper()
	return e.App.DB.Client.ChangeLog.Query().CountX(apptest.Sys())
}

func policyBody(customerExt, number string, premium int) map[string]any {
	return map[string]any{"customer_external_id": customerExt, "number": number, "product_code": "CI-2024-A",
		"product_name": "安康重大疾病保险", "line": "critical_illness", "premium_cents": premium,
		"payment_frequency": "annual", "start_date": "2024-03-20", "status": "active", "next_premium_due_date": "2026-03-20"}
}

func TestIntegrationUpserts(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		pas := e.IntegratorToken(t, "pas", "customers:write", "policies:write")
		put := func(path string, body any, h http.Header) apptest.Response {
			return e.Do(t, apptest.Request{Method: "PUT", Path: path, Token: pas, Body: body, Header: h})
		}
		cust := map[string]any{"name": "王芳", "phone": "139 1234 5678", "id_number": testID, "agent_username": "agent1",
			"tags": []string{"续保关注"}, "family": map[string]any{"spouse": true}, "consent": map[string]any{"push": true}}

		res := put("/v1/integrations/customers/C1", cust, nil)
		if res.Status != 201 || res.Header.Get("AgentDesk-Upsert-Result") != "created" || res.Header.Get("ETag") != `"1"` {
			t.Fatalf("create: %d %v %s", res.Status, res.Header, res.Body)
		}
		var c api.Customer
		res.JSON(t, &c)
		if c.AgentId == nil || *c.AgentId != tm.ids["agent1"] {
			t.Fatalf("agent = %v", c.AgentId)
		}
		if s := string(res.Body); strings.Contains(s, testPhone) || strings.Contains(s, testID) {
			t.Errorf("the integrator got unmasked personal data: %s", s)
		}
		// Replaying changes nothing: same version, no change-log entry.
		before := changeLogSize(t, e)
		res = put("/v1/integrations/customers/C1", cust, nil)
		if res.Status != 200 || res.Header.Get("AgentDesk-Upsert-Result") != "unchanged" || res.Header.Get("ETag") != `"1"` {
			t.Fatalf("replay: %d %v %s", res.Status, res.Header, res.Body)
		}
		if n := changeLogSize(t, e); n != before {
			t.Errorf("a replay grew the change log from %d to %d", before, n)
		}
		// A change updates; a stale If-Match is refused.
		cust["occupation"] = "教师"
		res = put("/v1/integrations/customers/C1", cust, http.Header{"If-Match": {`"1"`}})
		if res.Status != 200 || res.Header.Get("AgentDesk-Upsert-Result") != "updated" || res.Header.Get("ETag") != `"2"` {
			t.Fatalf("update: %d %v %s", res.Status, res.Header, res.Body)
		}
		cust["occupation"] = "医生"
		if res = put("/v1/integrations/customers/C1", cust, http.Header{"If-Match": {`"1"`}}); res.Status != 412 {
			t.Fatalf("stale If-Match: %d %s", res.Status, res.Body)
		}
		if res = put("/v1/integrations/customers/C1", map[string]any{"name": "王芳", "agent_username": "nobody"}, nil); res.Status != 400 ||
			!strings.Contains(string(res.Body), "/agent_username") {
			t.Fatalf("unknown agent: %d %s", res.Status, res.Body)
		}

		// Policies name their holder by external id.
		res = put("/v1/integrations/policies/P1", policyBody("C1", "NO-1", 856000), nil)
		if res.Status != 201 || res.Header.Get("AgentDesk-Upsert-Result") != "created" {
			t.Fatalf("policy create: %d %s", res.Status, res.Body)
		}
		var p api.Policy
		res.JSON(t, &p)
		if p.CustomerId != c.Id {
			t.Errorf("policy holder = %v, want %v", p.CustomerId, c.Id)
		}
		before = changeLogSize(t, e)
		res = put("/v1/integrations/policies/P1", policyBody("C1", "NO-1", 856000), nil)
		if res.Status != 200 || res.Header.Get("AgentDesk-Upsert-Result") != "unchanged" || res.Header.Get("ETag") != `"1"` {
			t.Fatalf("policy replay: %d %v", res.Status, res.Header)
		}
		if n := changeLogSize(t, e); n != before {
			t.Errorf("a policy replay grew the change log from %d to %d", before, n)
		}
		res = put("/v1/integrations/policies/P1", policyBody("C1", "NO-1", 900000), http.Header{"If-Match": {`"1"`}})
		if res.Status != 200 || res.Header.Get("AgentDesk-Upsert-Result") != "updated" || res.Header.Get("ETag") != `"2"` {
			t.Fatalf("policy update: %d %v %s", res.Status, res.Header, res.Body)
		}
		if res = put("/v1/integrations/policies/P1", policyBody("C1", "NO-1", 1), http.Header{"If-Match": {`"1"`}}); res.Status != 412 {
			t.Fatalf("policy stale If-Match: %d", res.Status)
		}
		res = put("/v1/integrations/policies/P2", policyBody("C-unknown", "NO-2", 1), nil)
		if res.Status != 400 || !strings.Contains(string(res.Body), "/customer_external_id") {
			t.Fatalf("unknown holder: %d %s", res.Status, res.Body)
		}

		// Scopes.
		crm := e.IntegratorToken(t, "crm", "customers:read")
		if res = e.Do(t, apptest.Request{Method: "PUT", Path: "/v1/integrations/customers/C9", Token: crm, Body: cust}); res.Status != 403 {
			t.Errorf("customers:read upsert: %d", res.Status)
		}
		custOnly := e.IntegratorToken(t, "crm2", "customers:write")
		if res = e.Do(t, apptest.Request{Method: "PUT", Path: "/v1/integrations/policies/P9", Token: custOnly,
			Body: policyBody("C1", "NO-9", 1)}); res.Status != 403 {
			t.Errorf("customers:write policy upsert: %d", res.Status)
		}
		if res = e.Do(t, apptest.Request{Method: "PUT", Path: "/v1/integrations/customers/C9", Token: tm.agent1, Body: cust}); res.Status != 403 {
			t.Errorf("agent upsert: %d", res.Status)
		}
	})
}

func TestIntegrationBatch(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		newTeam(t, e)
		pas := e.IntegratorToken(t, "pas", "customers:write", "policies:write")
		items := []map[string]any{
			{"kind": "customer", "external_id": "C1", "data": map[string]any{"name": "王芳", "agent_username": "agent1"}},
			{"kind": "customer", "external_id": "C2", "data": map[string]any{"phone": "139"}},
			{"kind": "policy", "external_id": "P1", "data": policyBody("C1", "NO-1", 100)},
			{"kind": "policy", "external_id": "P2", "data": policyBody("C-none", "NO-2", 100)},
			{"kind": "customer", "external_id": "C3", "data": map[string]any{"name": "李雷", "shoe_size": 42}},
		}
		key := http.Header{"Idempotency-Key": {"batch-1"}}
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/integrations/batch", Token: pas, Body: map[string]any{"items": items}, Header: key})
		if res.Status != 200 {
			t.Fatalf("batch: %d %s", res.Status, res.Body)
		}
		var got api.BatchResult
		res.JSON(t, &got)
		statuses := func(r api.BatchResult) []string {
			var s []string
			for _, it := range r.Results {
				f := ""
				if it.Error != nil && it.Error.Errors != nil {
					f = (*it.Error.Errors)[0].Field
				}
				s = append(s, string(it.Status)+f)
			}
			return s
		}
		want := []string{"created", "rejected/data/name", "created", "rejected/data/customer_external_id", "rejected/data/shoe_size"}
		if d := cmp.Diff(want, statuses(got)); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
		if got.Counts != (api.BatchCounts{Created: 2, Rejected: 3}) {
			t.Errorf("counts = %+v", got.Counts)
		}
		// The same key and body: the stored result.
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/integrations/batch", Token: pas, Body: map[string]any{"items": items}, Header: key})
		var again api.BatchResult
		res.JSON(t, &again)
		if res.Status != 200 || again.BatchId != got.BatchId || !cmp.Equal(statuses(again), want) {
			t.Errorf("replay: %d %s", res.Status, res.Body)
		}
		// The same key, another body: 409.
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/integrations/batch", Token: pas, Body: map[string]any{"items": items[:1]}, Header: key})
		if res.Status != 409 {
			t.Errorf("reused key: %d %s", res.Status, res.Body)
		}

		// NDJSON, without a key: the loaded rows are unchanged now.
		nd := `{"kind":"customer","external_id":"C1","data":{"name":"王芳","agent_username":"agent1"}}` + "\n\n" +
			`{"kind":"policy","external_id":"P1","data":{"customer_external_id":"C1","number":"NO-1","product_code":"CI-2024-A","product_name":"安康重大疾病保险","line":"critical_illness","premium_cents":100,"payment_frequency":"annual","start_date":"2024-03-20","status":"active","next_premium_due_date":"2026-03-20"}}` + "\n" +
			`{"kind":"customer","external_id":"C4","data":{"name":"韩梅梅","gender":"robot"}}` + "\n"
		before := changeLogSize(t, e)
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/integrations/batch", Token: pas, Body: nd,
			Header: http.Header{"Content-Type": {"application/x-ndjson"}}})
		if res.Status != 200 {
			t.Fatalf("ndjson: %d %s", res.Status, res.Body)
		}
		got = api.BatchResult{}
		res.JSON(t, &got)
		if d := cmp.Diff([]string{"unchanged", "unchanged", "rejected/data/gender"}, statuses(got)); d != "" {
			t.Errorf("ndjson statuses (-want +got):\n%s", d)
		}
		if n := changeLogSize(t, e); n != before {
			t.Errorf("an unchanged batch grew the change log from %d to %d", before, n)
		}
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/integrations/batch", Token: pas, Body: "not json\n",
			Header: http.Header{"Content-Type": {"application/x-ndjson"}}})
		if res.Status != 400 {
			t.Errorf("bad ndjson: %d %s", res.Status, res.Body)
		}

		// Items beyond the client's scopes are rejected one by one.
		crm := e.IntegratorToken(t, "crm", "customers:write")
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/integrations/batch", Token: crm, Body: map[string]any{"items": items[2:3]}})
		got = api.BatchResult{}
		res.JSON(t, &got)
		if res.Status != 200 || got.Results[0].Status != "rejected" || got.Results[0].Error.Status != 403 {
			t.Errorf("out of scope: %d %s", res.Status, res.Body)
		}
	})
}

func TestIntegrationChanges(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		pas := e.IntegratorToken(t, "pas", "customers:write", "policies:write")
		e.Do(t, apptest.Request{Method: "PUT", Path: "/v1/integrations/customers/C1", Token: pas, Body: map[string]any{"name": "王芳"}})
		e.Do(t, apptest.Request{Method: "PUT", Path: "/v1/integrations/policies/P1", Token: pas, Body: policyBody("C1", "NO-1", 1)})

		reader := e.IntegratorToken(t, "dp", "policies:read")
		var feed api.ChangeFeed
		res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/integrations/changes?limit=1", Token: reader})
		res.JSON(t, &feed)
		if res.Status != 200 || len(feed.Changes) != 1 || feed.Changes[0].Collection != "policies" {
			t.Fatalf("policies feed: %d %s", res.Status, res.Body)
		}
		// Nothing after the cursor yet; the cursor stays put.
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/integrations/changes?cursor=" + feed.Cursor, Token: reader})
		var next api.ChangeFeed
		res.JSON(t, &next)
		if res.Status != 200 || len(next.Changes) != 0 || next.HasMore || next.Cursor != feed.Cursor {
			t.Fatalf("after cursor: %d %s", res.Status, res.Body)
		}
		// A new version appears after the cursor.
		e.Do(t, apptest.Request{Method: "PUT", Path: "/v1/integrations/policies/P1", Token: pas, Body: policyBody("C1", "NO-1", 2)})
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/integrations/changes?cursor=" + feed.Cursor, Token: reader})
		next = api.ChangeFeed{}
		res.JSON(t, &next)
		if len(next.Changes) != 1 || next.Changes[0].Version != 2 {
			t.Fatalf("new version: %s", res.Body)
		}
		n := e.App.DB.Client.ChangeLog.Query().Where(changelog.Collection("customers")).CountX(apptest.Sys())
		if n == 0 {
			t.Fatal("no customer change logged")
		}
		// Customers are out of the reader's scopes: asked for, left out; alone, 403.
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/integrations/changes?collections=customers", Token: reader})
		if res.Status != 403 {
			t.Errorf("customers only: %d %s", res.Status, res.Body)
		}
		if res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/integrations/changes?cursor=bogus", Token: reader}); res.Status != 400 {
			t.Errorf("bad cursor: %d", res.Status)
		}

		// Claims are in the feed for claims:read.
		var cust api.Customer
		e.Do(t, apptest.Request{Method: "PUT", Path: "/v1/integrations/customers/C2", Token: pas,
			Body: map[string]any{"name": "李雷", "agent_username": "agent1"}}).JSON(t, &cust)
		var pol api.Policy
		e.Do(t, apptest.Request{Method: "PUT", Path: "/v1/integrations/policies/P2", Token: pas, Body: policyBody("C2", "NO-2", 1)}).JSON(t, &pol)
		res = e.Do(t, apptest.Request{Method: "POST", Path: "/v1/claims", Token: tm.agent1,
			Body: map[string]any{"customer_id": cust.Id, "policy_id": pol.Id, "description": "住院"}})
		if res.Status != 201 {
			t.Fatalf("file a claim: %d %s", res.Status, res.Body)
		}
		var claim api.Claim
		res.JSON(t, &claim)
		claims := e.IntegratorToken(t, "dp2", "claims:read")
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/integrations/changes?collections=claims", Token: claims})
		feed = api.ChangeFeed{}
		res.JSON(t, &feed)
		if res.Status != 200 || len(feed.Changes) != 1 || feed.Changes[0].Collection != api.ChangeFeedCollectionClaims ||
			feed.Changes[0].Id != claim.Id {
			t.Fatalf("claims feed: %d %s", res.Status, res.Body)
		}
		// Without collections: only what claims:read reads.
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/integrations/changes", Token: claims})
		feed = api.ChangeFeed{}
		res.JSON(t, &feed)
		if res.Status != 200 || len(feed.Changes) != 1 {
			t.Fatalf("claims reader's feed: %d %s", res.Status, res.Body)
		}
	})
}
