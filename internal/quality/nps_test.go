package quality_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func TestRecordNPS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := local(2026, 3, 10, 12, 0)
		f := newFixture(t, db, now)
		var colleague uuid.UUID
		err := db.WithTx(f.ctx, func(ctx context.Context, tx *ent.Tx) error {
			colleague = tx.Agent.Create().SetUsername("agent2").SetPasswordHash("x").SaveX(ctx).ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		visit := mustRecord(t, f, quality.InteractionInput{CustomerID: f.customer, AgentID: &colleague, Channel: "visit",
			Type: "care", Content: "生日关怀", ReceivedAt: ptr(now.Add(-time.Hour))})
		other := mustRecord(t, f, quality.InteractionInput{CustomerID: f.customer2, Channel: "visit",
			Type: "care", Content: "生日关怀", ReceivedAt: ptr(now.Add(-time.Hour))})

		got, err := f.svc.RecordNPS(f.ctx, quality.NPSInput{CustomerID: f.customer, Score: 9, Comment: "很专业", InteractionID: &visit.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.Score != 9 || *got.AgentID != colleague || !got.AnsweredAt.Equal(now) || *got.InteractionID != visit.ID {
			t.Errorf("answer during a colleague's visit: %+v", got)
		}
		got, err = f.svc.RecordNPS(f.ctx, quality.NPSInput{CustomerID: f.customer, Score: 0})
		if err != nil || *got.AgentID != f.agent {
			t.Errorf("answer without interaction: %v, agent %v", err, got.AgentID)
		}
		tests := []struct {
			name string
			in   quality.NPSInput
			want problem
		}{
			{"score too high", quality.NPSInput{CustomerID: f.customer, Score: 11}, problem{"invalid", []string{"/score"}}},
			{"negative, long, future", quality.NPSInput{CustomerID: f.customer, Score: -1, Comment: strings.Repeat("好", 2001),
				AnsweredAt: ptr(now.Add(time.Hour))}, problem{"invalid", []string{"/score", "/comment", "/answered_at"}}},
			{"another customer's interaction", quality.NPSInput{CustomerID: f.customer, Score: 5, InteractionID: &other.ID},
				problem{"invalid", []string{"/interaction_id"}}},
			{"unknown interaction", quality.NPSInput{CustomerID: f.customer, Score: 5, InteractionID: ptr(uuid.New())},
				problem{"invalid", []string{"/interaction_id"}}},
			{"unknown customer", quality.NPSInput{CustomerID: uuid.New(), Score: 5}, problem{Kind: "not_found"}},
		}
		for _, tt := range tests {
			_, err := f.svc.RecordNPS(f.ctx, tt.in)
			if diff := cmp.Diff(tt.want, problemOf(err)); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}
