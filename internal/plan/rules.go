package plan

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/planrule"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

// MetaRulesVersion is the ServerMeta key of the rules version: a counter
// bumped by every change of any rule, which plans record and the
// Recomputer watches.
const MetaRulesVersion = "plan_rules_version"

// ensureMeta creates a ServerMeta counter at 0 unless it exists. Done
// before the transactions that bump it, so that two first bumps do not
// both insert. ServerMeta is the server's bookkeeping: it is read and
// written as the server.
func ensureMeta(ctx context.Context, c *ent.Client, key string) error {
	err := c.ServerMeta.Create().SetID(key).SetValue("0").OnConflictColumns(servermeta.FieldID).DoNothing().Exec(auth.SystemContext(ctx))
	// DO NOTHING returns no row when the key exists.
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("ensure server meta %s: %w", key, err)
	}
	return nil
}

// readCounter reads an integer ServerMeta value (as the server); a missing
// key is 0.
func readCounter(ctx context.Context, c *ent.Client, key string) (int64, error) {
	m, err := c.ServerMeta.Get(auth.SystemContext(ctx), key)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read server meta %s: %w", key, err)
	}
	n, err := strconv.ParseInt(m.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("server meta %s is not a number: %w", key, err)
	}
	return n, nil
}

// RulesVersion returns the current rules version.
func RulesVersion(ctx context.Context, c *ent.Client) (int64, error) {
	return readCounter(ctx, c, MetaRulesVersion)
}

// bumpRulesVersion adds one to the rules version inside tx, with a
// compare-and-set so that concurrent rule changes each count.
func bumpRulesVersion(ctx context.Context, tx *ent.Tx, now time.Time) (int64, error) {
	for range 100 {
		cur, err := readCounter(ctx, tx.Client(), MetaRulesVersion)
		if err != nil {
			return 0, err
		}
		n, err := tx.ServerMeta.Update().
			Where(servermeta.ID(MetaRulesVersion), servermeta.Value(strconv.FormatInt(cur, 10))).
			SetValue(strconv.FormatInt(cur+1, 10)).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return 0, fmt.Errorf("bump rules version: %w", err)
		}
		if n == 1 {
			return cur + 1, nil
		}
		if cur == 0 {
			// The counter row may not exist yet (the caller did not ensure
			// it): create it.
			if err := tx.ServerMeta.Create().SetID(MetaRulesVersion).SetValue("1").SetUpdatedAt(now).Exec(ctx); err == nil {
				return 1, nil
			}
		}
	}
	return 0, errors.New("bump rules version: too much contention")
}

// LoadRules returns every rule ordered by key and the rules version they
// are current as of (read first: a change after it moves the version).
func LoadRules(ctx context.Context, c *ent.Client) ([]Rule, int64, error) {
	v, err := RulesVersion(ctx, c)
	if err != nil {
		return nil, 0, err
	}
	rows, err := c.PlanRule.Query().Order(ent.Asc(planrule.FieldKey)).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("load plan rules: %w", err)
	}
	rules := make([]Rule, len(rows))
	for i, r := range rows {
		rules[i] = ruleOf(r)
	}
	return rules, v, nil
}

// ListRulesInput filters and pages ListRules.
type ListRulesInput struct {
	Enabled  *bool
	Scenario string
	Cursor   string
	Limit    int // 1–500; 0 means 100
}

// RulePage is a page of rules ordered by key.
type RulePage struct {
	Items      []Rule
	NextCursor string
}

// asServer is the context of a write the caller was authorized for (the
// admin check): store.WithTx appends the change log, which only the server
// writes, under the context it is given, so the transaction runs as the
// server.
func asServer(ctx context.Context) context.Context { return auth.SystemContext(ctx) }

func requireAdmin(ctx context.Context) error {
	if !toolkit.IsAdmin(ctx) {
		return apperr.Forbidden("only admins manage plan rules")
	}
	return nil
}

// ListRules lists rules ordered by key (admins).
func ListRules(ctx context.Context, db *store.DB, in ListRulesInput) (RulePage, error) {
	if err := requireAdmin(ctx); err != nil {
		return RulePage{}, err
	}
	limit := in.Limit
	switch {
	case limit == 0:
		limit = 100
	case limit < 1 || limit > 500:
		return RulePage{}, apperr.Invalid("limit out of range", ferr("limit", "range", "limit must be between 1 and 500"))
	}
	q := db.Client.PlanRule.Query()
	if in.Enabled != nil {
		q.Where(planrule.Enabled(*in.Enabled))
	}
	if in.Scenario != "" {
		q.Where(planrule.ScenarioEQ(planrule.Scenario(in.Scenario)))
	}
	if in.Cursor != "" {
		k, err := base64.RawURLEncoding.DecodeString(in.Cursor)
		if err != nil {
			return RulePage{}, apperr.Invalid("bad cursor", ferr("cursor", "format", "cursor is not one this server returned"))
		}
		q.Where(planrule.KeyGT(string(k)))
	}
	rows, err := q.Order(ent.Asc(planrule.FieldKey)).Limit(limit + 1).All(ctx)
	if err != nil {
		return RulePage{}, fmt.Errorf("list plan rules: %w", err)
	}
	var page RulePage
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(rows[limit-1].Key))
	}
	page.Items = make([]Rule, len(rows))
	for i, r := range rows {
		page.Items[i] = ruleOf(r)
	}
	return page, nil
}

// GetRule returns one rule (admins).
func GetRule(ctx context.Context, db *store.DB, id uuid.UUID) (Rule, error) {
	if err := requireAdmin(ctx); err != nil {
		return Rule{}, err
	}
	r, err := db.Client.PlanRule.Get(ctx, id)
	if ent.IsNotFound(err) {
		return Rule{}, apperr.NotFound("plan rule not found")
	}
	if err != nil {
		return Rule{}, fmt.Errorf("get plan rule %s: %w", id, err)
	}
	return ruleOf(r), nil
}

// validationEnv gathers the toolkit keys and, when the key is taken by
// another rule than self, that key.
func validationEnv(ctx context.Context, tx *ent.Tx, key string, self *uuid.UUID, extraToolkit []string) (ValidationEnv, error) {
	keys, err := tx.ToolkitItem.Query().Select(toolkititem.FieldKey).Strings(ctx)
	if err != nil {
		return ValidationEnv{}, fmt.Errorf("load toolkit keys: %w", err)
	}
	env := ValidationEnv{ToolkitKeys: make(map[string]bool, len(keys)+len(extraToolkit)), TakenKeys: map[string]bool{}}
	for _, k := range keys {
		env.ToolkitKeys[k] = true
	}
	for _, k := range extraToolkit {
		env.ToolkitKeys[k] = true
	}
	q := tx.PlanRule.Query().Where(planrule.Key(key))
	if self != nil {
		q.Where(planrule.IDNEQ(*self))
	}
	taken, err := q.Exist(ctx)
	if err != nil {
		return ValidationEnv{}, fmt.Errorf("check rule key: %w", err)
	}
	env.TakenKeys[key] = taken
	return env, nil
}

// CreateRule validates and stores a new rule and bumps the rules version;
// plans are regenerated in the background by the Recomputer.
func CreateRule(ctx context.Context, db *store.DB, in RuleInput) (Rule, error) {
	if err := requireAdmin(ctx); err != nil {
		return Rule{}, err
	}
	if err := ensureMeta(ctx, db.Client, MetaRulesVersion); err != nil {
		return Rule{}, err
	}
	now := db.Now()
	var out Rule
	err := db.WithTx(asServer(ctx), func(ctx context.Context, tx *ent.Tx) error {
		env, err := validationEnv(ctx, tx, in.Key, nil, nil)
		if err != nil {
			return err
		}
		if errs := Validate(in, env); len(errs) > 0 {
			return apperr.Invalid("the plan rule is not valid", errs...)
		}
		enabled := in.Enabled == nil || *in.Enabled
		r, err := tx.PlanRule.Create().SetKey(in.Key).SetName(in.Name).SetDescription(in.Description).
			SetEnabled(enabled).SetBuiltin(false).SetRevision(1).SetPriority(planrule.Priority(in.Priority)).
			SetScenario(planrule.Scenario(in.Scenario)).SetConditions(normalizeConditions(in.Conditions)).
			SetStep(in.Step).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		out = ruleOf(r)
		_, err = bumpRulesVersion(ctx, tx, now)
		return err
	})
	if err != nil {
		return Rule{}, wrapErr("create plan rule", err)
	}
	return out, nil
}

// UpdateRule replaces a rule as a whole (revision + 1) when ifMatch is its
// current revision (0: no precondition), and bumps the rules version.
// Toolkit keys the rule already named are accepted even if no such item
// exists yet; a built-in rule keeps its key.
func UpdateRule(ctx context.Context, db *store.DB, id uuid.UUID, ifMatch int, in RuleInput) (Rule, error) {
	if err := requireAdmin(ctx); err != nil {
		return Rule{}, err
	}
	if err := ensureMeta(ctx, db.Client, MetaRulesVersion); err != nil {
		return Rule{}, err
	}
	now := db.Now()
	var out Rule
	err := db.WithTx(asServer(ctx), func(ctx context.Context, tx *ent.Tx) error {
		cur, err := tx.PlanRule.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("plan rule not found")
		}
		if err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != cur.Revision {
			return apperr.PreconditionFailed("the plan rule changed since it was read")
		}
		env, err := validationEnv(ctx, tx, in.Key, &id, cur.Step.ToolkitItemKeys)
		if err != nil {
			return err
		}
		errs := Validate(in, env)
		if cur.Builtin && in.Key != cur.Key {
			errs = append(errs, ferr("/key", "immutable", "a built-in rule keeps its key %q", cur.Key))
		}
		if len(errs) > 0 {
			return apperr.Invalid("the plan rule is not valid", errs...)
		}
		enabled := in.Enabled == nil || *in.Enabled
		r, err := cur.Update().SetKey(in.Key).SetName(in.Name).SetDescription(in.Description).
			SetEnabled(enabled).SetRevision(cur.Revision + 1).SetPriority(planrule.Priority(in.Priority)).
			SetScenario(planrule.Scenario(in.Scenario)).SetConditions(normalizeConditions(in.Conditions)).
			SetStep(in.Step).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		out = ruleOf(r)
		_, err = bumpRulesVersion(ctx, tx, now)
		return err
	})
	if err != nil {
		return Rule{}, wrapErr("update plan rule", err)
	}
	return out, nil
}

// DeleteRule deletes a rule when ifMatch is its revision (0: no
// precondition) and bumps the rules version; its open steps are withdrawn
// at the next regeneration. Built-in rules are disabled, not deleted
// (apperr.Conflict).
func DeleteRule(ctx context.Context, db *store.DB, id uuid.UUID, ifMatch int) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	if err := ensureMeta(ctx, db.Client, MetaRulesVersion); err != nil {
		return err
	}
	err := db.WithTx(asServer(ctx), func(ctx context.Context, tx *ent.Tx) error {
		cur, err := tx.PlanRule.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("plan rule not found")
		}
		if err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != cur.Revision {
			return apperr.PreconditionFailed("the plan rule changed since it was read")
		}
		if cur.Builtin {
			return apperr.Conflict("a built-in rule cannot be deleted; disable it instead")
		}
		if err := tx.PlanRule.DeleteOne(cur).Exec(ctx); err != nil {
			return err
		}
		_, err = bumpRulesVersion(ctx, tx, db.Now())
		return err
	})
	return wrapErr("delete plan rule", err)
}

// wrapErr keeps apperr errors as they are, maps constraint violations to
// apperr.Conflict and adds context to the others.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	if ent.IsConstraintError(err) {
		return apperr.Wrap(apperr.KindConflict, "the change conflicts with another one; retry", err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
