package report

// Key names a KPI (openapi.yaml's KpiKey).
type Key string

// The KPIs, in report order.
const (
	// FirstResponse12hRate is the share of consultations first answered
	// within 12 hours of receipt. Consultations are interactions of type
	// consultation that do not themselves answer another interaction.
	FirstResponse12hRate Key = "first_response_12h_rate"
	// FirstResponseMedianMinutes is the median time to first response of
	// the period's answered consultations.
	FirstResponseMedianMinutes Key = "first_response_median_minutes"
	// FirstResponse5minShare is the share of consultations first answered
	// within 5 minutes (the seeds' excellent tier).
	FirstResponse5minShare Key = "first_response_5min_share"
	// ClaimAccepted3dRate is the share of claims accepted by their
	// accept_due_at (3 days after filing).
	ClaimAccepted3dRate Key = "claim_accepted_3d_rate"
	// ClaimClosureMedianDays is the median time from filing to settlement
	// (payment or closure, whichever first) of the claims settled in the
	// period.
	ClaimClosureMedianDays Key = "claim_closure_median_days"
	// ComplaintAck24hRate is the share of complaints acknowledged by their
	// ack_due_at (24 hours after receipt).
	ComplaintAck24hRate Key = "complaint_ack_24h_rate"
	// ComplaintAnswer2wdRate is the share of complaints resolved (answered)
	// by their answer_due_at (2 working days after receipt).
	ComplaintAnswer2wdRate Key = "complaint_answer_2wd_rate"
	// ComplaintClose7wdRate is the share of complaints closed by their
	// close_due_at (7 working days after receipt).
	ComplaintClose7wdRate Key = "complaint_close_7wd_rate"
	// ToolkitUsageRate is the share of the period's interactions (all
	// types) for which a toolkit item use was recorded.
	ToolkitUsageRate Key = "toolkit_usage_rate"
	// KeyNodeCoverage is the share of plan-step tasks due in the period
	// that were done by their due time; skipped steps count as not covered.
	KeyNodeCoverage Key = "key_node_coverage"
	// StandardSuggestionRate is the share of customers (not erased,
	// created before the period's end) who had a generated service plan by
	// the period's end.
	StandardSuggestionRate Key = "standard_suggestion_rate"
	// NPS is the Net Promoter Score of the period's answers: the share of
	// promoters (9–10) minus the share of detractors (0–6), in points from
	// −100 to 100. Numerator is promoters − detractors, denominator the
	// number of answers.
	NPS Key = "nps"
	// RenewalRateChange is the period's renewal rate minus the previous
	// period's, in percentage points; see renewalFigures for the rate.
	RenewalRateChange Key = "renewal_rate_change"
)

// Keys returns every KPI key, in report order (the order of openapi.yaml's
// KpiKey enum).
func Keys() []Key {
	return []Key{
		FirstResponse12hRate, FirstResponseMedianMinutes, FirstResponse5minShare,
		ClaimAccepted3dRate, ClaimClosureMedianDays,
		ComplaintAck24hRate, ComplaintAnswer2wdRate, ComplaintClose7wdRate,
		ToolkitUsageRate, KeyNodeCoverage, StandardSuggestionRate, NPS, RenewalRateChange,
	}
}

// Unit is the unit of a KPI's value and target.
type Unit string

// The units.
const (
	UnitRatio   Unit = "ratio"
	UnitMinutes Unit = "minutes"
	UnitDays    Unit = "days"
	UnitScore   Unit = "score"
	UnitPoints  Unit = "points"
)

// Comparison says how a value meets its target.
type Comparison string

// The comparisons.
const (
	AtLeast Comparison = "gte"
	AtMost  Comparison = "lte"
)

// definition is a KPI's fixed part: target and labels.
type definition struct {
	unit       Unit
	target     float64
	comparison Comparison
	zh, en     string
}

// definitions hold the targets of PRODUCT.md (the seeds' figures). Where
// the seeds set a clock but no share, the share is the one they set for
// the nearest clock: the 5-minute excellent tier keeps the 90% of the
// 12-hour rate; the complaint clocks apply to every complaint (100%); the
// median first response is held to the service manual's 24 hours.
var definitions = map[Key]definition{
	FirstResponse12hRate:       {UnitRatio, 0.9, AtLeast, "12 小时内首次响应率", "First response within 12 h"},
	FirstResponseMedianMinutes: {UnitMinutes, 1440, AtMost, "首次响应时长中位数", "Median first-response time"},
	FirstResponse5minShare:     {UnitRatio, 0.9, AtLeast, "5 分钟内首次响应占比", "First response within 5 min"},
	ClaimAccepted3dRate:        {UnitRatio, 0.85, AtLeast, "理赔 3 日受理率", "Claims accepted within 3 days"},
	ClaimClosureMedianDays:     {UnitDays, 7, AtMost, "理赔结案中位天数", "Median claim closure time"},
	ComplaintAck24hRate:        {UnitRatio, 1, AtLeast, "投诉 24 小时确认率", "Complaints acknowledged within 24 h"},
	ComplaintAnswer2wdRate:     {UnitRatio, 1, AtLeast, "投诉 2 个工作日答复率", "Complaints answered within 2 working days"},
	ComplaintClose7wdRate:      {UnitRatio, 1, AtLeast, "投诉 7 个工作日结案率", "Complaints closed within 7 working days"},
	ToolkitUsageRate:           {UnitRatio, 0.8, AtLeast, "工具包使用率", "Toolkit usage rate"},
	KeyNodeCoverage:            {UnitRatio, 0.95, AtLeast, "关键节点覆盖率", "Key-node coverage"},
	StandardSuggestionRate:     {UnitRatio, 0.85, AtLeast, "标准化建议率", "Standard suggestion rate"},
	NPS:                        {UnitScore, 40, AtLeast, "净推荐值", "Net Promoter Score"},
	RenewalRateChange:          {UnitPoints, 15, AtLeast, "续保率变化", "Renewal rate change"},
}

// kpi combines the definition with a computed figure. The value is
// rounded for display (ratios to 4 decimals, the rest to 2); whether the
// target is met is judged on the unrounded value.
func (d definition) kpi(k Key, f figure, locale string) KPI {
	out := KPI{Key: k, Label: d.zh, Numerator: f.numerator, Denominator: f.denominator,
		Unit: d.unit, Target: d.target, Comparison: d.comparison}
	if locale == "en" {
		out.Label = d.en
	}
	if f.value == nil {
		return out
	}
	v := *f.value
	met := v >= d.target
	if d.comparison == AtMost {
		met = v <= d.target
	}
	decimals := 2
	if d.unit == UnitRatio {
		decimals = 4
	}
	r := round(v, decimals)
	out.Value, out.Met = &r, &met
	return out
}
