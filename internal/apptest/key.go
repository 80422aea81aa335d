package apptest

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
)

func marshalKey(k ed25519.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}
