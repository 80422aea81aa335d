package workload

import "strings"

// The datagen records speak Chinese labels; AgentDesk's schema has enums.
// These maps are the one place that translates them (every label datagen
// can produce is listed, so an unknown one is an error, not a default).

var lifeStages = map[string]string{
	"单身": "single", "新婚": "married", "有幼儿": "young_family", "子女上学": "young_family",
	"子女成年": "mature_family", "空巢": "empty_nest", "退休": "retired",
}

// incomeBand maps datagen's bands 1–8 onto the schema's five.
func incomeBand(n int) string {
	switch {
	case n <= 0:
		return "unknown"
	case n <= 2:
		return "low"
	case n == 3:
		return "lower_middle"
	case n <= 5:
		return "middle"
	case n <= 7:
		return "upper_middle"
	default:
		return "high"
	}
}

var policyLines = map[string]string{
	"寿险": "life", "健康险": "health", "年金险": "annuity", "意外险": "accident", "财产险": "property",
}

// policyLine refines datagen's line by product: critical-illness and motor
// products have their own lines in the schema.
func policyLine(product, line string) (string, bool) {
	switch {
	case strings.Contains(product, "重疾") || strings.Contains(product, "重大疾病"):
		return "critical_illness", true
	case strings.Contains(product, "机动车"):
		return "auto", true
	}
	l, ok := policyLines[line]
	return l, ok
}

var policyStatuses = map[string]string{
	"有效": "active", "待续保": "active", "宽限期": "grace", "失效": "lapsed", "已退保": "terminated",
}

var channels = map[string]string{
	"微信": "wechat", "电话": "phone", "短信": "phone", "面谈": "visit", "App消息": "app", "邮件": "email",
}

var interactionTypes = map[string]string{
	"咨询": "consultation", "回访": "revisit", "续保提醒": "renewal", "理赔协助": "claim_assistance",
	"生日祝福": "care", "产品推荐": "needs_analysis", "投诉处理": "complaint", "保单变更": "consultation",
	"缴费提醒": "payment",
}

var taskStatuses = map[string]string{
	"待办": "todo", "进行中": "todo", "已完成": "done", "已取消": "skipped",
}
