package demo

import (
	"time"

	"github.com/google/uuid"
)

type complaintRow struct {
	id                                 uuid.UUID
	customer                           *customerRow
	policy                             *policyRow
	status, category, severity         string
	summary, details                   string
	received                           time.Time
	acked, resolved, closed, escalated *time.Time
	rootCause, corrective, resolution  string
	ackDue, answerDue, closeDue        time.Time
	createdAt, updatedAt               time.Time
}

// complaintSpec places one complaint in its workflow; durations are after
// receipt (0: not reached).
type complaintSpec struct {
	user, status, category, severity string
	receivedAgo                      time.Duration
	ack, resolve, close, escalate    time.Duration
	summary, details                 string
	rootCause, corrective            string
	resolution                       string
}

// complaintSpecs cover every status and every SLA state: agent1's first is
// 4 h from its acknowledgement deadline, the second is past it.
var complaintSpecs = []complaintSpec{
	{user: "agent1", status: "received", category: "claim_timeliness", severity: "high", receivedAgo: 20 * hour,
		summary: "住院理赔材料提交两周仍未到账", details: "客户称两周前已通过App上传出院小结和发票，至今未收到赔款，也没有人告知审核进度，要求尽快处理。"},
	{user: "agent1", status: "received", category: "billing", severity: "medium", receivedAgo: 30 * hour,
		summary: "续期保费被重复扣款", details: "客户银行卡本月被扣缴两次续期保费，要求退还多扣的款项并说明原因。"},
	{user: "agent1", status: "received", category: "service_attitude", severity: "low", receivedAgo: 2 * hour,
		summary: "电话多次未接通，微信回复慢", details: "客户反映上周连续三天联系不上代理人，微信留言隔天才回复。"},
	{user: "agent1", status: "acknowledged", category: "policy_terms", severity: "medium", receivedAgo: 26 * hour, ack: 3 * hour,
		summary: "对重疾险轻症赔付比例理解有分歧", details: "客户认为轻症应按基本保额全额赔付，条款约定为基本保额的30%，客户表示投保时未被告知。"},
	{user: "agent1", status: "investigating", category: "claim_timeliness", severity: "high", receivedAgo: 70 * hour, ack: 5 * hour,
		summary: "意外医疗理赔被要求重复提交发票", details: "客户已提交发票原件，理赔部门再次要求提供，客户认为流程繁琐、耽误时间。"},
	{user: "agent1", status: "resolved", category: "billing", severity: "medium", receivedAgo: 10 * day, ack: 2 * hour, resolve: 40 * hour,
		summary: "银行卡变更后仍从旧卡扣款", details: "客户上月已提交缴费账户变更，本期保费仍从旧卡扣缴。",
		resolution: "已确认变更申请生效日晚于批扣日，本期扣款有效，下期起从新卡扣缴，已向客户说明并致歉。"},
	{user: "agent1", status: "closed", category: "claim_timeliness", severity: "high", receivedAgo: 40 * day, ack: 1 * hour, resolve: 30 * hour, close: 5 * day,
		summary: "理赔款到账时间超过承诺时效", details: "客户住院理赔审核通过后十天仍未到账，多次询问无明确答复。",
		resolution: "已加急支付赔款并致歉，客户表示接受。", rootCause: "赔款支付环节需人工复核，复核岗位人员不足导致积压。",
		corrective: "小额理赔取消人工复核，支付时效纳入理赔时效考核；对理赔时效投诉客户在保单周年日前7天安排理赔流程预演。"},
	{user: "agent1", status: "closed", category: "sales_misconduct", severity: "high", receivedAgo: 95 * day, ack: 4 * hour, resolve: 3 * day, close: 6 * day,
		summary: "销售时未说明分红不保证", details: "客户称投保时被告知每年分红固定为4%，实际分红实现率较低。",
		resolution: "调阅双录确认销售人员表述不当，为客户办理全额退保。", rootCause: "销售人员用演示利率代替保证利率进行介绍，双录质检未发现。",
		corrective: "对销售人员进行合规培训并扣减绩效；双录质检增加分红险利益演示抽检项。"},
	{user: "agent1", status: "escalated", category: "sales_misconduct", severity: "critical", receivedAgo: 5 * day, ack: 6 * hour, escalate: 60 * hour,
		summary: "投保时未告知等待期，等待期内出险被拒赔", details: "客户投保医疗险两个月后住院，因处于等待期被拒赔，客户称销售时未被告知等待期，要求全额赔付，并表示将向监管部门反映。"},
	{user: "agent1", status: "resolved", category: "other", severity: "low", receivedAgo: 15 * day, ack: 3 * hour, resolve: 2 * day,
		summary: "生日礼品寄错地址", details: "客户生日礼品寄到了旧地址，客户认为公司信息更新不及时。", resolution: "已重新寄送礼品并更新客户地址。"},
	{user: "agent2", status: "received", category: "other", severity: "low", receivedAgo: 5 * hour,
		summary: "App无法查看电子保单", details: "客户升级App后保单列表为空，无法下载电子保单。"},
	{user: "agent2", status: "acknowledged", category: "service_attitude", severity: "medium", receivedAgo: 12 * hour, ack: 1 * hour,
		summary: "上门服务迟到且未提前告知", details: "约定上午十点上门讲解保单，代理人迟到一小时且未提前通知。"},
	{user: "agent2", status: "investigating", category: "policy_terms", severity: "medium", receivedAgo: 3 * day, ack: 8 * hour,
		summary: "百万医疗险续保后免赔额变化未告知", details: "客户续保后发现免赔额由1万元调整为2万元，续保时无人告知。"},
	{user: "agent2", status: "resolved", category: "billing", severity: "medium", receivedAgo: 6 * day, ack: 2 * hour, resolve: 2 * day,
		summary: "宽限期内缴费后保单状态未更新", details: "客户在宽限期内已缴费，App仍显示保单处于宽限期。", resolution: "系统同步延迟，已手工更新保单状态并向客户说明。"},
	{user: "agent2", status: "closed", category: "claim_timeliness", severity: "medium", receivedAgo: 30 * day, ack: 3 * hour, resolve: 2 * day, close: 4 * day,
		summary: "门诊理赔审核超过7天", details: "客户门诊理赔提交后9天仍在审核中。", resolution: "已完成审核并赔付，向客户致歉。",
		rootCause: "材料在分支机构与总公司之间重复流转审核。", corrective: "推行先受理、后补证，小额门诊理赔由分支机构直接审核结案。"},
	{user: "agent2", status: "closed", category: "other", severity: "low", receivedAgo: 150 * day, ack: 2 * hour, resolve: 1 * day, close: 3 * day,
		summary: "保单邮寄地址错误导致未收到保单", details: "纸质保单寄往客户旧地址被退回。", resolution: "已补寄保单并开通电子保单。",
		rootCause: "投保时地址信息未与客户复核。", corrective: "保单送达回访清单增加“核对邮寄地址”必填项。"},
	{user: "agent2", status: "escalated", category: "policy_terms", severity: "high", receivedAgo: 8 * day, ack: 4 * hour, escalate: 3 * day,
		summary: "退保金额与预期差距大", details: "客户第三年退保，现金价值仅为已交保费的四成，认为销售时未充分提示退保损失。"},
	{user: "agent3", status: "received", category: "policy_terms", severity: "medium", receivedAgo: 10 * hour,
		summary: "年金领取时间与销售时说法不一致", details: "客户称销售人员说55岁开始领取，合同约定为60岁。"},
	{user: "agent3", status: "acknowledged", category: "claim_timeliness", severity: "high", receivedAgo: 22 * hour, ack: 2 * hour,
		summary: "车险定损后迟迟未赔付", details: "车辆定损已完成五天，维修厂仍未收到赔款，客户无法提车。"},
	{user: "agent3", status: "investigating", category: "service_attitude", severity: "medium", receivedAgo: 4 * day, ack: 5 * hour,
		summary: "客服电话转接多次未解决", details: "客户拨打客服电话被转接四次，问题仍未解决。"},
	{user: "agent3", status: "resolved", category: "sales_misconduct", severity: "medium", receivedAgo: 12 * day, ack: 6 * hour, resolve: 3 * day,
		summary: "被推荐购买与需求不符的产品", details: "客户只想买医疗险，被推荐了高保费的年金险。", resolution: "犹豫期内已为客户办理退保，并重新做需求分析。"},
	{user: "agent3", status: "closed", category: "claim_timeliness", severity: "high", receivedAgo: 60 * day, ack: 2 * hour, resolve: 2 * day, close: 5 * day,
		summary: "重疾理赔等待病理报告期间无人跟进", details: "客户提交重疾理赔后两周无人联系，不清楚还缺什么材料。", resolution: "已指定专人跟进，赔款已到账。",
		rootCause: "理赔受理后没有进度通知机制，代理人不掌握审核节点。", corrective: "理赔各节点自动推送给客户和代理人；代理人每日跟进未结案件。"},
	{user: "agent3", status: "closed", category: "billing", severity: "low", receivedAgo: 210 * day, ack: 5 * hour, resolve: 4 * day, close: 10 * day,
		summary: "自动扣款日期与约定不符", details: "客户约定每月15日扣款，实际10日扣款导致透支。", resolution: "退还透支利息并调整扣款日。",
		rootCause: "批扣日参数配置错误。", corrective: "批扣参数变更双人复核。"},
	{user: "agent3", status: "closed", category: "policy_terms", severity: "low", receivedAgo: 20 * day, ack: 1 * hour, resolve: 1 * day, close: 3 * day,
		summary: "犹豫期退保被扣工本费", details: "客户犹豫期内退保，被扣除10元工本费。", resolution: "退还工本费。",
		rootCause: "柜面人员误用犹豫期外退保规则。", corrective: "柜面退保系统按保单送达日自动判断犹豫期。"},
	{user: "lead1", status: "closed", category: "service_attitude", severity: "medium", receivedAgo: 75 * day, ack: 2 * hour, resolve: 2 * day, close: 4 * day,
		summary: "原代理人离职后无人服务", details: "客户原代理人离职半年，期间无人联系，续保也没有提醒。", resolution: "已由团队主管接手服务并完成续保。",
		rootCause: "离职交接未覆盖孤儿单客户。", corrective: "代理人离职时孤儿单自动分配给团队主管，并在系统中提醒续保。"},
}

func (w *world) genComplaints() {
	used := map[*customerRow]bool{}
	for _, s := range complaintSpecs {
		claimWorry := s.category == "claim_timeliness"
		c := w.customerFor(s.user, used, func(c *customerRow) bool { return !claimWorry || w.claimable(c) != nil })
		cp := &complaintRow{id: newID(), customer: c, status: s.status, category: s.category, severity: s.severity,
			summary: s.summary, details: s.details, rootCause: s.rootCause, corrective: s.corrective, resolution: s.resolution}
		switch {
		case claimWorry:
			cp.policy = w.claimable(c)
			c.claimWorry = true
		case s.category == "billing":
			cp.policy = w.duesPolicy(c)
		case len(c.policies) > 0:
			cp.policy = pick(w, c.policies)
		}
		cp.received = w.ago(s.receivedAgo)
		cp.ackDue = cp.received.Add(24 * hour)
		cp.answerDue = w.cal.addWorkingDays(cp.received, 2)
		cp.closeDue = w.cal.addWorkingDays(cp.received, 7)
		step := func(d time.Duration) *time.Time {
			if d == 0 {
				return nil
			}
			return ptr(cp.received.Add(d))
		}
		cp.acked, cp.resolved, cp.closed, cp.escalated = step(s.ack), step(s.resolve), step(s.close), step(s.escalate)
		cp.createdAt, cp.updatedAt = cp.received, cp.received
		for _, t := range []*time.Time{cp.acked, cp.resolved, cp.closed, cp.escalated} {
			if t != nil && t.After(cp.updatedAt) {
				cp.updatedAt = *t
			}
		}
		content := w.compose("complaint", c, cp.received, "phone", vars{"summary": s.summary, "details": s.details})
		w.addInteraction(c, "complaint", "phone", content, cp.received, cp.acked)
		w.complaints = append(w.complaints, cp)
	}
}
