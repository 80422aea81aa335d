package portrait

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/npsanswer"
	entportrait "github.com/agentdesk/agentdesk/ent/portrait"
	"github.com/agentdesk/agentdesk/ent/product"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// LoadInputs reads what a customer's portrait and plan derive from, in
// eight small queries: the customer, the agent, the policies, the newest
// TimelineCap interactions, the complaints, the claims, the newest NPSCap
// NPS answers and the products the policies name. A missing customer is
// apperr.NotFound.
func LoadInputs(ctx context.Context, c *ent.Client, customerID uuid.UUID) (*Inputs, error) {
	cu, err := c.Customer.Get(ctx, customerID)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("customer not found")
	}
	if err != nil {
		return nil, fmt.Errorf("load customer %s: %w", customerID, err)
	}
	in := &Inputs{Customer: cu, HesitationDays: map[string]int{}}
	if cu.AgentID != nil {
		in.Agent, err = c.Agent.Get(ctx, *cu.AgentID)
		if err != nil && !ent.IsNotFound(err) {
			return nil, fmt.Errorf("load agent of customer %s: %w", customerID, err)
		}
	}
	if in.Policies, err = c.InsurancePolicy.Query().Where(insurancepolicy.CustomerID(customerID)).
		Order(ent.Asc(insurancepolicy.FieldStartDate), ent.Asc(insurancepolicy.FieldID)).All(ctx); err != nil {
		return nil, fmt.Errorf("load policies of customer %s: %w", customerID, err)
	}
	if in.Interactions, err = c.Interaction.Query().Where(interaction.CustomerID(customerID)).
		Order(ent.Desc(interaction.FieldReceivedAt), ent.Asc(interaction.FieldID)).Limit(TimelineCap).All(ctx); err != nil {
		return nil, fmt.Errorf("load interactions of customer %s: %w", customerID, err)
	}
	if in.Complaints, err = c.Complaint.Query().Where(complaint.CustomerID(customerID)).
		Order(ent.Asc(complaint.FieldReceivedAt), ent.Asc(complaint.FieldID)).All(ctx); err != nil {
		return nil, fmt.Errorf("load complaints of customer %s: %w", customerID, err)
	}
	if in.Claims, err = c.Claim.Query().Where(claim.CustomerID(customerID)).
		Order(ent.Asc(claim.FieldFiledAt), ent.Asc(claim.FieldID)).All(ctx); err != nil {
		return nil, fmt.Errorf("load claims of customer %s: %w", customerID, err)
	}
	if in.NPS, err = c.NpsAnswer.Query().Where(npsanswer.CustomerID(customerID)).
		Order(ent.Desc(npsanswer.FieldAnsweredAt), ent.Asc(npsanswer.FieldID)).Limit(NPSCap).All(ctx); err != nil {
		return nil, fmt.Errorf("load NPS answers of customer %s: %w", customerID, err)
	}
	var codes []string
	for _, p := range in.Policies {
		if p.ProductCode != "" {
			codes = append(codes, p.ProductCode)
		}
	}
	if len(codes) > 0 {
		prods, err := c.Product.Query().Where(product.CodeIn(codes...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load products of customer %s: %w", customerID, err)
		}
		for _, p := range prods {
			in.HesitationDays[p.Code] = p.HesitationDays
		}
	}
	return in, nil
}

// LoadInputsBatch is LoadInputs for many customers, in one query per
// collection for up to BatchCustomers customers at a time (the newest
// TimelineCap interactions and NPSCap answers of each by a window
// function). A customer that does not exist is missing from the result.
// Each customer's lists are ordered as LoadInputs orders them.
func LoadInputsBatch(ctx context.Context, c *ent.Client, ids []uuid.UUID) (map[uuid.UUID]*Inputs, error) {
	out := make(map[uuid.UUID]*Inputs, len(ids))
	for start := 0; start < len(ids); start += BatchCustomers {
		if err := loadBatch(ctx, c, ids[start:min(start+BatchCustomers, len(ids))], out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BatchCustomers bounds the customers of one LoadInputsBatch query (and
// so its bound parameters).
const BatchCustomers = 500

func loadBatch(ctx context.Context, c *ent.Client, ids []uuid.UUID, out map[uuid.UUID]*Inputs) error {
	custs, err := c.Customer.Query().Where(customer.IDIn(ids...)).All(ctx)
	if err != nil {
		return fmt.Errorf("load customers: %w", err)
	}
	if len(custs) == 0 {
		return nil
	}
	var agentIDs []uuid.UUID
	found := make([]uuid.UUID, 0, len(custs))
	for _, cu := range custs {
		out[cu.ID] = &Inputs{Customer: cu, HesitationDays: map[string]int{}}
		found = append(found, cu.ID)
		if cu.AgentID != nil && !slices.Contains(agentIDs, *cu.AgentID) {
			agentIDs = append(agentIDs, *cu.AgentID)
		}
	}
	if len(agentIDs) > 0 {
		agents, err := c.Agent.Query().Where(agent.IDIn(agentIDs...)).All(ctx)
		if err != nil {
			return fmt.Errorf("load agents: %w", err)
		}
		byID := make(map[uuid.UUID]*ent.Agent, len(agents))
		for _, a := range agents {
			byID[a.ID] = a
		}
		for _, cu := range custs {
			if cu.AgentID != nil {
				out[cu.ID].Agent = byID[*cu.AgentID]
			}
		}
	}
	pols, err := c.InsurancePolicy.Query().Where(insurancepolicy.CustomerIDIn(found...)).
		Order(ent.Asc(insurancepolicy.FieldStartDate), ent.Asc(insurancepolicy.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	codes := map[string]bool{}
	for _, p := range pols {
		out[p.CustomerID].Policies = append(out[p.CustomerID].Policies, p)
		if p.ProductCode != "" {
			codes[p.ProductCode] = true
		}
	}
	ins, err := c.Interaction.Query().Where(interaction.CustomerIDIn(found...),
		newestOf(interaction.Table, interaction.FieldCustomerID, "received_at DESC, id", TimelineCap, found)).
		Order(ent.Desc(interaction.FieldReceivedAt), ent.Asc(interaction.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("load interactions: %w", err)
	}
	for _, x := range ins {
		out[x.CustomerID].Interactions = append(out[x.CustomerID].Interactions, x)
	}
	comps, err := c.Complaint.Query().Where(complaint.CustomerIDIn(found...)).
		Order(ent.Asc(complaint.FieldReceivedAt), ent.Asc(complaint.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("load complaints: %w", err)
	}
	for _, x := range comps {
		out[x.CustomerID].Complaints = append(out[x.CustomerID].Complaints, x)
	}
	claims, err := c.Claim.Query().Where(claim.CustomerIDIn(found...)).
		Order(ent.Asc(claim.FieldFiledAt), ent.Asc(claim.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("load claims: %w", err)
	}
	for _, x := range claims {
		out[x.CustomerID].Claims = append(out[x.CustomerID].Claims, x)
	}
	nps, err := c.NpsAnswer.Query().Where(npsanswer.CustomerIDIn(found...),
		newestOf(npsanswer.Table, npsanswer.FieldCustomerID, "answered_at DESC, id", NPSCap, found)).
		Order(ent.Desc(npsanswer.FieldAnsweredAt), ent.Asc(npsanswer.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("load NPS answers: %w", err)
	}
	for _, x := range nps {
		out[x.CustomerID].NPS = append(out[x.CustomerID].NPS, x)
	}
	if len(codes) > 0 {
		prods, err := c.Product.Query().Where(product.CodeIn(slices.Sorted(maps.Keys(codes))...)).All(ctx)
		if err != nil {
			return fmt.Errorf("load products: %w", err)
		}
		days := make(map[string]int, len(prods))
		for _, pr := range prods {
			days[pr.Code] = pr.HesitationDays
		}
		for _, p := range pols {
			if d, ok := days[p.ProductCode]; ok {
				out[p.CustomerID].HesitationDays[p.ProductCode] = d
			}
		}
	}
	return nil
}

// newestOf keeps, of table's rows of the customers ids, the first n of
// each customer in order (a window function over the customer index).
func newestOf(table, customerCol, order string, n int, ids []uuid.UUID) func(*sql.Selector) {
	return func(s *sql.Selector) {
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		t := sql.Table(table)
		ranked := sql.Select(t.C("id")).
			AppendSelectExprAs(sql.Expr("ROW_NUMBER() OVER (PARTITION BY "+customerCol+" ORDER BY "+order+")"), "rn").
			From(t).Where(sql.In(t.C(customerCol), args...))
		r := ranked.As("ranked")
		s.Where(sql.In(s.C("id"), sql.Select(r.C("id")).From(r).Where(sql.LTE(r.C("rn"), n))))
	}
}

// TimeZone returns the name of the zone the customer's days are counted
// in: the agent's, or DefaultTimeZone.
func (in *Inputs) TimeZone() string {
	if in.Agent != nil && in.Agent.TimeZone != "" {
		return in.Agent.TimeZone
	}
	return DefaultTimeZone
}

// Refresh recomputes a customer's portrait as of now and writes it when a
// figure changed. It reports whether it wrote. Background work passes
// auth.SystemContext.
func Refresh(ctx context.Context, db *store.DB, customerID uuid.UUID, now time.Time) (Portrait, bool, error) {
	in, err := LoadInputs(ctx, db.Client, customerID)
	if err != nil {
		return Portrait{}, false, err
	}
	var zones Zones
	p := Compute(in, now, zones.Get(in.TimeZone()))
	written, err := Save(ctx, db, p)
	return p, written, err
}

// Save writes p as the customer's Portrait record unless the stored one has
// the same hash; it reports whether it wrote. The check is made first
// without a transaction, so that an unchanged customer costs one read.
func Save(ctx context.Context, db *store.DB, p Portrait) (bool, error) {
	stored, err := db.Client.Portrait.Query().Where(entportrait.CustomerID(p.CustomerID)).
		Select(entportrait.FieldInputsHash).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return false, fmt.Errorf("read portrait of customer %s: %w", p.CustomerID, err)
	}
	if stored != nil && stored.InputsHash == p.InputsHash {
		return false, nil
	}
	written := false
	err = db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		if err := LockCustomer(ctx, tx, db.Dialect, p.CustomerID); err != nil {
			return err
		}
		cur, err := tx.Portrait.Query().Where(entportrait.CustomerID(p.CustomerID)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			written = true
			return NewRecord(tx, p).Exec(ctx)
		case err != nil:
			return err
		case cur.InputsHash == p.InputsHash:
			return nil
		}
		written = true
		u := cur.Update().SetLifeStage(p.LifeStage).
			SetPoliciesSummary(p.PoliciesSummary).SetCoverageGaps(p.CoverageGaps).SetChurnRisk(p.ChurnRisk).
			SetOpenComplaints(p.OpenComplaints).SetClaims(p.Claims).
			SetYearsWithoutClaim(p.YearsWithoutClaim).SetNps(p.NPS).SetTimeline(p.Timeline).
			SetComputedAt(p.ComputedAt).SetInputsHash(p.InputsHash).SetUpdatedAt(p.ComputedAt)
		if p.LastContactAt != nil {
			u.SetLastContactAt(*p.LastContactAt)
		} else {
			u.ClearLastContactAt()
		}
		return u.Exec(ctx)
	})
	if err != nil {
		return false, fmt.Errorf("save portrait of customer %s: %w", p.CustomerID, err)
	}
	return written, nil
}

// NewRecord is the creation of p as the customer's first Portrait record.
func NewRecord(tx *ent.Tx, p Portrait) *ent.PortraitCreate {
	return tx.Portrait.Create().SetCustomerID(p.CustomerID).SetLifeStage(p.LifeStage).
		SetPoliciesSummary(p.PoliciesSummary).SetCoverageGaps(p.CoverageGaps).SetChurnRisk(p.ChurnRisk).
		SetNillableLastContactAt(p.LastContactAt).SetOpenComplaints(p.OpenComplaints).SetClaims(p.Claims).
		SetYearsWithoutClaim(p.YearsWithoutClaim).SetNps(p.NPS).SetTimeline(p.Timeline).
		SetComputedAt(p.ComputedAt).SetInputsHash(p.InputsHash).
		SetCreatedAt(p.ComputedAt).SetUpdatedAt(p.ComputedAt)
}

// Get returns the stored portrait of a customer with its customer loaded,
// as the caller's ctx may see it. A customer whose portrait was never
// computed gets one now (computed by the system on the caller's behalf,
// after the caller was shown to see the customer).
func Get(ctx context.Context, db *store.DB, customerID uuid.UUID) (*ent.Portrait, error) {
	q := func() (*ent.Portrait, error) {
		return db.Client.Portrait.Query().Where(entportrait.CustomerID(customerID)).WithCustomer().Only(ctx)
	}
	p, err := q()
	if err == nil {
		return p, nil
	}
	if !ent.IsNotFound(err) {
		return nil, fmt.Errorf("get portrait of customer %s: %w", customerID, err)
	}
	if ok, err := db.Client.Customer.Query().Where(customer.ID(customerID)).Exist(ctx); err != nil {
		return nil, fmt.Errorf("get customer %s: %w", customerID, err)
	} else if !ok {
		return nil, apperr.NotFound("customer not found")
	}
	if _, _, err := Refresh(auth.SystemContext(ctx), db, customerID, db.Now()); err != nil {
		return nil, err
	}
	p, err = q()
	if err != nil {
		return nil, fmt.Errorf("get portrait of customer %s: %w", customerID, err)
	}
	return p, nil
}

// LockCustomer serializes the transactions that rewrite one customer's
// derived records (portrait, plan, plan tasks): on PostgreSQL a
// transaction-scoped advisory lock on the customer; SQLite's write
// transactions are serialized already.
func LockCustomer(ctx context.Context, tx *ent.Tx, dial string, customerID uuid.UUID) error {
	return LockCustomers(ctx, tx, dial, []uuid.UUID{customerID})
}

// LockCustomers is LockCustomer for several customers in one statement,
// in the order of their keys (so that two such transactions cannot
// deadlock).
func LockCustomers(ctx context.Context, tx *ent.Tx, dial string, ids []uuid.UUID) error {
	if dial != dialect.Postgres || len(ids) == 0 {
		return nil
	}
	keys := make([]int64, len(ids))
	for i, id := range ids {
		h := fnv.New64a()
		h.Write([]byte("customer-derived:"))
		h.Write(id[:])
		keys[i] = int64(h.Sum64())
	}
	slices.Sort(keys)
	if len(keys) == 1 {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", keys[0]); err != nil {
			return fmt.Errorf("lock customer %s: %w", ids[0], err)
		}
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) WITH ORDINALITY AS u(k, n) ORDER BY n", keys); err != nil {
		return fmt.Errorf("lock %d customers: %w", len(ids), err)
	}
	return nil
}

// Zones caches time zones by name; the zero value is ready to use and safe
// for concurrent use. An unknown name falls back to DefaultTimeZone (UTC
// when the system has no zone data).
type Zones struct {
	mu sync.Mutex
	m  map[string]*time.Location
}

// Get returns the zone called name.
func (z *Zones) Get(name string) *time.Location {
	z.mu.Lock()
	defer z.mu.Unlock()
	if loc, ok := z.m[name]; ok {
		return loc
	}
	if z.m == nil {
		z.m = map[string]*time.Location{}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		if loc, err = time.LoadLocation(DefaultTimeZone); err != nil {
			loc = time.UTC
		}
	}
	z.m[name] = loc
	return loc
}
