package syncer

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
)

func (s *sim) dumpRecord(d *simDevice, k recKey, what string) {
	own, _ := s.v.db.Client.ChangeLog.Query().Where(changelog.RecordID(k.id)).Order(ent.Asc(changelog.FieldID)).All(s.v.sys())
	fmt.Printf("%s %s (device %s, v%d)\n", what, k, d.agent.Username, d.recs[k])
	for _, l := range d.trace[k] {
		fmt.Println("   ", l)
	}
	for _, e := range own {
		fmt.Printf("  own seq %d %s v%d cust=%v\n", e.ID, e.Op, e.Version, short(e.CustomerID))
	}
	if len(own) == 0 || own[0].CustomerID == nil {
		return
	}
	cust := *own[0].CustomerID
	fmt.Printf("  customer %s trace:\n", short(&cust))
	for _, l := range d.trace[recKey{"customers", cust}] {
		fmt.Println("   ", l)
	}
	es, _ := s.v.db.Client.ChangeLog.Query().Where(changelog.RecordID(cust)).Order(ent.Asc(changelog.FieldID)).All(s.v.sys())
	for _, e := range es {
		fmt.Printf("  cust seq %d %s v%d agent=%v prev=%v\n", e.ID, e.Op, e.Version, short(e.AgentID), short(e.PrevAgentID))
	}
}

func (s *sim) dump(d *simDevice) {
	want := s.v.truth(d.agent)
	bad := false
	for k := range d.recs {
		if _, ok := want[k]; !ok {
			s.dumpRecord(d, k, "EXTRA")
			bad = true
		}
	}
	for k := range want {
		if _, ok := d.recs[k]; !ok {
			s.dumpRecord(d, k, "MISSING")
			bad = true
		}
	}
	if !bad {
		return
	}
	ev, _ := s.v.db.Client.ChangeLog.Query().Where(changelog.CollectionEQ("agents")).Order(ent.Asc(changelog.FieldID)).All(s.v.sys())
	for _, e := range ev {
		fmt.Printf("  team seq %d agent=%s %v -> %v\n", e.ID, short(&e.RecordID), short(e.PrevTeamID), short(e.TeamID))
	}
	for _, l := range d.trace[recKey{"pulls", uuid.Nil}] {
		fmt.Println("   ", l)
	}
	for _, a := range s.agents {
		fmt.Printf("agent %s = %s\n", a.Username, short(&a.ID))
	}
	fmt.Printf("teamA=%s teamB=%s\n", short(&s.teamA), short(&s.teamB))
}

func short(id *uuid.UUID) string {
	if id == nil {
		return "-"
	}
	return id.String()[28:]
}
