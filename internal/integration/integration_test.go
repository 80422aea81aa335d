package integration

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/internal/apperr"
)

func TestSeqCursor(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		invalid bool
	}{
		{in: "", want: 0},
		{in: encodeSeq(42), want: 42},
		{in: "42", invalid: true},
		{in: "seq:-1", invalid: true},
		{in: "seq:x", invalid: true},
	}
	for _, tt := range tests {
		got, err := decodeSeq(tt.in)
		if tt.invalid != (apperr.KindOf(err) == apperr.KindInvalid) || got != tt.want {
			t.Errorf("decodeSeq(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestItemFields(t *testing.T) {
	in := []apperr.FieldError{{Field: "/name"}, {Field: "/data/phone"}, {Field: "external_id"}, {Field: "/kind"}}
	want := []apperr.FieldError{{Field: "/data/name"}, {Field: "/data/phone"}, {Field: "external_id"}, {Field: "/kind"}}
	if d := cmp.Diff(want, itemFields(in)); d != "" {
		t.Errorf("itemFields (-want +got):\n%s", d)
	}
}

func TestRequestHash(t *testing.T) {
	name := func(n string) []BatchItem {
		return []BatchItem{{Kind: KindCustomer, ExternalID: "C1", Customer: &CustomerInput{Name: n}}}
	}
	a, _ := requestHash(name("王芳"))
	b, _ := requestHash(name("王芳"))
	c, _ := requestHash(name("李雷"))
	d, _ := requestHash([]BatchItem{{Kind: KindCustomer, ExternalID: "C1", Err: errors.New("bad")}})
	if a != b || a == c || a == d {
		t.Errorf("hashes: %s %s %s %s", a, b, c, d)
	}
}
