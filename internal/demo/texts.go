package demo

// story is one kind of interaction: an opening and the bodies that can
// follow it, for customers holding a policy of one of lines (a line of
// business or a product code; any policy with premiums to pay when nil).
type story struct {
	lines     []string
	needChild bool
	opening   string
	bodies    []string
}

// textSet holds the stories of one interaction type (咨询台账 entries).
type textSet struct {
	stories  []story
	closings []string
	results  []string
}

var (
	healthLines = []string{"health", "critical_illness"}
	savingLines = []string{"LIFE-WL-01", "LIFE-ZE-01", "annuity"} // with a cash value
	claimLines  = []string{"health", "critical_illness", "accident", "auto", "property"}
)

var careBodies = []string{
	"客户提到父母年纪大了，想了解防癌险和医疗险。",
	"客户近期换了工作，单位提供团体医疗保险，已提醒个人医疗险不要停缴。",
	"客户对去年的服务印象很好，表示愿意介绍同事来咨询。",
	"顺便核对了客户的联系地址和紧急联系人，信息无变化。",
}

var texts = map[string]textSet{
	"consultation": {
		stories: []story{
			{lines: healthLines, opening: "{name}{via}咨询{product}的等待期规定，担心刚投保就生病不能报销。", bodies: []string{
				"已说明{product}的等待期为{wait}天，等待期内因疾病出险只退还已交保费，意外导致的不受等待期限制。",
				"提醒客户续保的保单没有等待期，按时续保就不会出现保障空档。",
				"把条款中等待期的原文截图并标注重点，通过微信发给客户。"}},
			{lines: healthLines, opening: "{name}来电询问{product}的免责条款，担心自己的{ill}会不会影响理赔。", bodies: []string{
				"解释了既往症的认定标准：投保前已确诊或有明显症状的疾病不在保障范围内，以健康告知和核保结论为准。",
				"调出投保时的健康告知记录，客户当时已如实告知，核保结论为标准体承保。",
				"建议客户保存好每次就诊的病历，理赔时可以证明发病时间。"}},
			{lines: savingLines, opening: "{name}{via}问起{product}的现金价值和提前退保的损失。", bodies: []string{
				"按现金价值表测算，目前退保可领取约{money}元，明显低于已交保费。",
				"提示退保会失去保障，如果只是短期资金周转，可以优先考虑保单贷款或减额交清。",
				"把现金价值表和退保测算结果整理成表格发给客户。"}},
			{lines: savingLines, opening: "{name}咨询{product}能否办理保单贷款，近期资金周转有些紧张。", bodies: []string{
				"保单贷款最高为现金价值的百分之八十，按目前现金价值约可贷{cashloan}万元，利率按公司当期公布执行。",
				"贷款期间保障不受影响，但需在约定期限内还款，否则利息会滚入本金。",
				"告知可以在App上自助申请，一般两个工作日内到账。"}},
			{opening: "{name}咨询能否给父母投保医疗险，父母今年分别{parent_age}岁和{parent_age2}岁。", bodies: []string{
				"说明了医疗险的投保年龄上限和健康告知要求，高血压、糖尿病控制平稳的可以提交人工核保。",
				"建议先准备老人近两年的体检报告，由核保人员评估后再决定方案。",
				"也介绍了防癌险作为补充选择，投保门槛更低。"}},
			{lines: []string{"health"}, opening: "客户询问{product}续保时是否需要重新做健康告知，保费会不会上涨。", bodies: []string{
				"解释了保证续保和非保证续保的区别，{product}续保时无需重新告知。",
				"续保保费按年龄段统一调整，不会因为个人理赔记录单独加费。",
				"把近三年的保费变化整理后发给客户参考。"}},
			{lines: claimLines, opening: "客户咨询{product}的理赔需要哪些材料，朋友最近理赔遇到了麻烦。", bodies: []string{
				"告知需要理赔申请书、身份证、银行卡、病历或事故证明、费用清单和发票，材料不全也可以先受理后补交。",
				"把理赔材料清单和报案电话发给客户，提醒出险后尽快报案。",
				"说明公司承诺3天内受理、7天内结案，有问题可以随时找我跟进。"}},
			{opening: "{name}{via}询问{product}的受益人能否从法定改为指定。", bodies: []string{
				"说明受益人变更需要投保人本人申请，并取得被保险人的书面同意。",
				"客户希望指定配偶和子女各占百分之五十，已告知需要准备的关系证明材料。"}},
		},
		closings: []string{"客户表示理解，暂无其他疑问。", "约定{weekday}下午再电话确认客户的决定。", "客户希望把说明整理成文字，已通过微信发送。", "已登记咨询台账，待客户考虑后回复。"},
		results:  []string{"已解答", "已解答，待客户确认", "需向公司核实后回复", "已发送条款说明"},
	},
	"needs_analysis": {
		stories: []story{
			{opening: "与{name}面谈家庭保障规划，客户职业为{occupation}，家庭年收入约{income}万元。", bodies: []string{
				"梳理现有保单后发现，家庭经济支柱的寿险保额明显不足，重疾保额也只有{ci}万元。",
				"按家庭责任法测算，寿险保额建议不低于{need}万元，目前缺口约{gap}万元。",
				"建议优先补足经济支柱的保障，再考虑子女教育金和养老储备。"}},
			{needChild: true, opening: "{name}的孩子今年{child_age}岁，想为教育金做准备，希望孩子上大学时备好{edu}万元。", bodies: []string{
				"测算后建议每年投入{budget}元、分10年交清，孩子18岁起每年领取。",
				"客户风险偏好偏稳健，建议以保证领取的教育金为主，不选收益波动大的产品。",
				"提醒先把孩子的重疾和医疗保障配齐，教育金是锦上添花。"}},
			{opening: "客户近期在{city}购置新房，房贷约{mortgage}万元，担心家庭收入中断影响还贷。", bodies: []string{
				"建议配置保额覆盖房贷余额的定期寿险，保障期限与贷款期限一致。",
				"按客户年龄测算，{mortgage}万元保额的定期寿险年保费约{estimate}元。",
				"同时建议补充意外险，提高意外身故和伤残保障。"}},
			{opening: "{name}刚换了工作，原单位的团体保险停止了，希望重新梳理家庭保障。", bodies: []string{
				"原团体保险包含医疗和意外保障，停保后需要尽快补上个人医疗险，避免保障空档。",
				"建议先投保百万医疗险和意外险，等新单位团体保险确定后再调整。"}},
		},
		closings: []string{"已制作家庭保障方案书，约定{weekday}当面讲解。", "客户需要与配偶商量后再决定。", "客户认可方案方向，预算每年{budget}元以内。"},
		results:  []string{"已出具保障方案", "客户考虑中", "约定再次面谈"},
	},
	"revisit": {
		stories: []story{
			{lines: []string{"life", "critical_illness", "annuity", "MED-02"}, opening: "保单服务回访：{product}（{policy}）的保单和回执已由客户签收。", bodies: []string{
				"提醒客户犹豫期为{hes}天，犹豫期内退保可全额退还保费。",
				"逐条讲解了保障责任和免责条款，客户对条款没有疑问。",
				"告知报案电话和理赔流程，建议把保单放在家人知道的地方。"}},
			{opening: "定期回访：与{name}核对了{product}的投保人、被保险人和受益人信息，均无误。", bodies: []string{
				"协助客户在App上绑定电子保单并开通理赔进度通知。",
				"提醒公司回访电话会在近期打来，请如实回答。"}},
		},
		closings: []string{"客户对服务满意度评价为{star}星。", "已完成回访登记。"},
		results:  []string{"回访完成", "客户无异议"},
	},
	"payment": {
		stories: []story{
			{opening: "提醒{name}：{product}（{policy}）续期保费{premium}元将于{due}扣缴。", bodies: []string{
				"客户确认扣款账户余额充足，将通过银行卡自动扣款。",
				"客户更换了工资卡，已协助提交缴费账户变更申请。"}},
			{opening: "客户的{product}（{policy}）已过缴费日仍未扣款成功，电话提醒尽快缴费。", bodies: []string{
				"说明宽限期为60天，宽限期内出险仍可正常理赔，超过宽限期保单将中止。",
				"原因是银行卡余额不足，客户表示当天就会存入。",
				"发送了线上缴费链接，客户当场完成缴费。"}},
		},
		closings: []string{"约定扣款日次日再确认扣款结果。", "已在台账中登记提醒结果。"},
		results:  []string{"客户确认按时缴费", "已协助变更扣款账户", "已缴费"},
	},
	"renewal": {
		stories: []story{
			{lines: []string{"MED-01", "MED-02", "ACC-01"}, opening: "续保沟通：{product}（{policy}）将于{anniversary}到期，与{name}确认续保意向。", bodies: []string{
				"客户去年没有理赔记录，续保无需重新健康告知。",
				"对比了同类产品的保障范围和服务，客户决定按原方案续保。",
				"建议同时把意外险保额提高到{acc}万元，客户表示会考虑。"}},
			{lines: []string{"MED-01", "MED-02"}, opening: "{name}的{product}即将续保，客户询问今年保费为什么上涨。", bodies: []string{
				"说明因年龄段变化保费由{old}元调整为{premium}元，保障责任不变。",
				"强调这是全体客户统一的费率调整，不是因为个人理赔记录加费。",
				"如果预算紧张，可以提高免赔额来降低保费，客户表示先按原方案续保。"}},
			{lines: []string{"MED-01", "ACC-01", "PROP-01", "AUTO-01"}, opening: "续保提醒：{via}告知客户{policy}的续保日期{anniversary}和续保保费{premium}元。", bodies: []string{
				"客户表示今年的保障需求没有变化。",
				"客户希望续保后把受益人改为配偶，已说明续保完成后另行办理变更。"}},
			{opening: "{product}（{policy}）将于{anniversary}迎来保单周年日，与{name}确认续期缴费和保障安排。", bodies: []string{
				"客户确认继续按期缴费，扣款账户不变。",
				"回顾了保单的保障责任，客户表示目前保障够用。"}},
			{lines: []string{"AUTO-01"}, opening: "{name}的{product}（{policy}）将于{anniversary}到期，续保前核对了车辆和驾驶人信息。", bodies: []string{
				"去年没有出险，续保可享受无赔款优待，保费比去年略低。",
				"建议把三者险保额提高到300万元，应对人伤赔偿标准上涨。"}},
		},
		closings: []string{"客户同意续保，已发送续保链接。", "客户需要和家人商量，约定三天后回复。"},
		results:  []string{"客户同意续保", "客户考虑中", "已发送续保链接"},
	},
	"care": {
		stories: []story{
			{opening: "保单周年关怀：{product}生效满{years}年，给客户发送了保单年度报告。", bodies: careBodies},
			{opening: "节前给{name}送去节日礼盒，顺便了解家庭近况。", bodies: careBodies},
			{opening: "天气转凉，提醒{name}注意家中老人的心脑血管健康，并推送了体检预约服务。", bodies: careBodies},
			{needChild: true, opening: "给{name}的孩子送去开学文具礼包，孩子今年{child_age}岁。", bodies: []string{
				"聊到孩子明年升学，客户对教育金产品有兴趣。", "客户提到孩子经常感冒，想了解少儿医疗险的报销范围。"}},
		},
		closings: []string{"客户表示感谢。", "已记录需求，下次拜访时带方案。"},
		results:  []string{"客户表示感谢", "发现新需求"},
	},
	"complaint": {
		stories: []story{{opening: "{name}来电投诉：{summary}。{details}", bodies: []string{
			"已先安抚客户情绪并致歉，承诺24小时内给出处理进度。",
			"已登记投诉并转交客服中心，同步告知客户2个工作日内答复、7个工作日内办结。"}}},
		closings: []string{"明天上午回电告知进展。", "客户情绪已平复，等待处理结果。"},
		results:  []string{"已登记投诉"},
	},
	"claim_assistance": {
		stories: []story{{opening: "{description}", bodies: []string{
			"已告知所需材料：理赔申请书、身份证、银行卡、病历或事故证明、费用清单和发票原件。",
			"材料已拍照上传，理赔部门受理后会在3个工作日内联系客户。",
			"按先受理、后补证的要求，缺的材料后续补交，不影响受理。"}}},
		closings: []string{"会持续跟进审核进度并及时告知客户。", "客户对协助过程表示感谢。"},
		results:  []string{"已协助报案", "材料已提交", "跟进审核中"},
	},
}

// birthdayOpening is the care story told on a customer's birthday.
const birthdayOpening = "今天是{name}的生日，送去生日贺卡和蛋糕券，客户很开心。"

var feedbacks = []string{"", "", "满意", "非常满意", "满意", "一般", "希望回复再快一点"}

// channelPhrases say where an interaction took place.
var channelPhrases = map[string]string{
	"phone": "在电话中", "visit": "在上门拜访时", "wechat": "在微信上", "app": "在App上", "email": "通过邮件", "branch": "在柜面",
}

var (
	ills      = []string{"急性阑尾炎", "肺炎", "甲状腺结节", "腰椎间盘突出", "胆结石", "骨折", "高血压", "急性胃肠炎", "乳腺结节", "冠心病"}
	hospitals = []string{"市第一人民医院", "中山医院", "华山医院", "省人民医院", "区中心医院", "瑞金医院", "自治区人民医院", "新华医院"}
	cities    = []string{"上海", "杭州", "南京", "苏州", "北京", "广州", "深圳", "成都", "武汉", "乌鲁木齐", "西安", "合肥"}
	weekdays  = []string{"周一", "周二", "周三", "周四", "周五", "周六", "周日"}
)

// npsComments are comments by score band: detractor, passive, promoter.
var npsComments = [3][]string{
	{"理赔太慢了，等了两个多星期。", "打电话经常找不到人。", "续保保费涨得太多，没人提前解释。"},
	{"服务还可以，希望回复再快一点。", "", "总体满意，条款还是有点看不懂。"},
	{"服务很及时，有问题随时能找到人。", "理赔协助很专业，材料一次就齐了。", "", "每年生日都记得，很贴心。", "讲解很耐心，已经推荐给同事。"},
}
