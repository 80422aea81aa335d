package demo

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/domain"
)

type taskRow struct {
	id                     uuid.UUID
	customer               *customerRow
	scenario, title, desc  string
	priority, status, skip string
	due                    time.Time
	completed              *time.Time
	items                  []*toolkitRow
	checklist              []domain.ChecklistItem
	createdAt, updatedAt   time.Time
}

var skipReasons = []string{
	"客户已自行通过App完成续保", "客户出国，近期无法联系", "客户明确表示暂不需要", "已由团队主管统一处理",
	"客户更换了联系方式，正在核实", "与其他任务合并处理",
}

// taskIdea is a task a customer's situation calls for.
type taskIdea struct {
	scenario, title, desc string
	priority              string
	deadline              *time.Time // the policy date the task must come before
}

// ideas lists the tasks that fit the customer, most pressing first.
func (w *world) ideas(c *customerRow) []taskIdea {
	var out []taskIdea
	for _, p := range c.policies {
		switch {
		case p.status == "grace":
			out = append(out, taskIdea{"payment_reminder", fmt.Sprintf("宽限期催缴：%s（%s）", p.product.name, p.number),
				fmt.Sprintf("保单已进入宽限期，提醒%s尽快缴费，避免保单中止。", c.name), "high", nil})
		case p.status == "active" && p.renewal != nil && w.daysFromToday(*p.renewal) <= 30:
			out = append(out, taskIdea{"renewal", fmt.Sprintf("续保回访：%s（%s）", p.product.name, p.number),
				fmt.Sprintf("续保日%s，按续保跟进清单确认续保意向和保费变化。", p.renewal.Format(time.DateOnly)), "high", p.renewal})
		case p.status == "active" && p.nextDue != nil && w.daysFromToday(*p.nextDue) <= 30:
			out = append(out, taskIdea{"payment_reminder", fmt.Sprintf("缴费提醒：%s（%s）", p.product.name, p.number),
				fmt.Sprintf("续期保费%s元，缴费日%s，提前3天提醒。", yuan(p.premium), p.nextDue.Format(time.DateOnly)), "medium", p.nextDue})
		}
	}
	if c.claims > 0 {
		out = append(out, taskIdea{"claim_assistance", "理赔进度跟进：" + c.name, "跟进理赔审核节点，及时告知客户进度。", "high", nil})
	}
	if c.claimWorry {
		out = append(out, taskIdea{"claim_assistance", "理赔流程预演：" + c.name, "客户曾投诉理赔时效，保单周年日前7天预演理赔流程。", "medium", nil})
	}
	out = append(out,
		taskIdea{"care_birthday", "生日关怀：" + c.name, "生日当天发送祝福，按客户等级准备礼品。", "low", nil},
		taskIdea{"needs_analysis", "家庭保障检视：" + c.name, "梳理家庭结构和现有保障，更新保障缺口。", "medium", nil},
		taskIdea{"care_anniversary", "保单周年关怀：" + c.name, "发送保单年度报告，更新家庭信息。", "low", nil},
		taskIdea{"consultation", "咨询答复跟进：" + c.name, "上次咨询需向公司核实的问题，给客户书面答复。", "medium", nil},
		taskIdea{"policy_delivery_revisit", "保单信息核对：" + c.name, "核对受益人、联系方式和邮寄地址。", "low", nil},
	)
	if len(c.family.Children) > 0 || c.incomeBand == "high" {
		out = append(out, taskIdea{"upgrade_proposal", "保障升级建议：" + c.name, "结合画像中的保障缺口，准备两套升级方案。", "low", nil})
	}
	return out
}

// genTasks gives each of agent1's customers 2–5 open tasks plus some done
// or skipped history, and the other books 1–3 tasks each.
func (w *world) genTasks() {
	for _, c := range w.customers {
		ideas := w.ideas(c)
		open, past := w.between(1, 2), w.between(0, 1)
		if c.agent.username == "agent1" {
			open, past = w.between(2, 5), w.between(0, 2)
		}
		// The two most pressing first, the rest in random order.
		rest := ideas[2:]
		order := append([]taskIdea{}, ideas[:2]...)
		for _, j := range w.rng.Perm(len(rest)) {
			order = append(order, rest[j])
		}
		for i := 0; i < open+past && i < len(order); i++ {
			idea := order[i]
			t := &taskRow{id: newID(), customer: c, scenario: idea.scenario, title: idea.title, desc: idea.desc, priority: idea.priority, status: "todo"}
			hh, mm := w.between(9, 17), pick(w, []int{0, 30})
			if i < open {
				// Today, tomorrow, overdue, later this week, next week, later.
				switch w.weighted(6, 6, 10, 18, 30, 30) {
				case 0:
					t.due = w.at(0, hh, mm)
				case 1:
					t.due = w.at(1, hh, mm)
				case 2:
					t.due = w.at(-w.between(1, 10), hh, mm)
				case 3:
					t.due = w.at(w.between(2, 6), hh, mm)
				case 4:
					t.due = w.at(w.between(7, 13), hh, mm)
				default:
					t.due = w.at(w.between(14, 45), hh, mm)
				}
				if idea.deadline != nil {
					// Before the due date, at the latest on the day itself.
					if last := w.at(w.daysFromToday(*idea.deadline), hh, mm); t.due.After(last) {
						t.due = last
					}
				}
			} else {
				t.due = w.at(-w.between(1, 30), hh, mm)
				if w.chance(0.75) {
					t.status = "done"
					t.completed = ptr(t.due.Add(time.Duration(w.between(-180, 240)) * time.Minute))
				} else {
					t.status, t.skip = "skipped", pick(w, skipReasons)
				}
			}
			var ck *toolkitRow
			t.checklist, ck = w.checklistFor(t.scenario)
			for _, it := range w.forScenario(t.scenario) {
				if it.kind == "script" || it == ck {
					t.items = append(t.items, it)
				}
				if len(t.items) == 2 {
					break
				}
			}
			if t.items == nil {
				t.items = []*toolkitRow{}
			}
			for j := range t.checklist {
				t.checklist[j].Checked = t.status == "done" || (t.status == "todo" && j < 2 && w.chance(0.3))
			}
			t.createdAt = t.due.Add(-time.Duration(w.between(2, 14)) * day)
			if t.createdAt.After(w.now) {
				t.createdAt = w.now.Add(-time.Duration(w.between(1, 48)) * hour)
			}
			t.updatedAt = t.createdAt
			if t.completed != nil {
				t.updatedAt = *t.completed
				for _, it := range t.items {
					w.usages = append(w.usages, &usageRow{item: it, agent: c.agent, customer: c, task: t.id, at: *t.completed})
				}
			} else if t.status == "skipped" {
				t.updatedAt = t.due.Add(time.Hour)
			}
			w.tasks = append(w.tasks, t)
		}
	}
}

type notificationRow struct {
	agent                *agentRow
	customer             *customerRow
	policy               *policyRow
	kind, title, body    string
	data                 map[string]string
	link                 string
	read                 *time.Time
	createdAt, updatedAt time.Time
}

// genNotifications fills the inboxes of agent1, agent2 and agent3 with
// the reminders and SLA alerts of the last few days, older ones read.
func (w *world) genNotifications() {
	for _, user := range []string{"agent1", "agent2", "agent3"} {
		ag := w.byUser[user]
		add := func(n *notificationRow, age time.Duration) {
			n.agent = ag
			n.createdAt = w.ago(age)
			n.updatedAt = n.createdAt
			if age > 20*hour {
				n.read = ptr(n.createdAt.Add(time.Duration(w.between(5, 300)) * time.Minute))
				n.updatedAt = *n.read
			}
			if n.data == nil {
				n.data = map[string]string{}
			}
			w.notes = append(w.notes, n)
		}
		premium, renewal := 0, 0
		for _, c := range ag.customers {
			for _, p := range c.policies {
				if p.status != "active" {
					continue
				}
				if d := w.daysFromToday(*orDate(p.nextDue, w.date(-1))); premium < 2 && (d == 0 || d == 1 || d == 3) {
					premium++
					when := fmt.Sprintf("将于 %d 天后（%s）", d, p.nextDue.Format(time.DateOnly))
					if d == 0 {
						when = fmt.Sprintf("今天（%s）", p.nextDue.Format(time.DateOnly))
					}
					add(&notificationRow{customer: c, policy: p, kind: "premium_due", title: "续期缴费提醒",
						body: fmt.Sprintf("%s的保单 %s %s缴费。", c.name, p.number, when),
						data: map[string]string{"policy_id": p.id.String(), "window_days": fmt.Sprint(d)},
						link: "agentdesk://customers/" + c.id.String()}, time.Duration(w.between(1, 8))*hour)
				}
				if d := w.daysFromToday(*orDate(p.renewal, w.date(-1))); renewal < 2 && (d == 7 || d == 30 || d == 3) {
					renewal++
					add(&notificationRow{customer: c, policy: p, kind: "renewal_due", title: "续保提醒",
						body: fmt.Sprintf("%s的保单 %s 将于 %s 续保，还有 %d 天。", c.name, p.number, p.renewal.Format(time.DateOnly), d),
						data: map[string]string{"policy_id": p.id.String(), "window_days": fmt.Sprint(d)},
						link: "agentdesk://customers/" + c.id.String()}, time.Duration(w.between(2, 40))*hour)
				}
			}
		}
		for _, cp := range w.complaints {
			if cp.customer.agent == ag && cp.acked == nil {
				title, body := "投诉待确认", fmt.Sprintf("%s的投诉“%s”需在 %s 前确认。", cp.customer.name, cp.summary, cp.ackDue.In(shanghai).Format("01-02 15:04"))
				if cp.ackDue.Before(w.now) {
					title, body = "投诉确认已超时", fmt.Sprintf("%s的投诉“%s”已超过确认时限（%s），请立即联系客户。", cp.customer.name, cp.summary, cp.ackDue.In(shanghai).Format("01-02 15:04"))
				}
				add(&notificationRow{customer: cp.customer, kind: "complaint_sla", title: title, body: body,
					data: map[string]string{"complaint_id": cp.id.String()}, link: "agentdesk://complaints/" + cp.id.String()}, 30*time.Minute)
			}
		}
		for _, cl := range w.claims {
			if cl.customer.agent == ag && cl.accepted == nil {
				title, body := "理赔待受理", fmt.Sprintf("%s的理赔需在 %s 前受理。", cl.customer.name, cl.acceptDue.In(shanghai).Format("01-02 15:04"))
				if cl.acceptDue.Before(w.now) {
					title, body = "理赔受理已超时", fmt.Sprintf("%s的理赔已超过 3 天受理时限（%s）。", cl.customer.name, cl.acceptDue.In(shanghai).Format("01-02 15:04"))
				}
				add(&notificationRow{customer: cl.customer, policy: cl.policy, kind: "claim_sla", title: title, body: body,
					data: map[string]string{"claim_id": cl.id.String()}, link: "agentdesk://claims/" + cl.id.String()}, 45*time.Minute)
			}
		}
		due := 0
		for _, t := range w.tasks {
			if t.customer.agent == ag && t.status == "todo" && !t.due.Before(w.mid) && t.due.Before(w.mid.Add(day)) {
				due++
			}
		}
		morning := max(10*time.Minute, w.now.Sub(w.at(0, 7, 30)))
		add(&notificationRow{kind: "task_due", title: "今日待办", body: fmt.Sprintf("今天有 %d 项任务到期。", due),
			data: map[string]string{"count": fmt.Sprint(due)}, link: "agentdesk://tasks"}, morning)
		add(&notificationRow{kind: "task_due", title: "昨日待办", body: "昨天有任务到期，请及时处理逾期任务。",
			link: "agentdesk://tasks"}, w.now.Sub(w.at(-1, 7, 30)))
	}
}

func orDate(t *time.Time, def time.Time) *time.Time {
	if t == nil {
		return &def
	}
	return t
}
