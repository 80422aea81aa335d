package quality_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// claimState is a claim's status with its decision, the key of the
// transition table.
type claimState struct {
	status   claim.Status
	decision claim.Decision
}

func (s claimState) String() string {
	if s.status == claim.StatusDecided {
		return string(s.status) + " (" + string(s.decision) + ")"
	}
	return string(s.status)
}

// TestClaimStateMachine tries every transition from every state (decided
// split by decision) and compares the outcome with the workflow's table.
func TestClaimStateMachine(t *testing.T) {
	var (
		filed     = claimState{status: claim.StatusFiled}
		accepted  = claimState{status: claim.StatusAccepted}
		documents = claimState{status: claim.StatusDocumentsComplete}
		approved  = claimState{claim.StatusDecided, claim.DecisionApproved}
		declined  = claimState{claim.StatusDecided, claim.DecisionDeclined}
		paid      = claimState{claim.StatusPaid, claim.DecisionApproved}
		closed    = claimState{claim.StatusClosed, claim.DecisionApproved}
	)
	legal := map[claimState]map[quality.ClaimTransition]claim.Status{
		filed:     {"accept": claim.StatusAccepted},
		accepted:  {"documents_complete": claim.StatusDocumentsComplete},
		documents: {"decide": claim.StatusDecided},
		approved:  {"pay": claim.StatusPaid},
		declined:  {"close": claim.StatusClosed},
		paid:      {"close": claim.StatusClosed},
		closed:    {},
	}
	transitions := []quality.ClaimTransition{"accept", "documents_complete", "decide", "pay", "close"}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, local(2026, 3, 10, 12, 0))
		for _, from := range []claimState{filed, accepted, documents, approved, declined, paid, closed} {
			var allowed []quality.ClaimTransition
			for _, tr := range transitions {
				c := claimIn(t, f, from)
				fields := quality.ClaimFields{}
				switch tr {
				case "decide":
					fields.Decision = ptr(claim.DecisionApproved)
				case "pay":
					fields.AmountPaidCents = ptr(int64(880000))
				}
				got, err := f.svc.TransitionClaim(f.ctx, c.ID, c.Version, tr, fields)
				want, ok := legal[from][tr]
				if ok {
					allowed = append(allowed, tr)
					if err != nil || got.Status != want || got.Version != c.Version+1 {
						t.Errorf("%s from %s: err %v, claim %v, want %s", tr, from, err, got, want)
					}
					continue
				}
				e, isApp := apperr.As(err)
				if !isApp || e.Kind != apperr.KindConflict || !strings.Contains(e.Detail, "cannot "+string(tr)+" a claim that is "+from.String()+":") {
					t.Errorf("%s from %s: got %v, want a conflict naming both", tr, from, err)
				}
			}
			var dec *claim.Decision
			if from.decision != "" {
				dec = &from.decision
			}
			if diff := cmp.Diff(allowed, quality.ClaimTransitionsFrom(from.status, dec)); diff != "" {
				t.Errorf("ClaimTransitionsFrom(%s) mismatch (-want +got):\n%s", from, diff)
			}
		}
	})
}

func claimIn(t *testing.T, f *fixture, st claimState) *ent.Claim {
	t.Helper()
	filed := local(2026, 3, 9, 9, 0)
	var c *ent.Claim
	err := f.db.WithTx(f.ctx, func(ctx context.Context, tx *ent.Tx) error {
		create := tx.Claim.Create().SetCustomerID(f.customer).SetPolicyID(f.policy).SetStatus(st.status).
			SetFiledAt(filed).SetAcceptDueAt(filed.Add(72 * time.Hour)).SetCloseDueAt(filed.Add(168 * time.Hour))
		if st.decision != "" {
			create.SetDecision(st.decision)
		}
		c = create.SaveX(ctx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClaimAcceptFirstDocumentsLater walks a claim through the whole
// workflow: accepted the day it is filed, documents completed later.
func TestClaimAcceptFirstDocumentsLater(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := local(2026, 3, 20, 12, 0)
		f := newFixture(t, db, now)
		filed := local(2026, 3, 6, 10, 0) // a Friday: calendar days count
		c, err := f.svc.OpenClaim(f.ctx, quality.ClaimInput{CustomerID: f.customer, PolicyID: f.policy,
			Description: "住院医疗费用报销", AmountClaimedCents: 1560000, FiledAt: &filed})
		if err != nil {
			t.Fatal(err)
		}
		if !c.AcceptDueAt.Equal(local(2026, 3, 9, 10, 0)) || !c.CloseDueAt.Equal(local(2026, 3, 13, 10, 0)) || *c.AgentID != f.agent {
			t.Errorf("due times %s, %s; agent %v", c.AcceptDueAt, c.CloseDueAt, c.AgentID)
		}
		if s := quality.ClaimSLA(c, local(2026, 3, 8, 9, 0)); s != quality.SLAOnTrack {
			t.Errorf("Sunday morning: %s", s)
		}
		if s := quality.ClaimSLA(c, local(2026, 3, 8, 23, 0)); s != quality.SLAAtRisk {
			t.Errorf("Sunday night, 11 hours before the acceptance is due: %s", s)
		}
		steps := []struct {
			tr     quality.ClaimTransition
			fields quality.ClaimFields
			at     time.Time
			status claim.Status
		}{
			{"accept", quality.ClaimFields{}, local(2026, 3, 6, 16, 0), claim.StatusAccepted},
			{"documents_complete", quality.ClaimFields{}, local(2026, 3, 10, 11, 0), claim.StatusDocumentsComplete},
			{"decide", quality.ClaimFields{Decision: ptr(claim.DecisionApproved)}, local(2026, 3, 11, 15, 0), claim.StatusDecided},
			{"pay", quality.ClaimFields{AmountPaidCents: ptr(int64(1200000))}, local(2026, 3, 12, 9, 0), claim.StatusPaid},
			{"close", quality.ClaimFields{}, local(2026, 3, 16, 9, 0), claim.StatusClosed},
		}
		for _, s := range steps {
			s.fields.At = &s.at
			c, err = f.svc.TransitionClaim(f.ctx, c.ID, c.Version, s.tr, s.fields)
			if err != nil || c.Status != s.status {
				t.Fatalf("%s: %v", s.tr, err)
			}
		}
		got := []*time.Time{c.AcceptedAt, c.DocumentsCompleteAt, c.DecidedAt, c.PaidAt, c.ClosedAt}
		for i, s := range steps {
			if got[i] == nil || !got[i].Equal(s.at) {
				t.Errorf("%s stamped %v, want %s", s.tr, got[i], s.at)
			}
		}
		if c.AmountPaidCents != 1200000 || *c.Decision != claim.DecisionApproved || c.Version != 6 {
			t.Errorf("paid claim: %+v", c)
		}
		// Paid on 12 March, before the 13 March due time: settled on time,
		// though closed after it.
		if s := quality.ClaimSLA(c, now); s != quality.SLAOnTrack {
			t.Errorf("settled claim: %s", s)
		}
		if !quality.ClaimSettledAt(c).Equal(local(2026, 3, 12, 9, 0)) {
			t.Errorf("settled at %v", quality.ClaimSettledAt(c))
		}
	})
}

func TestClaimValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := local(2026, 3, 10, 12, 0)
		f := newFixture(t, db, now)
		_, err := f.svc.OpenClaim(f.ctx, quality.ClaimInput{CustomerID: f.customer, Description: " ",
			AmountClaimedCents: -1, FiledAt: ptr(now.Add(time.Hour))})
		if diff := cmp.Diff(problem{"invalid", []string{"/description", "/amount_claimed_cents", "/filed_at", "/policy_id"}}, problemOf(err)); diff != "" {
			t.Errorf("open: mismatch (-want +got):\n%s", diff)
		}
		_, err = f.svc.OpenClaim(f.ctx, quality.ClaimInput{CustomerID: f.customer2, PolicyID: f.policy, Description: "x"})
		if diff := cmp.Diff(problem{"invalid", []string{"/policy_id"}}, problemOf(err)); diff != "" {
			t.Errorf("another customer's policy: mismatch (-want +got):\n%s", diff)
		}
		c := claimIn(t, f, claimState{status: claim.StatusDocumentsComplete})
		tests := []struct {
			name   string
			tr     quality.ClaimTransition
			fields quality.ClaimFields
			base   int64
			want   problem
		}{
			{"decide without decision", "decide", quality.ClaimFields{}, 0, problem{"invalid", []string{"/decision"}}},
			{"unknown decision", "decide", quality.ClaimFields{Decision: ptr(claim.Decision("maybe"))}, 0, problem{"invalid", []string{"/decision"}}},
			{"amount with decide", "decide", quality.ClaimFields{Decision: ptr(claim.DecisionDeclined), AmountPaidCents: ptr(int64(1))}, 0,
				problem{"invalid", []string{"/amount_paid_cents"}}},
			{"pay without amount", "pay", quality.ClaimFields{}, 0, problem{"invalid", []string{"/amount_paid_cents"}}},
			{"decision with accept", "accept", quality.ClaimFields{Decision: ptr(claim.DecisionApproved)}, 0, problem{"invalid", []string{"/decision"}}},
			{"unknown transition", "reject", quality.ClaimFields{}, 0, problem{"invalid", []string{"/transition"}}},
			{"before filing", "decide", quality.ClaimFields{Decision: ptr(claim.DecisionDeclined), At: ptr(local(2026, 3, 1, 0, 0))}, 0,
				problem{"invalid", []string{"/at"}}},
			{"stale version", "decide", quality.ClaimFields{Decision: ptr(claim.DecisionDeclined)}, c.Version + 1, problem{Kind: "precondition_failed"}},
		}
		for _, tt := range tests {
			_, err := f.svc.TransitionClaim(f.ctx, c.ID, tt.base, tt.tr, tt.fields)
			if diff := cmp.Diff(tt.want, problemOf(err)); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
		if _, err := f.svc.TransitionClaim(f.ctx, uuid.New(), 0, "accept", quality.ClaimFields{}); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("unknown claim: %v", err)
		}
	})
}
