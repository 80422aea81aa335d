package released

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// oasdiff is the path of the oasdiff binary, built once per test process
// from the pinned tools module (tools/oasdiff/go.mod).
var oasdiff string

// levels adjusts oasdiff's severities to the project's rule (openapi.yaml,
// "Versioning"): enums in responses are open, so a new value is no break.
var levels, _ = filepath.Abs("oasdiff-levels.txt")

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "oasdiff-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		oasdiff = filepath.Join(dir, "oasdiff")
		build := exec.Command("go", "build", "-o", oasdiff, "github.com/oasdiff/oasdiff")
		build.Dir = filepath.Join("..", "..", "tools", "oasdiff")
		build.Env = append(os.Environ(), "GOWORK=off")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building oasdiff: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// TestCompatibleWithLastRelease is the CI check: openapi.yaml must not break
// the last released contract (the newest api/released/openapi-<version>.yaml)
// unless its info.version says so (see Check).
func TestCompatibleWithLastRelease(t *testing.T) {
	base, baseVersion := latestRelease(t)
	t.Logf("comparing ../../openapi.yaml with %s (%s)", filepath.Base(base), baseVersion)
	if err := Check(base, filepath.Join("..", "..", "openapi.yaml")); err != nil {
		t.Fatal(err)
	}
}

// TestReleasedCopyIsItsVersion keeps every released copy honest: its file
// name is its info.version.
func TestReleasedCopyIsItsVersion(t *testing.T) {
	files, _ := filepath.Glob("openapi-*.yaml")
	if len(files) == 0 {
		t.Fatal("no released spec in api/released")
	}
	for _, f := range files {
		v := specVersion(t, f)
		if want := "openapi-" + v + ".yaml"; filepath.Base(f) != want {
			t.Errorf("%s has info.version %s: name it %s", f, v, want)
		}
	}
}

// TestCheckFails proves the check can fail: fed a breaking change without
// the version bump that allows it, Check reports it; with the bump, or for
// an additive change, it passes.
func TestCheckFails(t *testing.T) {
	base, baseVersion := latestRelease(t)
	major, minor, _ := parseVersion(t, baseVersion)
	breakingBump := fmt.Sprintf("%d.0.0", major+1)
	if major == 0 {
		breakingBump = fmt.Sprintf("0.%d.0", minor+1)
	}
	patchBump := bumpPatch(t, baseVersion)

	cases := []struct {
		name    string
		edit    func(t *testing.T, doc *openapi3.T)
		version string
		wantErr string // "" when the change is allowed
	}{
		{"unchanged", func(*testing.T, *openapi3.T) {}, baseVersion, ""},
		{"path removed", removePath, baseVersion, "api-path-removed"},
		{"path removed, patch bump", removePath, patchBump, "api-path-removed"},
		{"path removed, breaking bump", removePath, breakingBump, ""},
		{"response property removed", removeResponseProperty, baseVersion, "response"},
		{"request property made required", requireRequestProperty, baseVersion, "request"},
		{"path added", addPath, baseVersion, ""},
		{"enum value added (open enums)", enumEdit(true), baseVersion, ""},
		{"enum value removed from a request", enumEdit(false), baseVersion, "enum-value-removed"},
		{"version goes back", func(*testing.T, *openapi3.T) {}, "0.0.1", "older than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := load(t, base)
			tc.edit(t, doc)
			doc.Info.Version = tc.version
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			rev := filepath.Join(t.TempDir(), "openapi.json")
			if err := os.WriteFile(rev, b, 0o644); err != nil {
				t.Fatal(err)
			}
			err = Check(base, rev)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("want the change allowed, got %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("want the change refused (%s), got no error", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("want an error mentioning %q, got %v", tc.wantErr, err)
			}
		})
	}
}

// Check compares revision with the released base. A breaking change (an
// oasdiff error) is allowed only when revision's info.version bumps the
// major version (the minor version while the major is 0, as in semver); the
// version may never go back.
func Check(base, revision string) error {
	bv, err := versionOf(base)
	if err != nil {
		return err
	}
	rv, err := versionOf(revision)
	if err != nil {
		return err
	}
	cmp, breakingAllowed, err := compareVersions(bv, rv)
	if err != nil {
		return err
	}
	if cmp < 0 {
		return fmt.Errorf("info.version %s is older than the released %s", rv, bv)
	}
	var out bytes.Buffer
	cmd := exec.Command(oasdiff, "breaking", base, revision, "--fail-on", "ERR", "--severity-levels", levels,
		"--color", "never", "--format", "text")
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if err == nil {
		return nil
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		return fmt.Errorf("oasdiff: %v\n%s", err, out.String())
	}
	if breakingAllowed {
		return nil
	}
	return fmt.Errorf("breaking changes against the released %s while info.version is %s "+
		"(bump the major version, or the minor while it is 0, and follow the release procedure in README):\n%s",
		bv, rv, out.String())
}

var versionRE = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)$`)

// compareVersions returns the order of rv against bv and whether rv is a
// version that may break bv's contract.
func compareVersions(bv, rv string) (cmp int, breakingAllowed bool, err error) {
	b, err := splitVersion(bv)
	if err != nil {
		return 0, false, err
	}
	r, err := splitVersion(rv)
	if err != nil {
		return 0, false, err
	}
	for i := range 3 {
		if r[i] != b[i] {
			if r[i] > b[i] {
				cmp = 1
			} else {
				cmp = -1
			}
			break
		}
	}
	breakingAllowed = r[0] > b[0] || (b[0] == 0 && r[0] == 0 && r[1] > b[1])
	return cmp, breakingAllowed, nil
}

func splitVersion(v string) ([3]int, error) {
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return [3]int{}, fmt.Errorf("info.version %q is not MAJOR.MINOR.PATCH", v)
	}
	var out [3]int
	for i := range 3 {
		out[i], _ = strconv.Atoi(m[i+1])
	}
	return out, nil
}

func versionOf(path string) (string, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if doc.Info == nil {
		return "", fmt.Errorf("%s: no info", path)
	}
	return doc.Info.Version, nil
}

func latestRelease(t *testing.T) (path, version string) {
	t.Helper()
	files, _ := filepath.Glob("openapi-*.yaml")
	for _, f := range files {
		v := specVersion(t, f)
		if version == "" {
			path, version = f, v
			continue
		}
		if cmp, _, err := compareVersions(version, v); err != nil {
			t.Fatal(err)
		} else if cmp > 0 {
			path, version = f, v
		}
	}
	if path == "" {
		t.Fatal("no released spec in api/released")
	}
	return path, version
}

func specVersion(t *testing.T, path string) string {
	t.Helper()
	v, err := versionOf(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func parseVersion(t *testing.T, v string) (major, minor, patch int) {
	t.Helper()
	p, err := splitVersion(v)
	if err != nil {
		t.Fatal(err)
	}
	return p[0], p[1], p[2]
}

func bumpPatch(t *testing.T, v string) string {
	major, minor, patch := parseVersion(t, v)
	return fmt.Sprintf("%d.%d.%d", major, minor, patch+1)
}

func load(t *testing.T, path string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return doc
}

// The edits below pick the spec's own first operations, so they keep
// working as the contract grows.

func removePath(t *testing.T, doc *openapi3.T) {
	t.Helper()
	doc.Paths.Delete(doc.Paths.InMatchingOrder()[0])
}

func addPath(t *testing.T, doc *openapi3.T) {
	t.Helper()
	for _, path := range doc.Paths.InMatchingOrder() {
		if get := doc.Paths.Value(path).Get; get != nil {
			doc.Paths.Set("/v1/a-new-path-for-the-compat-test",
				&openapi3.PathItem{Get: copyOp(get, "aNewOperationForTheCompatTest")})
			return
		}
	}
	t.Fatal("no GET operation")
}

func copyOp(op *openapi3.Operation, id string) *openapi3.Operation {
	c := *op
	c.OperationID = id
	return &c
}

// removeResponseProperty drops a required property of an inline or
// referenced object in a 200 JSON response.
func removeResponseProperty(t *testing.T, doc *openapi3.T) {
	t.Helper()
	for _, path := range doc.Paths.InMatchingOrder() {
		op := doc.Paths.Value(path).Get
		if op == nil {
			continue
		}
		r := op.Responses.Value("200")
		if r == nil || r.Value == nil || r.Value.Content.Get("application/json") == nil {
			continue
		}
		s := r.Value.Content.Get("application/json").Schema
		if s == nil || s.Value == nil || len(s.Value.Required) == 0 {
			continue
		}
		// Replace the (possibly shared) schema by a changed copy.
		c := *s.Value
		name := c.Required[0]
		c.Required = c.Required[1:]
		props := openapi3.Schemas{}
		for k, v := range c.Properties {
			if k != name {
				props[k] = v
			}
		}
		c.Properties = props
		op.Responses.Set("200", &openapi3.ResponseRef{Value: copyResponse(r.Value, &c)})
		return
	}
	t.Fatal("no GET with a 200 JSON object response with required properties")
}

func copyResponse(r *openapi3.Response, s *openapi3.Schema) *openapi3.Response {
	c := *r
	c.Content = openapi3.NewContentWithJSONSchema(s)
	return &c
}

// requireRequestProperty makes an optional property of a JSON request body
// required.
func requireRequestProperty(t *testing.T, doc *openapi3.T) {
	t.Helper()
	for _, path := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(path).Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
				continue
			}
			s := mt.Schema.Value
			for name := range s.Properties {
				if !contains(s.Required, name) {
					c := *s
					c.Required = append(append([]string{}, s.Required...), name)
					body := *op.RequestBody.Value
					body.Content = openapi3.NewContentWithJSONSchema(&c)
					op.RequestBody = &openapi3.RequestBodyRef{Value: &body}
					return
				}
			}
		}
	}
	t.Fatal("no JSON request body with an optional property")
}

// enumEdit adds a value to, or removes the last from, SyncCollection,
// which both requests (sync push) and responses (sync pull) use.
func enumEdit(add bool) func(t *testing.T, doc *openapi3.T) {
	return func(t *testing.T, doc *openapi3.T) {
		t.Helper()
		ref := doc.Components.Schemas["SyncCollection"]
		if ref == nil || ref.Value == nil || len(ref.Value.Enum) < 2 {
			t.Fatal("no SyncCollection enum")
		}
		c := *ref.Value
		if add {
			c.Enum = append(append([]any{}, c.Enum...), "a_new_collection")
		} else {
			c.Enum = append([]any{}, c.Enum[:len(c.Enum)-1]...)
		}
		ref.Value = &c
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
