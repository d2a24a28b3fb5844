package notify

import "testing"

func TestToastFor(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Alert
		want toastSpec
	}{
		{"critical stays longer", Alert{Title: "Credits critical", Body: "Top up.", Urgency: UrgencyCritical},
			toastSpec{Title: "Credits critical", Body: "Top up.", Long: true}},
		{"normal is short with sound", Alert{Title: "Credits low", Body: "b", Urgency: UrgencyNormal},
			toastSpec{Title: "Credits low", Body: "b"}},
		{"good news is silent", Alert{Title: "Reconnected", Body: "b", Urgency: UrgencyLow},
			toastSpec{Title: "Reconnected", Body: "b", Silent: true}},
	} {
		if got := toastFor(tc.a); got != tc.want {
			t.Errorf("%s: toastFor = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestXMLText(t *testing.T) {
	for in, want := range map[string]string{
		"Connection to Ann lost":   "Connection to Ann lost",
		"agent ]]><x/> name":       "agent ]] ><x/> name",
		"a]]>]]>b":                 "a]] >]] >b",
		"bell\a and nul\x00 gone":  "bell and nul gone",
		"tab\tand\nnewline stay":   "tab\tand\nnewline stay",
		"bad utf8 \xff here":       "bad utf8 \uFFFD here",
		"non-char \uFFFE out":      "non-char  out",
		"émoji 🤖 and ünïcode stay": "émoji 🤖 and ünïcode stay",
	} {
		if got := xmlText(in); got != want {
			t.Errorf("xmlText(%q) = %q, want %q", in, got, want)
		}
	}
}
