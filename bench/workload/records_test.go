package workload

import (
	"testing"

	"github.com/google/uuid"
)

func TestLineOfAgents(t *testing.T) {
	want := lineOfAgents(map[string]uuid.UUID{"ewlxr1qdj6cu18g": UUID("ewlxr1qdj6cu18g")})
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{`{"id": "a", "customer": "c", "agent": "ewlxr1qdj6cu18g", "content": "咨询"}`, true},
		{`{"id": "a", "customer": "c", "agent": "knwn5ir3u63ehc5", "content": "咨询"}`, false},
		// The pattern inside a string is escaped: the key decides.
		{`{"id": "a", "content": "\"agent\": \"ewlxr1qdj6cu18g\"", "agent": "knwn5ir3u63ehc5"}`, false},
		// Not written as datagen writes it: decoded, the record decides.
		{`{"id":"a","agent":"knwn5ir3u63ehc5"}`, true},
		{`{"id": "a", "agent": "ewlx`, true},
		{`{"id": "a"}`, true},
	} {
		if got := want([]byte(tc.line)); got != tc.ok {
			t.Errorf("%s: %v, want %v", tc.line, got, tc.ok)
		}
	}
}
