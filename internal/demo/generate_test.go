package demo

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestGenerateInvariants checks, without a database, that the designed
// cases hold for other seeds and other days, times and book sizes.
func TestGenerateInvariants(t *testing.T) {
	nows := []time.Time{
		time.Date(2026, 3, 18, 2, 0, 0, 0, time.UTC),    // a Wednesday morning
		time.Date(2026, 12, 31, 15, 30, 0, 0, time.UTC), // 23:30 on New Year's Eve
		time.Date(2027, 2, 9, 17, 0, 0, 0, time.UTC),    // 01:00 in the Spring Festival
		time.Date(2026, 2, 28, 4, 0, 0, 0, time.UTC),    // a 调休 Saturday
	}
	for _, now := range nows {
		for seed := int64(1); seed <= 8; seed++ {
			size := []int{300, 30, 120, 1000}[seed%4]
			w := newWorld(Options{Now: now, Seed: seed})
			w.generate(size)
			check := func(ok bool, format string, args ...any) {
				t.Helper()
				if !ok {
					t.Errorf("now %v seed %d size %d: "+format, append([]any{now, seed, size}, args...)...)
				}
			}
			check(len(w.customers) == size, "%d customers", len(w.customers))
			byDay := map[int]int{}
			for _, c := range w.byUser["agent1"].customers {
				for _, p := range c.policies {
					if p.status == "active" && p.nextDue != nil {
						byDay[w.daysFromToday(*p.nextDue)]++
					}
				}
			}
			check(byDay[0] == 1 && byDay[1] == 2, "agent1 due today %d, tomorrow %d", byDay[0], byDay[1])
			for _, in := range w.interactions {
				n := utf8.RuneCountInString(in.content)
				check(n >= 50 && n <= 300 && !strings.ContainsAny(in.content, "{}"), "interaction text %q", in.content)
				check(!in.receivedAt.After(w.now), "interaction received %v after now", in.receivedAt)
				check(in.firstResponseAt == nil || !in.firstResponseAt.Before(in.receivedAt), "response before receipt")
			}
			var near, breached int
			for _, cp := range w.complaints {
				if cp.customer.agent.username == "agent1" && cp.acked == nil {
					left := cp.ackDue.Sub(w.now)
					if left > 0 && left <= 5*time.Hour {
						near++
					} else if left < 0 {
						breached++
					}
				}
				check(!cp.answerDue.Before(cp.received.Add(48*time.Hour)), "answer due %v for received %v", cp.answerDue, cp.received)
			}
			check(near >= 1 && breached >= 1, "agent1 complaints near %d breached %d", near, breached)
			open := map[*customerRow]int{}
			for _, tk := range w.tasks {
				if tk.status == "todo" {
					open[tk.customer]++
				}
				check(tk.completed == nil || !tk.completed.After(w.now), "task completed in the future")
				check(!tk.createdAt.After(w.now), "task created in the future")
			}
			for _, c := range w.byUser["agent1"].customers {
				check(open[c] >= 2 && open[c] <= 5, "agent1 customer with %d open tasks", open[c])
			}
			for _, n := range w.notes {
				check(!n.createdAt.After(w.now), "notification in the future")
			}
			for _, c := range w.customers {
				check(idCheckDigit(c.idNumber[:17]) == c.idNumber[17], "ID number %s", c.idNumber)
				check(len(c.policies) >= 1 && len(c.policies) <= 4, "%d policies", len(c.policies))
			}
		}
	}
}
