package plan

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/planrule"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

// Rule is a stored plan rule.
type Rule struct {
	ID          uuid.UUID
	Key         string
	Name        string
	Description string
	Enabled     bool
	Builtin     bool
	Revision    int
	Priority    string
	Scenario    string
	Conditions  []domain.RuleCondition
	Step        domain.RuleStep
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// RuleInput is a rule as an admin writes it (create, or full replacement).
type RuleInput struct {
	Key         string
	Name        string
	Description string
	Enabled     *bool // default true
	Priority    string
	Scenario    string
	Conditions  []domain.RuleCondition
	Step        domain.RuleStep
}

func ruleOf(e *ent.PlanRule) Rule {
	return Rule{
		ID: e.ID, Key: e.Key, Name: e.Name, Description: e.Description, Enabled: e.Enabled, Builtin: e.Builtin,
		Revision: e.Revision, Priority: string(e.Priority), Scenario: string(e.Scenario),
		Conditions: e.Conditions, Step: e.Step, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(),
	}
}

// Operators of conditions.
const (
	OpEq     = "eq"
	OpNe     = "ne"
	OpLt     = "lt"
	OpLte    = "lte"
	OpGt     = "gt"
	OpGte    = "gte"
	OpIn     = "in"
	OpExists = "exists"
)

// opsByType says which operators apply to which fact types. On a list
// fact, eq means "contains", ne "does not contain" and in "contains any of".
// exists holds when the fact is present (value true or absent) or absent
// (value false); every other operator is false on an absent fact.
var opsByType = map[FactType][]string{
	TypeNumber: {OpEq, OpNe, OpLt, OpLte, OpGt, OpGte, OpIn, OpExists},
	TypeString: {OpEq, OpNe, OpIn, OpExists},
	TypeList:   {OpEq, OpNe, OpIn, OpExists},
	TypeBool:   {OpEq, OpNe, OpExists},
}

// Limits of rules, from the API contract.
const (
	maxConditions  = 20
	maxOffsetDays  = 3660
	maxToolkitKeys = 20
	maxChecklist   = 50
	maxRuleKey     = 100
	maxName        = 200
	maxDescription = 2000
	maxTitle       = 200
)

// cond is a compiled condition.
type cond struct {
	f      *fact
	op     string
	num    float64
	nums   []float64
	str    string
	strs   []string
	b      bool
	exists bool
}

// compiled is a rule ready to evaluate.
type compiled struct {
	Rule
	scope Scope
	conds []cond
	event *event
}

// ValidationEnv is what Validate checks a rule against beyond the rule
// itself. A nil map skips its check.
type ValidationEnv struct {
	// ToolkitKeys are the keys a rule may name in toolkit_item_keys.
	ToolkitKeys map[string]bool
	// TakenKeys are the keys of the other rules.
	TakenKeys map[string]bool
}

func ferr(field, code, format string, args ...any) apperr.FieldError {
	return apperr.FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Validate checks a rule and returns its problems, each with the JSON
// pointer of the field: the key's form and uniqueness, name, priority,
// scenario, every condition (known fact, an operator that applies to the
// fact's type, a value of the right type and, for enumerated facts, a
// known value), one scope (policy and complaint facts do not mix), the step
// (title, placeholders the rule can fill, a known due event, an offset
// within ±3660 days, known and distinct toolkit keys, a valid checklist).
func Validate(in RuleInput, env ValidationEnv) []apperr.FieldError {
	var errs []apperr.FieldError
	switch {
	case !toolkit.KeyPattern.MatchString(in.Key) || len(in.Key) > maxRuleKey:
		errs = append(errs, ferr("/key", "pattern", "key must be lower-case letters and digits separated by -, _ or . (at most %d)", maxRuleKey))
	case env.TakenKeys[in.Key]:
		errs = append(errs, ferr("/key", "duplicate", "another rule has the key %q", in.Key))
	}
	switch {
	case strings.TrimSpace(in.Name) == "":
		errs = append(errs, ferr("/name", "required", "name must not be empty"))
	case utf8.RuneCountInString(in.Name) > maxName:
		errs = append(errs, ferr("/name", "maxLength", "name is longer than %d characters", maxName))
	}
	if utf8.RuneCountInString(in.Description) > maxDescription {
		errs = append(errs, ferr("/description", "maxLength", "description is longer than %d characters", maxDescription))
	}
	if planrule.PriorityValidator(planrule.Priority(in.Priority)) != nil {
		errs = append(errs, ferr("/priority", "enum", "priority must be high, medium or low"))
	}
	if planrule.ScenarioValidator(planrule.Scenario(in.Scenario)) != nil {
		errs = append(errs, ferr("/scenario", "enum", "unknown scenario %q", in.Scenario))
	}
	_, cerrs := compile(Rule{Key: in.Key, Conditions: in.Conditions, Step: in.Step})
	errs = append(errs, cerrs...)
	errs = append(errs, validateStep(in, env)...)
	return errs
}

func validateStep(in RuleInput, env ValidationEnv) []apperr.FieldError {
	var errs []apperr.FieldError
	st := in.Step
	switch {
	case strings.TrimSpace(st.Title) == "":
		errs = append(errs, ferr("/step/title", "required", "the step needs a title"))
	case utf8.RuneCountInString(st.Title) > maxTitle:
		errs = append(errs, ferr("/step/title", "maxLength", "title is longer than %d characters", maxTitle))
	}
	scope := scopeOf(in.Conditions, st.Due.Event)
	known := toolkit.Placeholders()
	for _, ph := range placeholders(st.Title) {
		name := ph[1 : len(ph)-1]
		switch {
		case !slices.Contains(known, name):
			errs = append(errs, ferr("/step/title", "unknown_placeholder", "unknown placeholder %s", ph))
		case strings.HasPrefix(name, "policy.") && scope != ScopePolicy:
			errs = append(errs, ferr("/step/title", "unknown_placeholder", "placeholder %s needs a per-policy rule", ph))
		}
	}
	if st.Due.OffsetDays < -maxOffsetDays || st.Due.OffsetDays > maxOffsetDays {
		errs = append(errs, ferr("/step/due/offset_days", "range", "offset_days must be between -%d and %d", maxOffsetDays, maxOffsetDays))
	}
	if len(st.ToolkitItemKeys) > maxToolkitKeys {
		errs = append(errs, ferr("/step/toolkit_item_keys", "maxItems", "at most %d toolkit items", maxToolkitKeys))
	}
	seen := map[string]bool{}
	for i, k := range st.ToolkitItemKeys {
		at := fmt.Sprintf("/step/toolkit_item_keys/%d", i)
		switch {
		case seen[k]:
			errs = append(errs, ferr(at, "duplicate", "toolkit item %q is named twice", k))
		case env.ToolkitKeys != nil && !env.ToolkitKeys[k]:
			errs = append(errs, ferr(at, "unknown_toolkit_item", "no toolkit item has the key %q", k))
		}
		seen[k] = true
	}
	errs = append(errs, toolkit.ValidateChecklist("/step/checklist", st.Checklist, maxChecklist)...)
	return errs
}

// placeholders returns the placeholders of a title, with braces.
func placeholders(s string) []string {
	_, un := toolkit.Fill(s, nil)
	return un
}

// scopeOf returns the scope of the first per-policy or per-complaint fact
// or event, ScopeCustomer when there is none.
func scopeOf(conds []domain.RuleCondition, eventName string) Scope {
	for _, c := range conds {
		if f, ok := factsByName[c.Fact]; ok && f.Scope != ScopeCustomer {
			return f.Scope
		}
	}
	if e, ok := eventsByName[eventName]; ok {
		return e.Scope
	}
	return ScopeCustomer
}

// compile resolves a rule's facts and event and converts its values; it
// returns the problems it found (the rule is usable only without any).
func compile(r Rule) (compiled, []apperr.FieldError) {
	c := compiled{Rule: r, scope: ScopeCustomer}
	var errs []apperr.FieldError
	widen := func(s Scope, field string) {
		switch {
		case s == ScopeCustomer || s == c.scope:
		case c.scope == ScopeCustomer:
			c.scope = s
		default:
			errs = append(errs, ferr(field, "mixed_scope", "a rule is per policy or per complaint, not both (this is a %s fact in a per-%s rule)", s, c.scope))
		}
	}
	if len(r.Conditions) > maxConditions {
		errs = append(errs, ferr("/conditions", "maxItems", "at most %d conditions", maxConditions))
	}
	for i, rc := range r.Conditions {
		at := fmt.Sprintf("/conditions/%d", i)
		f, ok := factsByName[rc.Fact]
		if !ok {
			errs = append(errs, ferr(at+"/fact", "unknown_fact", "unknown fact %q (see the fact catalogue)", rc.Fact))
			continue
		}
		widen(f.Scope, at+"/fact")
		cd, err := compileCond(f, rc, at)
		if err != nil {
			errs = append(errs, *err)
			continue
		}
		c.conds = append(c.conds, cd)
	}
	e, ok := eventsByName[r.Step.Due.Event]
	if !ok {
		errs = append(errs, ferr("/step/due/event", "unknown_event", "unknown due event %q (see the event catalogue)", r.Step.Due.Event))
	} else {
		widen(e.Scope, "/step/due/event")
		c.event = e
	}
	return c, errs
}

func compileCond(f *fact, rc domain.RuleCondition, at string) (cond, *apperr.FieldError) {
	cd := cond{f: f, op: rc.Op}
	if !slices.Contains(opsByType[f.Type], rc.Op) {
		e := ferr(at+"/op", "bad_op", "op %q does not apply to the %s fact %q (use %s)", rc.Op, f.Type, f.Name, strings.Join(opsByType[f.Type], ", "))
		return cd, &e
	}
	bad := func(format string, args ...any) (cond, *apperr.FieldError) {
		e := ferr(at+"/value", "value_type", format, args...)
		return cd, &e
	}
	unknown := func(v string) (cond, *apperr.FieldError) {
		e := ferr(at+"/value", "unknown_value", "%q is not a value of %s (one of %s)", v, f.Name, strings.Join(f.Values, ", "))
		return cd, &e
	}
	v := normalize(rc.Value)
	if rc.Op == OpExists {
		switch b := v.(type) {
		case nil:
			cd.exists = true
		case bool:
			cd.exists = b
		default:
			return bad("exists takes true, false or no value")
		}
		return cd, nil
	}
	if rc.Op == OpIn {
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			return bad("in takes a non-empty array")
		}
		for _, x := range arr {
			switch f.Type {
			case TypeNumber:
				n, ok := x.(float64)
				if !ok {
					return bad("%s is a number fact: in takes an array of numbers", f.Name)
				}
				cd.nums = append(cd.nums, n)
			default:
				s, ok := x.(string)
				if !ok {
					return bad("%s is a %s fact: in takes an array of strings", f.Name, f.Type)
				}
				if f.Values != nil && !slices.Contains(f.Values, s) {
					return unknown(s)
				}
				cd.strs = append(cd.strs, s)
			}
		}
		return cd, nil
	}
	switch f.Type {
	case TypeNumber:
		n, ok := v.(float64)
		if !ok {
			return bad("%s is a number fact: value must be a number", f.Name)
		}
		cd.num = n
	case TypeBool:
		b, ok := v.(bool)
		if !ok {
			return bad("%s is a bool fact: value must be true or false", f.Name)
		}
		cd.b = b
	default:
		s, ok := v.(string)
		if !ok {
			return bad("%s is a %s fact: value must be a string", f.Name, f.Type)
		}
		if f.Values != nil && !slices.Contains(f.Values, s) {
			return unknown(s)
		}
		cd.str = s
	}
	return cd, nil
}

// normalize converts a condition value to the types JSON decoding yields
// (float64, string, bool, []any), so that values written from Go and read
// back from the database compare equal.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case []float64:
		out := make([]any, len(x))
		for i, n := range x {
			out[i] = n
		}
		return out
	case []int:
		out := make([]any, len(x))
		for i, n := range x {
			out[i] = float64(n)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

// normalizeConditions returns the conditions with normalized values.
func normalizeConditions(cs []domain.RuleCondition) []domain.RuleCondition {
	out := make([]domain.RuleCondition, len(cs))
	for i, c := range cs {
		out[i] = domain.RuleCondition{Fact: c.Fact, Op: c.Op, Value: normalize(c.Value)}
	}
	return out
}

// holds evaluates a compiled condition on a subject.
func (c *cond) holds(s *subject) bool {
	v := c.f.get(s)
	if c.op == OpExists {
		return v.ok == c.exists
	}
	if !v.ok {
		return false
	}
	switch c.f.Type {
	case TypeNumber:
		switch c.op {
		case OpEq:
			return v.num == c.num
		case OpNe:
			return v.num != c.num
		case OpLt:
			return v.num < c.num
		case OpLte:
			return v.num <= c.num
		case OpGt:
			return v.num > c.num
		case OpGte:
			return v.num >= c.num
		case OpIn:
			return slices.Contains(c.nums, v.num)
		}
	case TypeString:
		switch c.op {
		case OpEq:
			return v.str == c.str
		case OpNe:
			return v.str != c.str
		case OpIn:
			return slices.Contains(c.strs, v.str)
		}
	case TypeList:
		switch c.op {
		case OpEq:
			return slices.Contains(v.list, c.str)
		case OpNe:
			return !slices.Contains(v.list, c.str)
		case OpIn:
			return slices.ContainsFunc(v.list, func(x string) bool { return slices.Contains(c.strs, x) })
		}
	case TypeBool:
		switch c.op {
		case OpEq:
			return v.b == c.b
		case OpNe:
			return v.b != c.b
		}
	}
	return false
}
