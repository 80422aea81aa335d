package httpapi_test

import (
	"testing"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

func TestAuditTrail(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/customers", Token: tm.agent1, Body: map[string]any{"name": "王芳", "phone": testPhone}})
		var c api.Customer
		res.JSON(t, &c)
		e.Do(t, apptest.Request{Method: "GET", Path: "/v1/customers/" + c.Id.String(), Token: tm.agent1})
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/audit", Token: tm.agent1}); res.Status != 403 {
			t.Errorf("agent reads the audit trail: %d", res.Status)
		}
		var page api.AuditPage
		res = e.Do(t, apptest.Request{Method: "GET", Path: "/v1/audit?subject_id=" + c.Id.String(), Token: tm.admin})
		if res.Status != 200 {
			t.Fatalf("admin audit: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &page)
		found := false
		for _, it := range page.Items {
			if it.Action == "pii.read" && it.ActorId != nil && *it.ActorId == tm.ids["agent1"] && len(it.Fields) > 0 && it.RequestId != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("no pii.read entry for agent1's read: %+v", page.Items)
		}
	})
}
