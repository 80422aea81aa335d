package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the header that carries a delivery's signature.
const SignatureHeader = "AgentDesk-Signature"

// Errors of Verify. A receiver answers any of them with 400 (or ignores
// the call) and never processes the body.
var (
	ErrMalformedSignature = errors.New("webhook: malformed AgentDesk-Signature header")
	ErrStaleSignature     = errors.New("webhook: signature timestamp outside the tolerance")
	ErrBadSignature       = errors.New("webhook: no signature matches")
)

// maxHeader bounds the header Verify parses: a real one is ~80 bytes.
const maxHeader = 4096

// Sign returns the AgentDesk-Signature header of body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Signature is a parsed AgentDesk-Signature header.
type Signature struct {
	Timestamp int64
	// V1 are the v1 signatures (several while a secret rotates).
	V1 [][]byte
}

// ParseSignature parses an AgentDesk-Signature header: comma-separated
// key=value pairs with exactly one t (unix seconds) and at least one v1
// (64 hex digits); pairs with other keys are ignored, so that later
// schemes can be added beside v1.
func ParseSignature(header string) (Signature, error) {
	var s Signature
	if len(header) > maxHeader {
		return s, ErrMalformedSignature
	}
	seenT := false
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return s, ErrMalformedSignature
		}
		switch k {
		case "t":
			if seenT || v == "" || len(v) > 12 {
				return s, ErrMalformedSignature
			}
			for _, c := range v {
				if c < '0' || c > '9' {
					return s, ErrMalformedSignature
				}
			}
			ts, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return s, ErrMalformedSignature
			}
			s.Timestamp, seenT = ts, true
		case "v1":
			if len(v) != 2*sha256.Size {
				return s, ErrMalformedSignature
			}
			b, err := hex.DecodeString(v)
			if err != nil {
				return s, ErrMalformedSignature
			}
			s.V1 = append(s.V1, b)
		}
	}
	if !seenT || len(s.V1) == 0 {
		return s, ErrMalformedSignature
	}
	return s, nil
}

// Verify checks a delivery as a receiver must: the header parses, its
// timestamp is within tolerance of now (either way, which stops replays
// of old calls), and one of its v1 signatures is the HMAC of the raw body
// under secret (compared in constant time).
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	s, err := ParseSignature(header)
	if err != nil {
		return err
	}
	d := now.Sub(time.Unix(s.Timestamp, 0))
	if d < 0 {
		d = -d
	}
	if d > tolerance {
		return ErrStaleSignature
	}
	want := mac(secret, strconv.FormatInt(s.Timestamp, 10), body)
	for _, got := range s.V1 {
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}
