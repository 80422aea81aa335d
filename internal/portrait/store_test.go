package portrait_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/portrait/portraittest"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func portraitChanges(t *testing.T, db *store.DB) int {
	t.Helper()
	n, err := db.Client.ChangeLog.Query().Where(changelog.Collection(store.Portraits)).Count(auth.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRefreshWritesOnlyWhenAFigureChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		ctx := seed.Ctx()
		ag := seed.Agent("Asia/Shanghai")
		cu := seed.Customer(ag, portraittest.Day(2025, 1, 1), nil)
		pol := seed.Policy(cu, portraittest.Day(2024, 3, 20), nil)
		seed.Interaction(cu, time.Date(2026, 2, 20, 3, 0, 0, 0, time.UTC), "咨询")
		seed.Complaint(cu, complaint.CategoryBilling, complaint.StatusReceived, time.Date(2026, 2, 25, 0, 0, 0, 0, time.UTC))
		seed.NPS(cu, 9, time.Date(2026, 2, 20, 4, 0, 0, 0, time.UTC))
		now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

		p, written, err := portrait.Refresh(ctx, db, cu.ID, now)
		if err != nil || !written {
			t.Fatalf("first Refresh: written %v, err %v", written, err)
		}
		stored, err := db.Client.Portrait.Query().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stored.InputsHash != p.InputsHash || stored.OpenComplaints != 1 || stored.Version != 1 || len(stored.Nps) != 1 {
			t.Errorf("stored portrait = %+v", stored)
		}
		before := portraitChanges(t, db)

		// Unchanged inputs, later the same day: nothing is written.
		if _, written, err := portrait.Refresh(ctx, db, cu.ID, now.Add(3*time.Hour)); err != nil || written {
			t.Fatalf("Refresh with unchanged inputs: written %v, err %v", written, err)
		}
		if after := portraitChanges(t, db); after != before {
			t.Errorf("change log grew from %d to %d portrait entries with unchanged inputs", before, after)
		}

		// A policy lapses: a new version.
		seed.UpdatePolicy(pol, func(u *ent.InsurancePolicyUpdateOne) { u.SetStatus(insurancepolicy.StatusLapsed) })
		if _, written, err := portrait.Refresh(ctx, db, cu.ID, now); err != nil || !written {
			t.Fatalf("Refresh after a lapse: written %v, err %v", written, err)
		}
		stored, err = db.Client.Portrait.Query().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Version != 2 || stored.PoliciesSummary.ActiveCount != 0 {
			t.Errorf("after the lapse: version %d, active %d", stored.Version, stored.PoliciesSummary.ActiveCount)
		}
	})
}

func TestGetComputesAMissingPortrait(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		cu := seed.Customer(nil, portraittest.Day(2025, 1, 1), nil)
		p, err := portrait.Get(seed.Ctx(), db, cu.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.CustomerID != cu.ID || p.Edges.Customer == nil || p.Edges.Customer.Name != "王芳" {
			t.Errorf("Get = %+v", p)
		}
		_, err = portrait.Get(seed.Ctx(), db, [16]byte{1})
		if apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("Get of a missing customer: %v", err)
		}
	})
}

func TestGetIsScopedToTheCallersBook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		mine, other := seed.Agent("Asia/Shanghai"), seed.Agent("Asia/Shanghai")
		cu := seed.Customer(mine, portraittest.Day(2025, 1, 1), nil)
		as := func(a *ent.Agent) context.Context {
			return auth.WithViewer(context.Background(), &auth.Viewer{Kind: auth.KindAgent, Role: auth.RoleAgent, AgentID: a.ID})
		}
		if _, err := portrait.Get(as(other), db, cu.ID); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("another agent: %v", err)
		}
		if p, err := portrait.Get(as(mine), db, cu.ID); err != nil || p.CustomerID != cu.ID {
			t.Errorf("the agent: %+v, %v", p, err)
		}
		if _, err := portrait.Get(as(other), db, cu.ID); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("another agent, once computed: %v", err)
		}
	})
}

// LoadInputsBatch reads for each customer what LoadInputs reads, in the
// same order, with the same caps: the newest TimelineCap interactions and
// NPSCap answers of each customer, not of the batch.
func TestLoadInputsBatchEqualsLoadInputs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		ctx := seed.Ctx()
		if err := db.Client.Product.Create().SetCode("P-LIFE").SetName("终身寿").SetLine("life").
			SetHesitationDays(20).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		ag := seed.Agent("Asia/Shanghai")
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var ids []uuid.UUID
		for i := range 4 {
			var cu *ent.Customer
			if i == 3 {
				cu = seed.Customer(nil, portraittest.Day(2025, 1, 1), nil) // no agent
			} else {
				cu = seed.Customer(ag, portraittest.Day(2025, 1, 1), nil)
			}
			ids = append(ids, cu.ID)
			for j := range 2 + i {
				seed.Policy(cu, portraittest.Day(2024, 3, 1+j), func(c *ent.InsurancePolicyCreate) {
					if j == 0 {
						c.SetProductCode("P-LIFE")
					}
				})
			}
			// Customer 0 has more than the caps; equal times tie on the id.
			n, answers := 3, 2
			if i == 0 {
				n, answers = portrait.TimelineCap+7, portrait.NPSCap+3
			}
			for j := range n {
				seed.Interaction(cu, base.Add(time.Duration(j%40)*time.Hour), fmt.Sprintf("咨询%d", j))
			}
			for j := range answers {
				seed.NPS(cu, j%11, base.Add(time.Duration(j%15)*time.Hour))
			}
			seed.Complaint(cu, complaint.CategoryBilling, complaint.StatusReceived, base.Add(time.Duration(i)*time.Hour))
			seed.Claim(cu, claim.StatusFiled, base.Add(time.Duration(i)*time.Hour))
		}
		missing := uuid.New()
		got, err := portrait.LoadInputsBatch(ctx, db.Client, append([]uuid.UUID{missing}, ids...))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got[missing]; ok || len(got) != len(ids) {
			t.Fatalf("got %d customers (missing one included: %v), want %d", len(got), ok, len(ids))
		}
		for i, id := range ids {
			want, err := portrait.LoadInputs(ctx, db.Client, id)
			if err != nil {
				t.Fatal(err)
			}
			// The entities' JSON holds every field.
			w, _ := json.Marshal(want)
			g, _ := json.Marshal(got[id])
			if diff := cmp.Diff(string(w), string(g)); diff != "" {
				t.Errorf("customer %d: batch differs from LoadInputs (-want +got):\n%s", i, diff)
			}
		}
		if c0 := got[ids[0]]; len(c0.Interactions) != portrait.TimelineCap || len(c0.NPS) != portrait.NPSCap ||
			c0.HesitationDays["P-LIFE"] != 20 || c0.Agent == nil || got[ids[3]].Agent != nil {
			t.Errorf("customer 0: %d interactions, %d answers, hesitation %v, agent %v; customer 3's agent %v",
				len(c0.Interactions), len(c0.NPS), c0.HesitationDays, c0.Agent != nil, got[ids[3]].Agent)
		}
	})
}
