// Package demo loads AgentDesk's demo data set (`agentdesk serve --demo`):
// the demo accounts and integrator client, a product catalogue, a few
// hundred customers with Chinese names and their policies, interactions,
// tasks, complaints, claims, NPS answers and inbox entries, a published
// toolkit for every service scenario, and China's holiday calendar.
//
// Everything is relative to Options.Now and generated from Options.Seed, so
// the same seed and day give the same content. Load writes once: a marker
// in ServerMeta makes later calls no-ops.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
)

// MarkerKey is the ServerMeta key that records a loaded demo data set.
const MarkerKey = "demo_loaded"

// DefaultCustomers is the size of the demo book when Options.Customers is 0.
const DefaultCustomers = 300

// minCustomers keeps every designed case (SLA states, this week's renewals)
// placeable.
const minCustomers = 30

// Options configure Load.
type Options struct {
	// Password is the password of every demo account and the secret of the
	// demo integrator client.
	Password string
	// Now is "today" for all relative dates, from an injected clock.
	Now time.Time
	// Seed selects the data set: the same seed and Now give the same content.
	Seed int64
	// Customers is the number of customers in total (DefaultCustomers when
	// 0; at least 30).
	Customers int
}

// Summary counts what Load wrote. Loaded is false, and the counts zero,
// when the demo data set was already there.
type Summary struct {
	Loaded        bool
	Agents        int
	Customers     int
	Policies      int
	Interactions  int
	Tasks         int
	Complaints    int
	Claims        int
	ToolkitItems  int
	Notifications int
}

// errLoaded ends the load transaction when another loader got there first.
var errLoaded = errors.New("demo: already loaded")

// Load writes the demo data set unless it is already loaded. It runs in
// one transaction: the marker and the data commit together or not at all.
// Accounts, teams, products, toolkit keys and calendar days that already
// exist are kept as they are and reused.
func Load(ctx context.Context, db *store.DB, p *pii.Protector, opts Options) (Summary, error) {
	switch {
	case opts.Password == "":
		return Summary{}, errors.New("demo: empty password")
	case opts.Now.IsZero():
		return Summary{}, errors.New("demo: zero Now")
	case p == nil:
		return Summary{}, errors.New("demo: nil personal-data protector")
	}
	if opts.Customers == 0 {
		opts.Customers = DefaultCustomers
	}
	opts.Customers = max(opts.Customers, minCustomers)
	// Loading the demo is the server's own work, not a caller's request.
	ctx = auth.SystemContext(ctx)

	loaded, err := db.Client.ServerMeta.Query().Where(servermeta.ID(MarkerKey)).Exist(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("demo: read marker: %w", err)
	}
	if loaded {
		return Summary{}, nil
	}

	// One argon2id hash for every account and the client secret: hashing
	// is deliberately slow.
	hash, err := auth.HashPassword(opts.Password)
	if err != nil {
		return Summary{}, fmt.Errorf("demo: hash password: %w", err)
	}
	w := newWorld(opts)
	w.generate(opts.Customers)

	var sum Summary
	err = db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		err := tx.ServerMeta.Create().SetID(MarkerKey).
			SetValue(fmt.Sprintf("seed=%d now=%s customers=%d", opts.Seed, w.now.Format(time.RFC3339), opts.Customers)).
			SetUpdatedAt(w.now).Exec(ctx)
		if ent.IsConstraintError(err) {
			return errLoaded
		}
		if err != nil {
			return fmt.Errorf("write marker: %w", err)
		}
		wr := &writer{tx: tx, w: w, pii: p, hash: hash}
		if err := wr.write(ctx); err != nil {
			return err
		}
		sum = wr.sum
		return nil
	})
	if errors.Is(err, errLoaded) {
		return Summary{}, nil
	}
	if err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	sum.Loaded = true
	return sum, nil
}
