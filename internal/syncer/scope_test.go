package syncer

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/auth"
	custsvc "github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/store"
)

// A customer that a team lead reassigns leaves the old owner's phone with
// every record under it (out_of_scope) and arrives complete on the new
// owner's, although none of its records changed and the new owner's
// cursor is past their last change.
func TestReassignmentMovesTheWholeCustomer(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		team := v.team("A组")
		a := v.agent(auth.RoleAgent, &team)
		b := v.agent(auth.RoleAgent, &team)
		lead := v.agent(auth.RoleTeamLead, &team)
		c, ids := v.family(a)
		v.family(a)
		da, db, dl := v.device(a), v.device(b), v.device(lead)
		da.pull(1000)
		db.pull(1000)
		dl.pull(1000)

		// The lead reassigns through the customer service, as PATCH does.
		svc := custsvc.NewService(v.db, v.pii, v.clock, v.e.audit)
		if _, err := svc.Update(v.as(lead), c.ID, nil, custsvc.Input{AgentID: &b.ID}); err != nil {
			t.Fatal(err)
		}

		pa := da.pull(2)
		for coll, id := range ids {
			if !has(pa, coll, id, OpDelete) || da.deleted[recKey{coll, id}] != ReasonOutOfScope {
				t.Errorf("old owner: no out_of_scope delete of %s %s", coll, id)
			}
		}
		da.converged(a)

		pb := db.pull(2)
		for coll, id := range ids {
			if !has(pb, coll, id, OpUpsert) {
				t.Errorf("new owner: %s %s did not arrive", coll, id)
			}
		}
		db.converged(b)

		// The lead held it before and after: only the customer's change.
		pl := dl.pull(1000)
		if !has(pl, store.Customers, c.ID, OpUpsert) || hasAny(pl, ids[store.Interactions]) {
			t.Errorf("lead's pull: %v", changeKeys(pl))
		}
		dl.converged(lead)
	})
}

// An agent moving between teams leaves the old lead's phone with the
// agent's customers and arrives on the new lead's.
func TestTeamMove(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		ta, tb := v.team("A组"), v.team("B组")
		x := v.agent(auth.RoleAgent, &ta)
		la := v.agent(auth.RoleTeamLead, &ta)
		lb := v.agent(auth.RoleTeamLead, &tb)
		c1, ids1 := v.family(x)
		c2, _ := v.family(x)
		// c3 leaves x for another agent of team A after the move: the old
		// lead held it through x and still holds it through its new owner.
		y := v.agent(auth.RoleAgent, &ta)
		c3, _ := v.family(x)
		dla, dlb := v.device(la), v.device(lb)
		dla.pull(1000)
		dlb.pull(1000)

		v.moveAgent(x, &tb)
		v.reassign(c3.ID, y)

		pa := dla.pull(3)
		for _, id := range []uuid.UUID{c1.ID, c2.ID} {
			if !has(pa, store.Customers, id, OpDelete) {
				t.Errorf("old lead: customer %s not dropped", id)
			}
		}
		if !has(pa, store.Interactions, ids1[store.Interactions], OpDelete) {
			t.Errorf("old lead: records of the customers not dropped")
		}
		dla.converged(la)
		if _, ok := dla.recs[recKey{store.Customers, c3.ID}]; !ok {
			t.Errorf("old lead lost %s, now of a team member", c3.ID)
		}
		pb := dlb.pull(3)
		if !has(pb, store.Interactions, ids1[store.Interactions], OpUpsert) {
			t.Errorf("new lead: records did not arrive")
		}
		dlb.converged(lb)

		// A lead who moves must pull from the start.
		v.moveAgent(la, &tb)
		if _, err := v.e.Pull(dla.ctx, PullRequest{Cursor: dla.cursor}); !isGone(err) {
			t.Errorf("moved lead's pull: %v, want sync-reset-required", err)
		}
	})
}

// A reassignment in the middle of a paginated pull loses and duplicates
// nothing: at the end of the next pull both phones hold their books.
func TestReassignmentDuringPagedPull(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		b := v.agent(auth.RoleAgent, nil)
		var cs []*ent.Customer
		for range 6 {
			c, _ := v.family(a)
			cs = append(cs, c)
		}
		da, db := v.device(a), v.device(b)
		db.pull(1000)

		// a's first sync is under way when customers move both ways.
		p, err := v.e.Pull(da.ctx, PullRequest{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		da.apply(p)
		v.reassign(cs[0].ID, b)
		bc, _ := v.family(b)
		v.reassign(bc.ID, a)
		cur := p.Cursor
		for p.HasMore {
			if p, err = v.e.Pull(da.ctx, PullRequest{Cursor: cur, Limit: 5}); err != nil {
				t.Fatal(err)
			}
			da.apply(p)
			cur = p.Cursor
			if p.HasMore {
				// and again during the snapshot's later pages
				v.reassign(cs[1].ID, b)
			}
		}
		da.cursor = cur
		da.pull(5)
		da.converged(a)
		db.pull(5)
		db.converged(b)

		// An incremental pull in pages with moves between the pages.
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			for _, c := range cs[2:] {
				if err := tx.Customer.UpdateOneID(c.ID).SetOccupation("教师").Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		p, err = v.e.Pull(da.ctx, PullRequest{Cursor: da.cursor, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		da.apply(p)
		v.reassign(cs[3].ID, b)
		v.reassign(cs[0].ID, a)
		cur = p.Cursor
		for p.HasMore {
			if p, err = v.e.Pull(da.ctx, PullRequest{Cursor: cur, Limit: 1}); err != nil {
				t.Fatal(err)
			}
			da.apply(p)
			cur = p.Cursor
		}
		da.cursor = cur
		da.pull(1)
		da.converged(a)
		db.pull(1)
		db.converged(b)
	})
}

// A deleted customer's records travel as tombstones, to the owner only.
func TestDeletedCustomer(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		other := v.agent(auth.RoleAgent, nil)
		c, ids := v.family(a)
		da, do := v.device(a), v.device(other)
		da.pull(1000)
		do.pull(1000)
		svc := custsvc.NewService(v.db, v.pii, v.clock, v.e.audit)
		admin := v.agent(auth.RoleAdmin, nil)
		if err := svc.Delete(v.as(admin), c.ID, nil); err != nil {
			t.Fatal(err)
		}
		pa := da.pull(2)
		for coll, id := range ids {
			if !has(pa, coll, id, OpDelete) || da.deleted[recKey{coll, id}] != ReasonDeleted {
				t.Errorf("owner: no tombstone of %s %s", coll, id)
			}
		}
		da.converged(a)
		if po := do.pull(2); len(changeKeys(po)) != 0 {
			t.Errorf("another agent learnt of the deletion: %v", changeKeys(po))
		}
	})
}

func isGone(err error) bool {
	return err != nil && (func() bool {
		e, ok := asAppErr(err)
		return ok && e.Code == "sync-reset-required"
	})()
}

// bigBook adds n customers of owner in one transaction, customer i with
// i%4 policies and i%3 interactions (some with none), and returns them.
func (v *env) bigBook(owner *ent.Agent, n int) []uuid.UUID {
	v.t.Helper()
	var ids []uuid.UUID
	now := v.clock.Now()
	v.tx(func(ctx context.Context, tx *ent.Tx) error {
		for i := range n {
			c, err := tx.Customer.Create().SetName(fmt.Sprintf("客户%d", v.next())).SetAgentID(owner.ID).Save(ctx)
			if err != nil {
				return err
			}
			ids = append(ids, c.ID)
			for range i % 4 {
				if _, err := tx.InsurancePolicy.Create().SetCustomerID(c.ID).SetNumber(fmt.Sprintf("P%d", v.next())).
					SetLine("life").SetPremiumCents(100).SetStartDate(now).Save(ctx); err != nil {
					return err
				}
			}
			for range i % 3 {
				if _, err := tx.Interaction.Create().SetCustomerID(c.ID).SetChannel("phone").SetType("consultation").
					SetContent("咨询").SetReceivedAt(now).Save(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return ids
}

// A first sync walks the collections under customers customer by
// customer, in batches: over several batches, in pages of odd sizes that
// end inside a customer's records and at batch ends, it sends every
// record of the book once, and customers moving in and out meanwhile end
// up right after the incremental pull.
func TestSnapshotWalksCustomers(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		b := v.agent(auth.RoleAgent, nil)
		mine := v.bigBook(a, 2*customerBatch+7)
		theirs := v.bigBook(b, customerBatch/2)
		for _, limit := range []int{7, 100, 1000} {
			d := v.device(a)
			seen := map[recKey]int{}
			p, err := v.e.Pull(d.ctx, PullRequest{Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; ; i++ {
				d.apply(p)
				for _, c := range p.Changes {
					seen[recKey{c.Collection, c.ID}]++
				}
				if !p.HasMore {
					break
				}
				if limit == 7 && i == 40 {
					// during the policies: one customer leaves, one arrives
					v.reassign(mine[150], b)
					v.reassign(theirs[3], a)
				}
				if p, err = v.e.Pull(d.ctx, PullRequest{Cursor: p.Cursor, Limit: limit}); err != nil {
					t.Fatal(err)
				}
			}
			for k, n := range seen {
				if n != 1 {
					t.Errorf("limit %d: %s sent %d times", limit, k, n)
				}
			}
			d.cursor = p.Cursor
			d.pull(limit)
			d.converged(a)
			if limit == 7 {
				v.reassign(mine[150], a)
				v.reassign(theirs[3], b)
			}
		}
	})
}
