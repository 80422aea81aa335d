package plan_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/portrait/portraittest"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func adminCtx() context.Context {
	return auth.WithViewer(context.Background(), &auth.Viewer{Kind: auth.KindAgent, Role: auth.RoleAdmin})
}

func rulesVersion(t *testing.T, db *store.DB) int64 {
	t.Helper()
	v, err := plan.RulesVersion(auth.SystemContext(context.Background()), db.Client)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRuleAdministration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		ctx := adminCtx()
		n, err := plan.EnsureBuiltins(seed.Ctx(), db)
		if err != nil || n != len(plan.Builtins()) {
			t.Fatalf("EnsureBuiltins = %d, %v", n, err)
		}
		v1 := rulesVersion(t, db)
		if n, err := plan.EnsureBuiltins(seed.Ctx(), db); err != nil || n != 0 || rulesVersion(t, db) != v1 {
			t.Fatalf("second EnsureBuiltins = %d, %v, version %d → %d", n, err, v1, rulesVersion(t, db))
		}

		// Agents may not manage rules.
		agent := auth.WithViewer(context.Background(), &auth.Viewer{Kind: auth.KindAgent, Role: auth.RoleAgent})
		if _, err := plan.ListRules(agent, db, plan.ListRulesInput{}); apperr.KindOf(err) != apperr.KindForbidden {
			t.Errorf("agent lists rules: %v", err)
		}

		// Invalid rules are refused with their field errors.
		bad := goodRule()
		bad.Step.ToolkitItemKeys = []string{"no-such-item"}
		_, err = plan.CreateRule(ctx, db, bad)
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "/step/toolkit_item_keys/0" {
			t.Errorf("CreateRule with an unknown toolkit key: %v", err)
		}
		dup := goodRule()
		dup.Key = "birthday-care"
		dup.Step.ToolkitItemKeys = nil
		if _, err := plan.CreateRule(ctx, db, dup); apperr.KindOf(err) != apperr.KindInvalid {
			t.Errorf("CreateRule with a taken key: %v", err)
		}
		if rulesVersion(t, db) != v1 {
			t.Errorf("a refused rule bumped the rules version")
		}

		// A valid rule: stored with normalized values, version bumped.
		seed.PublishedItem("payment-reminder-call", toolkititem.ScenarioPaymentReminder)
		r, err := plan.CreateRule(ctx, db, goodRule())
		if err != nil {
			t.Fatal(err)
		}
		if r.Revision != 1 || !r.Enabled || r.Builtin || rulesVersion(t, db) != v1+1 {
			t.Errorf("created rule = %+v, version %d", r, rulesVersion(t, db))
		}
		got, err := plan.GetRule(ctx, db, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := goodRule()
		want.Conditions[1].Value = float64(1)
		if diff := cmp.Diff(want.Conditions, got.Conditions); diff != "" {
			t.Errorf("stored conditions mismatch (-want +got):\n%s", diff)
		}

		// Replace: If-Match on the revision.
		upd := goodRule()
		upd.Name = "失效保单挽回"
		if _, err := plan.UpdateRule(ctx, db, r.ID, 7, upd); apperr.KindOf(err) != apperr.KindPreconditionFailed {
			t.Errorf("UpdateRule with a stale revision: %v", err)
		}
		r2, err := plan.UpdateRule(ctx, db, r.ID, 1, upd)
		if err != nil || r2.Revision != 2 || r2.Name != "失效保单挽回" || rulesVersion(t, db) != v1+2 {
			t.Errorf("UpdateRule = %+v, %v", r2, err)
		}

		// Built-ins: editable (their unknown toolkit keys are kept), keep their key, not deletable.
		page, err := plan.ListRules(ctx, db, plan.ListRulesInput{Limit: 3})
		if err != nil || len(page.Items) != 3 || page.NextCursor == "" {
			t.Fatalf("ListRules page = %+v, %v", page, err)
		}
		var birthday plan.Rule
		for cursor := ""; ; {
			p, err := plan.ListRules(ctx, db, plan.ListRulesInput{Cursor: cursor, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				if it.Key == "birthday-care" {
					birthday = it
				}
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		edit := plan.RuleInput{Key: birthday.Key, Name: birthday.Name, Priority: "medium", Scenario: birthday.Scenario,
			Conditions: []domain.RuleCondition{cond("customer.birthday_in_days", "lte", 3)}, Step: birthday.Step}
		if _, err := plan.UpdateRule(ctx, db, birthday.ID, birthday.Revision, edit); err != nil {
			t.Errorf("edit a built-in: %v", err)
		}
		edit.Key = "birthday"
		if _, err := plan.UpdateRule(ctx, db, birthday.ID, 0, edit); apperr.KindOf(err) != apperr.KindInvalid {
			t.Errorf("rename a built-in: %v", err)
		}
		if err := plan.DeleteRule(ctx, db, birthday.ID, 0); apperr.KindOf(err) != apperr.KindConflict {
			t.Errorf("delete a built-in: %v", err)
		}
		before := rulesVersion(t, db)
		if err := plan.DeleteRule(ctx, db, r.ID, 2); err != nil {
			t.Errorf("delete: %v", err)
		}
		if _, err := plan.GetRule(ctx, db, r.ID); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("deleted rule: %v", err)
		}
		if rulesVersion(t, db) != before+1 {
			t.Errorf("delete did not bump the rules version")
		}
	})
}
