package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzConfigRead feeds arbitrary bytes to the reader and, when they parse,
// patches them the way a login and a log-out do. It checks that nothing
// panics, that a patched file always parses as plain hujson (no JSON5
// pre-pass needed), and that it means exactly the original plus the patch.
func FuzzConfigRead(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		``, `{}`, `{"a":1}`, "{\n  \"a\": 1, // c\n}\n", `{cloud: {apiKey: 'x'}}`,
		`{"cloud": null}`, `{"cloud": {"apiKey": "a"}, "cloud": 5}`, `[1]`, `{"a": 1e999}`,
		"{/* a\n b */ \"cloud\" /* c */ : /* d */ {} /* e */ }", `{"a":"\ud800"}`, "{'a\\\n': 1}",
		"{\"desktop\":{\"lastAgentId\":\"x\",},\"cloud\":{\"enabled\":true,\"apiKey\":\"k\" // t\n}}",
	} {
		f.Add([]byte(s))
	}
	// Nesting around the depth limit, and brackets that must not count.
	f.Add([]byte(`{"a":` + strings.Repeat("[", 999) + strings.Repeat("]", 999) + `}`))
	f.Add([]byte(strings.Repeat("[", 1001)))
	f.Add([]byte(`{"a": "[[[", /* {{{ */ 'b': '\'[['}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := parseDocument(data)
		if err != nil {
			return
		}
		_ = settingsFrom(doc.tree)
		for _, fn := range []func(*Patch){
			func(p *Patch) { p.SetCloudLogin("eliza_k"); p.SetLastAgent("agent") },
			func(p *Patch) { p.ClearCloudLogin(); p.SetWasConnected(true) },
			func(p *Patch) { p.Set([]string{"a", "b"}, map[string]any{"c": []int{1}}); p.Delete([]string{"a"}) },
		} {
			var p Patch
			fn(&p)
			out, _, err := applyPatch(doc, p.ops)
			if err != nil {
				t.Fatalf("applyPatch: %v", err)
			}
			got, err := parseDocument(out)
			if err != nil || got.json5 {
				t.Fatalf("patched output does not parse as hujson (err=%v):\n%s", err, out)
			}
			want, err := applyToTree(doc.tree, p.ops)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.tree, want) {
				t.Fatalf("patched output means\n%v\nwant\n%v", got.tree, want)
			}
		}
	})
}
