package demo

import (
	"time"

	"github.com/google/uuid"
)

type interactionRow struct {
	id               uuid.UUID
	customer         *customerRow
	channel, typ     string
	content          string
	result, feedback string
	receivedAt       time.Time
	firstResponseAt  *time.Time
	items            []*toolkitRow
}

// scenarioOf maps an interaction type to the toolkit scenarios it uses.
var scenarioOf = map[string][]string{
	"consultation":     {"consultation"},
	"needs_analysis":   {"needs_analysis"},
	"revisit":          {"policy_delivery_revisit"},
	"payment":          {"payment_reminder"},
	"renewal":          {"renewal", "premium_increase"},
	"claim_assistance": {"claim_assistance"},
	"complaint":        {"complaint"},
	"care":             {"care_birthday", "care_anniversary"},
}

// inbound types start with the customer, so their first response is a
// measured delay; the others are the agent's own contacts.
func inbound(typ string) bool {
	return typ == "consultation" || typ == "claim_assistance" || typ == "complaint"
}

// responseDelay draws a first-response delay: about 90% within 12 hours.
func (w *world) responseDelay() time.Duration {
	switch w.weighted(70, 20, 10) {
	case 0:
		return time.Duration(w.between(3, 120)) * time.Minute
	case 1:
		return time.Duration(w.between(121, 719)) * time.Minute
	}
	return time.Duration(w.between(12*60+5, 40*60)) * time.Minute
}

// respond returns when an interaction received at at was first answered:
// a measured delay for inbound types, at once for the agent's own contacts.
func (w *world) respond(typ string, at time.Time) *time.Time {
	resp := at
	if inbound(typ) {
		resp = at.Add(w.responseDelay())
		if resp.After(w.now) {
			resp = w.now.Add(-time.Minute)
		}
	}
	return &resp
}

// addInteraction records an interaction, answered at resp (nil: still
// open), with toolkit items used in ~80% of the answered ones.
func (w *world) addInteraction(c *customerRow, typ, ch, content string, at time.Time, resp *time.Time) *interactionRow {
	set := texts[typ]
	in := &interactionRow{id: newID(), customer: c, channel: ch, typ: typ, content: content,
		result: pick(w, set.results), feedback: pick(w, feedbacks), receivedAt: at}
	if resp != nil {
		in.firstResponseAt = resp
		if w.chance(0.8) {
			var usable []*toolkitRow
			for _, s := range scenarioOf[typ] {
				usable = append(usable, w.forScenario(s)...)
			}
			if len(usable) > 0 {
				first := w.intn(len(usable))
				in.items = append(in.items, usable[first])
				if second := w.intn(len(usable)); second != first && w.chance(0.4) {
					in.items = append(in.items, usable[second])
				}
			}
			for _, it := range in.items {
				w.usages = append(w.usages, &usageRow{item: it, agent: c.agent, customer: c, interaction: in.id, at: *resp})
			}
		}
	} else {
		in.result, in.feedback = "待回复", ""
	}
	c.interactions = append(c.interactions, in)
	w.interactions = append(w.interactions, in)
	return in
}

// genInteractions writes 5–10 interactions per customer over the last 18
// months, then a few consultations still unanswered today.
func (w *world) genInteractions() {
	types := []string{"consultation", "needs_analysis", "revisit", "payment", "renewal", "care"}
	for _, c := range w.customers {
		n := w.between(5, 10) - len(c.interactions)
		for range max(n, 1) {
			typ := types[w.weighted(35, 12, 13, 14, 14, 12)]
			ch := c.channel
			if w.chance(0.5) {
				ch = pick(w, []string{"phone", "wechat", "visit", "app", "phone", "wechat"})
			}
			at := w.workHours(-w.between(2, 540))
			if typ == "care" && w.chance(0.4) {
				// A birthday greeting, on the last birthday.
				bd := time.Date(w.today.Year(), c.birth.Month(), c.birth.Day(), 0, 0, 0, 0, time.UTC)
				if bd.After(w.date(-2)) {
					bd = bd.AddDate(-1, 0, 0)
				}
				at = w.workHours(w.daysFromToday(bd))
				content := fill(birthdayOpening, vars{"name": c.name}) + pick(w, careBodies) + pick(w, texts["care"].closings)
				w.addInteraction(c, typ, ch, content, at, w.respond(typ, at))
				continue
			}
			w.addInteraction(c, typ, ch, w.compose(typ, c, at, ch, nil), at, w.respond(typ, at))
		}
	}
	// Consultations still open today: agent1 has one inside the 12-hour
	// window and one past it.
	for _, o := range []struct {
		user  string
		index int
		ago   time.Duration
	}{{"agent1", 8, 3 * time.Hour}, {"agent1", 9, 15 * time.Hour}, {"agent2", 3, 5 * time.Hour}, {"agent3", 4, 26 * time.Hour}} {
		cs := w.byUser[o.user].customers
		c := cs[o.index%len(cs)]
		at := w.ago(o.ago)
		w.addInteraction(c, "consultation", "wechat", w.compose("consultation", c, at, "wechat", nil), at, nil)
	}
}

type npsRow struct {
	customer    *customerRow
	interaction *interactionRow
	score       int
	comment     string
	at          time.Time
}

// genNps gives about 30% of customers an NPS answer after one of their
// interactions, skewed towards promoters.
func (w *world) genNps() {
	for _, c := range w.customers {
		if !w.chance(0.3) || len(c.interactions) == 0 {
			continue
		}
		in := pick(w, c.interactions)
		at := in.receivedAt.Add(time.Duration(w.between(2, 48)) * time.Hour)
		if at.After(w.now) {
			at = w.now.Add(-time.Hour)
		}
		score := w.weighted(2, 1, 1, 1, 2, 3, 4, 8, 14, 24, 30)
		band := 0
		switch {
		case score >= 9:
			band = 2
		case score >= 7:
			band = 1
		}
		w.nps = append(w.nps, &npsRow{customer: c, interaction: in, score: score, comment: pick(w, npsComments[band]), at: at})
	}
}
