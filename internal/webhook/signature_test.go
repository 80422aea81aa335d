package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 40, 0, 0, time.UTC)
	body := []byte(`{"id":"01958f47-b2ee-730d-95fe-d0e1f2031499","type":"complaint.created"}`)
	h := Sign("s3cret", at, body)
	if !strings.HasPrefix(h, "t=1772444400,v1=") || len(h) != len("t=1772444400,v1=")+64 {
		t.Fatalf("header %q", h)
	}
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", "s3cret", h, body, at, nil},
		{"valid within tolerance", "s3cret", h, body, at.Add(4 * time.Minute), nil},
		{"valid, clocks a little apart", "s3cret", h, body, at.Add(-time.Minute), nil},
		{"replayed later", "s3cret", h, body, at.Add(6 * time.Minute), ErrStaleSignature},
		{"from the future", "s3cret", h, body, at.Add(-6 * time.Minute), ErrStaleSignature},
		{"other secret", "other", h, body, at, ErrBadSignature},
		{"body changed", "s3cret", h, append([]byte{' '}, body...), at, ErrBadSignature},
		{"timestamp changed", "s3cret", strings.Replace(h, "t=1772444400", "t=1772444401", 1), body, at, ErrBadSignature},
		{"second v1 matches", "s3cret", "t=1772444400,v1=" + strings.Repeat("0", 64) + "," + h[len("t=1772444400,"):], body, at, nil},
		{"unknown scheme ignored", "s3cret", h + ",v0=abc", body, at, nil},
		{"empty", "s3cret", "", body, at, ErrMalformedSignature},
		{"no v1", "s3cret", "t=1772444400", body, at, ErrMalformedSignature},
		{"no t", "s3cret", h[len("t=1772444400,"):], body, at, ErrMalformedSignature},
		{"two t", "s3cret", "t=1," + h, body, at, ErrMalformedSignature},
		{"short v1", "s3cret", "t=1772444400,v1=abcd", body, at, ErrMalformedSignature},
		{"bad hex", "s3cret", "t=1772444400,v1=" + strings.Repeat("z", 64), body, at, ErrMalformedSignature},
		{"signed t", "s3cret", "t=-1772444400,v1=" + strings.Repeat("0", 64), body, at, ErrMalformedSignature},
		{"huge t", "s3cret", "t=99999999999999999999,v1=" + strings.Repeat("0", 64), body, at, ErrMalformedSignature},
		{"no equals", "s3cret", "t1772444400", body, at, ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzParseSignature feeds the header parser arbitrary input: it never
// panics, accepts only headers with one t and a 32-byte v1, and whatever
// Sign makes verifies.
func FuzzParseSignature(f *testing.F) {
	f.Add("t=1772444400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd", []byte("{}"))
	f.Add("t=1,v1=,v1=", []byte(""))
	f.Add(",,,=,t=,v1", []byte("x"))
	f.Add("t=00000000001 , v1="+strings.Repeat("a", 64), []byte("body"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		s, err := ParseSignature(header)
		if err == nil {
			if len(s.V1) == 0 {
				t.Fatalf("accepted %q without a v1", header)
			}
			for _, v := range s.V1 {
				if len(v) != 32 {
					t.Fatalf("accepted a %d-byte v1 in %q", len(v), header)
				}
			}
		}
		_ = Verify("k", header, body, time.Unix(s.Timestamp, 0), time.Minute)
		at := time.Unix(int64(len(header))*1000, 0)
		if err := Verify(header, Sign(header, at, body), body, at, 0); err != nil {
			t.Fatalf("Sign/Verify round trip with secret %q: %v", header, err)
		}
	})
}
