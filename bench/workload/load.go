package workload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	custsvc "github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/store"
)

// MarkerKey is the ServerMeta key that records a loaded workload.
const MarkerKey = "bench_workload"

// Options configure Load.
type Options struct {
	// Dir holds datagen.py's JSONL files (plain or .gz).
	Dir string
	// Agents is how many agents' books to load from Dir (the first ones);
	// 0 loads every book in the files.
	Agents int
	// Accounts is how many agent accounts to create (agent000…), books or
	// not: the throughput scenario logs in as up to 200 agents. At least
	// Agents.
	Accounts int
	// TeamSize agents form a team with its own team lead (20).
	TeamSize int
	// ToolkitItems is the size of the published toolkit (500).
	ToolkitItems int
	// TxRows is the number of rows per transaction (20,000).
	TxRows int
	// Recompute computes every portrait and service plan after loading
	// (otherwise the server does it in the background when it starts).
	Recompute bool
	// Workers recompute concurrently (2).
	Workers int
	// TxCustomers customers are recomputed per transaction (100).
	TxCustomers int
	Clock       clock.Clock
	Log         *slog.Logger
}

// Summary says what Load wrote and how long each part took.
type Summary struct {
	Agents, Accounts, Teams                     int
	Customers, Policies, Interactions, Tasks    int
	ToolkitItems, Portraits, Plans              int
	ChangeLog                                   int
	Rows, Recompute, Total                      time.Duration
	AgentIDs                                    []uuid.UUID // the loaded books' agents, in order
	TeamIDs                                     []uuid.UUID
	AdminUsername, LeadUsernamePrefix, Password string
}

// Usernames of the accounts besides the agents.
const (
	AdminUsername = "bench-admin@example.com"
	LargeUsername = "bench-large@example.com"
	LeadFormat    = "bench-lead%02d@example.com"
	TeamFormat    = "bench-team-%02d"
)

// Load writes the workload into db (migrated here). p must hold the
// server's AGENTDESK_ENCRYPTION_KEY, so the server can read what it
// encrypts. It refuses to load twice into one database.
func Load(ctx context.Context, db *store.DB, p *pii.Protector, opts Options) (Summary, error) {
	if opts.TeamSize <= 0 {
		opts.TeamSize = 20
	}
	if opts.TxRows <= 0 {
		opts.TxRows = 20000
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.TxCustomers <= 0 {
		opts.TxCustomers = 100
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	ctx = auth.SystemContext(ctx)
	start := time.Now()
	sum := Summary{AdminUsername: AdminUsername, LeadUsernamePrefix: "bench-lead", Password: AgentPassword}

	if err := db.Migrate(ctx); err != nil {
		return sum, fmt.Errorf("migrate: %w", err)
	}
	if _, err := plan.EnsureBuiltins(ctx, db); err != nil {
		return sum, fmt.Errorf("built-in plan rules: %w", err)
	}

	// The books in the files, in order; keep the first opts.Agents.
	var books []Agent
	if err := ReadJSONL(opts.Dir, "agents", func(a *Agent) error { books = append(books, *a); return nil }); err != nil {
		return sum, err
	}
	some := opts.Agents > 0 && opts.Agents < len(books)
	if some {
		books = books[:opts.Agents]
	}
	if len(books) == 0 {
		return sum, errors.New("workload: no agents in agents.jsonl")
	}
	// The accounts are agent000…: the files' agents must be the first ones
	// (datagen --first-agent 0) for the ids to line up.
	for i, b := range books {
		if b.ID != AgentID(i) || b.Email != AgentEmail(i) {
			return sum, fmt.Errorf("workload: agents.jsonl line %d is %s %s, want agent %d (%s): generate from --first-agent 0",
				i+1, b.ID, b.Email, i, AgentID(i))
		}
		if b.Password != AgentPassword {
			return sum, fmt.Errorf("workload: agents.jsonl has another password than %q", AgentPassword)
		}
	}
	opts.Accounts = max(opts.Accounts, len(books))
	l := &loader{db: db, pii: p, opts: opts, now: opts.Clock.Now().UTC(), agents: map[string]uuid.UUID{},
		customers: map[string]custRef{}}
	for _, b := range books {
		l.agents[b.ID] = UUID(b.ID)
		sum.AgentIDs = append(sum.AgentIDs, UUID(b.ID))
	}
	if some {
		l.want = lineOfAgents(l.agents)
	}
	if err := l.accounts(ctx, &sum); err != nil {
		return sum, fmt.Errorf("accounts: %w", err)
	}
	if err := l.toolkit(ctx, &sum); err != nil {
		return sum, fmt.Errorf("toolkit: %w", err)
	}
	opts.Log.Info("accounts and toolkit written", "accounts", sum.Accounts, "teams", sum.Teams, "toolkit", sum.ToolkitItems)
	err := withoutIndexes(ctx, db, opts.Log, bulkTables, func() error {
		if err := l.books(ctx, &sum); err != nil {
			return err
		}
		if err := l.large(ctx, &sum); err != nil {
			return fmt.Errorf("large customer: %w", err)
		}
		return nil
	})
	if err != nil {
		return sum, err
	}
	if err := analyze(ctx, db); err != nil {
		return sum, err
	}
	sum.Rows = time.Since(start)
	opts.Log.Info("books written", "customers", sum.Customers, "policies", sum.Policies,
		"interactions", sum.Interactions, "tasks", sum.Tasks, "took", sum.Rows.Round(time.Millisecond).String())
	if opts.Recompute {
		rs := time.Now()
		r := plan.NewRecomputer(db, opts.Clock, opts.Log, opts.Workers)
		r.TxCustomers = opts.TxCustomers
		r.SweepOrder = func(ctx context.Context) ([]uuid.UUID, error) { return writeOrder(ctx, db) }
		st, err := r.RunOnce(ctx)
		if err != nil {
			return sum, fmt.Errorf("recompute portraits and plans: %w", err)
		}
		sum.Portraits, sum.Plans = st.PortraitsWritten, st.PlansWritten
		sum.Recompute = time.Since(rs)
		opts.Log.Info("portraits and plans computed", "customers", st.Customers, "portraits", st.PortraitsWritten,
			"plans", st.PlansWritten, "took", sum.Recompute.Round(time.Millisecond).String())
		if err := analyze(ctx, db); err != nil {
			return sum, err
		}
	}
	n, err := db.Client.ChangeLog.Query().Count(ctx)
	if err != nil {
		return sum, err
	}
	sum.ChangeLog = n
	sum.Total = time.Since(start)
	return sum, nil
}

// writeOrder lists the customers in the order their rows lie in the
// table, which is the order the loader wrote them (and their policies and
// interactions) in: SQLite's rowid, PostgreSQL's physical row address.
func writeOrder(ctx context.Context, db *store.DB) ([]uuid.UUID, error) {
	q := `SELECT id FROM customers ORDER BY rowid`
	if db.Dialect == dialect.Postgres {
		q = `SELECT id FROM customers ORDER BY ctid`
	}
	rows, err := db.SQL.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("customers in write order: %w", err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// analyze refreshes the planner's statistics after a bulk load, as
// autovacuum or an operator would: without them PostgreSQL plans a first
// sync's page as a scan of the whole interactions table (78 s instead of
// 6 s for a book with 20 books loaded). SQLite samples each index
// (analysis_limit) instead of reading the whole file.
func analyze(ctx context.Context, db *store.DB) error {
	conn, err := db.SQL.Conn(ctx) // a PRAGMA holds for its connection
	if err != nil {
		return err
	}
	defer conn.Close()
	stmts := []string{"ANALYZE"}
	if db.Dialect == dialect.SQLite {
		stmts = []string{"PRAGMA analysis_limit=1000", "ANALYZE"}
	}
	for _, st := range stmts {
		if _, err := conn.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
	}
	return nil
}

type custRef struct {
	id, agent uuid.UUID
	name      string
}

type loader struct {
	db        *store.DB
	pii       *pii.Protector
	opts      Options
	now       time.Time
	agents    map[string]uuid.UUID // datagen agent id → id, loaded books only
	customers map[string]custRef   // datagen customer id → id
	// want filters the books' lines before they are decoded (nil: every
	// book in the files is loaded).
	want func(line []byte) bool
}

func (l *loader) accounts(ctx context.Context, sum *Summary) error {
	hash, err := auth.HashPassword(AgentPassword)
	if err != nil {
		return err
	}
	return l.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		err := tx.ServerMeta.Create().SetID(MarkerKey).
			SetValue(fmt.Sprintf("agents=%d accounts=%d dir=%s", len(l.agents), l.opts.Accounts, l.opts.Dir)).
			SetUpdatedAt(l.now).Exec(ctx)
		if ent.IsConstraintError(err) {
			return errors.New("this database already holds a workload: load into a fresh one")
		}
		if err != nil {
			return err
		}
		teams := (l.opts.Accounts + l.opts.TeamSize - 1) / l.opts.TeamSize
		var agents []*ent.AgentCreate
		for t := range teams {
			tm, err := tx.Team.Create().SetName(fmt.Sprintf(TeamFormat, t)).SetCreatedAt(l.now).SetUpdatedAt(l.now).Save(ctx)
			if err != nil {
				return err
			}
			sum.TeamIDs = append(sum.TeamIDs, tm.ID)
			agents = append(agents, tx.Agent.Create().SetUsername(fmt.Sprintf(LeadFormat, t)).
				SetDisplayName(fmt.Sprintf("团队长%02d", t)).SetRole(agent.RoleTeamLead).SetTeamID(tm.ID).
				SetPasswordHash(hash).SetCreatedAt(l.now).SetUpdatedAt(l.now))
		}
		sum.Teams = teams
		for a := range l.opts.Accounts {
			agents = append(agents, tx.Agent.Create().SetID(UUID(AgentID(a))).SetUsername(AgentEmail(a)).
				SetDisplayName(fmt.Sprintf("代理人%03d", a)).SetRole(agent.RoleAgent).SetTeamID(sum.TeamIDs[a/l.opts.TeamSize]).
				SetPasswordHash(hash).SetCreatedAt(l.now).SetUpdatedAt(l.now))
		}
		agents = append(agents, tx.Agent.Create().SetUsername(AdminUsername).SetDisplayName("管理员").
			SetRole(agent.RoleAdmin).SetPasswordHash(hash).SetCreatedAt(l.now).SetUpdatedAt(l.now),
			tx.Agent.Create().SetID(LargeAgentID).SetUsername(LargeUsername).SetDisplayName("大客户经理").
				SetRole(agent.RoleAgent).SetPasswordHash(hash).SetCreatedAt(l.now).SetUpdatedAt(l.now))
		for start := 0; start < len(agents); start += 500 {
			if err := tx.Agent.CreateBulk(agents[start:min(start+500, len(agents))]...).Exec(ctx); err != nil {
				return err
			}
		}
		sum.Accounts = l.opts.Accounts
		sum.Agents = len(l.agents)
		return nil
	})
}

var scenarios = []toolkititem.Scenario{
	"consultation", "needs_analysis", "application_underwriting", "policy_delivery_revisit",
	"payment_reminder", "renewal", "claim_assistance", "complaint", "hesitation_surrender",
	"policy_change", "premium_increase", "care_birthday", "care_anniversary", "upgrade_proposal",
}

var toolkitPhrases = []string{
	"您好，我是您的专属保险顾问，今天给您打电话是想提醒您保单即将到期。",
	"请您核对一下投保人、被保险人和受益人的信息是否正确。",
	"根据条款约定，等待期内发生的保险事故不在保障范围内。",
	"理赔需要准备身份证、银行卡、病历、发票和费用清单。",
	"如果您对产品有任何疑问，可以随时通过微信或电话联系我。",
	"犹豫期内退保只扣除工本费，过了犹豫期退还的是现金价值。",
	"您的家庭保障目前在重疾和医疗方面还有一定缺口，建议适当补充。",
	"续保前请确认缴费账户余额充足，避免保单进入宽限期。",
	"祝您生日快乐！感谢您一直以来对我们工作的支持与信任。",
	"本次回访主要确认您已收到保单并了解主要保险责任。",
}

// toolkit publishes opts.ToolkitItems items: the keys the built-in plan
// rules cite first, so plans link to real items, then generated ones.
func (l *loader) toolkit(ctx context.Context, sum *Summary) error {
	keys := plan.BuiltinToolkitKeys()
	for i := len(keys); i < l.opts.ToolkitItems; i++ {
		keys = append(keys, fmt.Sprintf("bench-item-%03d", i))
	}
	keys = keys[:min(len(keys), max(l.opts.ToolkitItems, 0))]
	r := rand.New(rand.NewPCG(500, 1))
	kinds := []toolkititem.Kind{"script", "checklist", "template"}
	var b []*ent.ToolkitItemCreate
	return l.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		for i, key := range keys {
			kind := kinds[i%len(kinds)]
			var c domain.ToolkitContent
			switch kind {
			case "script":
				for s := range 3 {
					sec := domain.ScriptSection{Title: fmt.Sprintf("第%d步", s+1)}
					for range 3 {
						sec.Lines = append(sec.Lines, toolkitPhrases[r.IntN(len(toolkitPhrases))])
					}
					c.Sections = append(c.Sections, sec)
				}
			case "checklist":
				for j := range 6 {
					c.Items = append(c.Items, domain.ChecklistItem{Key: fmt.Sprintf("item%d", j),
						Label: toolkitPhrases[r.IntN(len(toolkitPhrases))], Required: j < 3})
				}
			default:
				c.Body = toolkitPhrases[r.IntN(len(toolkitPhrases))] + toolkitPhrases[r.IntN(len(toolkitPhrases))]
			}
			pub := l.now.AddDate(0, -6, 0)
			b = append(b, tx.ToolkitItem.Create().SetID(UUID("toolkit:"+key)).SetKey(key).SetKind(kind).
				SetScenario(scenarios[i%len(scenarios)]).SetTitle(fmt.Sprintf("%s话术卡%03d", string(kind), i)).
				SetSummary(toolkitPhrases[i%len(toolkitPhrases)]).SetTags([]string{"基础", string(scenarios[i%len(scenarios)])}).
				SetStatus(toolkititem.StatusPublished).SetRevision(1).SetContent(c).SetPublishedAt(pub).
				SetCreatedAt(pub).SetUpdatedAt(pub))
		}
		for start := 0; start < len(b); start += 200 {
			if err := tx.ToolkitItem.CreateBulk(b[start:min(start+200, len(b))]...).Exec(ctx); err != nil {
				return err
			}
		}
		sum.ToolkitItems = len(b)
		return nil
	})
}

// bulkChunk rows per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535
// bound parameters for the widest table (customers, 25 columns).
const bulkChunk = 500

// flush writes a batch of builders in one transaction, bulkChunk per INSERT.
type flushFn func(ctx context.Context, tx *ent.Tx) error

// stream reads NAME.jsonl, keeps the records of loaded books (keep returns
// false to skip), and writes them opts.TxRows per transaction while the
// next batch is read (on PostgreSQL two transactions at a time).
func stream[T any](ctx context.Context, l *loader, name string, keep func(*T) (bool, error),
	write func(ctx context.Context, tx *ent.Tx, batch []*T) error) (int, error) {
	batches := make(chan []*T, l.writers())
	g, gctx := errgroup.WithContext(ctx)
	total := 0
	g.Go(func() error {
		defer close(batches)
		var cur []*T
		err := readJSONL(l.opts.Dir, name, l.want, func(r *T) error {
			ok, err := keep(r)
			if err != nil || !ok {
				return err
			}
			cur = append(cur, r)
			if len(cur) >= l.opts.TxRows {
				select {
				case batches <- cur:
				case <-gctx.Done():
					return gctx.Err()
				}
				cur = nil
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(cur) > 0 {
			select {
			case batches <- cur:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	var mu sync.Mutex
	for range l.writers() {
		g.Go(func() error {
			for batch := range batches {
				err := l.db.WithTx(gctx, func(ctx context.Context, tx *ent.Tx) error {
					for start := 0; start < len(batch); start += bulkChunk {
						if err := write(ctx, tx, batch[start:min(start+bulkChunk, len(batch))]); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("write %s: %w", name, err)
				}
				mu.Lock()
				total += len(batch)
				l.opts.Log.Debug("batch written", "collection", name, "rows", total)
				mu.Unlock()
			}
			return nil
		})
	}
	err := g.Wait()
	return total, err
}

// writers is the number of transactions writing rows at once: SQLite has
// one writer; PostgreSQL spreads two over the cores.
func (l *loader) writers() int {
	if l.db.Dialect == dialect.Postgres {
		return 2
	}
	return 1
}

func (l *loader) ref(agentID, customerID string) (custRef, bool, error) {
	if _, ok := l.agents[agentID]; !ok {
		return custRef{}, false, nil
	}
	c, ok := l.customers[customerID]
	if !ok {
		return custRef{}, false, fmt.Errorf("record of unknown customer %s", customerID)
	}
	return c, true, nil
}

// LargeCustomerID is the large customer (LargePolicies policies,
// LargeInteractions interactions) the loader gives the account
// LargeUsername, for the plan and portrait latency figures; the agents'
// books stay exactly datagen's.
var (
	LargeCustomerID = UUID("bench:large-customer")
	LargeAgentID    = UUID("bench:large-agent")
)

// The large customer's size: the plan package's benchmark customer.
const (
	LargePolicies     = 50
	LargeInteractions = 500
)

// large adds LargeCustomerID: its policies and interactions are copies of
// the first book's first records.
func (l *loader) large(ctx context.Context, sum *Summary) error {
	agentID, ag := AgentID(0), LargeAgentID
	var pols []*Policy
	var ins []*Interaction
	first := lineOfAgents(map[string]uuid.UUID{agentID: ag})
	err := readJSONL(l.opts.Dir, "policies", first, func(p *Policy) error {
		if p.Agent == agentID && len(pols) < LargePolicies {
			pols = append(pols, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = readJSONL(l.opts.Dir, "interactions", first, func(in *Interaction) error {
		if in.Agent == agentID && len(ins) < LargeInteractions {
			ins = append(ins, in)
		}
		if len(ins) == LargeInteractions {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	const name = "欧阳大客户"
	l.customers["bench-large"] = custRef{id: LargeCustomerID, agent: ag, name: name}
	return l.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		phone, err := l.pii.Encrypt(custsvc.FieldPhone, "13900000000")
		if err != nil {
			return err
		}
		err = tx.Customer.Create().SetID(LargeCustomerID).SetAgentID(ag).SetName(name).SetPhoneEnc(phone).
			SetPhoneHash(l.pii.Hash(custsvc.FieldPhone, "13900000000")).SetIncomeBand(customer.IncomeBandHigh).
			SetLifeStage(customer.LifeStageMatureFamily).SetTags([]string{"高净值", "VIP"}).
			SetCreatedAt(l.now).SetUpdatedAt(l.now).Exec(ctx)
		if err != nil {
			return err
		}
		pb := make([]*ent.InsurancePolicyCreate, 0, len(pols))
		for i, p := range pols {
			line, _ := policyLine(p.Product, p.Line)
			due, err := ParseTime(p.NextDue)
			if err != nil {
				return err
			}
			pb = append(pb, tx.InsurancePolicy.Create().SetID(UUID(fmt.Sprintf("bench:large-policy:%d", i))).
				SetCustomerID(LargeCustomerID).SetNumber(fmt.Sprintf("PL%03d", i)).SetProductName(p.Product).
				SetLine(insurancepolicy.Line(line)).SetInsuredName(name).SetHolderName(name).
				SetPremiumCents(int64(math.Round(p.Premium*100))).SetSumAssuredCents(p.SumAssured*100).
				SetStartDate(dateOnly(due.AddDate(-1, 0, 0))).SetNextPremiumDueDate(dateOnly(due)).
				SetStatus(insurancepolicy.Status(policyStatuses[p.Status])).SetCreatedAt(l.now).SetUpdatedAt(l.now))
		}
		if err := tx.InsurancePolicy.CreateBulk(pb...).Exec(ctx); err != nil {
			return err
		}
		for start := 0; start < len(ins); start += bulkChunk {
			var ib []*ent.InteractionCreate
			for i, in := range ins[start:min(start+bulkChunk, len(ins))] {
				recv, err := ParseTime(in.ReceivedAt)
				if err != nil {
					return err
				}
				ib = append(ib, tx.Interaction.Create().SetID(UUID(fmt.Sprintf("bench:large-interaction:%d", start+i))).
					SetCustomerID(LargeCustomerID).SetAgentID(ag).SetChannel(interaction.Channel(channels[in.Channel])).
					SetType(interaction.Type(interactionTypes[in.Type])).SetContent(in.Content).SetResult(in.Result).
					SetReceivedAt(recv).SetCreatedAt(recv).SetUpdatedAt(recv))
			}
			if err := tx.Interaction.CreateBulk(ib...).Exec(ctx); err != nil {
				return err
			}
		}
		sum.Customers++
		sum.Policies += len(pols)
		sum.Interactions += len(ins)
		return nil
	})
}

var errStop = errors.New("stop")

func dateOnly(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

func (l *loader) books(ctx context.Context, sum *Summary) error {
	var err error
	sum.Customers, err = stream(ctx, l, "customers", func(c *Customer) (bool, error) {
		ag, ok := l.agents[c.Agent]
		if !ok {
			return false, nil
		}
		l.customers[c.ID] = custRef{id: UUID(c.ID), agent: ag, name: c.Name}
		return true, nil
	}, func(ctx context.Context, tx *ent.Tx, batch []*Customer) error {
		b := make([]*ent.CustomerCreate, 0, len(batch))
		for _, c := range batch {
			ls, ok := lifeStages[c.LifeStage]
			if !ok {
				return fmt.Errorf("customer %s: unknown life stage %q", c.ID, c.LifeStage)
			}
			birth, err := ParseTime(c.BirthDate)
			if err != nil {
				return err
			}
			phone, err := l.pii.Encrypt(custsvc.FieldPhone, c.Phone)
			if err != nil {
				return err
			}
			// datagen's free-text notes are the customer's notes of the
			// agent: AgentDesk keeps them as the encrypted health notes
			// field, which travels to the agent's phone in full.
			notes, err := l.pii.Encrypt(custsvc.FieldHealthNotes, c.Notes)
			if err != nil {
				return err
			}
			b = append(b, tx.Customer.Create().SetID(UUID(c.ID)).SetAgentID(l.agents[c.Agent]).SetName(c.Name).
				SetPhoneEnc(phone).SetPhoneHash(l.pii.Hash(custsvc.FieldPhone, pii.NormalizePhone(c.Phone))).
				SetHealthNotesEnc(notes).SetBirthDate(dateOnly(birth)).SetIncomeBand(customer.IncomeBand(incomeBand(c.IncomeBand))).
				SetLifeStage(customer.LifeStage(ls)).SetTags(c.Tags).SetCreatedAt(l.now).SetUpdatedAt(l.now))
		}
		return tx.Customer.CreateBulk(b...).Exec(ctx)
	})
	if err != nil {
		return err
	}
	sum.Policies, err = stream(ctx, l, "policies", func(p *Policy) (bool, error) {
		_, ok, err := l.ref(p.Agent, p.Customer)
		return ok, err
	}, func(ctx context.Context, tx *ent.Tx, batch []*Policy) error {
		b := make([]*ent.InsurancePolicyCreate, 0, len(batch))
		for _, p := range batch {
			c := l.customers[p.Customer]
			line, ok := policyLine(p.Product, p.Line)
			st, ok2 := policyStatuses[p.Status]
			if !ok || !ok2 {
				return fmt.Errorf("policy %s: unknown line %q or status %q", p.ID, p.Line, p.Status)
			}
			due, err := ParseTime(p.NextDue)
			if err != nil {
				return err
			}
			renewal, err := ParseTime(p.Renewal)
			if err != nil {
				return err
			}
			b = append(b, tx.InsurancePolicy.Create().SetID(UUID(p.ID)).SetCustomerID(c.id).SetNumber("P"+p.ID).
				SetProductName(p.Product).SetLine(insurancepolicy.Line(line)).SetInsuredName(c.name).SetHolderName(c.name).
				SetPremiumCents(int64(math.Round(p.Premium*100))).SetSumAssuredCents(p.SumAssured*100).
				SetStartDate(dateOnly(due.AddDate(-1, 0, 0))).SetNextPremiumDueDate(dateOnly(due)).
				SetRenewalDate(dateOnly(renewal)).SetStatus(insurancepolicy.Status(st)).
				SetCreatedAt(l.now).SetUpdatedAt(l.now))
		}
		return tx.InsurancePolicy.CreateBulk(b...).Exec(ctx)
	})
	if err != nil {
		return err
	}
	sum.Interactions, err = stream(ctx, l, "interactions", func(in *Interaction) (bool, error) {
		_, ok, err := l.ref(in.Agent, in.Customer)
		return ok, err
	}, func(ctx context.Context, tx *ent.Tx, batch []*Interaction) error {
		b := make([]*ent.InteractionCreate, 0, len(batch))
		for _, in := range batch {
			c := l.customers[in.Customer]
			ch, ok := channels[in.Channel]
			ty, ok2 := interactionTypes[in.Type]
			if !ok || !ok2 {
				return fmt.Errorf("interaction %s: unknown channel %q or type %q", in.ID, in.Channel, in.Type)
			}
			recv, err := ParseTime(in.ReceivedAt)
			if err != nil {
				return err
			}
			first, err := ParseTime(in.FirstResponseAt)
			if err != nil {
				return err
			}
			b = append(b, tx.Interaction.Create().SetID(UUID(in.ID)).SetCustomerID(c.id).SetAgentID(c.agent).
				SetChannel(interaction.Channel(ch)).SetType(interaction.Type(ty)).SetContent(in.Content).
				SetResult(in.Result).SetReceivedAt(recv).SetFirstResponseAt(first).
				SetCreatedAt(recv).SetUpdatedAt(first))
		}
		return tx.Interaction.CreateBulk(b...).Exec(ctx)
	})
	if err != nil {
		return err
	}
	sum.Tasks, err = stream(ctx, l, "tasks", func(t *Task) (bool, error) {
		_, ok, err := l.ref(t.Agent, t.Customer)
		return ok, err
	}, func(ctx context.Context, tx *ent.Tx, batch []*Task) error {
		b := make([]*ent.TaskCreate, 0, len(batch))
		for _, t := range batch {
			c := l.customers[t.Customer]
			st, ok := taskStatuses[t.Status]
			if !ok {
				return fmt.Errorf("task %s: unknown status %q", t.ID, t.Status)
			}
			due, err := ParseTime(t.DueAt)
			if err != nil {
				return err
			}
			tc := tx.Task.Create().SetID(UUID(t.ID)).SetCustomerID(c.id).SetAgentID(c.agent).SetTitle(t.Title).
				SetStatus(task.Status(st)).SetDueAt(due).SetCreatedAt(l.now).SetUpdatedAt(l.now)
			if st != "todo" {
				tc.SetCompletedAt(due)
			}
			b = append(b, tc)
		}
		return tx.Task.CreateBulk(b...).Exec(ctx)
	})
	return err
}
