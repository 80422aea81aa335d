package toolkit

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/store"
)

// The placeholders that Render fills (dates as YYYY-MM-DD, amounts in
// yuan; labels in the rendering locale):
//
//	{customer.name}                  the customer's name
//	{customer.title}                 polite form: 王女士 / 王先生 (en: Ms. 王芳 / Mr. 王强); the name otherwise
//	{customer.birth_date}            birth date
//	{policy.number}                  policy number
//	{policy.product_name}            product name
//	{policy.line}                    line of business: 重疾险 … (en: critical illness …)
//	{policy.premium}                 premium per instalment: 5,200.00 元 (en: CNY 5,200.00)
//	{policy.sum_assured}             sum assured, formatted like the premium
//	{policy.payment_frequency}       年缴 / 半年缴 / 季缴 / 月缴 / 趸缴 (en: annual …)
//	{policy.start_date}              start date
//	{policy.renewal_date}            renewal date
//	{policy.next_premium_due_date}   next premium due date
//	{policy.insured_name}            the insured
//	{policy.holder_name}             the policy holder
//	{agent.name}                     the agent's display name (username when empty)
//	{agent.display_name}             the same
//
// A placeholder is a brace-enclosed dotted name of lower-case words. One
// that is unknown, or whose value is missing (no policy given, no birth
// date), stays as written and is reported as unresolved; other braces are
// plain text.
var placeholderRE = regexp.MustCompile(`\{[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+\}`)

// Placeholders lists the placeholder names Render knows, without braces.
func Placeholders() []string {
	return []string{
		"agent.display_name", "agent.name",
		"customer.birth_date", "customer.name", "customer.title",
		"policy.insured_name", "policy.holder_name", "policy.line", "policy.next_premium_due_date",
		"policy.number", "policy.payment_frequency", "policy.premium", "policy.product_name",
		"policy.renewal_date", "policy.start_date", "policy.sum_assured",
	}
}

var (
	lineLabels = map[string][2]string{
		"life": {"寿险", "life"}, "health": {"医疗险", "health"}, "critical_illness": {"重疾险", "critical illness"},
		"accident": {"意外险", "accident"}, "property": {"财产险", "property"}, "auto": {"车险", "auto"},
		"annuity": {"年金险", "annuity"},
	}
	frequencyLabels = map[string][2]string{
		"annual": {"年缴", "annual"}, "semiannual": {"半年缴", "semiannual"}, "quarterly": {"季缴", "quarterly"},
		"monthly": {"月缴", "monthly"}, "single": {"趸缴", "single premium"},
	}
)

func localized(m map[string][2]string, k, locale string) string {
	l, ok := m[k]
	switch {
	case !ok:
		return k
	case locale == "en":
		return l[1]
	}
	return l[0]
}

func money(cents int64, currency, locale string) string {
	if locale == "en" {
		return currency + " " + portrait.Yuan(cents)
	}
	if currency == "CNY" || currency == "" {
		return portrait.Yuan(cents) + " 元"
	}
	return portrait.Yuan(cents) + " " + currency
}

func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Values returns the placeholder values known for a customer, a policy and
// an agent (each may be nil) in locale, keyed by placeholder name.
func Values(c *ent.Customer, p *ent.InsurancePolicy, a *ent.Agent, locale string) map[string]string {
	v := make(map[string]string, 16)
	if c != nil {
		v["customer.name"] = c.Name
		v["customer.title"] = politeName(c, locale)
		if c.BirthDate != nil {
			v["customer.birth_date"] = date(*c.BirthDate)
		}
	}
	if p != nil {
		v["policy.number"] = p.Number
		v["policy.product_name"] = p.ProductName
		v["policy.line"] = localized(lineLabels, string(p.Line), locale)
		v["policy.premium"] = money(p.PremiumCents, p.Currency, locale)
		v["policy.sum_assured"] = money(p.SumAssuredCents, p.Currency, locale)
		v["policy.payment_frequency"] = localized(frequencyLabels, string(p.PaymentFrequency), locale)
		v["policy.start_date"] = date(p.StartDate)
		v["policy.insured_name"] = p.InsuredName
		v["policy.holder_name"] = p.HolderName
		if p.RenewalDate != nil {
			v["policy.renewal_date"] = date(*p.RenewalDate)
		}
		if p.NextPremiumDueDate != nil {
			v["policy.next_premium_due_date"] = date(*p.NextPremiumDueDate)
		}
	}
	if a != nil {
		name := a.DisplayName
		if name == "" {
			name = a.Username
		}
		v["agent.name"] = name
		v["agent.display_name"] = name
	}
	return v
}

func politeName(c *ent.Customer, locale string) string {
	if locale == "en" {
		switch c.Gender {
		case customer.GenderMale:
			return "Mr. " + c.Name
		case customer.GenderFemale:
			return "Ms. " + c.Name
		}
		return c.Name
	}
	r := []rune(c.Name)
	if len(r) < 2 || len(r) > 4 {
		return c.Name
	}
	switch c.Gender {
	case customer.GenderMale:
		return string(r[0]) + "先生"
	case customer.GenderFemale:
		return string(r[0]) + "女士"
	}
	return c.Name
}

// Fill replaces the placeholders of text with values; it returns the text
// and the placeholders (with braces) it could not fill, in order of first
// appearance.
func Fill(text string, values map[string]string) (string, []string) {
	if !strings.Contains(text, "{") {
		return text, nil
	}
	var unresolved []string
	out := placeholderRE.ReplaceAllStringFunc(text, func(ph string) string {
		if v, ok := values[ph[1:len(ph)-1]]; ok {
			return v
		}
		if !slices.Contains(unresolved, ph) {
			unresolved = append(unresolved, ph)
		}
		return ph
	})
	return out, unresolved
}

// RenderInput is what Render fills an item for; Policy and Agent may be nil.
type RenderInput struct {
	Item     Item
	Customer *ent.Customer
	Policy   *ent.InsurancePolicy
	Agent    *ent.Agent
	Locale   string // default: the item's
}

// Rendered is an item's published content with its placeholders filled.
type Rendered struct {
	ItemID     uuid.UUID
	Revision   int
	Locale     string
	Content    domain.ToolkitContent
	Unresolved []string // sorted
}

// Render fills the placeholders of every text of the item's content:
// script lines and section titles, checklist labels, flowchart labels and
// the template body. It never fails; what it cannot fill it lists.
func Render(in RenderInput) Rendered {
	locale := in.Locale
	if locale == "" {
		locale = in.Item.Locale
	}
	values := Values(in.Customer, in.Policy, in.Agent, locale)
	seen := map[string]bool{}
	fill := func(s string) string {
		out, un := Fill(s, values)
		for _, u := range un {
			seen[u] = true
		}
		return out
	}
	src := in.Item.Content
	c := domain.ToolkitContent{Body: fill(src.Body), Extra: src.Extra}
	for _, s := range src.Sections {
		sec := domain.ScriptSection{Title: fill(s.Title), Lines: make([]string, len(s.Lines))}
		for i, l := range s.Lines {
			sec.Lines[i] = fill(l)
		}
		c.Sections = append(c.Sections, sec)
	}
	for _, it := range src.Items {
		it.Label = fill(it.Label)
		c.Items = append(c.Items, it)
	}
	for _, n := range src.Nodes {
		n.Label = fill(n.Label)
		c.Nodes = append(c.Nodes, n)
	}
	for _, e := range src.Edges {
		e.Label = fill(e.Label)
		c.Edges = append(c.Edges, e)
	}
	unresolved := make([]string, 0, len(seen))
	for u := range seen {
		unresolved = append(unresolved, u)
	}
	slices.Sort(unresolved)
	return Rendered{ItemID: in.Item.ID, Revision: in.Item.Revision, Locale: locale, Content: c, Unresolved: unresolved}
}

// RenderRequest names what RenderFor fills.
type RenderRequest struct {
	ItemID     uuid.UUID
	CustomerID uuid.UUID
	PolicyID   *uuid.UUID // must be a policy of the customer
	Locale     string
}

// RenderFor renders a published item for a customer the caller may see
// (and one of the customer's policies). The agent is the calling agent, or
// the customer's agent when the caller is not an agent.
func RenderFor(ctx context.Context, db *store.DB, r RenderRequest) (Rendered, error) {
	e, err := db.Client.ToolkitItem.Get(ctx, r.ItemID)
	if ent.IsNotFound(err) || (err == nil && e.Status != "published") {
		return Rendered{}, apperr.NotFound("toolkit item not found")
	}
	if err != nil {
		return Rendered{}, fmt.Errorf("render toolkit item %s: %w", r.ItemID, err)
	}
	cu, err := db.Client.Customer.Get(ctx, r.CustomerID)
	if ent.IsNotFound(err) {
		return Rendered{}, apperr.NotFound("customer not found")
	}
	if err != nil {
		return Rendered{}, fmt.Errorf("render for customer %s: %w", r.CustomerID, err)
	}
	in := RenderInput{Item: itemOf(e), Customer: cu, Locale: r.Locale}
	if r.PolicyID != nil {
		in.Policy, err = db.Client.InsurancePolicy.Query().
			Where(insurancepolicy.ID(*r.PolicyID), insurancepolicy.CustomerID(cu.ID)).Only(ctx)
		if ent.IsNotFound(err) {
			return Rendered{}, apperr.Invalid("the policy is not one of the customer's",
				apperr.FieldError{Field: "policy_id", Code: "unknown", Message: "no such policy of this customer"})
		}
		if err != nil {
			return Rendered{}, fmt.Errorf("render for policy %s: %w", *r.PolicyID, err)
		}
	}
	agentID := cu.AgentID
	if v, ok := auth.ViewerFrom(ctx); ok && v.Kind == auth.KindAgent {
		agentID = &v.AgentID
	}
	if agentID != nil {
		// The agent's name is no secret to anyone who may see the customer.
		a, err := db.Client.Agent.Get(auth.SystemContext(ctx), *agentID)
		if err != nil && !ent.IsNotFound(err) {
			return Rendered{}, fmt.Errorf("render for agent %s: %w", *agentID, err)
		}
		in.Agent = a
	}
	return Render(in), nil
}
