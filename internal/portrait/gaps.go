package portrait

import (
	"fmt"
	"slices"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/portrait/civil"
)

// The life stages, as the Customer and Portrait records spell them.
const (
	StageSingle       = "single"
	StageMarried      = "married"
	StageYoungFamily  = "young_family"
	StageMatureFamily = "mature_family"
	StageEmptyNest    = "empty_nest"
	StageRetired      = "retired"
	StageUnknown      = "unknown"
)

// Life-stage thresholds, in whole years.
const (
	RetirementAge     = 60 // at or over: retired
	YoungChildMaxAge  = 12 // youngest child at most this: young_family
	DependentChildAge = 22 // youngest child at most this: mature_family
)

// LifeStageOf derives the life stage from the customer's age (on the
// agent's calendar), spouse, children and dependants; see the package
// documentation for the rules.
func LifeStageOf(c *ent.Customer, today civil.Date) string {
	f := c.Family
	age := -1 // unknown
	if c.BirthDate != nil {
		age = Age(*c.BirthDate, today)
	}
	if age < 0 && !f.Spouse && len(f.Children) == 0 && f.Dependants == 0 {
		if c.LifeStage == "" {
			return StageUnknown
		}
		return string(c.LifeStage)
	}
	if age >= RetirementAge {
		return StageRetired
	}
	if len(f.Children) > 0 {
		year, _, _ := today.YMD()
		youngest := year - f.Children[0].BirthYear
		for _, ch := range f.Children[1:] {
			youngest = min(youngest, year-ch.BirthYear)
		}
		switch {
		case youngest <= YoungChildMaxAge:
			return StageYoungFamily
		case youngest <= DependentChildAge:
			return StageMatureFamily
		default:
			return StageEmptyNest
		}
	}
	if f.Spouse {
		return StageMarried
	}
	return StageSingle
}

// need is one line of the coverage table.
type need struct {
	line   string
	reason string
}

// coverageTable lists, per life stage, the lines a customer of that stage
// usually holds and why. It is the documented table of coverage gaps:
//
//	single         health, accident, critical_illness
//	married        life, critical_illness, health, accident
//	young_family   life, critical_illness, health, accident
//	mature_family  life, critical_illness, health, annuity
//	empty_nest     health, critical_illness, annuity
//	retired        health, annuity, accident
//	unknown        (nothing: no basis for advice)
//
// A customer with dependants also needs life cover at every stage.
var coverageTable = map[string][]need{
	StageSingle: {
		{"health", "医疗费用是单身人士最主要的未保风险"},
		{"accident", "意外伤害会直接中断个人收入"},
		{"critical_illness", "重疾会同时带来治疗费用和收入损失"},
	},
	StageMarried: {
		{"life", "一方身故时保障配偶的生活和共同负债"},
		{"critical_illness", "重疾治疗期间夫妻一方收入中断"},
		{"health", "夫妻双方的医疗费用"},
		{"accident", "通勤与出行的意外风险"},
	},
	StageYoungFamily: {
		{"life", "家庭经济支柱，子女尚未成年，需要定期寿险保障"},
		{"critical_illness", "重疾治疗期间家庭开支和子女教育仍需支出"},
		{"health", "家庭成员（含子女）的医疗费用"},
		{"accident", "通勤与出行的意外风险"},
	},
	StageMatureFamily: {
		{"life", "子女教育和房贷仍依赖主要收入"},
		{"critical_illness", "中年重疾发病率上升"},
		{"health", "家庭成员的医疗费用"},
		{"annuity", "收入高峰期为养老储蓄"},
	},
	StageEmptyNest: {
		{"health", "年龄增长，医疗支出上升"},
		{"critical_illness", "重疾发病率随年龄上升"},
		{"annuity", "临近退休，需要稳定的养老现金流"},
	},
	StageRetired: {
		{"health", "退休后医疗支出是最大的开销"},
		{"annuity", "补充基本养老金收入"},
		{"accident", "老年人跌倒等意外风险较高"},
	},
}

// CoverageGaps returns the lines the table recommends for the life stage
// (and life cover for dependants) that are not among the lines held, in
// the table's order.
func CoverageGaps(stage string, f domain.Family, held []string) []domain.CoverageGap {
	gaps := []domain.CoverageGap{}
	needs := coverageTable[stage]
	if f.Dependants > 0 && !slices.ContainsFunc(needs, func(n need) bool { return n.line == "life" }) {
		needs = append(slices.Clone(needs), need{"life", fmt.Sprintf("需赡养 %d 位家人，需要寿险保障其生活", f.Dependants)})
	}
	for _, n := range needs {
		if !slices.Contains(held, n.line) {
			gaps = append(gaps, domain.CoverageGap{Line: n.line, Reason: n.reason})
		}
	}
	return gaps
}
