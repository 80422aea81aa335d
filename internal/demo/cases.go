package demo

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

type claimRow struct {
	id                                      uuid.UUID
	customer                                *customerRow
	policy                                  *policyRow
	status, description                     string
	claimed, paid                           int64 // cents
	decision                                string
	filed                                   time.Time
	accepted, docs, decided, paidAt, closed *time.Time
	acceptDue, closeDue                     time.Time
	createdAt, updatedAt                    time.Time
}

// claimSpec places one claim in its workflow: times after filing (0: not
// reached).
type claimSpec struct {
	user                                  string
	status                                string
	filedAgo                              time.Duration
	accepted, docs, decided, paid, closed time.Duration
	declined                              bool
}

// claimSpecs cover every status and SLA state (accept ≤ 3 days, close ≤ 7).
var claimSpecs = []claimSpec{
	{user: "agent1", status: "filed", filedAgo: 60 * hour},                        // accept due in 12 h
	{user: "agent1", status: "filed", filedAgo: 4 * hour},                         // on track
	{user: "agent1", status: "accepted", filedAgo: 50 * hour, accepted: 5 * hour}, // accept first, documents later
	{user: "agent1", status: "documents_complete", filedAgo: 4 * day, accepted: 20 * hour, docs: 2 * day},
	{user: "agent1", status: "decided", filedAgo: 6 * day, accepted: day, docs: 2 * day, decided: 5 * day},
	{user: "agent1", status: "paid", filedAgo: 18 * day, accepted: day, docs: 3 * day, decided: 5 * day, paid: 6 * day},
	{user: "agent1", status: "closed", filedAgo: 35 * day, accepted: 2 * day, docs: 4 * day, decided: 6 * day, closed: 7 * day, declined: true},
	{user: "agent1", status: "closed", filedAgo: 80 * day, accepted: day, docs: 2 * day, decided: 4 * day, paid: 5 * day, closed: 6 * day},
	{user: "agent2", status: "filed", filedAgo: 26 * hour},
	{user: "agent2", status: "accepted", filedAgo: 30 * hour, accepted: 4 * hour},
	{user: "agent2", status: "documents_complete", filedAgo: 3 * day, accepted: 10 * hour, docs: 2 * day},
	{user: "agent2", status: "decided", filedAgo: 7*day - 5*hour, accepted: day, docs: 3 * day, decided: 6 * day}, // close due in 5 h
	{user: "agent2", status: "paid", filedAgo: 12 * day, accepted: 2 * day, docs: 3 * day, decided: 5 * day, paid: 6 * day},
	{user: "agent2", status: "closed", filedAgo: 120 * day, accepted: 3 * day, docs: 6 * day, decided: 9 * day, paid: 10 * day, closed: 11 * day}, // closed late
	{user: "agent3", status: "filed", filedAgo: 84 * hour},                                                                                        // accept SLA breached
	{user: "agent3", status: "accepted", filedAgo: 2 * day, accepted: 6 * hour},
	{user: "agent3", status: "decided", filedAgo: 5 * day, accepted: day, docs: 2 * day, decided: 4 * day},
	{user: "agent3", status: "paid", filedAgo: 25 * day, accepted: day, docs: 2 * day, decided: 4 * day, paid: 5 * day},
	{user: "agent3", status: "closed", filedAgo: 200 * day, accepted: day, docs: 3 * day, decided: 5 * day, paid: 6 * day, closed: 7 * day},
	{user: "lead1", status: "closed", filedAgo: 45 * day, accepted: day, docs: 2 * day, decided: 3 * day, paid: 4 * day, closed: 5 * day},
}

var (
	ciIllnesses    = []string{"甲状腺恶性肿瘤", "乳腺恶性肿瘤", "急性心肌梗塞", "脑中风后遗症", "恶性淋巴瘤"}
	childIllnesses = []string{"急性淋巴细胞白血病", "川崎病冠状动脉瘤", "恶性淋巴瘤"}
)

// claimable returns one of the customer's claimable policies, or nil.
func (w *world) claimable(c *customerRow) *policyRow {
	var ps []*policyRow
	for _, p := range c.policies {
		if p.product.claimable && (p.status == "active" || p.status == "grace") {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return pick(w, ps)
}

// customerFor picks a customer of the agent not used yet that satisfies ok.
func (w *world) customerFor(user string, used map[*customerRow]bool, ok func(*customerRow) bool) *customerRow {
	cs := w.byUser[user].customers
	for _, i := range w.rng.Perm(len(cs)) {
		if c := cs[i]; !used[c] && ok(c) {
			used[c] = true
			return c
		}
	}
	for _, i := range w.rng.Perm(len(cs)) { // small books: reuse customers
		if ok(cs[i]) {
			return cs[i]
		}
	}
	return cs[0]
}

func (w *world) genClaims() {
	used := map[*customerRow]bool{}
	for _, s := range claimSpecs {
		c := w.customerFor(s.user, used, func(c *customerRow) bool { return w.claimable(c) != nil })
		p := w.claimable(c)
		cl := &claimRow{id: newID(), customer: c, policy: p, status: s.status}
		cl.filed = w.ago(s.filedAgo)
		cl.acceptDue, cl.closeDue = cl.filed.Add(3*day), cl.filed.Add(7*day)
		step := func(d time.Duration) *time.Time {
			if d == 0 {
				return nil
			}
			return ptr(cl.filed.Add(d))
		}
		cl.accepted, cl.docs, cl.decided, cl.paidAt, cl.closed = step(s.accepted), step(s.docs), step(s.decided), step(s.paid), step(s.closed)
		cl.description, cl.claimed = w.claimStory(c, p, cl.filed)
		if cl.decided != nil {
			cl.decision = "approved"
			if s.declined {
				cl.decision = "declined"
			}
		}
		if cl.paidAt != nil {
			cl.paid = cl.claimed
			if p != nil && p.product.line != "critical_illness" {
				cl.paid = cl.claimed * int64(w.between(80, 100)) / 100 / 100 * 100
			}
		}
		cl.createdAt, cl.updatedAt = cl.filed, cl.filed
		for _, t := range []*time.Time{cl.accepted, cl.docs, cl.decided, cl.paidAt, cl.closed} {
			if t != nil && t.After(cl.updatedAt) {
				cl.updatedAt = *t
			}
		}
		c.claims++
		// The claim started as a claim-assistance contact.
		content := w.compose("claim_assistance", c, cl.filed, "phone", vars{"description": cl.description})
		w.addInteraction(c, "claim_assistance", "phone", content, cl.filed, w.respond("claim_assistance", cl.filed))
		w.claims = append(w.claims, cl)
	}
}

// claimStory describes the loss and the amount claimed, in cents.
func (w *world) claimStory(c *customerRow, p *policyRow, filed time.Time) (string, int64) {
	if p == nil {
		amt := int64(w.between(20, 300)) * 100
		return fmt.Sprintf("%s因%s门诊就医，申请门诊费用报销。", c.name, pick(w, ills)), amt * 100
	}
	who := p.insured
	switch p.product.line {
	case "critical_illness":
		ill := pick(w, ciIllnesses)
		if p.product.child {
			ill = pick(w, childIllnesses)
		}
		return fmt.Sprintf("%s经%s确诊%s，申请%s的重大疾病保险金，诊断报告已出。", who, pick(w, hospitals), ill, p.product.name), p.sum
	case "accident":
		amt := int64(w.between(30, 250)) * 100
		return fmt.Sprintf("%s骑电动车上班途中摔伤致右手桡骨骨折，门诊及住院费用约%d元。", who, amt), amt * 100
	case "property":
		amt := int64(w.between(20, 300)) * 100
		return fmt.Sprintf("%s家中厨房水管爆裂，地板及橱柜受损，定损金额约%d元。", c.name, amt), amt * 100
	case "auto":
		amt := int64(w.between(30, 400)) * 100
		return fmt.Sprintf("%s在%s小区停车场倒车时与他车剐蹭，双方车辆受损，定损约%d元。", cnDate(filed.Add(-day)), pick(w, cities), amt), amt * 100
	}
	amt := int64(w.between(40, 600)) * 100
	return fmt.Sprintf("%s因%s在%s住院%d天，申请住院医疗费用报销，自付部分约%d元。", who, pick(w, ills), pick(w, hospitals), w.between(3, 12), amt), amt * 100
}
