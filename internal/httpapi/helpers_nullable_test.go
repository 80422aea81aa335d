package httpapi_test

import (
	"time"

	"github.com/google/uuid"
)

// idOf reads a nullable id (the zero UUID for null).
func idOf(p *uuid.UUID) uuid.UUID {
	if p == nil {
		return uuid.Nil
	}
	return *p
}

// timeOf reads a nullable time (the zero time for null).
func timeOf(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return *p
}
