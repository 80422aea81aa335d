package httpapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

// recordBook is one agent's customer with a record of every kind under it.
type recordBook struct {
	customer, policy, interaction, complaint, claim, task string
}

func makeRecordBook(t *testing.T, e *apptest.Env, token, name string) recordBook {
	t.Helper()
	var b recordBook
	post := func(path string, body map[string]any) string {
		t.Helper()
		res := e.Do(t, apptest.Request{Method: "POST", Path: path, Token: token, Body: body})
		if res.Status != 201 {
			t.Fatalf("fixture POST %s: %d %s", path, res.Status, res.Body)
		}
		var out struct {
			ID string `json:"id"`
		}
		res.JSON(t, &out)
		return out.ID
	}
	b.customer = post("/v1/customers", map[string]any{"name": name})
	cid := uuid.MustParse(b.customer)
	err := e.App.DB.WithTx(apptest.Sys(), func(ctx context.Context, tx *ent.Tx) error {
		p, err := tx.InsurancePolicy.Create().SetCustomerID(cid).SetNumber("P" + b.customer[:8] + name).
			SetLine(insurancepolicy.LineLife).SetPremiumCents(100000).SetStartDate(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)).Save(ctx)
		if err == nil {
			b.policy = p.ID.String()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.interaction = post("/v1/customers/"+b.customer+"/interactions", map[string]any{"channel": "phone", "type": "consultation", "content": "咨询等待期"})
	b.complaint = post("/v1/complaints", map[string]any{"customer_id": b.customer, "category": "service_attitude", "summary": "态度不好"})
	b.claim = post("/v1/claims", map[string]any{"customer_id": b.customer, "policy_id": b.policy, "description": "住院"})
	b.task = post("/v1/tasks", map[string]any{"customer_id": b.customer, "title": "回访", "due_at": e.Clock.Now().Add(24 * time.Hour)})
	return b
}

// TestAuthorizationMatrixRecords: every kind of record of a recordBook, read by
// every kind of caller, inside and outside their scope.
func TestAuthorizationMatrixRecords(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		own, other := makeRecordBook(t, e, tm.agent1, "王芳"), makeRecordBook(t, e, tm.agent3, "赵敏")
		callers := map[string]string{
			"agent1": tm.agent1, "agent3": tm.agent3, "lead1": tm.lead1, "admin": tm.admin,
			"int:all":  e.IntegratorToken(t, "dp", "customers:read", "interactions:read", "complaints:read", "claims:read", "tasks:read", "policies:read"),
			"int:none": e.IntegratorToken(t, "dp", "devices:write"),
		}
		// Team A's recordBook: visible to agent1, lead1, admin, integrators with the scope.
		inA := map[string]int{"agent1": 200, "agent3": 404, "lead1": 200, "admin": 200, "int:all": 200, "int:none": 403}
		inB := map[string]int{"agent1": 404, "agent3": 200, "lead1": 404, "admin": 200, "int:all": 200, "int:none": 403}
		paths := func(b recordBook) []string {
			return []string{
				"/v1/customers/" + b.customer + "/portrait",
				"/v1/customers/" + b.customer + "/service-plan",
				"/v1/customers/" + b.customer + "/interactions",
				"/v1/policies/" + b.policy,
				"/v1/interactions/" + b.interaction,
				"/v1/complaints/" + b.complaint,
				"/v1/claims/" + b.claim,
				"/v1/tasks/" + b.task,
			}
		}
		for i, set := range []struct {
			b    recordBook
			want map[string]int
		}{{own, inA}, {other, inB}} {
			for _, p := range paths(set.b) {
				for caller, want := range set.want {
					t.Run(fmt.Sprintf("recordBook%d %s as %s", i, p, caller), func(t *testing.T) {
						res := e.Do(t, apptest.Request{Method: "GET", Path: p, Token: callers[caller]})
						if res.Status != want {
							t.Errorf("status %d, want %d: %.200s", res.Status, want, res.Body)
						}
					})
				}
			}
		}
	})
}
