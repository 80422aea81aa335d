package auth

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadSigningKey(t *testing.T) {
	pemBytes, err := GenerateSigningKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	k, err := LoadSigningKey(string(pemBytes))
	if err != nil {
		t.Fatalf("from PEM text: %v", err)
	}
	if _, ok := k.(ed25519.PrivateKey); !ok {
		t.Fatalf("key type %T, want ed25519", k)
	}
	path := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigningKey(path); err != nil {
		t.Fatalf("from file: %v", err)
	}
	for _, bad := range []string{"", "/no/such/file", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := LoadSigningKey(bad); err == nil {
			t.Errorf("LoadSigningKey(%q) accepted", bad)
		}
	}
}
