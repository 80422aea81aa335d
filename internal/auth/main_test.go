package auth

import (
	"os"
	"testing"
)

// TestMain makes password hashing cheap: these tests hash many times, and
// the production cost (64 MiB, 3 passes) proves nothing more here.
func TestMain(m *testing.M) {
	Argon2Params = argonParams{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	os.Exit(m.Run())
}
