package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// GenerateSigningKeyPEM returns a new Ed25519 private key as PKCS #8 PEM.
func GenerateSigningKeyPEM() ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// LoadSigningKey reads an access-token signing key given either as PEM text
// or as the path of a PEM file: an Ed25519 (EdDSA) or P-256 (ES256) private
// key in PKCS #8 (or SEC 1 for EC).
func LoadSigningKey(value string) (crypto.Signer, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, errors.New("auth: no signing key")
	}
	data := []byte(value)
	if !strings.HasPrefix(value, "-----BEGIN") {
		b, err := os.ReadFile(value)
		if err != nil {
			return nil, fmt.Errorf("auth: read signing key file: %w", err)
		}
		data = b
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("auth: signing key is not PEM")
	}
	if block.Type == "EC PRIVATE KEY" {
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("auth: parse EC key: %w", err)
		}
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("auth: parse signing key: %w", err)
	}
	switch key := k.(type) {
	case ed25519.PrivateKey:
		return key, nil
	case *ecdsa.PrivateKey:
		if key.Curve.Params().Name != "P-256" {
			return nil, errors.New("auth: EC signing key must be P-256 (ES256)")
		}
		return key, nil
	}
	return nil, fmt.Errorf("auth: unsupported signing key type %T (want Ed25519 or P-256)", k)
}
