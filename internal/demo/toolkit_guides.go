package demo

import (
	"strings"

	"github.com/agentdesk/agentdesk/internal/domain"
)

// checklist builds checklist content from "key|label" entries; a label
// ending in "*" is required.
func checklist(entries ...string) domain.ToolkitContent {
	var items []domain.ChecklistItem
	for _, e := range entries {
		key, label, _ := strings.Cut(e, "|")
		req := strings.HasSuffix(label, "*")
		items = append(items, domain.ChecklistItem{Key: key, Label: strings.TrimSuffix(label, "*"), Required: req})
	}
	return domain.ToolkitContent{Items: items}
}

// flow builds flowchart content from "id|label|kind" nodes and
// "from>to|label" edges.
func flow(nodes []string, edges ...string) domain.ToolkitContent {
	var c domain.ToolkitContent
	for _, n := range nodes {
		f := strings.SplitN(n, "|", 3)
		c.Nodes = append(c.Nodes, domain.FlowchartNode{ID: f[0], Label: f[1], Kind: f[2]})
	}
	for _, e := range edges {
		ft, label, _ := strings.Cut(e, "|")
		from, to, _ := strings.Cut(ft, ">")
		c.Edges = append(c.Edges, domain.FlowchartEdge{From: from, To: to, Label: label})
	}
	return c
}

func template(body string) domain.ToolkitContent { return domain.ToolkitContent{Body: body} }

// checklistSpecs are the checklists (检查清单).
var checklistSpecs = []tkSpec{
	{key: "consultation-checklist", kind: "checklist", scenario: "consultation", tier: "basic",
		title: "咨询台账登记清单", summary: "每次咨询都要登记到台账，首次响应不超过 12 小时。", tags: []string{"咨询", "台账"},
		content: checklist("record|登记咨询时间、渠道和内容*", "respond|12 小时内首次响应*", "clause|涉及条款的附上条款原文", "followup|约定下次跟进时间", "feedback|记录客户反馈")},
	{key: "needs-analysis-checklist", kind: "checklist", scenario: "needs_analysis", tier: "basic",
		title: "需求分析信息收集清单", summary: "面谈前后核对家庭、收入、负债与现有保障信息。", tags: []string{"需求分析"}, revisions: 2,
		content: checklist("family|家庭成员及年龄*", "income|家庭年收入区间*", "debt|房贷车贷等负债", "existing|现有保单及团体保险*", "health|家庭成员健康状况", "risk|风险偏好测评", "budget|年度保费预算")},
	{key: "application-checklist", kind: "checklist", scenario: "application_underwriting", tier: "basic",
		title: "投保资料与健康告知清单", summary: "提交投保前逐项核对，避免补件和退件。", tags: []string{"投保", "核保"},
		content: checklist("id|投保人、被保险人身份证件*", "bank|缴费银行卡*", "disclosure|健康告知逐条确认并签字*", "report|近两年体检报告（如有异常）", "beneficiary|受益人及比例", "dual|双录（如适用）*")},
	{key: "policy-delivery-checklist", kind: "checklist", scenario: "policy_delivery_revisit", tier: "basic",
		title: "保单送达回访清单", summary: "新单送达后 24 小时内完成回访。", tags: []string{"回访"},
		content: checklist("deliver|纸质或电子保单送达*", "receipt|回执签收*", "explain|讲解保障责任与免责条款*", "hesitation|告知犹豫期及退保规则*", "report|告知报案电话与理赔流程", "app|协助绑定 App 电子保单")},
	{key: "payment-reminder-checklist", kind: "checklist", scenario: "payment_reminder", tier: "basic",
		title: "续期缴费提醒清单", summary: "缴费日前 3 天提醒，缴费后确认到账。", tags: []string{"续期", "缴费"},
		content: checklist("remind|缴费日前 3 天提醒客户*", "account|确认扣款账户有效*", "balance|提醒客户保持余额充足", "confirm|缴费后确认扣款成功*", "grace|未缴费的说明宽限期规则")},
	{key: "renewal-checklist", kind: "checklist", scenario: "renewal", tier: "basic",
		title: "续保跟进清单", summary: "续保日前 30 天开始跟进，确保保障不中断。", tags: []string{"续保"}, revisions: 2,
		content: checklist("intent|确认续保意向*", "premium|告知续保保费及变化*", "disclosure|确认是否需要重新健康告知", "adjust|评估是否调整保额", "link|发送续保链接或协助缴费*", "done|续保完成后确认新保单")},
	{key: "claim-documents-checklist", kind: "checklist", scenario: "claim_assistance", tier: "basic",
		title: "理赔材料清单", summary: "住院医疗理赔的材料；材料不全也先受理、后补证。", tags: []string{"理赔", "材料"}, revisions: 3,
		content: checklist("form|理赔申请书*", "id|被保险人身份证件*", "bank|收款银行卡*", "discharge|出院小结或诊断证明*", "bill|费用清单及发票*", "report|检查报告（如重疾需病理报告）", "accident|意外事故证明（意外险）")},
	{key: "claim-documents-checklist-en", kind: "checklist", scenario: "claim_assistance", tier: "basic", locale: "en",
		title: "Claim documents checklist", summary: "Documents for a hospital claim; accept first, complete later.", tags: []string{"claim"},
		content: checklist("form|Claim form*", "id|Insured's ID document*", "bank|Bank card for payment*", "discharge|Discharge summary or diagnosis*", "bill|Itemised bill and invoices*")},
	{key: "complaint-first-contact", kind: "checklist", scenario: "complaint", tier: "basic",
		title: "投诉首次接触检查清单", summary: "24 小时内首次回应客户投诉时的要点。", tags: []string{"投诉"}, revisions: 2,
		content: checklist("apologise|先致歉并安抚情绪*", "restate|复述并确认投诉内容*", "register|登记投诉并告知编号*", "deadline|告知 2 个工作日内答复、7 个工作日内办结*", "escalate|涉及销售误导或重大金额的立即上报")},
	{key: "hesitation-surrender-checklist", kind: "checklist", scenario: "hesitation_surrender", tier: "basic",
		title: "犹豫期退保办理清单", summary: "确认在犹豫期内，了解原因并留存记录。", tags: []string{"犹豫期", "退保"},
		content: checklist("period|确认仍在犹豫期内*", "reason|记录退保原因*", "impact|告知保障终止的影响*", "alternative|提供降低保额等替代方案", "submit|提交退保申请并告知退费时间*")},
	{key: "policy-change-checklist", kind: "checklist", scenario: "policy_change", tier: "basic",
		title: "保全变更资料清单", summary: "受益人、联系方式、缴费账户等变更所需资料。", tags: []string{"保全", "变更"},
		content: checklist("form|保全变更申请书*", "id|投保人身份证件*", "proof|关系证明（变更受益人时）", "bank|新银行卡（变更账户时）", "sign|投保人本人签字或电子签名*")},
	{key: "care-birthday-checklist", kind: "checklist", scenario: "care_birthday", tier: "basic",
		title: "生日关怀清单", summary: "生日当天送上祝福，顺带更新客户近况。", tags: []string{"关怀", "生日"},
		content: checklist("wish|生日当天发送祝福*", "gift|按客户等级准备贺卡或礼品", "update|了解并更新家庭近况", "record|记录客户新需求")},
	{key: "upgrade-proposal-checklist", kind: "checklist", scenario: "upgrade_proposal", tier: "advanced",
		title: "保障升级方案准备清单", summary: "提出升级建议前的检查项。", tags: []string{"升级"},
		content: checklist("noclaim|确认连续三年无理赔*", "gap|核对画像中的保障缺口*", "budget|确认预算区间*", "plans|准备两套对比方案", "appointment|预约当面讲解")},
}

// guideSpecs are the flowcharts and templates.
var guideSpecs = []tkSpec{
	{key: "claims-process-flowchart", kind: "flowchart", scenario: "claim_assistance", tier: "basic",
		title: "理赔协助流程图", summary: "报案→受理→资料齐全→审核→赔付，受理 3 天内、结案 7 天内。", tags: []string{"理赔", "流程"}, revisions: 2,
		content: flow([]string{"report|报案|start", "accept|受理（3 天内）|step", "docs|资料齐全？|decision", "supplement|补充材料|step", "review|审核|step", "decide|理赔决定|decision", "pay|赔付|step", "decline|拒赔说明|step", "close|结案（7 天内）|end"},
			"report>accept", "accept>docs", "docs>supplement|否", "supplement>docs", "docs>review|是", "review>decide", "decide>pay|赔付", "decide>decline|拒赔", "pay>close", "decline>close")},
	{key: "underwriting-flowchart", kind: "flowchart", scenario: "application_underwriting", tier: "advanced",
		title: "投保核保流程图", summary: "从需求确认到保单生效的标准流程。", tags: []string{"投保", "核保", "流程"},
		content: flow([]string{"need|需求确认|start", "disclose|健康告知|step", "auto|智能核保通过？|decision", "manual|人工核保|step", "result|核保结论|decision", "pay|缴费承保|step", "decline|拒保说明|end", "effective|保单生效|end"},
			"need>disclose", "disclose>auto", "auto>pay|是", "auto>manual|否", "manual>result", "result>pay|标准体/加费/除外", "result>decline|拒保", "pay>effective")},
	{key: "complaint-handling-flowchart", kind: "flowchart", scenario: "complaint", tier: "advanced",
		title: "投诉处理闭环流程图", summary: "受理→确认（24 小时）→调查→答复（2 个工作日）→办结（7 个工作日）→复盘。", tags: []string{"投诉", "流程", "闭环"}, revisions: 2,
		content: flow([]string{"receive|受理投诉|start", "ack|24 小时内确认|step", "investigate|调查核实|step", "answer|2 个工作日内答复|step", "accept|客户接受？|decision", "escalate|升级处理|step", "close|7 个工作日内办结|step", "review|根因分析与整改|end"},
			"receive>ack", "ack>investigate", "investigate>answer", "answer>accept", "accept>close|是", "accept>escalate|否", "escalate>answer", "close>review")},
	{key: "policy-change-flowchart", kind: "flowchart", scenario: "policy_change", tier: "basic",
		title: "保全变更流程图", summary: "受益人、地址、账户等保全变更的办理步骤。", tags: []string{"保全", "流程"},
		content: flow([]string{"request|客户申请|start", "docs|资料齐全？|decision", "collect|补齐资料|step", "submit|提交保全|step", "approve|审核通过|step", "notify|通知客户|end"},
			"request>docs", "docs>collect|否", "collect>docs", "docs>submit|是", "submit>approve", "approve>notify")},
	{key: "payment-reminder-sms-template", kind: "template", scenario: "payment_reminder", tier: "basic",
		title: "续期缴费提醒短信模板", summary: "缴费日前 3 天发送。", tags: []string{"续期", "短信"},
		content: template("【保险服务提醒】尊敬的{customer.name}，您的保单{policy.number}续期保费将于{policy.next_premium_due_date}扣缴，请保持扣款账户余额充足。如有疑问请联系您的保险顾问{agent.display_name}。")},
	{key: "renewal-notice-template", kind: "template", scenario: "renewal", tier: "basic",
		title: "续保通知模板", summary: "续保日前 30 天发送的续保通知。", tags: []string{"续保", "通知"}, revisions: 2,
		content: template("尊敬的{customer.name}：\n您的保单{policy.number}将于{policy.renewal_date}到期。为保障不中断，请在到期前完成续保。续保后无需重新计算等待期。\n如需调整保障方案，请联系您的保险顾问{agent.display_name}。")},
	{key: "complaint-ack-template", kind: "template", scenario: "complaint", tier: "basic",
		title: "投诉受理回执模板", summary: "24 小时内发出的受理确认。", tags: []string{"投诉", "回执"},
		content: template("尊敬的{customer.name}：\n您反映的问题我们已经受理，将在 2 个工作日内给您答复，7 个工作日内办结。处理期间如有进展，{agent.display_name}会第一时间与您联系。\n给您带来不便，深表歉意。")},
	{key: "care-birthday-template", kind: "template", scenario: "care_birthday", tier: "basic",
		title: "生日祝福模板", summary: "生日当天微信或短信发送。", tags: []string{"关怀", "生日"},
		content: template("{customer.name}，生日快乐！感谢您一直以来的信任，祝您和家人身体健康、平安顺遂。——您的保险顾问{agent.display_name}")},
	{key: "care-anniversary-template", kind: "template", scenario: "care_anniversary", tier: "advanced",
		title: "保单年度报告模板", summary: "保单周年日发送的年度服务报告。", tags: []string{"关怀", "周年", "报告"},
		content: template("{customer.name}，您好！\n您的保单{policy.number}已平稳度过一个保单年度，下一次续保日为{policy.renewal_date}。\n本年度服务回顾：保障有效、信息已更新、理赔记录如附件。\n如家庭情况有变化，欢迎随时联系{agent.display_name}，一起检视保障是否充足。")},
}
