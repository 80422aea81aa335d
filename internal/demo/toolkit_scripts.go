package demo

import "github.com/agentdesk/agentdesk/internal/domain"

// tkSpec describes one toolkit item of the demo. Placeholders follow the
// contract (openapi.yaml, ToolkitContent): {customer.name}, {policy.number},
// {policy.renewal_date}, {policy.next_premium_due_date}, {agent.display_name}.
type tkSpec struct {
	key, kind, scenario, tier, locale string
	title, summary                    string
	tags                              []string
	content                           domain.ToolkitContent
	revisions                         int    // published revisions (1 when 0)
	state                             string // "" published, "draft" never published, "retired"
}

func sec(title string, lines ...string) domain.ScriptSection {
	return domain.ScriptSection{Title: title, Lines: lines}
}

func script(sections ...domain.ScriptSection) domain.ToolkitContent {
	return domain.ToolkitContent{Sections: sections}
}

const greet = "{customer.name}您好，我是您的保险顾问{agent.display_name}。"

// scriptSpecs are the script cards (话术卡).
var scriptSpecs = []tkSpec{
	{key: "consultation-script-basic", kind: "script", scenario: "consultation", tier: "basic",
		title: "客户咨询首次响应话术", summary: "收到咨询后 12 小时内首次响应：确认问题、给出时限、留痕。", tags: []string{"咨询", "首响"}, revisions: 2,
		content: script(
			sec("开场", greet, "收到您关于保单的咨询了，我先确认一下您想了解的是哪一份保单、哪一方面的问题？"),
			sec("确认问题", "为了答复准确，我复述一下：您想了解保单 {policy.number} 的……，对吗？", "这个问题涉及条款原文，我会把条款截图和重点标注一起发给您。"),
			sec("承诺时限", "简单的问题我现在就答复您；需要向公司核实的，我会在今天下班前给您回复。"),
			sec("收尾", "还有其他想了解的吗？您也可以随时在微信上留言，我看到会第一时间回复。"),
		)},
	{key: "consultation-waiting-period-script", kind: "script", scenario: "consultation", tier: "advanced",
		title: "等待期与免责条款解释话术", summary: "客户对等待期、既往症、免责条款有疑问时的标准解释口径。", tags: []string{"咨询", "条款", "等待期"}, revisions: 3,
		content: script(
			sec("开场", greet, "您问到的等待期，是很多客户都会关心的问题，我用两分钟给您讲清楚。"),
			sec("解释等待期", "等待期是合同生效后的一段观察期，医疗险一般为 30 天，重疾险一般为 90 天或 180 天。", "等待期内因疾病出险，按条款只退还已交保费，合同终止；因意外导致的不受等待期限制。", "续保的保单没有等待期，这也是我们提醒您按时续保的原因。"),
			sec("既往症与免责", "投保前已经确诊或有症状的疾病属于既往症，一般不在保障范围内，具体以健康告知和核保结论为准。", "免责条款在保单第 X 条，我已经用红框标出来发给您，建议您保存。"),
			sec("确认理解", "我讲清楚了吗？您可以用自己的话复述一下，我来帮您确认有没有理解偏差。"),
		)},
	{key: "needs-analysis-script-basic", kind: "script", scenario: "needs_analysis", tier: "basic",
		title: "家庭保障需求分析话术", summary: "面谈时按“家庭结构—收入负债—现有保障—缺口”四步了解需求。", tags: []string{"需求分析", "家庭保障"},
		content: script(
			sec("开场", greet, "今天不推荐产品，先帮您把家里现有的保障梳理一遍，大概需要 20 分钟。"),
			sec("家庭与收入", "家里现在几口人？孩子多大了？父母有没有社保和医保？", "家庭年收入大概在哪个区间？有没有房贷、车贷这类每月固定支出？"),
			sec("现有保障", "您和家人现在有哪些保单？单位有没有团体保险？我帮您一起看看保额和保障期限。"),
			sec("缺口与下一步", "按家庭责任法，寿险保额建议覆盖 5 到 10 年家庭支出加上负债。", "我回去整理一份家庭保障方案，约您下次当面讲解，您看哪天方便？"),
		)},
	{key: "needs-analysis-education-intelligent", kind: "script", scenario: "needs_analysis", tier: "intelligent",
		title: "子女教育金规划话术（按客户画像）", summary: "根据画像中子女年龄、收入区间和风险偏好，给出教育金储备建议。", tags: []string{"需求分析", "教育金", "画像"},
		content: script(
			sec("开场", greet, "上次聊到孩子的教育规划，我根据您家的情况做了一个测算。"),
			sec("测算", "按孩子现在的年龄，到 18 岁还有若干年；按目前大学四年约 20 万元的费用和每年 3% 的增长，需要提前储备。", "您的风险偏好比较稳健，建议以保证领取的教育金为主，不建议用收益波动大的产品。"),
			sec("方案", "可以按每年固定投入、分 10 年交清的方式，孩子 18 岁到 21 岁每年领取一笔。", "同时建议先把孩子的重疾和医疗保障配齐，教育金是锦上添花，保障是雪中送炭。"),
		)},
	{key: "application-script-health-disclosure", kind: "script", scenario: "application_underwriting", tier: "basic",
		title: "健康告知提醒话术", summary: "投保前提醒客户如实告知，避免日后理赔纠纷。", tags: []string{"投保", "健康告知", "核保"},
		content: script(
			sec("开场", greet, "在提交投保申请前，有一件很重要的事要和您确认：健康告知。"),
			sec("如实告知", "健康告知要逐条如实回答，包括体检异常、门诊和住院记录。", "如实告知后，即使加费或除外承保，理赔时也不会有争议；未如实告知，保险公司可能拒赔甚至解除合同。"),
			sec("资料准备", "如果有甲状腺结节、乳腺结节、高血压这类情况，请准备近两年的体检报告或病历，我帮您提交人工核保。"),
		)},
	{key: "delivery-revisit-script-basic", kind: "script", scenario: "policy_delivery_revisit", tier: "basic",
		title: "新单送达与回访话术", summary: "保单送达时讲解保障责任、犹豫期和理赔报案方式。", tags: []string{"回访", "犹豫期"},
		content: script(
			sec("开场", greet, "您的保单 {policy.number} 已经生效，今天把纸质保单和回执送过来，顺便花 10 分钟讲一下重点。"),
			sec("讲解重点", "这份保单保障哪些责任、不保哪些情况，我在条款上用红笔标出来了。", "犹豫期内如果您改变主意，可以全额退还保费；过了犹豫期退保会有损失。"),
			sec("服务告知", "出险后请先拨打公司客服电话报案，也可以直接联系我，我会协助您准备材料。", "回访电话打来时请如实回答，如果有任何不清楚的地方都可以提出来。"),
		)},
	{key: "payment-reminder-call", kind: "script", scenario: "payment_reminder", tier: "basic",
		title: "续期缴费提醒话术", summary: "缴费日前 3 天电话或微信提醒客户续期缴费。", tags: []string{"续期", "缴费"}, revisions: 2,
		content: script(
			sec("开场", greet),
			sec("提醒", "您的保单 {policy.number} 将于 {policy.next_premium_due_date} 缴纳续期保费。", "如需调整缴费账户，我可以协助您办理。"),
			sec("确认", "麻烦您确认一下扣款银行卡余额是否充足，扣款成功后系统会发短信通知您。"),
		)},
	{key: "payment-reminder-grace-script", kind: "script", scenario: "payment_reminder", tier: "advanced",
		title: "宽限期催缴话术", summary: "保单进入宽限期后提醒客户，说明宽限期内的保障和失效后果。", tags: []string{"续期", "宽限期", "失效"},
		content: script(
			sec("开场", greet, "打扰您一下，您的保单 {policy.number} 的保费在 {policy.next_premium_due_date} 到期后还没有扣款成功。"),
			sec("说明", "目前保单处在 60 天宽限期内，期间出险仍然可以正常理赔。", "如果宽限期结束仍未缴费，保单会中止，之后复效需要重新健康告知，还可能有新的等待期。"),
			sec("协助", "是不是银行卡换了或者余额不足？我可以现在就帮您变更扣款账户，或者发一个线上缴费链接。"),
		)},
	{key: "renewal-script", kind: "script", scenario: "renewal", tier: "basic",
		title: "续保提醒话术", summary: "续保日前 30 天至 7 天电话或微信提醒续保，确认续保意向。", tags: []string{"续保"}, revisions: 3,
		content: script(
			sec("开场", greet, "您的保单 {policy.number} 将在 {policy.renewal_date} 到期，今天特意跟您确认续保的事。"),
			sec("回顾保障", "过去一年这份保单一直在保护您和家人，续保后保障不中断，也不用重新计算等待期。"),
			sec("确认意向", "保障方案和去年一样，您看是按原方案续保，还是需要调整保额？", "续保确认后，我把续保链接发到您微信，两分钟就能完成。"),
			sec("收尾", "到期前一天我会再提醒您一次，有任何问题随时找我。"),
		)},
	{key: "renewal-script-intelligent", kind: "script", scenario: "renewal", tier: "intelligent",
		title: "智能续保话术（按画像分层）", summary: "根据流失风险、理赔记录和缴费习惯选择续保沟通重点。", tags: []string{"续保", "画像", "流失风险"},
		content: script(
			sec("开场", greet, "您的保单 {policy.number} 续保日是 {policy.renewal_date}。"),
			sec("流失风险高的客户", "先了解客户顾虑：是预算、服务体验还是对产品有疑问？不急于推动续保。", "如果过去有理赔不愉快的经历，先致歉并说明今年的理赔流程改进。"),
			sec("有理赔记录的客户", "回顾去年的理赔协助经过，说明续保后保障连续、既往理赔不影响保证续保。"),
			sec("三年无理赔的客户", "感谢客户的信任，顺带介绍家庭保障升级方案，但先完成续保，升级另约时间。"),
		)},
	{key: "renewal-script-en", kind: "script", scenario: "renewal", tier: "basic", locale: "en",
		title: "Renewal reminder call", summary: "Call 30 to 7 days before the renewal date to confirm the customer's intention.", tags: []string{"renewal"},
		content: script(
			sec("Opening", "Hello {customer.name}, this is {agent.display_name}, your insurance adviser."),
			sec("Reminder", "Your policy {policy.number} renews on {policy.renewal_date}.", "Renewing keeps your cover continuous, with no new waiting period."),
			sec("Confirm", "Shall we renew on the same terms, or would you like to review the sum assured?"),
		)},
	{key: "renewal-script-2024", kind: "script", scenario: "renewal", tier: "basic", state: "retired", revisions: 2,
		title: "续保话术（2024版）", summary: "已被“续保提醒话术”取代。", tags: []string{"续保", "旧版"},
		content: script(
			sec("开场", greet, "您的保单快到期了，需要续保吗？"),
			sec("确认", "续保的话我把链接发给您。"),
		)},
	{key: "check-in-script", kind: "script", scenario: "consultation", tier: "basic",
		title: "久未联系客户问候话术", summary: "90 天未联系的客户，问候近况、核对信息、了解新需求。", tags: []string{"问候", "回访"},
		content: script(
			sec("开场", greet, "有段时间没联系了，打个电话问候一下您和家人，最近都好吗？"),
			sec("核对信息", "顺便核对一下，您的联系电话和地址有没有变化？保单的受益人需要调整吗？"),
			sec("了解需求", "家里最近有没有什么变化，比如换工作、买房、添了宝宝？这些都可能影响保障安排。", "您的保单 {policy.number} 下一次续保日是 {policy.renewal_date}，到时候我会提前提醒您。"),
		)},
	{key: "claim-assistance-script", kind: "script", scenario: "claim_assistance", tier: "advanced",
		title: "理赔协助安抚与指引话术", summary: "客户出险后第一时间安抚情绪、指导报案和材料准备。", tags: []string{"理赔", "报案"}, revisions: 2,
		content: script(
			sec("安抚", greet, "听到这个消息很抱歉，您先照顾好身体，理赔的事我来协助您。"),
			sec("报案", "请在出险后尽快报案，我现在可以帮您在系统里登记，保单号是 {policy.number}。"),
			sec("材料", "住院的话需要出院小结、费用清单、发票原件，我把完整清单发到您微信。", "公司推行先受理、后补材料，材料不全也可以先受理，缺的后面再补。"),
			sec("时限", "受理后 3 天内会有审核人员联系您，一般 7 天内结案，我会每天帮您跟进进度。"),
		)},
	{key: "claim-preview-script", kind: "script", scenario: "claim_assistance", tier: "intelligent",
		title: "理赔流程预演话术（周年日前 7 天）", summary: "对投诉过理赔时效的客户，在保单周年日前 7 天主动预演理赔流程。", tags: []string{"理赔", "预演", "投诉客户"},
		content: script(
			sec("开场", greet, "您的保单 {policy.number} 下周就满一年了，我想花 5 分钟和您走一遍理赔流程。"),
			sec("预演", "万一需要理赔，第一步报案，第二步上传材料，第三步审核，最后赔款到账。", "上次理赔让您等了比较久，现在公司承诺 3 天内受理、7 天内结案，我也会全程跟进。"),
			sec("准备", "建议您把身份证、银行卡照片先存在手机里，用的时候一键上传。"),
		)},
	{key: "complaint-script-basic", kind: "script", scenario: "complaint", tier: "basic",
		title: "投诉安抚话术", summary: "先处理情绪、再处理事情：致歉、复述、承诺时限。", tags: []string{"投诉"}, revisions: 2,
		content: script(
			sec("致歉", greet, "非常抱歉给您带来不好的体验，您先别着急，慢慢说，我都记下来。"),
			sec("复述确认", "我复述一下：您反映的是……，对吗？还有其他需要补充的吗？"),
			sec("承诺时限", "我会在 24 小时内给您回复处理进展，2 个工作日内给出处理意见。", "处理过程中有任何进展，我都会第一时间告诉您。"),
		)},
	{key: "complaint-follow-up-script", kind: "script", scenario: "complaint", tier: "advanced",
		title: "投诉跟进答复话术", summary: "在 2 个工作日的答复时限内，向客户说明调查结果和处理方案。", tags: []string{"投诉", "跟进"},
		content: script(
			sec("开场", greet, "关于您前几天反映的问题，我来向您反馈处理进展。"),
			sec("调查结果", "我们核实了相关记录，问题的原因是……，给您带来的不便再次向您致歉。"),
			sec("处理方案", "公司的处理方案是……，您看这样处理可以吗？", "如果您对方案还有意见，我会升级给主管，并在 7 个工作日内给您最终答复。"),
			sec("收尾", "处理完成后我会再回访一次，确认问题已经解决。"),
		)},
	{key: "complaint-script-en", kind: "script", scenario: "complaint", tier: "basic", locale: "en",
		title: "Complaint first contact", summary: "Apologise, restate the problem, commit to the time limits.", tags: []string{"complaint"},
		content: script(
			sec("Apologise", "Hello {customer.name}, this is {agent.display_name}. I am sorry for the trouble you have had."),
			sec("Restate", "Let me repeat what I understood, so that nothing is missed."),
			sec("Commit", "You will hear from me within 24 hours, and have our answer within 2 working days."),
		)},
	{key: "hesitation-surrender-script", kind: "script", scenario: "hesitation_surrender", tier: "basic",
		title: "犹豫期退保沟通话术", summary: "客户在犹豫期内提出退保时，了解原因、说明影响、尊重选择。", tags: []string{"犹豫期", "退保"},
		content: script(
			sec("了解原因", greet, "收到您想退保的想法，方便说说是什么原因吗？是预算、保障内容还是其他顾虑？"),
			sec("说明影响", "犹豫期内退保会全额退还保费，不会有损失；退保后这份保障也随之终止。", "如果是保费压力，可以考虑降低保额或调整缴费方式，保障不中断。"),
			sec("尊重选择", "如果您确定退保，我现在就协助您提交申请，保费一般 7 个工作日内退回原账户。"),
		)},
	{key: "premium-increase-script", kind: "script", scenario: "premium_increase", tier: "advanced",
		title: "保费上涨解释话术", summary: "客户质疑保费上涨时，3 分钟内调取保单历史，结合费率调整做可视化对比说明。", tags: []string{"保费", "续保", "解释"},
		content: script(
			sec("开场", greet, "您问到保单 {policy.number} 今年保费上涨的原因，我已经调出了您这几年的缴费记录。"),
			sec("原因", "医疗险按年龄段定价，您今年进入了新的年龄段，费率随之调整。", "这次调整是全体客户统一的费率调整，不是因为您的理赔记录单独加费。"),
			sec("对比", "我把近三年的保费和保障做成了对比图发给您，保额和责任都没有减少。", "如果预算有压力，可以考虑提高免赔额来降低保费，我帮您测算一下。"),
		)},
	{key: "premium-increase-script-intelligent", kind: "script", scenario: "premium_increase", tier: "intelligent", state: "draft",
		title: "保费上涨智能解释话术（草稿）", summary: "按客户年龄段与费率表自动生成对比说明，待合规审核。", tags: []string{"保费", "草稿"},
		content: script(
			sec("开场", greet),
			sec("说明", "根据您的年龄段和费率表，保单 {policy.number} 的保费变化如下。"),
		)},
	{key: "birthday-care-script", kind: "script", scenario: "care_birthday", tier: "basic",
		title: "生日关怀话术", summary: "客户生日当天电话或微信送上祝福，不谈产品。", tags: []string{"关怀", "生日"},
		content: script(
			sec("祝福", greet, "今天是您的生日，祝您生日快乐，身体健康，万事顺意！"),
			sec("关心近况", "最近工作和家里都还顺利吧？有什么需要我帮忙的随时告诉我。"),
		)},
	{key: "care-anniversary-script", kind: "script", scenario: "care_anniversary", tier: "basic",
		title: "保单周年关怀话术", summary: "保单周年日电话或上门，回顾保障、更新家庭信息。", tags: []string{"关怀", "周年"},
		content: script(
			sec("开场", greet, "今天是您的保单 {policy.number} 的周年日，感谢您一直以来的信任。"),
			sec("回顾", "这一年保单一直有效，下一次续保日是 {policy.renewal_date}。"),
			sec("更新信息", "家里情况有没有变化？比如联系方式、受益人、家庭成员，有变化的话我帮您更新。"),
		)},
	{key: "upgrade-proposal-script", kind: "script", scenario: "upgrade_proposal", tier: "intelligent",
		title: "家庭保障升级建议话术（三年无理赔）", summary: "连续三年无理赔的家庭客户，结合画像中的保障缺口提出升级方案。", tags: []string{"升级", "保障缺口", "画像"},
		content: script(
			sec("开场", greet, "您家的保单已经连续三年没有理赔，身体健康是最好的消息。"),
			sec("缺口", "这几年家里情况有变化，孩子长大了、房贷也增加了，原来的保额可能不够了。", "从画像看，目前缺口主要在寿险和父母的医疗保障。"),
			sec("建议", "建议优先补足寿险保额，再给父母配置医疗险；预算按家庭年收入的 10% 以内控制。", "我做了两个方案，约个时间当面给您和家人讲一下？"),
		)},
}
