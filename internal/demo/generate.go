package demo

import (
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// shanghai is Asia/Shanghai. China has kept UTC+8 without daylight saving
// since 1991, so a fixed zone is exact and needs no tzdata on the host.
var shanghai = time.FixedZone("CST", 8*3600)

// pcgStream is the second PCG word: the seed picks the data set, this
// constant keeps the stream apart from other users of the same seed.
const pcgStream = 0x6167656e746465 // "agentde"

// world is the whole demo data set, generated in memory before anything is
// written, so that generation is deterministic and the write is one
// sequence of bulk inserts.
type world struct {
	rng   *rand.Rand
	now   time.Time // the instant "now", UTC
	today time.Time // today's Shanghai date as a UTC midnight (date columns)
	mid   time.Time // today's Shanghai midnight as an instant
	cal   calendar

	teams        []*teamRow
	agents       []*agentRow
	byUser       map[string]*agentRow
	products     []*productRow
	customers    []*customerRow
	policies     []*policyRow
	toolkit      []*toolkitRow
	interactions []*interactionRow
	usages       []*usageRow
	tasks        []*taskRow
	complaints   []*complaintRow
	claims       []*claimRow
	nps          []*npsRow
	notes        []*notificationRow
}

type teamRow struct {
	id   uuid.UUID
	name string
}

type agentRow struct {
	id                uuid.UUID
	username, display string
	role              string
	team              *teamRow
	timeZone, locale  string
	customers         []*customerRow
}

func newWorld(opts Options) *world {
	now := opts.Now.UTC()
	local := now.In(shanghai)
	y, m, d := local.Date()
	return &world{
		rng:    rand.New(rand.NewPCG(uint64(opts.Seed), pcgStream)),
		now:    now,
		today:  time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		mid:    time.Date(y, m, d, 0, 0, 0, 0, shanghai).UTC(),
		cal:    newCalendar(),
		byUser: map[string]*agentRow{},
	}
}

// newID returns a fresh UUIDv7, like the schema default; ids need not be
// deterministic, content must be.
func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// date is the date column value offset days from today.
func (w *world) date(offset int) time.Time { return w.today.AddDate(0, 0, offset) }

// at is the instant at hh:mm Shanghai time, offset days from today.
func (w *world) at(offset, hh, mm int) time.Time {
	return w.mid.In(shanghai).AddDate(0, 0, offset).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute).UTC()
}

// ago is now minus d.
func (w *world) ago(d time.Duration) time.Time { return w.now.Add(-d) }

// daysFromToday is the number of days from today to the date column d.
func (w *world) daysFromToday(d time.Time) int { return int(d.Sub(w.today).Hours() / 24) }

// --- random helpers -------------------------------------------------------

func (w *world) intn(n int) int { return w.rng.IntN(n) }

// between returns a uniform integer in [lo, hi].
func (w *world) between(lo, hi int) int { return lo + w.rng.IntN(hi-lo+1) }

func (w *world) chance(p float64) bool { return w.rng.Float64() < p }

func pick[T any](w *world, xs []T) T { return xs[w.rng.IntN(len(xs))] }

// weighted picks an index with the given weights.
func (w *world) weighted(weights ...int) int {
	total := 0
	for _, x := range weights {
		total += x
	}
	r := w.rng.IntN(total)
	for i, x := range weights {
		if r < x {
			return i
		}
		r -= x
	}
	return len(weights) - 1
}

// workHours returns an instant on the given day offset between 08:30 and
// 20:30 Shanghai time.
func (w *world) workHours(offset int) time.Time {
	return w.at(offset, 8, 30).Add(time.Duration(w.intn(12*60)) * time.Minute)
}

func ptr[T any](v T) *T { return &v }

// --- accounts -------------------------------------------------------------

func (w *world) genAccounts() {
	teamA := &teamRow{id: newID(), name: "A组"}
	teamB := &teamRow{id: newID(), name: "B组"}
	w.teams = []*teamRow{teamA, teamB}
	for _, a := range []*agentRow{
		{username: "agent1", display: "李晓燕", role: "agent", team: teamA, timeZone: "Asia/Shanghai", locale: "zh-CN"},
		{username: "agent2", display: "王志强", role: "agent", team: teamA, timeZone: "Asia/Shanghai", locale: "zh-CN"},
		{username: "lead1", display: "陈静", role: "team_lead", team: teamA, timeZone: "Asia/Shanghai", locale: "zh-CN"},
		{username: "agent3", display: "阿依古丽·买买提", role: "agent", team: teamB, timeZone: "Asia/Urumqi", locale: "zh-CN"},
		{username: "admin", display: "Head Office Admin", role: "admin", timeZone: "Asia/Shanghai", locale: "en"},
	} {
		a.id = newID()
		w.agents = append(w.agents, a)
		w.byUser[a.username] = a
	}
}

// integratorScopes are the demo integrator client's scopes.
var integratorScopes = []string{
	"customers:read", "customers:write", "policies:read", "policies:write", "interactions:read",
	"complaints:read", "claims:read", "tasks:read", "reports:read", "devices:write", "webhooks:manage",
}

// generate builds the whole data set. The order of the steps is part of
// the determinism: each consumes the one random stream.
func (w *world) generate(customers int) {
	w.genAccounts()
	w.genProducts()
	w.genToolkit()
	w.genCustomers(customers)
	w.genPolicies()
	w.genClaims()
	w.genComplaints()
	w.genInteractions()
	w.genTasks()
	w.genNps()
	w.genNotifications()
	w.finishTags()
}
