package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestGeneratedTypeScriptIsUpToDate fails when a Go DTO, event or facade
// method changed and the committed TypeScript was not regenerated.
func TestGeneratedTypeScriptIsUpToDate(t *testing.T) {
	root := filepath.Join("..", "..")
	want, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, Output))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run `make generate` and commit it", Output)
	}
}

type inner struct {
	N int `json:"n"`
}

type sample struct {
	Plain    string            `json:"plain"`
	Opt      string            `json:"opt,omitempty"`
	Ptr      *inner            `json:"ptr"`
	OptPtr   *time.Time        `json:"optPtr,omitempty"`
	List     []inner           `json:"list"`
	OptList  []string          `json:"optList,omitempty"`
	Map      map[string]any    `json:"map"`
	Zero     time.Time         `json:"zero,omitzero"`
	Hidden   string            `json:"-"`
	NoTag    bool              // encoding/json uses the Go name
	_        string            // unexported: not in JSON
	Embedded map[string]string `json:"embedded,omitempty"`
}

// TestFieldRules: the TypeScript says what encoding/json writes.
func TestFieldRules(t *testing.T) {
	g := &generator{docs: &docs{root: ".", pkgs: map[string]*pkgDocs{}}, names: map[reflect.Type]string{}, byName: map[string]reflect.Type{}}
	if _, err := g.ref(reflect.TypeFor[sample]()); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := 0; i < len(g.order); i++ {
		if err := g.writeNamed(&b, g.order[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{
		"  plain: string;\n",
		"  opt?: string;\n",
		"  ptr: inner | null;\n",
		"  optPtr?: string;\n",
		"  list: inner[] | null;\n",
		"  optList?: string[];\n",
		"  map: Record<string, unknown> | null;\n",
		"  zero?: string;\n",
		"  NoTag: boolean;\n",
		"  embedded?: Record<string, string>;\n",
		"export interface inner {\n  n: number;\n}\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "Hidden") || strings.Contains(b.String(), "_:") {
		t.Errorf("skipped fields written:\n%s", b.String())
	}
}
