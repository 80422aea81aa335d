// Package pii protects personal identifiers at rest: AES-256-GCM
// encryption with the key id stored beside the ciphertext (so keys can
// rotate), keyed hashes (HMAC-SHA-256) for exact-match search, and masking
// for display.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// KeySize is the size of a data key: AES-256.
const KeySize = 32

// ErrUnknownKey means a ciphertext names a key the Protector does not hold.
var ErrUnknownKey = errors.New("pii: ciphertext encrypted with an unknown key")

// Protector encrypts with its current key and decrypts with any key it
// holds. It is safe for concurrent use.
type Protector struct {
	current string
	aeads   map[string]cipher.AEAD
	macKey  []byte
}

// ParseKey decodes a base64 (standard or URL, padded or not) 32-byte key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("pii: key is %d bytes, want %d", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("pii: key is not base64")
}

// NewKey returns a fresh random key, base64-encoded.
func NewKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// New returns a Protector whose current key is keys[currentID]. The
// search-hash key is derived with HKDF from keys[hashKeyID], which must stay
// the same across key rotations, or stored hashes stop matching.
func New(currentID string, keys map[string][]byte, hashKeyID string) (*Protector, error) {
	p := &Protector{current: currentID, aeads: map[string]cipher.AEAD{}}
	for id, k := range keys {
		if strings.Contains(id, ":") || id == "" {
			return nil, fmt.Errorf("pii: bad key id %q", id)
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("pii: key %s is %d bytes, want %d", id, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		p.aeads[id] = aead
	}
	if _, ok := p.aeads[currentID]; !ok {
		return nil, fmt.Errorf("pii: current key %q not among the keys", currentID)
	}
	hk, ok := keys[hashKeyID]
	if !ok {
		return nil, fmt.Errorf("pii: hash key %q not among the keys", hashKeyID)
	}
	mac, err := hkdf.Key(sha256.New, hk, nil, "agentdesk pii search hash", 32)
	if err != nil {
		return nil, err
	}
	p.macKey = mac
	return p, nil
}

// NewSingle returns a Protector with one key, id "k1".
func NewSingle(key []byte) (*Protector, error) {
	return New("k1", map[string][]byte{"k1": key}, "k1")
}

// Encrypt seals plaintext as "<key id>:<base64(nonce|ciphertext)>". The
// field name is bound as associated data, so a ciphertext cannot be moved
// to another field. An empty plaintext stays empty.
func (p *Protector) Encrypt(field, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	aead := p.aeads[p.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(plaintext), []byte(field))
	return p.current + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Decrypt opens a value made by Encrypt.
func (p *Protector) Decrypt(field, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	id, b64, ok := strings.Cut(value, ":")
	if !ok {
		return "", errors.New("pii: malformed ciphertext")
	}
	aead, ok := p.aeads[id]
	if !ok {
		return "", ErrUnknownKey
	}
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("pii: malformed ciphertext")
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(field))
	if err != nil {
		return "", fmt.Errorf("pii: open %s: %w", field, err)
	}
	return string(pt), nil
}

// Hash is the keyed search hash of a normalized identifier ("" for "").
func (p *Protector) Hash(field, value string) string {
	if value == "" {
		return ""
	}
	m := hmac.New(sha256.New, p.macKey)
	m.Write([]byte(field))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// NormalizePhone keeps the digits of a phone number (and a leading +), so
// "138 0013 8000" and "13800138000" hash alike.
func NormalizePhone(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// MaskPhone shows the first 3 and last 4 digits: 138****8000.
func MaskPhone(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 7 {
		return strings.Repeat("*", n)
	}
	r := []rune(s)
	return string(r[:3]) + strings.Repeat("*", n-7) + string(r[n-4:])
}

// MaskIDNumber shows only the last 4 characters.
func MaskIDNumber(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
}

// ParseKeyring reads AGENTDESK_ENCRYPTION_KEY: either one base64 key (id
// "k1") or a comma-separated list of "<id>:<base64>" entries, the first
// being the current key and the others older keys kept to decrypt what
// they sealed. The search-hash key must never change, so it is the key
// "k1" when present, else the last (oldest) entry.
func ParseKeyring(s string) (*Protector, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, ":") {
		k, err := ParseKey(s)
		if err != nil {
			return nil, err
		}
		return NewSingle(k)
	}
	keys := map[string][]byte{}
	var order []string
	for _, part := range strings.Split(s, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" {
			return nil, errors.New("pii: key list entries are <id>:<base64>")
		}
		k, err := ParseKey(b64)
		if err != nil {
			return nil, fmt.Errorf("pii: key %s: %w", id, err)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("pii: key id %s twice", id)
		}
		keys[id] = k
		order = append(order, id)
	}
	hashID := order[len(order)-1]
	if _, ok := keys["k1"]; ok {
		hashID = "k1"
	}
	return New(order[0], keys, hashID)
}
