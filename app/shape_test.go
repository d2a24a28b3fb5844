package app_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
)

// appSources are the package's non-test Go files.
func appSources(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			out = append(out, f)
		}
	}
	return out
}

// TestAppKnowsNoHTTP: package app names failures by kind and leaves status
// codes to the REST face, so none of its files imports net/http.
func TestAppKnowsNoHTTP(t *testing.T) {
	fset := token.NewFileSet()
	for _, f := range appSources(t) {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "net/http" || strings.HasPrefix(p, "net/http/") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// TestServiceStaysSmall keeps the Service a coordinator: at most 25
// exported methods on it, at most 15 on each exported part, and no file of
// the package over 400 lines.
func TestServiceStaysSmall(t *testing.T) {
	for _, c := range []struct {
		typ reflect.Type
		max int
	}{
		{reflect.TypeFor[*app.Service](), 25},
		{reflect.TypeFor[*app.Agents](), 15},
		{reflect.TypeFor[*app.Chat](), 15},
	} {
		if n := c.typ.NumMethod(); n > c.max {
			t.Errorf("%v has %d exported methods, want at most %d", c.typ, n, c.max)
		}
	}
	for _, f := range appSources(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "\n"); n > 400 {
			t.Errorf("%s has %d lines, want at most 400", f, n)
		}
	}
}
