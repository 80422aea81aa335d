// Package clients holds the tests that drive real client libraries
// (WatermelonDB, RxDB, the typed TypeScript client) against a real
// AgentDesk server. They are Node tests (test/*.test.mjs); this Go test
// runs them so that the README's one test command runs everything.
package clients

import (
	"os"
	"os/exec"
	"testing"
)

func TestNodeClients(t *testing.T) {
	if testing.Short() {
		t.Skip("the client-library tests start servers: not in -short")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("npm is required in CI for the client-library tests")
		}
		t.Skip("npm not found: the client-library tests need Node 20 or later")
	}
	if _, err := os.Stat("node_modules/.package-lock.json"); err != nil {
		run(t, npm, "ci", "--no-audit", "--no-fund")
	}
	run(t, npm, "test")
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	t.Logf("%s %v:\n%s", name, args, tail(out, 4000))
}

// tail keeps the end of a long output (the summary of node --test).
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
