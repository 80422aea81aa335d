package demo

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// productRow is a product of the catalogue with what the generator needs
// to price and schedule its policies.
type productRow struct {
	id         uuid.UUID
	code, name string
	line       string
	hesitation int
	yearly     bool     // a one-year contract renewed every year
	premium    [2]int64 // annual premium range, yuan
	sum        [2]int64 // sum assured range, yuan
	freqs      []string // payment frequencies, with freqW
	freqW      []int
	child      bool // insures a child of the customer
	claimable  bool
	ageFactor  bool // premium grows with age
}

var catalogue = []*productRow{
	{code: "LIFE-TERM-01", name: "守护者定期寿险（2024版）", line: "life", hesitation: 15, premium: [2]int64{900, 3600}, sum: [2]int64{500_000, 3_000_000},
		freqs: []string{"annual", "monthly"}, freqW: []int{80, 20}, ageFactor: true},
	{code: "LIFE-WL-01", name: "福佑终身寿险", line: "life", hesitation: 15, premium: [2]int64{8_000, 60_000}, sum: [2]int64{300_000, 2_000_000},
		freqs: []string{"annual", "semiannual"}, freqW: []int{85, 15}},
	{code: "LIFE-ZE-01", name: "鑫盛增额终身寿险（分红型）", line: "life", hesitation: 15, premium: [2]int64{20_000, 200_000}, sum: [2]int64{100_000, 1_000_000},
		freqs: []string{"annual", "single"}, freqW: []int{60, 40}},
	{code: "CI-01", name: "安康一生重大疾病保险", line: "critical_illness", hesitation: 20, premium: [2]int64{3_000, 15_000}, sum: [2]int64{300_000, 800_000},
		freqs: []string{"annual", "semiannual", "quarterly"}, freqW: []int{80, 10, 10}, claimable: true, ageFactor: true},
	{code: "CI-02", name: "护童宝少儿重大疾病保险", line: "critical_illness", hesitation: 20, premium: [2]int64{1_200, 4_000}, sum: [2]int64{300_000, 600_000},
		freqs: []string{"annual"}, freqW: []int{1}, child: true, claimable: true},
	{code: "MED-01", name: "e享百万医疗保险", line: "health", yearly: true, premium: [2]int64{300, 2_400}, sum: [2]int64{3_000_000, 6_000_000},
		freqs: []string{"annual", "monthly"}, freqW: []int{70, 30}, claimable: true, ageFactor: true},
	{code: "MED-02", name: "惠民长期医疗保险（20年保证续保）", line: "health", hesitation: 15, premium: [2]int64{800, 3_500}, sum: [2]int64{2_000_000, 4_000_000},
		freqs: []string{"annual"}, freqW: []int{1}, claimable: true, ageFactor: true},
	{code: "ACC-01", name: "安心综合意外伤害保险", line: "accident", yearly: true, premium: [2]int64{150, 600}, sum: [2]int64{500_000, 1_000_000},
		freqs: []string{"annual"}, freqW: []int{1}, claimable: true},
	{code: "PROP-01", name: "家安家庭财产综合保险", line: "property", yearly: true, premium: [2]int64{200, 1_200}, sum: [2]int64{500_000, 2_000_000},
		freqs: []string{"annual"}, freqW: []int{1}, claimable: true},
	{code: "AUTO-01", name: "机动车商业保险（三者+车损）", line: "auto", yearly: true, premium: [2]int64{2_500, 8_000}, sum: [2]int64{1_000_000, 3_000_000},
		freqs: []string{"annual"}, freqW: []int{1}, claimable: true},
	{code: "ANN-01", name: "金瑞人生年金保险", line: "annuity", hesitation: 15, premium: [2]int64{10_000, 100_000}, sum: [2]int64{100_000, 1_000_000},
		freqs: []string{"annual"}, freqW: []int{1}},
	{code: "ANN-02", name: "鑫享养老年金保险（趸交）", line: "annuity", hesitation: 15, premium: [2]int64{100_000, 1_000_000}, sum: [2]int64{100_000, 1_000_000},
		freqs: []string{"single"}, freqW: []int{1}},
}

func (w *world) genProducts() {
	for _, p := range catalogue {
		cp := *p
		cp.id = newID()
		w.products = append(w.products, &cp)
	}
}

func (w *world) product(code string) *productRow {
	for _, p := range w.products {
		if p.code == code {
			return p
		}
	}
	panic("demo: unknown product " + code)
}

type policyRow struct {
	id                   uuid.UUID
	customer             *customerRow
	product              *productRow
	number, externalID   string
	insured, holder      string
	premium, sum         int64 // cents; premium per instalment
	annualPremium        int64 // cents
	freq                 string
	start                time.Time
	nextDue, renewal     *time.Time
	status               string
	missed               int
	createdAt, updatedAt time.Time
}

// clusterOffsets are the due dates (days from today) of agent1's first
// policies: one today, two tomorrow, five more this week. Agent1's other
// policies fall due from day 8 on, so the cluster is exactly this.
var clusterOffsets = []int{0, 1, 1, 2, 3, 4, 5, 6}
var clusterProducts = []string{"CI-01", "MED-01", "AUTO-01", "ACC-01", "MED-02", "PROP-01", "LIFE-TERM-01", "MED-01"}

// goLive is when the insurer's systems first loaded this book.
func (w *world) goLive() time.Time { return w.at(-600, 10, 0) }

func (w *world) genPolicies() {
	seq := 1_000_000 + w.intn(400_000)
	for _, c := range w.customers {
		if c.externalID != "" {
			c.createdAt = w.goLive().Add(time.Duration(w.intn(3600)) * time.Second)
		} else {
			c.createdAt = w.goLive().AddDate(0, 0, w.between(1, 30)).Add(time.Duration(w.intn(8*3600)) * time.Second)
		}
		c.updatedAt = c.createdAt
		c.consent.UpdatedAt = ptr(c.createdAt)
	}
	a1 := 0
	for _, c := range w.customers {
		forced := -1
		var first *productRow
		if c.agent.username == "agent1" && a1 < len(clusterOffsets) {
			forced = clusterOffsets[a1]
			// The renewal products in turn, skipping those that do not
			// suit this customer (MED-01 suits everyone).
			for i := range clusterProducts {
				if p := w.product(clusterProducts[(a1+i)%len(clusterProducts)]); w.fit(c, p) > 0 {
					first = p
					break
				}
			}
			a1++
		}
		for i, prod := range w.choosePrograms(c, first) {
			seq += w.between(1, 37)
			p := &policyRow{id: newID(), customer: c, product: prod, number: fmt.Sprintf("P2026%07d", seq), holder: c.name, insured: c.name}
			if c.externalID != "" {
				p.externalID = "PAS-" + p.number[1:]
			}
			switch ch := c.youngChild(w.today); {
			case prod.child && ch >= 0:
				p.insured = c.childNames[ch]
			case c.spouseName != "" && (prod.line == "critical_illness" || prod.line == "health") && w.chance(0.15):
				p.insured = c.spouseName
			}
			w.price(p, c)
			if i == 0 && forced >= 0 {
				p.freq = "annual"
				p.premium = p.annualPremium
				w.scheduleActive(p, forced, forced)
			} else {
				w.schedule(p, c.agent.username == "agent1")
			}
			p.createdAt = w.goLive().Add(time.Duration(w.intn(7200)) * time.Second)
			if s := w.mid.Add(p.start.Sub(w.today)).Add(10 * time.Hour); s.After(p.createdAt) {
				p.createdAt = s
			}
			if p.updatedAt.Before(p.createdAt) {
				p.updatedAt = p.createdAt
			}
			c.policies = append(c.policies, p)
			w.policies = append(w.policies, p)
		}
	}
}

// fit is how well a product suits a customer: a draw weight, 0 when it
// does not suit at all.
func (w *world) fit(c *customerRow, p *productRow) int {
	age := c.age(w.today)
	rich := c.incomeBand == "middle" || c.incomeBand == "upper_middle" || c.incomeBand == "high"
	switch p.code {
	case "LIFE-TERM-01":
		if age < 55 && (c.family.Spouse || len(c.family.Children) > 0) {
			return 25
		}
	case "LIFE-WL-01":
		if rich && age >= 30 {
			return 12
		}
	case "LIFE-ZE-01":
		if rich && age >= 30 {
			return 10
		}
	case "CI-01":
		if age < 60 {
			return 35
		}
	case "CI-02":
		if c.youngChild(w.today) >= 0 {
			return 30
		}
	case "MED-01":
		return 35
	case "MED-02":
		return 15
	case "ACC-01":
		return 25
	case "PROP-01":
		if age >= 28 {
			return 12
		}
	case "AUTO-01":
		if age >= 24 && age < 70 {
			return 22
		}
	case "ANN-01":
		if age >= 30 && rich {
			return 12
		}
	case "ANN-02":
		if age >= 45 && (c.incomeBand == "upper_middle" || c.incomeBand == "high") {
			return 10
		}
	}
	return 0
}

// choosePrograms picks 1–4 distinct products that suit the customer, the
// first one given when first is not nil.
func (w *world) choosePrograms(c *customerRow, first *productRow) []*productRow {
	n := 1 + w.weighted(10, 20, 30, 40)
	var out []*productRow
	if first != nil {
		out = append(out, first)
	}
	type cand struct {
		p *productRow
		w int
	}
	var cands []cand
	for _, p := range w.products {
		if wt := w.fit(c, p); wt > 0 && p != first {
			cands = append(cands, cand{p, wt})
		}
	}
	for len(out) < n && len(cands) > 0 {
		ws := make([]int, len(cands))
		for i, x := range cands {
			ws[i] = x.w
		}
		i := w.weighted(ws...)
		out = append(out, cands[i].p)
		cands = append(cands[:i], cands[i+1:]...)
	}
	return out
}

// price sets the payment frequency, premium and sum assured.
func (w *world) price(p *policyRow, c *customerRow) {
	prod := p.product
	lo, hi := prod.premium[0], prod.premium[1]
	f := w.rng.Float64()
	if prod.ageFactor {
		// Older customers pay more: age pulls the draw up the range.
		f = min(1, 0.6*f+0.4*float64(max(0, c.age(w.today)-20))/50)
	}
	annual := lo + int64(f*float64(hi-lo))
	p.freq = prod.freqs[w.weighted(prod.freqW...)]
	if p.freq == "single" && len(prod.freqs) > 1 {
		annual *= 3 // paid in one sum: several years' worth
	}
	if p.freq == "single" {
		annual = annual / 1000 * 1000
	}
	p.annualPremium = annual * 100
	switch p.freq {
	case "monthly":
		p.premium = (annual * 104 / 100 / 12) * 100
	case "quarterly":
		p.premium = (annual * 262 / 1000) * 100
	case "semiannual":
		p.premium = (annual * 52 / 100) * 100
	default:
		p.premium = annual * 100
	}
	s := prod.sum[0] + int64(w.rng.Float64()*float64(prod.sum[1]-prod.sum[0]))
	p.sum = (s / 10_000) * 10_000 * 100
	if p.freq == "single" {
		p.annualPremium = 0 // nothing more to pay
	}
}

// schedule decides a policy's status and dates. Agent1's own due dates
// start at day 8 so that this week's cluster stays exactly as designed.
func (w *world) schedule(p *policyRow, agent1 bool) {
	longTerm := !p.product.yearly && p.freq != "single"
	r := w.intn(1000)
	switch {
	case longTerm && r < 55:
		w.scheduleGrace(p)
		return
	case longTerm && r < 75:
		w.scheduleLapsed(p)
		return
	case r >= 980:
		p.status = "terminated"
		p.start = w.date(-w.between(400, 2900))
		p.updatedAt = w.at(-w.between(10, 380), 11, 0)
		return
	}
	if p.freq == "single" {
		p.status = "active"
		p.start = w.date(-w.between(365, 2900))
		return
	}
	minA := 0
	if agent1 {
		minA = 8
	}
	a := w.between(max(61, minA), 364)
	if w.chance(0.35) {
		a = w.between(minA, 60)
	}
	w.scheduleActive(p, a, minA)
}

// period is the number of months between premium due dates.
func period(freq string) int {
	switch freq {
	case "monthly":
		return 1
	case "quarterly":
		return 3
	case "semiannual":
		return 6
	}
	return 12
}

// scheduleActive sets an active policy whose next anniversary is a days
// away and whose next premium falls due no earlier than minDue days away.
func (w *world) scheduleActive(p *policyRow, a, minDue int) {
	p.status = "active"
	months := period(p.freq)
	ann := w.date(a)
	if months < 12 && ann.Day() > 28 {
		ann = time.Date(ann.Year(), ann.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	due := ann
	for months < 12 {
		prev := due.AddDate(0, -months, 0)
		if w.daysFromToday(prev) < minDue {
			break
		}
		due = prev
	}
	p.renewal = ptr(ann)
	p.nextDue = ptr(due)
	p.start = w.anniversaryStart(ann)
}

// anniversaryStart is a start date 1–8 years before the anniversary, at
// least a year ago.
func (w *world) anniversaryStart(ann time.Time) time.Time {
	k := w.between(1, 8)
	start := ann.AddDate(-k, 0, 0)
	if start.After(w.date(-365)) {
		start = start.AddDate(-1, 0, 0)
	}
	return start
}

// scheduleGrace makes a policy whose premium fell due 1–55 days ago and is
// unpaid: inside the 60-day grace period.
func (w *world) scheduleGrace(p *policyRow) {
	overdue := w.between(1, 55)
	due := w.date(-overdue)
	p.status = "grace"
	p.nextDue = ptr(due)
	p.missed = 1
	months := period(p.freq)
	if months == 1 && overdue > 31 {
		p.missed = 2
	}
	ann := due
	for w.daysFromToday(ann) < 1 {
		ann = ann.AddDate(0, months, 0)
	}
	if months < 12 {
		ann = ann.AddDate(0, months*w.intn(12/months), 0)
	}
	p.renewal = ptr(ann)
	p.start = w.anniversaryStart(ann)
	p.updatedAt = w.mid.Add(due.Sub(w.today)).Add(24*time.Hour + 2*time.Hour)
}

// scheduleLapsed makes a policy that lapsed after its grace period.
func (w *world) scheduleLapsed(p *policyRow) {
	overdue := w.between(70, 400)
	due := w.date(-overdue)
	p.status = "lapsed"
	p.nextDue = ptr(due)
	p.missed = 1
	if m := period(p.freq); m < 12 {
		p.missed = 60/(m*30) + 1
	}
	p.start = w.anniversaryStart(due)
	p.updatedAt = w.mid.Add(due.Sub(w.today)).Add(61 * 24 * time.Hour)
}
