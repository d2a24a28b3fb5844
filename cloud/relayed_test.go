package cloud

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestRelayedMessageCut: cloud messages over 1 KiB are cut at a character
// boundary with an ellipsis, the whole within 1 KiB; shorter ones are kept.
func TestRelayedMessageCut(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in  string
		cut bool
	}{
		{"", false},
		{"short", false},
		{strings.Repeat("a", MaxRelayedMessage), false},
		{strings.Repeat("a", MaxRelayedMessage+1), true},
		{strings.Repeat("€", 1000), true},
		{"x" + strings.Repeat("€", 1000), true},
		{"xy" + strings.Repeat("€", 1000), true},
	} {
		got := relayed(c.in)
		if !c.cut {
			if got != c.in {
				t.Errorf("%d bytes changed", len(c.in))
			}
			continue
		}
		if len(got) > MaxRelayedMessage || len(got) < MaxRelayedMessage-8 || !strings.HasSuffix(got, "…") ||
			!utf8.ValidString(got) || !strings.HasPrefix(c.in, strings.TrimSuffix(got, "…")) {
			t.Errorf("%d bytes → %d bytes %q…", len(c.in), len(got), got[len(got)-10:])
		}
	}
	he := &HTTPError{Status: 500, Message: strings.Repeat("b", 100<<10)}
	if len(he.Error()) > MaxRelayedMessage {
		t.Errorf("HTTPError.Error() is %d bytes", len(he.Error()))
	}
}
