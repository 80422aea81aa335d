package plan_test

import (
	"context"
	"sync"
	"testing"

	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// TestEnsureBuiltinsConcurrently: replicas starting at once each ensure
// the built-in rules; none fails, the rules are added once, and the rules
// version moves once.
func TestEnsureBuiltinsConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := auth.SystemContext(context.Background())
		const replicas = 4
		var (
			wg    sync.WaitGroup
			added [replicas]int
			errs  [replicas]error
		)
		start := make(chan struct{})
		for i := range replicas {
			wg.Go(func() {
				<-start
				added[i], errs[i] = plan.EnsureBuiltins(ctx, db)
			})
		}
		close(start)
		wg.Wait()
		total := 0
		for i := range replicas {
			if errs[i] != nil {
				t.Errorf("replica %d: %v", i, errs[i])
			}
			total += added[i]
		}
		want := len(plan.Builtins())
		if total != want {
			t.Errorf("added %d rules over %d replicas, want %d", total, replicas, want)
		}
		if n := db.Client.PlanRule.Query().CountX(ctx); n != want {
			t.Errorf("%d rules stored, want %d", n, want)
		}
		if v, err := db.Client.ServerMeta.Get(ctx, plan.MetaRulesVersion); err != nil || v.Value != "1" {
			t.Errorf("rules version = %v, %v; want 1", v, err)
		}
		// And again, later: nothing to add.
		if n, err := plan.EnsureBuiltins(ctx, db); err != nil || n != 0 {
			t.Errorf("a later start added %d, %v", n, err)
		}
	})
}
