package config

import (
	"testing"
)

func TestTolerantJSON5(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{a: 1}`, `{"a": 1}`},
		{`{$schema: 'x', _k9: true}`, `{"$schema": "x", "_k9": true}`},
		{`{a /* c */ : 'it\'s'}`, `{"a" /* c */ : "it's"}`},
		{`{'k': 'say "hi"'}`, `{"k": "say \"hi\""}`},
		{`{"a": 'x\ny'}`, `{"a": "x\ny"}`},
		{`{n: 1e5, m: -2.5E-3, t: true, f: false, z: null}`, `{"n": 1e5, "m": -2.5E-3, "t": true, "f": false, "z": null}`},
		{"{// a: 'b'\n a: 1}", "{// a: 'b'\n \"a\": 1}"},
		{`{"already": "quoted: 'x'"}`, `{"already": "quoted: 'x'"}`},
		{`{é: 1}`, `{"é": 1}`},
		{`[x]`, `[x]`}, // not a key: left for hujson to reject
	}
	for _, tc := range cases {
		got, err := tolerantJSON5([]byte(tc.in))
		if err != nil {
			t.Errorf("tolerantJSON5(%q): %v", tc.in, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("tolerantJSON5(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTolerantJSON5Unterminated(t *testing.T) {
	for _, in := range []string{`{'a`, `{"a`, `{a: 'x`, "{a: 'x\n'}", `{/* open`, `{'a\`} {
		if _, err := tolerantJSON5([]byte(in)); err == nil {
			t.Errorf("tolerantJSON5(%q): no error", in)
		}
	}
}

func TestParseDocumentJSON5(t *testing.T) {
	doc, err := parseDocument([]byte("{cloud: {apiKey: 'k', enabled: true,},}"))
	if err != nil {
		t.Fatal(err)
	}
	if !doc.json5 {
		t.Error("json5 flag not set for a file that needed the pre-pass")
	}
	s := settingsFrom(doc.tree)
	if s.APIKey != "k" || s.Enabled == nil || !*s.Enabled {
		t.Errorf("settings = %v", s)
	}
	doc, err = parseDocument([]byte("{\"a\": 1, // c\n}"))
	if err != nil {
		t.Fatal(err)
	}
	if doc.json5 {
		t.Error("json5 flag set for plain hujson")
	}
}

func TestParseDocumentRejects(t *testing.T) {
	for _, in := range []string{`[1, 2]`, `"text"`, `42`, `{a: Infinity}`, `{"a": 0x10}`, `{"a": 1} {"b": 2}`, `// only a comment`} {
		if _, err := parseDocument([]byte(in)); err == nil {
			t.Errorf("parseDocument(%q): no error", in)
		}
	}
	for _, in := range []string{"", "  \n\t"} {
		doc, err := parseDocument([]byte(in))
		if err != nil || len(doc.tree) != 0 {
			t.Errorf("parseDocument(%q) = %v, %v; want empty config", in, doc, err)
		}
	}
}
