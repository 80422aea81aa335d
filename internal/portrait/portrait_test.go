package portrait_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/portrait/civil"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
func ptr[T any](v T) *T                        { return &v }

func id(n int) uuid.UUID {
	var u uuid.UUID
	u[15] = byte(n)
	u[6] = 0x70
	return u
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fixture is 王芳: a young family (children born 2015 and 2019) with a
// critical-illness policy in force, a health policy in grace, a lapsed
// accident policy and a terminated life policy; two interactions, a
// resolved claim-timeliness complaint and an open billing complaint, a paid
// claim and a declined one, and two NPS answers (the latest a 6).
func fixture() *portrait.Inputs {
	declined := claim.DecisionDeclined
	return &portrait.Inputs{
		Customer: &ent.Customer{ID: id(1), Name: "王芳", BirthDate: ptr(day(1986, 4, 12)), Gender: customer.GenderFemale,
			Family:    domain.Family{Spouse: true, Children: []domain.Child{{BirthYear: 2015}, {BirthYear: 2019}}, Dependants: 1},
			LifeStage: customer.LifeStageUnknown, CreatedAt: day(2025, 1, 1)},
		Policies: []*ent.InsurancePolicy{
			{ID: id(11), Number: "P1", ProductName: "安康重疾", Line: insurancepolicy.LineCriticalIllness, PremiumCents: 856000,
				SumAssuredCents: 50_000_000, Currency: "CNY", PaymentFrequency: insurancepolicy.PaymentFrequencyAnnual,
				StartDate: day(2024, 3, 20), Status: insurancepolicy.StatusActive},
			{ID: id(12), Number: "P2", ProductName: "百万医疗", Line: insurancepolicy.LineHealth, PremiumCents: 20000,
				SumAssuredCents: 300_000_000, Currency: "CNY", PaymentFrequency: insurancepolicy.PaymentFrequencyMonthly,
				StartDate: day(2025, 6, 1), Status: insurancepolicy.StatusGrace, MissedPayments: 1},
			{ID: id(13), Number: "P3", ProductName: "综合意外", Line: insurancepolicy.LineAccident, PremiumCents: 30000,
				Currency: "CNY", PaymentFrequency: insurancepolicy.PaymentFrequencyAnnual, StartDate: day(2020, 1, 10),
				NextPremiumDueDate: ptr(day(2025, 1, 10)), Status: insurancepolicy.StatusLapsed, MissedPayments: 2},
			{ID: id(14), Number: "P4", ProductName: "定期寿险", Line: insurancepolicy.LineLife, PremiumCents: 100000,
				Currency: "CNY", PaymentFrequency: insurancepolicy.PaymentFrequencyAnnual, StartDate: day(2018, 5, 5),
				Status: insurancepolicy.StatusTerminated, UpdatedAt: day(2023, 1, 1)},
		},
		Interactions: []*ent.Interaction{
			{ID: id(21), Channel: interaction.ChannelWechat, Type: interaction.TypeCare, ReceivedAt: time.Date(2025, 12, 1, 2, 0, 0, 0, time.UTC),
				Content: "节日问候，客户表示最近工作很忙，孩子准备上小学，希望以后再详细聊聊教育金的安排，顺便问了医疗险的报销流程和材料清单，另外提到父母的体检安排"},
			{ID: id(22), Channel: interaction.ChannelPhone, Type: interaction.TypeConsultation, ReceivedAt: time.Date(2026, 2, 20, 3, 0, 0, 0, time.UTC),
				Content: "咨询续期缴费", Result: "客户决定维持年缴"},
		},
		Complaints: []*ent.Complaint{
			{ID: id(31), Status: complaint.StatusResolved, Category: complaint.CategoryClaimTimeliness, Summary: "理赔太慢", ReceivedAt: day(2025, 7, 1)},
			{ID: id(32), Status: complaint.StatusInvestigating, Category: complaint.CategoryBilling, Summary: "重复扣款", ReceivedAt: day(2026, 2, 25)},
		},
		Claims: []*ent.Claim{
			{ID: id(41), Status: claim.StatusPaid, AmountClaimedCents: 1_500_000, AmountPaidCents: 1_280_000, FiledAt: day(2025, 6, 11)},
			{ID: id(42), Status: claim.StatusClosed, Decision: &declined, AmountClaimedCents: 300_000, FiledAt: day(2024, 1, 5)},
		},
		NPS: []*ent.NpsAnswer{
			{ID: id(51), Score: 9, Comment: "很好", AnsweredAt: day(2025, 10, 1), CreatedAt: day(2025, 10, 2)},
			{ID: id(52), Score: 6, AnsweredAt: time.Date(2026, 2, 20, 4, 0, 0, 0, time.UTC), InteractionID: ptr(id(22)),
				CreatedAt: time.Date(2026, 2, 20, 4, 0, 0, 0, time.UTC)},
		},
	}
}

func TestComputeDerivesEveryFigure(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 21, 0, 0, time.UTC) // 09:21 in Shanghai
	got := portrait.Compute(fixture(), now, shanghai(t))
	want := portrait.Portrait{
		CustomerID: id(1),
		LifeStage:  "young_family",
		PoliciesSummary: domain.PolicySummary{Count: 4, ActiveCount: 2, LinesHeld: []string{"health", "critical_illness"},
			TotalAnnualPremiumCents: 856000 + 12*20000, TotalSumAssuredCents: 350_000_000, Currency: "CNY"},
		CoverageGaps: []domain.CoverageGap{
			{Line: "life", Reason: "家庭经济支柱，子女尚未成年，需要定期寿险保障"},
			{Line: "accident", Reason: "通勤与出行的意外风险"},
		},
		ChurnRisk: domain.ChurnRisk{Score: 0.55, Level: "medium", Factors: []domain.ChurnFactor{
			{Name: "missed_payments", Weight: 0.2, Value: 1, Contribution: 0.2},
			{Name: "lapsed_or_grace", Weight: 0.3, Value: 0.5, Contribution: 0.15},
			{Name: "nps_detractor", Weight: 0.1, Value: 1, Contribution: 0.1},
			{Name: "open_complaints", Weight: 0.2, Value: 0.5, Contribution: 0.1},
			{Name: "days_since_last_contact", Weight: 0.2, Value: 0, Contribution: 0},
		}},
		LastContactAt:     ptr(time.Date(2026, 2, 20, 3, 0, 0, 0, time.UTC)),
		OpenComplaints:    1,
		Claims:            domain.ClaimsSummary{Count: 2, Open: 0, PaidCents: 1_280_000},
		YearsWithoutClaim: 0,
		NPS: []domain.NpsEntry{
			{ID: id(52), CreatedAt: ptr(time.Date(2026, 2, 20, 4, 0, 0, 0, time.UTC)), Score: 6,
				AnsweredAt: time.Date(2026, 2, 20, 4, 0, 0, 0, time.UTC), InteractionID: ptr(id(22))},
			{ID: id(51), CreatedAt: ptr(day(2025, 10, 2)), Score: 9, Comment: "很好", AnsweredAt: day(2025, 10, 1)},
		},
		Timeline: []domain.TimelineEvent{
			{At: day(2026, 2, 25), Kind: "complaint", RefID: id(32), Title: "投诉：缴费扣款", Summary: "重复扣款"},
			{At: time.Date(2026, 2, 20, 3, 0, 0, 0, time.UTC), Kind: "interaction", RefID: id(22), Title: "电话·咨询", Summary: "客户决定维持年缴"},
			{At: time.Date(2025, 12, 1, 2, 0, 0, 0, time.UTC), Kind: "interaction", RefID: id(21), Title: "微信·关怀",
				Summary: "节日问候，客户表示最近工作很忙，孩子准备上小学，希望以后再详细聊聊教育金的安排，顺便问了医疗险的报销流程和材料清单，另外…"},
			{At: day(2025, 7, 1), Kind: "complaint", RefID: id(31), Title: "投诉：理赔时效", Summary: "理赔太慢"},
			{At: day(2025, 6, 11), Kind: "claim", RefID: id(41), Title: "理赔：已赔付", Summary: "赔付 12,800.00 元"},
			{At: day(2025, 6, 1), Kind: "policy", RefID: id(12), Title: "保单生效：百万医疗", Summary: "P2"},
			{At: day(2025, 1, 10), Kind: "policy", RefID: id(13), Title: "保单失效：综合意外", Summary: "P3"},
			{At: day(2024, 3, 20), Kind: "policy", RefID: id(11), Title: "保单生效：安康重疾", Summary: "P1"},
			{At: day(2024, 1, 5), Kind: "claim", RefID: id(42), Title: "理赔：已结案", Summary: "申请 3,000.00 元"},
			{At: day(2023, 1, 1), Kind: "policy", RefID: id(14), Title: "保单终止：定期寿险", Summary: "P4"},
			{At: day(2020, 1, 10), Kind: "policy", RefID: id(13), Title: "保单生效：综合意外", Summary: "P3"},
			{At: day(2018, 5, 5), Kind: "policy", RefID: id(14), Title: "保单生效：定期寿险", Summary: "P4"},
		},
		ComputedAt: now,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(portrait.Portrait{}, "InputsHash")); diff != "" {
		t.Errorf("Compute mismatch (-want +got):\n%s", diff)
	}
	if again := portrait.Compute(fixture(), now.Add(time.Hour), shanghai(t)); again.InputsHash != got.InputsHash {
		t.Errorf("hash changed an hour later with the same figures")
	}
}

func TestYearsWithoutClaim(t *testing.T) {
	declined := claim.DecisionDeclined
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		policies []time.Time
		claims   []*ent.Claim
		want     int
	}{
		{"no policies", nil, nil, 0},
		{"since the first policy", []time.Time{day(2023, 3, 2), day(2025, 1, 1)}, nil, 3},
		{"a day short of three years", []time.Time{day(2023, 3, 3)}, nil, 2},
		{"since the last claim", []time.Time{day(2015, 1, 1)}, []*ent.Claim{{FiledAt: day(2019, 1, 1)}, {FiledAt: day(2022, 6, 30)}}, 3},
		{"declined claims do not count", []time.Time{day(2015, 1, 1)}, []*ent.Claim{{FiledAt: day(2019, 1, 1)}, {FiledAt: day(2025, 6, 30), Decision: &declined}}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &portrait.Inputs{Customer: &ent.Customer{ID: id(1), CreatedAt: day(2020, 1, 1)}, Claims: tt.claims}
			for i, s := range tt.policies {
				in.Policies = append(in.Policies, &ent.InsurancePolicy{ID: id(10 + i), StartDate: s, Status: insurancepolicy.StatusActive, Line: insurancepolicy.LineLife})
			}
			if got := portrait.Compute(in, now, shanghai(t)).YearsWithoutClaim; got != tt.want {
				t.Errorf("YearsWithoutClaim = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestLifeStage(t *testing.T) {
	today := civil.New(2026, 3, 2)
	tests := []struct {
		name   string
		birth  *time.Time
		family domain.Family
		stored customer.LifeStage
		want   string
	}{
		{"nothing known keeps the stored stage", nil, domain.Family{}, customer.LifeStageMarried, "married"},
		{"nothing known", nil, domain.Family{}, customer.LifeStageUnknown, "unknown"},
		{"single adult", ptr(day(1995, 1, 1)), domain.Family{}, "", "single"},
		{"married without children", ptr(day(1990, 1, 1)), domain.Family{Spouse: true}, "", "married"},
		{"youngest child 12 is still young", ptr(day(1985, 1, 1)), domain.Family{Children: []domain.Child{{BirthYear: 2014}}}, "", "young_family"},
		{"youngest child 13", ptr(day(1985, 1, 1)), domain.Family{Children: []domain.Child{{BirthYear: 2013}}}, "", "mature_family"},
		{"youngest child 23", ptr(day(1970, 1, 1)), domain.Family{Spouse: true, Children: []domain.Child{{BirthYear: 2003}}}, "", "empty_nest"},
		{"turns 60 today", ptr(day(1966, 3, 2)), domain.Family{Spouse: true}, "", "retired"},
		{"turns 60 tomorrow", ptr(day(1966, 3, 3)), domain.Family{Spouse: true}, "", "married"},
		{"children without a birth date", nil, domain.Family{Children: []domain.Child{{BirthYear: 2020}}}, "", "young_family"},
		{"dependants only", nil, domain.Family{Dependants: 2}, "", "single"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &ent.Customer{BirthDate: tt.birth, Family: tt.family, LifeStage: tt.stored}
			if got := portrait.LifeStageOf(c, today); got != tt.want {
				t.Errorf("LifeStageOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCoverageGapsForDependants(t *testing.T) {
	got := portrait.CoverageGaps("retired", domain.Family{Dependants: 2}, []string{"health"})
	want := []domain.CoverageGap{
		{Line: "annuity", Reason: "补充基本养老金收入"},
		{Line: "accident", Reason: "老年人跌倒等意外风险较高"},
		{Line: "life", Reason: "需赡养 2 位家人，需要寿险保障其生活"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CoverageGaps mismatch (-want +got):\n%s", diff)
	}
}

func TestContactSeverityBands(t *testing.T) {
	for days, want := range map[int]float64{0: 0, 30: 0, 31: 0.25, 60: 0.25, 61: 0.5, 90: 0.5, 91: 0.75, 180: 0.75, 181: 1} {
		if got := portrait.ContactSeverity(days); got != want {
			t.Errorf("ContactSeverity(%d) = %v, want %v", days, got, want)
		}
	}
}

func TestYuan(t *testing.T) {
	for cents, want := range map[int64]string{0: "0.00", 5: "0.05", 123456: "1,234.56", 100000000: "1,000,000.00", -150: "-1.50"} {
		if got := portrait.Yuan(cents); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", cents, got, want)
		}
	}
}
