package report

import (
	"context"
	"time"
)

// renewalFigures computes the renewal rate change: the renewal rate of the
// period minus that of the previous period of equal length (the same
// number of days, ending the day before From), in percentage points.
//
// For a window of days W = [first, last] and the customers in scope (by
// their current agent):
//
//   - renewed in W: the recorded renewals (policy_renewals, written when a
//     policy load moves a policy's renewal date on) whose renewal came due
//     in W, whenever they were recorded;
//   - not renewed in W: the policies whose current renewal date falls in W
//     and is before today (the date passed without the policy renewing;
//     today's and later renewal dates are still open and are left out);
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
		s.w(" (SELECT COUNT(*) FROM policy_renewals r WHERE r.due_date >= ? AND r.due_date < ?", start, end)
		b.customerScope(&s, "r")
		s.w("), (SELECT COUNT(*) FROM policies p WHERE p.renewal_date >= ? AND p.renewal_date < ?", start, decided)
		// By the renewal_date index: a window holds a few of the team's
		// policies.
		b.customerScopeOf(&s, b.noIndex("p.customer_id"))
		s.w(")")
	}
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
