package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func newTestService(t *testing.T, db *store.DB, clk clock.Clock, chunk int) *Service {
	t.Helper()
	key, err := pii.ParseKey(pii.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	p, err := pii.NewSingle(key)
	if err != nil {
		t.Fatal(err)
	}
	s := NewService(db, customer.NewService(db, p, clk, audit.New(db.Client, clk)), p, clk)
	s.chunk = chunk
	return s
}

func integratorCtx() context.Context {
	return auth.WithViewer(context.Background(), &auth.Viewer{Kind: auth.KindIntegrator, ClientID: "pas",
		ClientPK: uuid.New(), Scopes: []string{access.CustomersWrite, access.PoliciesWrite}})
}

func custItem(id string) BatchItem {
	return BatchItem{Kind: KindCustomer, ExternalID: id, Customer: &CustomerInput{Name: "客户 " + id}}
}

func policyItem(id, holder string) BatchItem {
	return BatchItem{Kind: KindPolicy, ExternalID: id, Policy: &PolicyInput{CustomerExternalID: holder,
		Number: "NO-" + id, ProductCode: "CI-2024-A", ProductName: "安康重大疾病保险", Line: "critical_illness",
		PremiumCents: 100, PaymentFrequency: "annual", StartDate: time.Date(2024, 3, 20, 0, 0, 0, 0, time.UTC), Status: "active"}}
}

// TestBatchChunks: a batch commits one transaction per chunk; a rejected
// row rolls back only its chunk, whose other rows are then applied one by
// one; rows that could not be read never cost their chunk; a policy finds
// the customer created before it in the same chunk.
func TestBatchChunks(t *testing.T) {
	unreadable := BatchItem{Kind: KindCustomer, ExternalID: "BAD", Err: apperr.Invalid("the item is not JSON")}
	tests := []struct {
		name    string
		items   []BatchItem
		want    []string // statuses
		commits int
	}{
		{
			name:    "10 rows in chunks of 4",
			items:   []BatchItem{custItem("A0"), custItem("A1"), custItem("A2"), custItem("A3"), custItem("A4"), custItem("A5"), custItem("A6"), custItem("A7"), custItem("A8"), custItem("A9")},
			want:    []string{"created", "created", "created", "created", "created", "created", "created", "created", "created", "created"},
			commits: 3,
		},
		{
			name: "a rejected row in the second chunk",
			items: []BatchItem{custItem("B0"), custItem("B1"), custItem("B2"), custItem("B3"),
				custItem("B4"), policyItem("PB5", "NOBODY"), custItem("B6"), custItem("B7"),
				custItem("B8"), custItem("B9")},
			want:    []string{"created", "created", "created", "created", "created", "rejected", "created", "created", "created", "created"},
			commits: 1 + 3 + 1,
		},
		{
			name:    "a policy after its customer, and an unreadable row, in one chunk",
			items:   []BatchItem{custItem("C0"), policyItem("PC1", "C0"), unreadable, policyItem("PC3", "C0")},
			want:    []string{"created", "created", "rejected", "created"},
			commits: 1,
		},
		{
			name:    "a replay of loaded rows writes nothing",
			items:   []BatchItem{custItem("C0"), policyItem("PC1", "C0"), custItem("A0"), custItem("A1"), custItem("A2")},
			want:    []string{"unchanged", "unchanged", "unchanged", "unchanged", "unchanged"},
			commits: 0,
		},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC))
		s := newTestService(t, db, clk, 4)
		commits := 0
		defer db.Subscribe(func([]store.Change) { commits++ })()
		for _, tt := range tests {
			commits = 0
			res, err := s.Batch(integratorCtx(), "", tt.items)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var got []string
			for i, r := range res.Rows {
				if r.Index != i {
					t.Errorf("%s: row %d has index %d", tt.name, i, r.Index)
				}
				got = append(got, r.Status)
				if (r.Status == Rejected) != (r.ID == nil) {
					t.Errorf("%s: row %d: status %s, id %v", tt.name, i, r.Status, r.ID)
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("%s: statuses (-want +got):\n%s", tt.name, d)
			}
			if commits != tt.commits {
				t.Errorf("%s: %d commits, want %d", tt.name, commits, tt.commits)
			}
		}
		// Every good row is in the database: 10 + 9 + 1 customers, 2 policies.
		sys := auth.SystemContext(context.Background())
		if n := db.Client.Customer.Query().CountX(sys); n != 20 {
			t.Errorf("%d customers, want 20", n)
		}
		if n := db.Client.InsurancePolicy.Query().CountX(sys); n != 2 {
			t.Errorf("%d policies, want 2", n)
		}
	})
}

// TestBatchDefaultChunk: without a chunk size set, 1,001 rows take three
// transactions of at most BatchChunk rows.
func TestBatchDefaultChunk(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 1,001 rows")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC))
		s := newTestService(t, db, clk, 0)
		var sizes []int
		defer db.Subscribe(func(c []store.Change) { sizes = append(sizes, len(c)) })()
		items := make([]BatchItem, 1001)
		for i := range items {
			items[i] = custItem(fmt.Sprintf("D%04d", i))
		}
		if _, err := s.Batch(integratorCtx(), "", items); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]int{BatchChunk, BatchChunk, 1}, sizes); d != "" {
			t.Errorf("changes per commit (-want +got):\n%s", d)
		}
	})
}
