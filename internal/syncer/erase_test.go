package syncer

import (
	"encoding/json"
	"testing"

	"github.com/agentdesk/agentdesk/internal/auth"
	custsvc "github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/store"
)

// TestErasureReachesPhones: an admin's erasure of a customer travels to
// the phone that holds the customer at its next pull.
func TestErasureReachesPhones(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		ta := v.team("A组")
		x := v.agent(auth.RoleAgent, &ta)
		admin := v.agent(auth.RoleAdmin, nil)
		c, _ := v.family(x)
		d := v.device(x)
		d.pull(50)
		k := recKey{store.Customers, c.ID}
		if _, ok := d.recs[k]; !ok {
			t.Fatal("the first pull lacks the customer")
		}
		svc := custsvc.NewService(v.db, v.pii, v.clock, v.e.audit)
		if err := svc.Erase(v.as(admin), c.ID, nil); err != nil {
			t.Fatal(err)
		}
		d.pull(50)
		var got map[string]any
		if err := json.Unmarshal(d.data[k], &got); err != nil {
			t.Fatalf("customer data on the phone: %v (%s)", err, d.data[k])
		}
		if got["name"] != custsvc.ErasedName || got["phone"] != nil || got["id_number"] != nil || got["health_notes"] != nil {
			t.Errorf("after erasure the phone holds %v", got)
		}
	})
}
