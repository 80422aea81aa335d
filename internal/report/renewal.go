package report

import (
	"context"
	"time"
)

// renewalFigures computes the renewal rate change: the renewal rate of the
// period minus that of the previous period of equal length (the same
// number of days, ending the day before From), in percentage points.
//
// The policy table keeps only each policy's current renewal date, which
// the insurer's system moves a year on when the policy renews. So, for a
// window of days W = [first, last] and the customers in scope (by their
// current agent):
//
//   - renewed in W: renewal_date falls in W shifted one year on, and the
//     policy started before W (so the date moved on from W, rather than a
//     new policy's first renewal date landing there);
//   - not renewed in W: renewal_date falls in W and is before today (the
//     date passed without the policy renewing; today's and later renewal
//     dates are still open and are left out);
//   - renewal rate of W = renewed / (renewed + not renewed).
//
// The value is null when either period has no renewal due. Numerator and
// denominator are the period's renewed and due counts.
func renewalFigures(ctx context.Context, q querier, b builder, out map[Key]figure) error {
	cur := b.p.fromDate
	curEnd := b.p.toDate.AddDate(0, 0, 1)
	prev := cur.AddDate(0, 0, -b.p.days())
	var s stmt
	s.w("SELECT")
	for i, w := range [][2]time.Time{{cur, curEnd}, {prev, cur}} {
		start, end := w[0], w[1]
		decided := end
		if b.p.today.Before(decided) {
			decided = b.p.today
		}
		if i > 0 {
			s.w(",")
		}
		s.w(" "+count("p.renewal_date >= ? AND p.renewal_date < ? AND p.start_date < ?")+", ",
			start.AddDate(1, 0, 0), end.AddDate(1, 0, 0), start)
		s.w(count("p.renewal_date >= ? AND p.renewal_date < ?"), start, decided)
	}
	// Only the two windows and the two a year on matter: ranges the index
	// on renewal_date finds.
	s.w(" FROM policies p WHERE (p.renewal_date >= ? AND p.renewal_date < ? OR p.renewal_date >= ? AND p.renewal_date < ?)",
		prev, curEnd, prev.AddDate(1, 0, 0), curEnd.AddDate(1, 0, 0))
	b.customerScope(&s, "p")
	var curRenewed, curLapsed, prevRenewed, prevLapsed int64
	if err := scanCounts(ctx, q, b.dialect, &s, "renewal figures", &curRenewed, &curLapsed, &prevRenewed, &prevLapsed); err != nil {
		return err
	}
	curDue, prevDue := curRenewed+curLapsed, prevRenewed+prevLapsed
	f := figure{numerator: float64(curRenewed), denominator: float64(curDue)}
	if curDue > 0 && prevDue > 0 {
		// (r₁ − r₀)·100 with one rounding: 100·(n₁d₀ − n₀d₁) / (d₁d₀).
		v := 100 * float64(curRenewed*prevDue-prevRenewed*curDue) / float64(curDue*prevDue)
		f.value = &v
	}
	out[RenewalRateChange] = f
	return nil
}
