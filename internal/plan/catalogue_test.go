package plan_test

import (
	"os"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/internal/plan"
)

// TestCatalogueIsDocumented keeps the tables of doc.go in step with the
// catalogue.
func TestCatalogueIsDocumented(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, f := range plan.Facts() {
		name := f.Name
		if strings.HasPrefix(name, "complaints.open_by_category.") {
			name = "complaints.open_by_category.<category>"
		}
		if !strings.Contains(doc, "//\t"+name+" ") {
			t.Errorf("fact %s is not in doc.go", f.Name)
		}
	}
	for _, e := range plan.Events() {
		if !strings.Contains(doc, "//\t"+e.Name+" ") {
			t.Errorf("event %s is not in doc.go", e.Name)
		}
	}
}
