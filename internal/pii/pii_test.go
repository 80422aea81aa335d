package pii

import (
	"strings"
	"testing"
)

func testProtector(t *testing.T) *Protector {
	t.Helper()
	k, err := ParseKey(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewSingle(k)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEncryptRoundTripAndBinding(t *testing.T) {
	p := testProtector(t)
	ct, err := p.Encrypt("phone", "13800138000")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ct, "k1:") || strings.Contains(ct, "13800138000") {
		t.Fatalf("ciphertext %q lacks key id or leaks plaintext", ct)
	}
	if got, err := p.Decrypt("phone", ct); err != nil || got != "13800138000" {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
	if _, err := p.Decrypt("id_number", ct); err == nil {
		t.Fatal("ciphertext opened under another field name")
	}
	ct2, _ := p.Encrypt("phone", "13800138000")
	if ct == ct2 {
		t.Fatal("two encryptions of the same value are equal: nonce reuse")
	}
	if got, _ := p.Encrypt("phone", ""); got != "" {
		t.Fatalf("empty plaintext encrypted to %q", got)
	}
}

func TestKeyRotation(t *testing.T) {
	k1, _ := ParseKey(NewKey())
	k2, _ := ParseKey(NewKey())
	old, _ := New("k1", map[string][]byte{"k1": k1}, "k1")
	ct, _ := old.Encrypt("phone", "13900000000")
	rotated, err := New("k2", map[string][]byte{"k1": k1, "k2": k2}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Decrypt("phone", ct); err != nil || got != "13900000000" {
		t.Fatalf("old ciphertext after rotation: %q, %v", got, err)
	}
	if ct2, _ := rotated.Encrypt("phone", "x"); !strings.HasPrefix(ct2, "k2:") {
		t.Fatalf("new ciphertext %q not under the current key", ct2)
	}
	if old.Hash("phone", "1") != rotated.Hash("phone", "1") {
		t.Fatal("search hash changed with rotation")
	}
	unknown, _ := New("k2", map[string][]byte{"k2": k2}, "k2")
	if _, err := unknown.Decrypt("phone", ct); err != ErrUnknownKey {
		t.Fatalf("Decrypt with missing key: %v, want ErrUnknownKey", err)
	}
}

func TestMasksAndNormalize(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"phone", MaskPhone("13800138000"), "138****8000"},
		{"short phone", MaskPhone("12345"), "*****"},
		{"id", MaskIDNumber("11010519491231002X"), "**************002X"},
		{"normalize", NormalizePhone(" +86 138-0013 8000 "), "+8613800138000"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseKey(t *testing.T) {
	if _, err := ParseKey("c2hvcnQ="); err == nil {
		t.Fatal("short key accepted")
	}
	if _, err := ParseKey("not base64!!"); err == nil {
		t.Fatal("garbage accepted")
	}
}

func FuzzDecrypt(f *testing.F) {
	k, _ := ParseKey(NewKey())
	p, _ := NewSingle(k)
	good, _ := p.Encrypt("phone", "13800138000")
	f.Add(good)
	f.Add("k1:")
	f.Add("k9:AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = p.Decrypt("phone", s) // must not panic
	})
}

func TestParseKeyring(t *testing.T) {
	k1, k2 := NewKey(), NewKey()
	single, err := ParseKeyring(k1)
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := single.Encrypt("phone", "13800138000")
	ring, err := ParseKeyring("k2:" + k2 + ",k1:" + k1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ring.Decrypt("phone", ct); err != nil || got != "13800138000" {
		t.Fatalf("old ciphertext with the ring: %q %v", got, err)
	}
	if ct2, _ := ring.Encrypt("phone", "x"); !strings.HasPrefix(ct2, "k2:") {
		t.Fatalf("ring encrypts with %q, want k2", ct2)
	}
	if single.Hash("phone", "1") != ring.Hash("phone", "1") {
		t.Fatal("search hash changed after adding a key")
	}
	for _, bad := range []string{"k1:", "k1:" + k1 + ",k1:" + k1, ":" + k1, "k1:short"} {
		if _, err := ParseKeyring(bad); err == nil {
			t.Errorf("ParseKeyring(%q) accepted", bad)
		}
	}
}
