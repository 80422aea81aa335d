package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/domain"
)

type customerRow struct {
	id         uuid.UUID
	agent      *agentRow
	externalID string
	name       string
	surname    string
	male       bool
	// Personal data, plaintext only in memory: written encrypted.
	phone, idNumber, healthNotes string
	birth                        time.Time // date column
	occupation, incomeBand       string
	family                       domain.Family
	childNames                   []string
	spouseName                   string
	risk, channel, lifeStage     string
	consent                      domain.Consent
	referred                     bool
	tags                         []string
	createdAt, updatedAt         time.Time

	policies     []*policyRow
	interactions []*interactionRow
	claims       int
	claimWorry   bool // complained about claim timeliness
}

// age is the customer's age in whole years today.
func (c *customerRow) age(today time.Time) int { return yearsBetween(c.birth, today) }

func yearsBetween(from, to time.Time) int {
	y := to.Year() - from.Year()
	if to.Month() < from.Month() || (to.Month() == from.Month() && to.Day() < from.Day()) {
		y--
	}
	return y
}

// Surnames, repeated roughly by frequency (王李张刘陈 are a third of China).
var surnames = []string{
	"王", "王", "王", "李", "李", "李", "张", "张", "张", "刘", "刘", "陈", "陈", "杨", "黄", "赵", "吴", "周",
	"徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
	"邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕",
	"丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦",
	"方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "段", "雷", "侯", "龙", "史", "欧阳", "司马",
}

var (
	maleChars   = []rune("伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林峰建志文博海东晨阳轩睿泽宏毅嘉佑")
	femaleChars = []rune("芳娜敏静丽艳娟霞秀英玲燕婷慧莹雪琳晶倩颖洁佳怡欣雨桐涵诗思梦瑶萱悦琪璐月红梅兰春晓丹萍")
	maleOld     = []string{"建国", "建军", "国强", "志刚", "德胜", "永平", "卫东", "红军", "建华", "国庆"}
	femaleOld   = []string{"秀英", "桂英", "玉兰", "桂兰", "淑珍", "凤英", "秀兰", "丽华", "美华", "素芬"}
	maleYoung   = []string{"子轩", "浩然", "宇航", "俊杰", "梓豪", "一鸣", "皓轩", "思远", "博文", "子墨"}
	femaleYoung = []string{"梓涵", "欣怡", "诗涵", "雨桐", "可馨", "一诺", "语嫣", "若曦", "子萱", "佳琪"}
)

func (w *world) givenName(male bool, birthYear int) string {
	switch {
	case birthYear < 1972 && w.chance(0.4):
		if male {
			return pick(w, maleOld)
		}
		return pick(w, femaleOld)
	case birthYear >= 1992 && w.chance(0.4):
		if male {
			return pick(w, maleYoung)
		}
		return pick(w, femaleYoung)
	}
	chars := femaleChars
	if male {
		chars = maleChars
	}
	first := chars[w.intn(len(chars))]
	if w.chance(0.25) {
		return string(first)
	}
	second := chars[w.intn(len(chars))]
	for second == first {
		second = chars[w.intn(len(chars))]
	}
	return string([]rune{first, second})
}

// Administrative division codes (the first six digits of an ID number).
var (
	areasEast = []string{
		"310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113", "310115",
		"320106", "320506", "330106", "330212", "340104", "370202", "420103", "430104", "510107", "110105",
		"440106", "350203", "410105", "360102",
	}
	areasWest = []string{"650102", "650103", "650104", "650105", "650106", "652801", "653101", "620102", "610113", "510107"}
)

// idWeights are the ISO 7064 MOD 11-2 weights of GB 11643 digits 1–17.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckDigit returns the 18th character of a resident ID number.
func idCheckDigit(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return "10X98765432"[sum%11]
}

// idNumber builds a valid 18-digit resident ID number: area, birth date,
// a sequence whose last digit is odd for men and even for women, check digit.
func (w *world) idNumber(area string, birth time.Time, male bool) string {
	seq := w.intn(500) * 2
	if male {
		seq++
	}
	s := fmt.Sprintf("%s%s%03d", area, birth.Format("20060102"), seq)
	return s + string(idCheckDigit(s))
}

var mobilePrefixes = []string{
	"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
	"157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189",
	"191", "198", "199",
}

func (w *world) mobile() string {
	return pick(w, mobilePrefixes) + fmt.Sprintf("%08d", w.intn(100_000_000))
}

// occupation is a job with its usual income band.
type occupation struct {
	name   string
	income int // index into incomeBands
	minAge int
}

var incomeBands = []string{"low", "lower_middle", "middle", "upper_middle", "high"}

var occupations = []occupation{
	{"中学教师", 2, 23}, {"小学教师", 2, 22}, {"医生", 3, 26}, {"护士", 1, 21}, {"软件工程师", 3, 22},
	{"会计", 2, 22}, {"公务员", 2, 23}, {"个体工商户", 2, 25}, {"企业主", 4, 28}, {"销售经理", 3, 26},
	{"律师", 4, 26}, {"平面设计师", 2, 22}, {"外卖骑手", 1, 20}, {"网约车司机", 1, 24}, {"银行职员", 2, 22},
	{"大学教师", 3, 28}, {"自由职业者", 1, 22}, {"餐饮店老板", 2, 28}, {"房产经纪人", 2, 22},
	{"财务总监", 4, 32}, {"工厂技术员", 1, 20}, {"电商运营", 2, 22}, {"健身教练", 1, 21}, {"药剂师", 2, 23},
	{"建筑工程师", 3, 24}, {"外贸业务员", 2, 22}, {"物流主管", 2, 26}, {"研究生", 0, 22},
}

var healthNoteTemplates = []string{
	"%d年体检发现甲状腺结节（TI-RADS 3类），每年复查一次，无手术史。",
	"高血压病史约%d年，规律服用降压药，近期血压控制在130/85左右。",
	"%d年因急性阑尾炎行腹腔镜切除术，已痊愈，无后遗症。",
	"乳腺结节（BI-RADS 3类），%d年起半年复查一次彩超。",
	"2型糖尿病，%d年确诊，口服二甲双胍，空腹血糖约7.0mmol/L。",
	"腰椎间盘突出（L4-L5），%d年起间断理疗，未手术。",
	"轻度脂肪肝，%d年体检发现，转氨酶正常。",
	"%d年冠脉支架植入术后，长期服用阿司匹林，定期心内科随访。",
	"过敏性哮喘，%d年起季节性发作，吸入剂控制。",
	"%d年右腿胫骨骨折内固定术，钢板已取出，活动正常。",
}

// genCustomers makes the customers and splits them between the agents: a
// handful for the team lead, the rest about 36/32/32 between agent1,
// agent2 and agent3.
func (w *world) genCustomers(n int) {
	lead := max(2, n/60)
	rest := n - lead
	a1 := rest * 36 / 100
	a2 := rest * 32 / 100
	a3 := rest - a1 - a2
	plan := []struct {
		user string
		n    int
	}{{"agent1", a1}, {"agent2", a2}, {"agent3", a3}, {"lead1", lead}}

	phones := map[string]bool{}
	ids := map[string]bool{}
	crm := 100 + w.intn(50)
	for _, p := range plan {
		ag := w.byUser[p.user]
		for range p.n {
			c := w.genCustomer(ag, phones, ids)
			if w.chance(0.8) {
				crm += 1 + w.intn(3)
				c.externalID = fmt.Sprintf("CRM-%06d", crm)
			}
			ag.customers = append(ag.customers, c)
			w.customers = append(w.customers, c)
		}
	}
}

func (w *world) genCustomer(ag *agentRow, phones, ids map[string]bool) *customerRow {
	c := &customerRow{id: newID(), agent: ag}
	age := []int{w.between(23, 29), w.between(30, 39), w.between(40, 49), w.between(50, 59), w.between(60, 72)}[w.weighted(15, 30, 25, 18, 12)]
	c.birth = w.today.AddDate(-age, 0, -w.intn(365))
	c.male = w.chance(0.48)
	c.surname = pick(w, surnames)
	c.name = c.surname + w.givenName(c.male, c.birth.Year())

	for {
		c.phone = w.mobile()
		if !phones[c.phone] {
			phones[c.phone] = true
			break
		}
	}
	areas := areasEast
	if ag.username == "agent3" && w.chance(0.75) {
		areas = areasWest
	}
	for {
		c.idNumber = w.idNumber(pick(w, areas), c.birth, c.male)
		if !ids[c.idNumber] {
			ids[c.idNumber] = true
			break
		}
	}

	// Occupation and income.
	switch {
	case age >= 60:
		c.occupation = "退休职工"
		c.incomeBand = incomeBands[w.between(1, 3)]
	default:
		o := pick(w, occupations)
		for o.minAge > age || (o.name == "研究生" && age > 30) {
			o = pick(w, occupations)
		}
		c.occupation = o.name
		c.incomeBand = incomeBands[min(4, max(0, o.income+w.between(-1, 1)))]
	}

	w.genFamily(c, age)

	// Risk preference leans conservative with age.
	switch r := w.intn(100) + age/2; {
	case r < 45:
		c.risk = "aggressive"
	case r < 95:
		c.risk = "balanced"
	default:
		c.risk = "conservative"
	}
	if w.chance(0.05) {
		c.risk = "unknown"
	}
	if age >= 55 {
		c.channel = []string{"phone", "visit", "branch", "wechat"}[w.weighted(40, 25, 15, 20)]
	} else {
		c.channel = []string{"wechat", "phone", "visit", "app", "email", "branch"}[w.weighted(45, 22, 10, 15, 3, 5)]
	}
	if w.chance(0.25) {
		tmpl := pick(w, healthNoteTemplates)
		c.healthNotes = fmt.Sprintf(tmpl, w.today.Year()-w.between(1, 8))
		if strings.HasPrefix(tmpl, "高血压") {
			c.healthNotes = fmt.Sprintf(tmpl, w.between(2, 12))
		}
	}
	c.referred = w.chance(0.2)
	c.consent = domain.Consent{Push: w.chance(0.6), Marketing: w.chance(0.35), DataProcessing: w.chance(0.96)}
	return c
}

// genFamily sets spouse, children and dependants consistent with the age,
// and the life stage that follows from them.
func (w *world) genFamily(c *customerRow, age int) {
	var married float64
	switch {
	case age < 26:
		married = 0.2
	case age < 31:
		married = 0.5
	case age < 41:
		married = 0.8
	default:
		married = 0.86
	}
	f := domain.Family{Spouse: w.chance(married)}
	if f.Spouse {
		c.spouseName = pick(w, surnames) + w.givenName(!c.male, c.birth.Year()+w.between(-3, 3))
	}
	if (f.Spouse || (age > 30 && w.chance(0.06))) && age >= 25 {
		kids := w.weighted(15, 45, 35, 5)
		if age < 30 {
			kids = min(kids, 1)
		}
		for i := 0; i < kids; i++ {
			born := c.birth.Year() + w.between(24, 38)
			if born > w.today.Year() {
				continue
			}
			f.Children = append(f.Children, domain.Child{BirthYear: born})
			c.childNames = append(c.childNames, c.surname+w.givenName(w.chance(0.5), born))
		}
	}
	if age >= 32 && age < 60 && w.chance(0.4) {
		f.Dependants = w.between(1, 2)
	}
	c.family = f

	youngest := -1
	for _, ch := range f.Children {
		a := w.today.Year() - ch.BirthYear
		if youngest < 0 || a < youngest {
			youngest = a
		}
	}
	switch {
	case age >= 60:
		c.lifeStage = "retired"
	case youngest >= 0 && youngest < 12:
		c.lifeStage = "young_family"
	case youngest >= 0 && youngest < 22:
		c.lifeStage = "mature_family"
	case youngest >= 22:
		c.lifeStage = "empty_nest"
	case f.Spouse:
		c.lifeStage = "married"
	default:
		c.lifeStage = "single"
	}
}

// youngChild returns the index of a child under 18, or -1.
func (c *customerRow) youngChild(today time.Time) int {
	for i, ch := range c.family.Children {
		if today.Year()-ch.BirthYear < 18 {
			return i
		}
	}
	return -1
}

// finishTags sets the tags that follow from the whole data set, and the
// customers' creation times.
func (w *world) finishTags() {
	for _, c := range w.customers {
		var tags []string
		var annual int64
		oldest := w.today
		renewSoon, car, annuity := false, false, false
		for _, p := range c.policies {
			if p.start.Before(oldest) {
				oldest = p.start
			}
			if p.status == "active" || p.status == "grace" {
				annual += p.annualPremium
			}
			if p.status == "grace" {
				renewSoon = true
			}
			for _, d := range []*time.Time{p.nextDue, p.renewal} {
				if d != nil && p.status == "active" && w.daysFromToday(*d) >= 0 && w.daysFromToday(*d) <= 14 {
					renewSoon = true
				}
			}
			car = car || p.product.line == "auto"
			annuity = annuity || p.product.line == "annuity"
		}
		if c.incomeBand == "high" || annual >= 50_000_00 {
			tags = append(tags, "高净值")
		}
		if w.today.Sub(oldest) > 5*365*24*time.Hour {
			tags = append(tags, "老客户")
		}
		if c.referred {
			tags = append(tags, "转介绍")
		}
		if renewSoon {
			tags = append(tags, "续保关注")
		}
		if c.claims > 0 || c.claimWorry {
			tags = append(tags, "理赔关注")
		}
		if c.youngChild(w.today) >= 0 {
			tags = append(tags, "教育金")
		}
		if car {
			tags = append(tags, "车主")
		}
		if annuity {
			tags = append(tags, "养老规划")
		}
		c.tags = tags
		if c.tags == nil {
			c.tags = []string{}
		}
	}
}
