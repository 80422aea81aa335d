// Package report computes the service-quality KPIs of the standard for a
// team, an agent or everyone over a period (GET /v1/reports/kpis).
//
// The database computes every figure with aggregate queries (COUNT and
// SUM over CASE, medians with percentile_cont on PostgreSQL and a window
// function on SQLite); no row is loaded into memory. The queries are raw
// SQL on the store's handle, so the ent access rules do not apply to them:
// callers resolve what the viewer may see with ResolveScope first.
//
// # Periods and clocks
//
// A period is a range of whole days, From to To inclusive, in the
// caller's time zone: the instants [From 00:00, To+1 00:00) of that zone.
// Events belong to the period in which their clock started (a consultation
// by received_at, a complaint by received_at, a claim by filed_at, a plan
// step by due_at, an NPS answer by answered_at). A rate counts only the
// clocks already decided at the report's Now: met, or run out. A
// consultation received an hour ago and not yet answered is neither in the
// numerator nor in the denominator of the 12-hour rate; one received a day
// ago and still unanswered is in the denominator only.
//
// # Attribution
//
// An event belongs to the agent recorded on it (the one who handled it),
// or, when none is, to the customer's current agent. Figures about the book
// itself (standard suggestion rate, renewal rate) belong to the customer's
// current agent. A team's figures are those of its current members.
//
// # Execution
//
// A report is about ten independent statements, a few run at once on
// connections of their own; each is consistent in itself. On PostgreSQL
// each runs in a read-only transaction with JIT compilation off.
//
// # Precision
//
// Times are stored in UTC. Durations are compared to the millisecond on
// SQLite (its date functions' resolution) and to the microsecond on
// PostgreSQL; the results agree whenever the times involved are whole
// milliseconds.
package report

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/store"
)

// MaxPeriodDays is the longest period a report covers.
const MaxPeriodDays = 732

// maxConcurrentQueries bounds the connections one report holds at once.
const maxConcurrentQueries = 4

// Scope says whose figures a report holds: one agent, one team, or
// (both nil) everyone. With both set, the agent must be in the team.
type Scope struct {
	TeamID  *uuid.UUID
	AgentID *uuid.UUID
}

// Query asks for a report.
type Query struct {
	Scope Scope
	// From and To are the first and last day of the period, inclusive:
	// their year, month and day as written.
	From, To time.Time
	// Location is the caller's time zone, in which the days are read;
	// Asia/Shanghai when nil.
	Location *time.Location
	// Now is the time of the report (required): clocks still running at
	// Now are left out of the rates.
	Now time.Time
	// Locale chooses the labels: "zh-CN" (the default) or "en".
	Locale string
}

// Report is the KPI report (openapi.yaml's KpiReport).
type Report struct {
	Scope Scope
	// From and To are the first and last day (midnight UTC of the date).
	From, To    time.Time
	GeneratedAt time.Time
	// KPIs holds one KPI per key, in the order of Keys.
	KPIs []KPI
}

// KPI is one figure with its target (openapi.yaml's Kpi).
type KPI struct {
	Key   Key
	Label string
	// Value is nil when there is no denominator.
	Value *float64
	// Numerator and Denominator give the counts behind Value; for a median
	// both are the number of values it is taken over.
	Numerator   float64
	Denominator float64
	Unit        Unit
	Target      float64
	Comparison  Comparison
	// Met is nil when Value is.
	Met *bool
}

// KPIs computes the report of q on db.
func KPIs(ctx context.Context, db *store.DB, q Query) (*Report, error) {
	p, err := newPeriod(q)
	if err != nil {
		return nil, err
	}
	b := builder{dialect: db.Dialect, scope: q.Scope, p: p}
	// The queries are independent: run a few at once, each on a connection
	// of its own. (Each is consistent in itself; the report as a whole is
	// not one snapshot.)
	results := make([]map[Key]figure, len(computations))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxConcurrentQueries)
	for i, compute := range computations {
		g.Go(func() error {
			out := map[Key]figure{}
			results[i] = out
			return b.run(gctx, db, func(q querier) error { return compute(gctx, q, b, out) })
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("compute KPIs: %w", err)
	}
	figures := map[Key]figure{}
	for _, m := range results {
		for k, f := range m {
			figures[k] = f
		}
	}
	figures[ToolkitUsageRate] = ratio(int64(figures[toolkitUsed].numerator), int64(figures[ToolkitUsageRate].denominator))

	r := &Report{Scope: q.Scope, From: p.fromDate, To: p.toDate, GeneratedAt: q.Now.UTC()}
	for _, k := range Keys() {
		r.KPIs = append(r.KPIs, definitions[k].kpi(k, figures[k], q.Locale))
	}
	return r, nil
}

// figure is a computed value with its counts; value is nil without a
// denominator.
type figure struct {
	value       *float64
	numerator   float64
	denominator float64
}

// ratio is num/den, or no value when den is 0.
func ratio(num, den int64) figure {
	f := figure{numerator: float64(num), denominator: float64(den)}
	if den > 0 {
		v := float64(num) / float64(den)
		f.value = &v
	}
	return f
}

// period is a query's period as instants and dates.
type period struct {
	fromDate, toDate time.Time // midnight UTC of the first and last day
	start, end       time.Time // [start, end) in UTC
	loc              *time.Location
	now              time.Time // UTC
	today            time.Time // midnight UTC of now's date in loc
}

func newPeriod(q Query) (period, error) {
	if q.Now.IsZero() {
		return period{}, fmt.Errorf("report: Query.Now is required")
	}
	loc := q.Location
	if loc == nil {
		loc = shanghai()
	}
	from, to := civil(q.From), civil(q.To)
	if to.Before(from) {
		return period{}, apperr.Invalid("the period ends before it starts",
			apperr.FieldError{Field: "to", Code: "before_from", Message: "must not be before from"})
	}
	if days := int(to.Sub(from).Hours()/24) + 1; days > MaxPeriodDays {
		return period{}, apperr.Invalid("the period is too long",
			apperr.FieldError{Field: "from", Code: "range", Message: fmt.Sprintf("the period must not exceed %d days", MaxPeriodDays)})
	}
	local := func(d time.Time) time.Time {
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).UTC()
	}
	return period{
		fromDate: from, toDate: to,
		start: local(from), end: local(to.AddDate(0, 0, 1)),
		loc: loc, now: q.Now.UTC(), today: civil(q.Now.In(loc)),
	}, nil
}

// days is the length of the period in days.
func (p period) days() int { return int(p.toDate.Sub(p.fromDate).Hours()/24) + 1 }

// civil returns midnight UTC of t's date as written in t's location.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// shanghai is the default time zone, with a fixed UTC+8 fallback where
// the time-zone database is missing (China has no daylight saving time).
func shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// round rounds v to n decimals.
func round(v float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(v*p) / p
}
