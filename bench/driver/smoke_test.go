package driver_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/bench/driver"
	"github.com/agentdesk/agentdesk/bench/workload"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/internal/app"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/config"
	"github.com/agentdesk/agentdesk/internal/obs"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// TestSmoke loads one agent × 20 customers of datagen's records (the
// committed testdata, byte-identical to `datagen.py --agents 1 --customers
// 20`), starts the real server on a loopback listener, and runs every
// scenario of the driver once.
func TestSmoke(t *testing.T) {
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(dial, func(t *testing.T) { smoke(t, dial) })
	}
}

func smoke(t *testing.T, dial string) {
	ctx := context.Background()
	dbURL := storetest.URL(t, dial)
	key := pii.NewKey()
	p, err := pii.ParseKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := workload.Load(ctx, db, p, workload.Options{Dir: "../testdata/tiny", Accounts: 3, ToolkitItems: 40, Recompute: true})
	if err != nil {
		t.Fatal(err)
	}
	// Every synced row has its change-log entry.
	sys := auth.SystemContext(ctx)
	for coll, want := range map[string]int{
		store.Customers: sum.Customers, store.Policies: sum.Policies, store.ToolkitItems: sum.ToolkitItems,
		store.Portraits: sum.Customers, store.ServicePlans: sum.Customers,
	} {
		n, err := db.Client.ChangeLog.Query().Where(changelog.Collection(coll)).Count(sys)
		if err != nil || n != want {
			t.Errorf("change log has %d %s, want %d (%v)", n, coll, want, err)
		}
	}
	n, err := db.Client.ChangeLog.Query().Where(changelog.Collection(store.Interactions)).Count(sys)
	if err != nil || n != sum.Interactions {
		t.Errorf("change log has %d interactions, want %d (%v)", n, sum.Interactions, err)
	}
	db.Close()
	if sum.Customers != 21 || sum.Policies != 60+workload.LargePolicies || sum.Interactions != 500+workload.LargeInteractions ||
		sum.Tasks != 100 || sum.Portraits != 21 || sum.Plans != 21 {
		t.Fatalf("summary %+v", sum)
	}

	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.DatabaseURL = t.TempDir(), dbURL
	cfg.JWTSigningKey = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	cfg.EncryptionKey = key
	cfg.RateLimit = 0
	cfg.ShutdownTimeout = 5 * time.Second
	a, err := app.New(ctx, cfg, obs.NewLogger(io.Discard, 0), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(sctx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	var log strings.Builder
	rep, err := driver.Run(ctx, driver.Config{BaseURL: "http://" + ln.Addr().String(), DataDir: "../testdata/tiny",
		Runs: 1, Samples: 5, Concurrency: 3, ThroughputFor: 300 * time.Millisecond, Log: &log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())

	if len(rep.FirstSync) != 2 {
		t.Fatalf("first syncs: %+v", rep.FirstSync)
	}
	for _, f := range rep.FirstSync {
		// 20 customers with portraits and plans, 60 policies, 100+ tasks,
		// 500 interactions, 40 toolkit items.
		if f.Records < 20*3+60+100+500+40 || f.EssentialBytes.P50 <= 0 || f.EssentialBytes.P50 >= f.WholeBytes.P50 ||
			f.WholeServerMS.P50 <= 0 || f.WholeLinkSeconds <= 0.3 || f.EssentialRequests > f.WholeRequests {
			t.Errorf("first sync %s: %+v", f.Encoding, f)
		}
		// The wire carries compressed text: well under the decoded JSON.
		if f.WholeBytes.P50 >= float64(f.DecodedBytes)/2 {
			t.Errorf("first sync %s: %.0f B on the wire for %d B of JSON", f.Encoding, f.WholeBytes.P50, f.DecodedBytes)
		}
	}
	if rep.SourceJSONBytes == 0 || rep.SourceZstd19 == 0 || rep.SourceZstd19 >= rep.SourceJSONBytes ||
		rep.DeliveredZstd19 == 0 || rep.DeliveredZstd19 >= rep.DeliveredJSONBytes {
		t.Errorf("reference: %+v", rep)
	}
	if rep.NoChangeMS.N != 5 || rep.NoChangeBytes.P50 <= 0 || rep.NoChangeBytes.P50 > 4000 || rep.NoChangeBody.P50 <= 0 || rep.NoChangeBody.P50 > 1000 ||
		rep.NotModifiedBytes.P50 >= rep.NoChangeBytes.P50+200 {
		t.Errorf("no-change pull: %+v %+v / 304: %+v", rep.NoChangeBytes, rep.NoChangeMS, rep.NotModifiedBytes)
	}
	if rep.ChangedCustomers != 1 || rep.ChangedPullChanges.P50 < 1 || rep.ChangedPullBytes.P50 <= rep.NoChangeBytes.P50 {
		t.Errorf("1%% change: %d customers, %+v changes, %+v bytes", rep.ChangedCustomers, rep.ChangedPullChanges, rep.ChangedPullBytes)
	}
	if rep.Push100MS.N < 3 || rep.Push100MS.P50 <= 0 {
		t.Errorf("push: %+v", rep.Push100MS)
	}
	if rep.ThroughputAgents != 3 || rep.ThroughputRPS <= 0 || rep.ThroughputErrors != 0 {
		t.Errorf("throughput: %d agents, %.0f req/s, %d errors", rep.ThroughputAgents, rep.ThroughputRPS, rep.ThroughputErrors)
	}
	if rep.PlanMS.N != 5 || rep.PortraitMS.N != 5 || rep.KPIMS.N != 1 {
		t.Errorf("plan %+v portrait %+v kpi %+v", rep.PlanMS, rep.PortraitMS, rep.KPIMS)
	}

	// Over HTTP/2 (prior knowledge) the server answers the same, and a
	// no-change pull's repeated headers shrink to a few bytes.
	log.Reset()
	h2, err := driver.Run(ctx, driver.Config{BaseURL: "http://" + ln.Addr().String(), HTTP2: true, NoReference: true,
		Runs: 1, Samples: 5, Concurrency: 2, ThroughputFor: 200 * time.Millisecond, Log: &log})
	if err != nil {
		t.Fatalf("HTTP/2: %v\n%s", err, log.String())
	}
	t.Logf("no-change pull over HTTP/2: %.0f B on the wire (HTTP/1.1: %.0f B), 304 %.0f B", h2.NoChangeBytes.P50,
		rep.NoChangeBytes.P50, h2.NotModifiedBytes.P50)
	if h2.NoChangeBytes.P50 <= 0 || h2.NoChangeBytes.P50 >= rep.NoChangeBytes.P50/2 || h2.ThroughputErrors != 0 {
		t.Errorf("HTTP/2 no-change pull: %.0f B on the wire (HTTP/1.1: %.0f B), %d errors", h2.NoChangeBytes.P50,
			rep.NoChangeBytes.P50, h2.ThroughputErrors)
	}

	// The first sync in format=columns delivers the same records (the
	// pushes above added some), in fewer bytes with zstd (gzip's 32 KB
	// window gains less from columns and loses on a large book's
	// essential part).
	firstSyncs := func(format string) *driver.Report {
		log.Reset()
		r, err := driver.Run(ctx, driver.Config{BaseURL: "http://" + ln.Addr().String(), Format: format, NoReference: true,
			Runs: 1, Samples: 1, Log: &log, Skip: map[string]bool{"nochange": true, "changed": true, "push": true, "plan": true,
				"kpi": true, "throughput": true}})
		if err != nil {
			t.Fatalf("format=%s: %v\n%s", format, err, log.String())
		}
		return r
	}
	rows, cols := firstSyncs("changes"), firstSyncs("columns")
	for i, f := range cols.FirstSync {
		r := rows.FirstSync[i]
		t.Logf("first sync %s, format=columns: %.0f B (changes: %.0f B), essential %.0f B (%.0f B)", f.Encoding,
			f.WholeBytes.P50, r.WholeBytes.P50, f.EssentialBytes.P50, r.EssentialBytes.P50)
		smaller := f.WholeBytes.P50 < r.WholeBytes.P50 && f.EssentialBytes.P50 < r.EssentialBytes.P50
		if f.Encoding != r.Encoding || f.Records != r.Records || (f.Encoding == "zstd" && !smaller) {
			t.Errorf("first sync %s, format=columns: %+v\nformat=changes: %+v", f.Encoding, f, r)
		}
	}
}
