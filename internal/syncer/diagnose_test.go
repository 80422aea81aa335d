package syncer

import (
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
)

// diagnose logs, for each record a device holds wrongly, what the device
// did with it and what the log says of it and of its customer, and the
// team moves: enough to replay a failing seed by hand.
func (s *sim) diagnose(d *simDevice) {
	t := s.t
	want := s.v.truth(d.agent)
	for k := range d.recs {
		if _, ok := want[k]; !ok {
			s.logRecord(d, k, "extra")
		}
	}
	for k := range want {
		if _, ok := d.recs[k]; !ok {
			s.logRecord(d, k, "missing")
		}
	}
	moves, _ := s.v.db.Client.ChangeLog.Query().Where(changelog.CollectionEQ("agents")).Order(ent.Asc(changelog.FieldID)).All(s.v.sys())
	for _, e := range moves {
		t.Logf("team move seq %d: agent %s %s → %s", e.ID, short(&e.RecordID), short(e.PrevTeamID), short(e.TeamID))
	}
	for _, l := range d.trace[recKey{"pulls", uuid.Nil}] {
		t.Log(l)
	}
	for _, a := range s.agents {
		t.Logf("agent %s = %s", a.Username, short(&a.ID))
	}
	t.Logf("team A = %s, team B = %s", short(&s.teamA), short(&s.teamB))
}

func (s *sim) logRecord(d *simDevice, k recKey, what string) {
	t := s.t
	own, _ := s.v.db.Client.ChangeLog.Query().Where(changelog.RecordID(k.id)).Order(ent.Asc(changelog.FieldID)).All(s.v.sys())
	t.Logf("%s on %s's device: %s (v%d)", what, d.agent.Username, k, d.recs[k])
	for _, l := range d.trace[k] {
		t.Log("  device:", l)
	}
	for _, e := range own {
		t.Logf("  log seq %d %s v%d customer %s", e.ID, e.Op, e.Version, short(e.CustomerID))
	}
	if len(own) == 0 || own[0].CustomerID == nil || *own[0].CustomerID == k.id {
		return
	}
	cust := *own[0].CustomerID
	for _, l := range d.trace[recKey{"customers", cust}] {
		t.Log("  customer on the device:", l)
	}
	es, _ := s.v.db.Client.ChangeLog.Query().Where(changelog.RecordID(cust)).Order(ent.Asc(changelog.FieldID)).All(s.v.sys())
	for _, e := range es {
		t.Logf("  customer seq %d %s v%d agent %s (was %s)", e.ID, e.Op, e.Version, short(e.AgentID), short(e.PrevAgentID))
	}
}

func short(id *uuid.UUID) string {
	if id == nil {
		return "-"
	}
	return id.String()[28:]
}
