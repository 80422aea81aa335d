package report

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/internal/store"
)

// builder writes the KPI queries of one report in the database's dialect.
type builder struct {
	dialect string
	scope   Scope
	p       period
}

// stmt is an SQL statement being written, with "?" placeholders and its
// arguments in order.
type stmt struct {
	sb   strings.Builder
	args []any
}

// w appends SQL text and the arguments of its placeholders.
func (s *stmt) w(text string, args ...any) *stmt {
	if n := strings.Count(text, "?"); n != len(args) {
		panic(fmt.Sprintf("report: %d placeholders, %d arguments in %q", n, len(args), text))
	}
	s.sb.WriteString(text)
	s.args = append(s.args, args...)
	return s
}

// query returns the statement in dialect: PostgreSQL numbers its
// placeholders.
func (s *stmt) query(dial string) string {
	q := s.sb.String()
	if dial != dialect.Postgres {
		return q
	}
	var out strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			out.WriteString("$" + strconv.Itoa(n))
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

// querier runs a statement: the database handle, or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// run gives fn a querier. On PostgreSQL it is a read-only transaction
// with JIT compilation off: compiling these short aggregates costs more
// than it saves. On SQLite it is the pool (a transaction there would take
// the write lock).
func (b builder) run(ctx context.Context, db *store.DB, fn func(querier) error) error {
	if b.dialect != dialect.Postgres {
		return fn(db.SQL)
	}
	tx, err := db.SQL.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin report transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	if _, err := tx.ExecContext(ctx, "SET LOCAL jit = off"); err != nil {
		return fmt.Errorf("configure report transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// agentSets writes, for each constraint of the scope, a condition on an
// agent column and calls cond with it: "= ?" for an agent, "IN (the
// team's agents)" for a team.
func (b builder) agentSets(s *stmt, cond func(in string, arg any)) {
	if b.scope.AgentID != nil {
		cond(" = ?", *b.scope.AgentID)
	}
	if b.scope.TeamID != nil {
		cond(" IN (SELECT a.id FROM agents a WHERE a.team_id = ?)", *b.scope.TeamID)
	}
}

// eventScope restricts the events of alias to the scope: each is credited
// to its own agent, or when it has none to its customer's agent. Written
// without a join, so that only events without an agent look their
// customer up.
func (b builder) eventScope(s *stmt, alias string) {
	b.agentSets(s, func(in string, arg any) {
		s.w(" AND ("+alias+".agent_id"+in+" OR ("+alias+".agent_id IS NULL AND "+alias+
			".customer_id IN (SELECT c.id FROM customers c WHERE c.agent_id"+in+")))", arg, arg)
	})
}

// customerScope restricts the rows of alias to those of the scope's
// customers (by the customer's current agent).
func (b builder) customerScope(s *stmt, alias string) {
	b.customerScopeOf(s, alias+".customer_id")
}

// customerScopeOf restricts the rows to those whose customer, the value
// of expr, is one of the scope's customers.
func (b builder) customerScopeOf(s *stmt, expr string) {
	b.agentSets(s, func(in string, arg any) {
		s.w(" AND "+expr+" IN (SELECT c.id FROM customers c WHERE c.agent_id"+in+")", arg)
	})
}

// noIndex is col as an operand that SQLite's planner may not use an index
// for ("+col"; the value is the same): where the planner would otherwise
// walk a team's every customer through an index on the customer instead
// of the narrow date range the query is about.
func (b builder) noIndex(col string) string {
	if b.dialect == dialect.Postgres {
		return col
	}
	return "+" + col
}

// seconds is the SQL for the seconds from a to b (b − a), fractional.
func (b builder) seconds(a, bExpr string) string {
	if b.dialect == dialect.Postgres {
		return "EXTRACT(EPOCH FROM (" + bExpr + " - " + a + "))"
	}
	return "(unixepoch(" + bExpr + ", 'subsec') - unixepoch(" + a + ", 'subsec'))"
}

// t is a time column as an operand of a comparison computed for every
// row (a CASE of an aggregate). On SQLite it is written "+col": times are
// stored as text in one UTC format that sorts as it reads, and the unary
// plus drops the column's NUMERIC affinity (DATETIME columns have it), so
// that SQLite compares the text as it is instead of first trying to read
// both operands as numbers on every row, which took half of the time of
// the larger KPI queries. The result of the comparison is the same either
// way (the text of a time is not a number); the index conditions of the
// WHERE clauses keep the plain column.
func (b builder) t(col string) string {
	if b.dialect == dialect.Postgres {
		return col
	}
	return "+" + col
}

// count is COALESCE(SUM(CASE WHEN cond THEN 1 ELSE 0 END), 0).
func count(cond string) string {
	return "COALESCE(SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END), 0)"
}

// median computes the median of expr over "FROM … WHERE …" written by
// body, and the number of values, in one statement: percentile_cont on
// PostgreSQL; on SQLite the middle row or rows by ROW_NUMBER over the
// sorted values, with COUNT(*) OVER () for the count. The value is nil
// when there are no rows.
func (b builder) median(ctx context.Context, q querier, expr string, body func(*stmt)) (*float64, int64, error) {
	var s stmt
	if b.dialect == dialect.Postgres {
		s.w("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (" + expr + ")::double precision), COUNT(*)")
		body(&s)
	} else {
		s.w("SELECT AVG(x), COALESCE(MAX(n), 0) FROM (SELECT x, ROW_NUMBER() OVER (ORDER BY x) AS r, COUNT(*) OVER () AS n FROM (SELECT " + expr + " AS x")
		body(&s)
		s.w(")) WHERE r IN ((n + 1) / 2, (n + 2) / 2)")
	}
	var (
		v sql.NullFloat64
		n int64
	)
	if err := q.QueryRowContext(ctx, s.query(b.dialect), s.args...).Scan(&v, &n); err != nil {
		return nil, 0, fmt.Errorf("median: %w", err)
	}
	if !v.Valid {
		return nil, n, nil
	}
	return &v.Float64, n, nil
}

// scanCounts runs a statement that returns one row of counts.
func scanCounts(ctx context.Context, q querier, dial string, s *stmt, what string, dest ...*int64) error {
	ptrs := make([]any, len(dest))
	for i, d := range dest {
		ptrs[i] = d
	}
	if err := q.QueryRowContext(ctx, s.query(dial), s.args...).Scan(ptrs...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
