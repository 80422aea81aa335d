package demo

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// vars are the values a text's placeholders take.
type vars map[string]string

// fill replaces the {placeholders} of s.
func fill(s string, v vars) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		j := strings.IndexByte(s, '}')
		if i < 0 || j < i {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(v[s[i+1:j]])
		s = s[j+1:]
	}
}

// fits reports whether a story suits the customer, and the policy it is
// about.
func (w *world) fits(s story, c *customerRow) (*policyRow, bool) {
	if s.needChild && c.youngChild(w.today) < 0 {
		return nil, false
	}
	if s.lines == nil {
		return w.duesPolicy(c), true
	}
	var ps []*policyRow
	for _, p := range c.policies {
		for _, l := range s.lines {
			if (p.product.line == l || p.product.code == l) && p.status != "terminated" {
				ps = append(ps, p)
			}
		}
	}
	if len(ps) == 0 {
		return nil, false
	}
	return pick(w, ps), true
}

// compose writes an interaction text of 50–300 characters: a story that
// suits the customer, one or two of its bodies and a closing.
func (w *world) compose(typ string, c *customerRow, at time.Time, ch string, extra vars) string {
	set := texts[typ]
	var (
		s story
		p *policyRow
	)
	for _, i := range w.rng.Perm(len(set.stories)) {
		if pp, ok := w.fits(set.stories[i], c); ok {
			s, p = set.stories[i], pp
			break
		}
	}
	if s.opening == "" { // nothing fits: the first story, about any policy
		s, p = set.stories[0], w.duesPolicy(c)
	}
	v := w.varsFor(c, p, at, ch)
	for k, x := range extra {
		v[k] = x
	}
	parts := []string{s.opening}
	n := w.between(1, min(2, len(s.bodies)))
	picked := w.rng.Perm(len(s.bodies))[:n]
	for i, b := range s.bodies { // keep the bodies in story order
		for _, j := range picked {
			if i == j {
				parts = append(parts, b)
			}
		}
	}
	parts = append(parts, pick(w, set.closings))
	out := fill(strings.Join(parts, ""), v)
	for utf8.RuneCountInString(out) > 300 && len(parts) > 2 {
		parts = append(parts[:len(parts)-2], parts[len(parts)-1])
		out = fill(strings.Join(parts, ""), v)
	}
	if utf8.RuneCountInString(out) > 300 {
		out = string([]rune(out)[:299]) + "。"
	}
	return out
}

// cnDate formats a date the way agents write it.
func cnDate(t time.Time) string {
	t = t.In(shanghai)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

func yuan(cents int64) string { return strconv.FormatInt(cents/100, 10) }

// anniversaryAfter is the first anniversary of the start date on or after
// at.
func anniversaryAfter(start, at time.Time) time.Time {
	local := at.In(shanghai)
	a := time.Date(local.Year(), start.Month(), start.Day(), 0, 0, 0, 0, shanghai)
	if a.Before(local) {
		a = a.AddDate(1, 0, 0)
	}
	return a
}

// varsFor gathers placeholder values for a customer, around one policy,
// as of the time at.
func (w *world) varsFor(c *customerRow, p *policyRow, at time.Time, ch string) vars {
	mortgage := w.between(5, 30) * 10
	v := vars{
		"name": c.name, "via": channelPhrases[ch], "wait": pick(w, []string{"30", "90", "180"}),
		"money": strconv.Itoa(w.between(30, 900) * 10), "ill": pick(w, ills), "hospital": pick(w, hospitals),
		"occupation": c.occupation, "city": pick(w, cities),
		"income":  strconv.Itoa(pick(w, []int{12, 18, 25, 30, 40, 60, 80, 120})),
		"weekday": pick(w, weekdays), "star": strconv.Itoa(w.between(4, 5)),
		"cashloan": strconv.Itoa(w.between(1, 30)), "mortgage": strconv.Itoa(mortgage),
		"estimate": strconv.Itoa(mortgage * w.between(8, 30)),
		"edu":      strconv.Itoa(pick(w, []int{20, 30, 50, 80})), "need": strconv.Itoa(pick(w, []int{100, 150, 200, 300, 500})),
		"gap": strconv.Itoa(pick(w, []int{50, 80, 100, 150, 200})), "ci": strconv.Itoa(pick(w, []int{0, 10, 20, 30, 50})),
		"budget": strconv.Itoa(pick(w, []int{8000, 12000, 20000, 30000, 50000})), "acc": strconv.Itoa(pick(w, []int{50, 80, 100})),
		"parent_age": strconv.Itoa(w.between(58, 66)), "parent_age2": strconv.Itoa(w.between(55, 70)),
		"child_age": "", "product": "", "policy": "", "hes": "15", "premium": "", "old": "",
		"due": cnDate(at.Add(3 * day)), "anniversary": cnDate(at.Add(20 * day)), "years": "1",
	}
	if i := c.youngChild(w.today); i >= 0 {
		v["child_age"] = strconv.Itoa(max(1, at.In(shanghai).Year()-c.family.Children[i].BirthYear))
	}
	if p != nil {
		v["product"], v["policy"], v["premium"] = p.product.name, p.number, yuan(p.premium)
		v["old"] = yuan(p.premium * 92 / 100)
		v["hes"] = strconv.Itoa(max(15, p.product.hesitation))
		v["years"] = strconv.Itoa(max(1, yearsBetween(p.start, at)))
		v["anniversary"] = cnDate(anniversaryAfter(p.start, at.Add(day)))
	}
	return v
}

// duesPolicy returns a policy with premiums to pay, or any policy.
func (w *world) duesPolicy(c *customerRow) *policyRow {
	var due []*policyRow
	for _, p := range c.policies {
		if p.freq != "single" && p.status != "terminated" {
			due = append(due, p)
		}
	}
	if len(due) > 0 {
		return pick(w, due)
	}
	if len(c.policies) > 0 {
		return pick(w, c.policies)
	}
	return nil
}
