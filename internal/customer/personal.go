package customer

import (
	"context"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/pii"
)

// Personal is a customer's personal data as a caller may see it.
type Personal struct {
	Phone       *string
	IDNumber    *string
	HealthNotes *string
}

// View says how much a response shows.
type View int

// Views: a list shows masked identifiers only; a detail reveals what the
// caller needs (and audits it).
const (
	ListView View = iota
	DetailView
)

// Reveal decrypts a customer's personal data and masks it for the caller:
// in lists everyone gets masked phone and ID numbers; in a detail view the
// agents of the book and admins see the phone and health notes (they call
// and serve the customer), only admins the full ID number; integrators
// get masked identifiers. Every unmasked value revealed is audited with
// reason (the endpoint).
func (s *Service) Reveal(ctx context.Context, c *ent.Customer, view View, reason string) (Personal, error) {
	var p Personal
	if c.ErasedAt != nil {
		return p, nil
	}
	v, _ := auth.ViewerFrom(ctx)
	phone, err := s.pii.Decrypt(FieldPhone, c.PhoneEnc)
	if err != nil {
		return p, err
	}
	idn, err := s.pii.Decrypt(FieldIDNumber, c.IDNumberEnc)
	if err != nil {
		return p, err
	}
	var revealed []string
	agentOrAdmin := v != nil && v.Kind == auth.KindAgent
	if phone != "" {
		m := pii.MaskPhone(phone)
		if view == DetailView && agentOrAdmin {
			m = phone
			revealed = append(revealed, FieldPhone)
		}
		p.Phone = &m
	}
	if idn != "" {
		m := pii.MaskIDNumber(idn)
		if view == DetailView && v.IsAdmin() {
			m = idn
			revealed = append(revealed, FieldIDNumber)
		}
		p.IDNumber = &m
	}
	if view == DetailView && agentOrAdmin && c.HealthNotesEnc != "" {
		h, err := s.pii.Decrypt(FieldHealthNotes, c.HealthNotesEnc)
		if err != nil {
			return p, err
		}
		p.HealthNotes = &h
		revealed = append(revealed, FieldHealthNotes)
	}
	if len(revealed) > 0 {
		if err := s.audit.Record(ctx, audit.Entry{Action: "pii.read", SubjectType: "customer", SubjectID: c.ID.String(),
			Fields: revealed, Reason: reason}); err != nil {
			return Personal{}, err
		}
	}
	return p, nil
}
