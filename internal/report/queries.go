package report

import (
	"context"
	"time"
)

// computation computes some figures of a report with q.
type computation func(ctx context.Context, q querier, b builder, out map[Key]figure) error

// computations are the independent queries of a report.
var computations = []computation{
	interactionFigures, toolkitFigures, firstResponseMedian, claimFigures, claimClosureMedian,
	complaintFigures, keyNodeFigures, suggestionFigures, npsFigures, renewalFigures,
}

// consultation selects the interactions whose first-response clock the
// KPIs measure: consultations that do not themselves answer another
// interaction.
const consultation = "i.type = 'consultation' AND i.answers_interaction_id IS NULL"

// interactionFigures computes the first-response rates and counts the
// period's interactions in one pass.
//
// A consultation's 12-hour clock is decided when it has been answered or
// when 12 hours have passed unanswered (received_at < now − 12 h); it is
// met when first_response_at − received_at ≤ 12 h. Likewise for 5
// minutes.
func interactionFigures(ctx context.Context, q querier, b builder, out map[Key]figure) error {
	resp := b.seconds("i.received_at", "i.first_response_at")
	var s stmt
	s.w("SELECT COUNT(*), ")
	s.w(count(consultation+" AND (i.first_response_at IS NOT NULL OR "+b.t("i.received_at")+" < ?)")+", ", b.p.now.Add(-12*time.Hour))
	s.w(count(consultation+" AND i.first_response_at IS NOT NULL AND "+resp+" <= 43200") + ", ")
	s.w(count(consultation+" AND (i.first_response_at IS NOT NULL OR "+b.t("i.received_at")+" < ?)")+", ", b.p.now.Add(-5*time.Minute))
	s.w(count(consultation + " AND i.first_response_at IS NOT NULL AND " + resp + " <= 300"))
	s.w(" FROM interactions i WHERE i.received_at >= ? AND i.received_at < ?", b.p.start, b.p.end)
	b.eventScope(&s, "i")
	var all, d12, n12, d5, n5 int64
	if err := scanCounts(ctx, q, b.dialect, &s, "interaction figures", &all, &d12, &n12, &d5, &n5); err != nil {
		return err
	}
	out[FirstResponse12hRate] = ratio(n12, d12)
	out[FirstResponse5minShare] = ratio(n5, d5)
	out[ToolkitUsageRate] = figure{denominator: float64(all)}
	return nil
}

// toolkitFigures counts the period's interactions that used a toolkit
// item, from the ToolkitUsage rows alone: RecordInteraction dates each use
// with its interaction's received_at and credits it to the interaction's
// agent, so the uses of the period's interactions are the uses of the
// period (and the index on used_at finds them). The denominator comes from
// interactionFigures.
func toolkitFigures(ctx context.Context, q querier, b builder, out map[Key]figure) error {
	var s stmt
	s.w("SELECT COUNT(DISTINCT tu.interaction_id) FROM toolkit_usages tu WHERE tu.used_at >= ? AND tu.used_at < ?", b.p.start, b.p.end)
	b.eventScope(&s, "tu")
	var used int64
	if err := scanCounts(ctx, q, b.dialect, &s, "toolkit figures", &used); err != nil {
		return err
	}
	out[toolkitUsed] = figure{numerator: float64(used)}
	return nil
}

// toolkitUsed carries toolkitFigures' count to the merge; it is not a
// report key.
const toolkitUsed Key = "toolkit_used"

// firstResponseMedian computes the median minutes from receipt to first
// response of the period's answered consultations.
func firstResponseMedian(ctx context.Context, q querier, b builder, out map[Key]figure) error {
	v, n, err := b.median(ctx, q, b.seconds("i.received_at", "i.first_response_at")+" / 60", func(s *stmt) {
		s.w(" FROM interactions i WHERE " + consultation + " AND i.first_response_at IS NOT NULL")
		s.w(" AND i.received_at >= ? AND i.received_at < ?", b.p.start, b.p.end)
		b.eventScope(s, "i")
	})
	if err != nil {
		return err
	}
	out[FirstResponseMedianMinutes] = figure{value: v, numerator: float64(n), denominator: float64(n)}
	return nil
}

// claimFigures computes the 3-day acceptance rate of the claims filed in
// the period: decided when accepted or past accept_due_at, met when
// accepted_at ≤ accept_due_at.
func claimFigures(ctx context.Context, q querier, b builder, out map[Key]figure) error {
	var s stmt
	s.w("SELECT "+count("cl.accepted_at IS NOT NULL OR "+b.t("cl.accept_due_at")+" < ?")+", ", b.p.now)
	s.w(count("cl.accepted_at IS NOT NULL AND " + b.t("cl.accepted_at") + " <= " + b.t("cl.accept_due_at")))
	s.w(" FROM claims cl WHERE cl.filed_at >= ? AND cl.filed_at < ?", b.p.start, b.p.end)
	b.eventScope(&s, "cl")
	var decided, met int64
	if err := scanCounts(ctx, q, b.dialect, &s, "claim figures", &decided, &met); err != nil {
		return err
	}
	out[ClaimAccepted3dRate] = ratio(met, decided)
	return nil
}

// claimSettled is when a claim was paid or closed, whichever first.
const claimSettled = "CASE WHEN cl.paid_at IS NOT NULL AND (cl.closed_at IS NULL OR cl.paid_at < cl.closed_at) THEN cl.paid_at ELSE cl.closed_at END"

// claimClosureMedian computes the median days from filing to settlement
// of the claims settled in the period.
func claimClosureMedian(ctx context.Context, q querier, b builder, out map[Key]figure) error {
	v, n, err := b.median(ctx, q, b.seconds("cl.filed_at", claimSettled)+" / 86400", func(s *stmt) {
		s.w(" FROM claims cl WHERE cl.filed_at < ?", b.p.end)
		s.w(" AND ("+claimSettled+") >= ? AND ("+claimSettled+") < ?", b.p.start, b.p.end)
		b.eventScope(s, "cl")
	})
	if err != nil {
		return err
	}
	out[ClaimClosureMedianDays] = figure{value: v, numerator: float64(n), denominator: float64(n)}
	return nil
}

// complaintFigures computes the three complaint SLA rates of the
// complaints received in the period, against the due times stored on each
// complaint when it was opened (the working-day clocks come from the
// calendar then, so the database compares timestamps only).
func complaintFigures(ctx context.Context, q querier, b builder, out map[Key]figure) error {
	var s stmt
	s.w("SELECT")
	for i, c := range [][2]string{{"k.acknowledged_at", "k.ack_due_at"}, {"k.resolved_at", "k.answer_due_at"}, {"k.closed_at", "k.close_due_at"}} {
		at, due := c[0], c[1]
		if i > 0 {
			s.w(",")
		}
		s.w(" "+count(at+" IS NOT NULL OR "+b.t(due)+" < ?")+", ", b.p.now)
		s.w(count(at + " IS NOT NULL AND " + b.t(at) + " <= " + b.t(due)))
	}
	s.w(" FROM complaints k WHERE k.received_at >= ? AND k.received_at < ?", b.p.start, b.p.end)
	b.eventScope(&s, "k")
	var ackD, ackM, ansD, ansM, closeD, closeM int64
	if err := scanCounts(ctx, q, b.dialect, &s, "complaint figures", &ackD, &ackM, &ansD, &ansM, &closeD, &closeM); err != nil {
		return err
	}
	out[ComplaintAck24hRate] = ratio(ackM, ackD)
	out[ComplaintAnswer2wdRate] = ratio(ansM, ansD)
	out[ComplaintClose7wdRate] = ratio(closeM, closeD)
	return nil
}

// keyNodeFigures computes key-node coverage over the tasks made from plan
// steps and due in the period: decided when done on time or past due, met
// when done with completed_at ≤ due_at.
func keyNodeFigures(ctx context.Context, q querier, b builder, out map[Key]figure) error {
	met := "t.status = 'done' AND t.completed_at IS NOT NULL AND " + b.t("t.completed_at") + " <= " + b.t("t.due_at")
	var s stmt
	s.w("SELECT "+count("("+met+") OR "+b.t("t.due_at")+" < ?")+", ", b.p.now)
	s.w(count(met))
	// The status list lets the (status, due_at) index find the period.
	s.w(" FROM tasks t WHERE t.status IN ('todo', 'done', 'skipped') AND t.due_at >= ? AND t.due_at < ?", b.p.start, b.p.end)
	s.w(" AND t.plan_step_id IS NOT NULL")
	b.eventScope(&s, "t")
	var decided, covered int64
	if err := scanCounts(ctx, q, b.dialect, &s, "key-node figures", &decided, &covered); err != nil {
		return err
	}
	out[KeyNodeCoverage] = ratio(covered, decided)
	return nil
}

// suggestionFigures computes the standard suggestion rate at the period's
// end: of the customers created before it (and not erased), those whose
// service plan was first generated before it.
func suggestionFigures(ctx context.Context, q querier, b builder, out map[Key]figure) error {
	var s stmt
	s.w("SELECT COUNT(*), "+count("c.id IN (SELECT sp.customer_id FROM service_plans sp WHERE sp.created_at < ?)"), b.p.end)
	s.w(" FROM customers c WHERE c.erased_at IS NULL AND c.created_at < ?", b.p.end)
	b.agentSets(&s, func(in string, arg any) { s.w(" AND c.agent_id"+in, arg) })
	var customers, withPlan int64
	if err := scanCounts(ctx, q, b.dialect, &s, "suggestion figures", &customers, &withPlan); err != nil {
		return err
	}
	out[StandardSuggestionRate] = ratio(withPlan, customers)
	return nil
}

// npsFigures computes the NPS of the answers given in the period.
func npsFigures(ctx context.Context, q querier, b builder, out map[Key]figure) error {
	var s stmt
	s.w("SELECT COUNT(*), " + count("n.score >= 9") + ", " + count("n.score <= 6"))
	s.w(" FROM nps_answers n WHERE n.answered_at >= ? AND n.answered_at < ?", b.p.start, b.p.end)
	b.eventScope(&s, "n")
	var answers, promoters, detractors int64
	if err := scanCounts(ctx, q, b.dialect, &s, "NPS figures", &answers, &promoters, &detractors); err != nil {
		return err
	}
	f := figure{numerator: float64(promoters - detractors), denominator: float64(answers)}
	if answers > 0 {
		v := 100 * float64(promoters-detractors) / float64(answers)
		f.value = &v
	}
	out[NPS] = f
	return nil
}
