package portrait

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/domain"
)

// Kinds of timeline events.
const (
	KindInteraction = "interaction"
	KindPolicy      = "policy"
	KindClaim       = "claim"
	KindComplaint   = "complaint"
)

// summaryRunes caps the length of a timeline summary.
const summaryRunes = 60

var (
	channelLabels = map[string]string{
		"phone": "电话", "visit": "拜访", "wechat": "微信", "app": "App", "email": "邮件", "branch": "网点",
	}
	interactionLabels = map[string]string{
		"consultation": "咨询", "needs_analysis": "需求分析", "revisit": "回访", "payment": "缴费",
		"renewal": "续保", "claim_assistance": "理赔协助", "complaint": "投诉", "care": "关怀",
	}
	claimLabels = map[string]string{
		"filed": "已报案", "accepted": "已受理", "documents_complete": "资料齐全", "decided": "已决定",
		"paid": "已赔付", "closed": "已结案",
	}
	complaintLabels = map[string]string{
		"claim_timeliness": "理赔时效", "service_attitude": "服务态度", "sales_misconduct": "销售误导",
		"policy_terms": "条款理解", "billing": "缴费扣款", "other": "其他",
	}
)

// Timeline lists the customer's history (行为轨迹), newest first and at
// most TimelineCap events: interactions (at their receipt), policy starts
// and lapses or terminations (at the premium due date that went unpaid,
// else the policy's last change, since the lapse itself is not dated),
// claims (at filing) and complaints (at receipt). Ties break by kind and
// record id, so the order is deterministic.
func Timeline(in *Inputs) []domain.TimelineEvent {
	ev := make([]domain.TimelineEvent, 0, min(len(in.Interactions), TimelineCap)+2*len(in.Policies)+len(in.Claims)+len(in.Complaints))
	// Only the newest TimelineCap interactions can make the cut.
	is := slices.Clone(in.Interactions)
	slices.SortFunc(is, func(a, b *ent.Interaction) int {
		if c := b.ReceivedAt.Compare(a.ReceivedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	for _, i := range is[:min(len(is), TimelineCap)] {
		summary := i.Result
		if summary == "" {
			summary = i.Content
		}
		ev = append(ev, domain.TimelineEvent{
			At: i.ReceivedAt.UTC(), Kind: KindInteraction, RefID: i.ID,
			Title:   label(channelLabels, string(i.Channel)) + "·" + label(interactionLabels, string(i.Type)),
			Summary: clip(summary),
		})
	}
	for _, p := range in.Policies {
		name := cmp.Or(p.ProductName, p.ProductCode, string(p.Line))
		ev = append(ev, domain.TimelineEvent{At: p.StartDate.UTC(), Kind: KindPolicy, RefID: p.ID, Title: "保单生效：" + name, Summary: p.Number})
		if p.Status == insurancepolicy.StatusLapsed || p.Status == insurancepolicy.StatusTerminated {
			at := p.UpdatedAt
			if p.NextPremiumDueDate != nil && p.Status == insurancepolicy.StatusLapsed {
				at = *p.NextPremiumDueDate
			}
			title := "保单失效：" + name
			if p.Status == insurancepolicy.StatusTerminated {
				title = "保单终止：" + name
			}
			ev = append(ev, domain.TimelineEvent{At: at.UTC(), Kind: KindPolicy, RefID: p.ID, Title: title, Summary: p.Number})
		}
	}
	for _, c := range in.Claims {
		summary := "申请 " + Yuan(c.AmountClaimedCents) + " 元"
		if c.AmountPaidCents > 0 {
			summary = "赔付 " + Yuan(c.AmountPaidCents) + " 元"
		}
		ev = append(ev, domain.TimelineEvent{At: c.FiledAt.UTC(), Kind: KindClaim, RefID: c.ID,
			Title: "理赔：" + label(claimLabels, string(c.Status)), Summary: summary})
	}
	for _, c := range in.Complaints {
		ev = append(ev, domain.TimelineEvent{At: c.ReceivedAt.UTC(), Kind: KindComplaint, RefID: c.ID,
			Title: "投诉：" + label(complaintLabels, string(c.Category)), Summary: clip(c.Summary)})
	}
	slices.SortFunc(ev, func(a, b domain.TimelineEvent) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if c := cmp.Compare(a.RefID.String(), b.RefID.String()); c != 0 {
			return c
		}
		return cmp.Compare(a.Title, b.Title)
	})
	return ev[:min(len(ev), TimelineCap)]
}

func label(m map[string]string, k string) string {
	if l, ok := m[k]; ok {
		return l
	}
	return k
}

// clip shortens s to summaryRunes runes on one line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= summaryRunes {
		return s
	}
	r := []rune(s)
	return string(r[:summaryRunes]) + "…"
}

// Yuan formats an amount in fen as yuan with thousands separators:
// 1280000 → "12,800.00".
func Yuan(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := fmt.Sprint(cents / 100)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s%s.%02d", sign, b.String(), cents%100)
}
