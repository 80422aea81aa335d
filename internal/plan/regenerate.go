package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/serviceplan"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

// Env is what plan generation reads besides a customer's inputs: the rules
// (compiled), the rules version and the published toolkit keys. Load it
// once for many customers.
type Env struct {
	RulesVersion int64
	Rules        []Rule
	ToolkitByKey map[string]uuid.UUID
	compiled     []compiled
	zones        *portrait.Zones
}

// LoadEnv reads the rules, the rules version and the published toolkit.
func LoadEnv(ctx context.Context, c *ent.Client) (*Env, error) {
	rules, v, err := LoadRules(ctx, c)
	if err != nil {
		return nil, err
	}
	keys, err := toolkit.PublishedIDs(ctx, c)
	if err != nil {
		return nil, err
	}
	return NewEnv(rules, v, keys), nil
}

// NewEnv builds an Env from its parts (compiling the enabled rules).
func NewEnv(rules []Rule, version int64, toolkitByKey map[string]uuid.UUID) *Env {
	e := &Env{RulesVersion: version, Rules: rules, ToolkitByKey: toolkitByKey, zones: &portrait.Zones{}}
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		if c, errs := compile(r); len(errs) == 0 {
			e.compiled = append(e.compiled, c)
		}
	}
	return e
}

// Zone returns the time zone called name, cached.
func (e *Env) Zone(name string) *time.Location { return e.zones.Get(name) }

// Steps evaluates the rules for one customer: the portrait is computed
// from the same inputs (it is not read back from the database).
func (e *Env) Steps(in *portrait.Inputs, now time.Time) (portrait.Portrait, []Step) {
	loc := e.Zone(in.TimeZone())
	p := portrait.Compute(in, now, loc)
	return p, evaluate(e.compiled, in, &p, e.ToolkitByKey, now, loc)
}

// Result says what a regeneration did.
type Result struct {
	PlanID  uuid.UUID
	Changed bool // the plan record was written
	Created int  // steps (and tasks) added
	Updated int  // steps changed
	Removed int  // open steps withdrawn (their tasks deleted)
}

// Regenerate recomputes a customer's plan as of now and reconciles it with
// the stored one. Background work passes auth.SystemContext.
func Regenerate(ctx context.Context, db *store.DB, customerID uuid.UUID, now time.Time) (Result, error) {
	env, err := LoadEnv(ctx, db.Client)
	if err != nil {
		return Result{}, err
	}
	in, err := portrait.LoadInputs(ctx, db.Client, customerID)
	if err != nil {
		return Result{}, err
	}
	_, steps := env.Steps(in, now)
	return Reconcile(ctx, db, env.RulesVersion, in, steps, now)
}

// state is a customer's stored plan.
type state struct {
	plan  *ent.ServicePlan
	steps []*ent.PlanStep
	tasks map[uuid.UUID]*ent.Task
}

func loadState(ctx context.Context, c *ent.Client, customerID uuid.UUID) (*state, error) {
	st := &state{tasks: map[uuid.UUID]*ent.Task{}}
	p, err := c.ServicePlan.Query().Where(serviceplan.CustomerID(customerID)).Only(ctx)
	if ent.IsNotFound(err) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load plan of customer %s: %w", customerID, err)
	}
	st.plan = p
	if st.steps, err = c.PlanStep.Query().Where(planstep.PlanID(p.ID)).
		Order(ent.Asc(planstep.FieldPosition), ent.Asc(planstep.FieldID)).All(ctx); err != nil {
		return nil, fmt.Errorf("load plan steps of customer %s: %w", customerID, err)
	}
	var ids []uuid.UUID
	for _, s := range st.steps {
		if s.TaskID != nil {
			ids = append(ids, *s.TaskID)
		}
	}
	if len(ids) > 0 {
		tasks, err := c.Task.Query().Where(task.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load plan tasks of customer %s: %w", customerID, err)
		}
		for _, t := range tasks {
			st.tasks[t.ID] = t
		}
	}
	return st, nil
}

// Reconcile brings the stored plan of in.Customer to the steps wanted.
// New steps become a PlanStep and a todo Task; steps that still apply keep
// their identity (the dedupe key) and task, whose title, due date (unless
// the agent rescheduled it), priority, toolkit items and checklist follow
// the rule; open steps that no longer apply are removed with their task
// (a tombstone for sync); done and skipped steps stay as history. The plan
// record is written only when something changed, so an unchanged customer
// costs three reads and no write.
func Reconcile(ctx context.Context, db *store.DB, rulesVersion int64, in *portrait.Inputs, want []Step, now time.Time) (Result, error) {
	cid := in.Customer.ID
	st, err := loadState(ctx, db.Client, cid)
	if err != nil {
		return Result{}, err
	}
	hash := stepsHash(want)
	if d := diff(st, want, in.Customer.AgentID); !d.any() {
		return Result{PlanID: planID(st)}, nil
	}
	var res Result
	err = db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		if err := portrait.LockCustomer(ctx, tx, db.Dialect, cid); err != nil {
			return err
		}
		st, err := loadState(ctx, tx.Client(), cid)
		if err != nil {
			return err
		}
		d := diff(st, want, in.Customer.AgentID)
		if !d.any() {
			res = Result{PlanID: planID(st)}
			return nil
		}
		res, err = d.apply(ctx, tx, st, cid, in.Customer.AgentID, rulesVersion, hash, now)
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("reconcile plan of customer %s: %w", cid, err)
	}
	return res, nil
}

func planID(st *state) uuid.UUID {
	if st.plan == nil {
		return uuid.Nil
	}
	return st.plan.ID
}

// stepsHash digests the wanted steps: the plan's inputs hash.
func stepsHash(want []Step) string {
	type h struct {
		K, T, S, P string
		D          string
		I          []uuid.UUID
		C          any
	}
	rows := make([]h, len(want))
	for i, s := range want {
		d := s.Due.String()
		if s.DueFromNow {
			d = ""
		}
		rows[i] = h{s.DedupeKey, s.Title, s.Scenario, s.Priority, d, s.ToolkitItemIDs, s.Checklist}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		panic("plan: hash: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
