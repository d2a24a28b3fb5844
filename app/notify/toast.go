package notify

import "strings"

// toastSpec is what a Windows toast shows for an alert, kept apart from the
// Windows-only sender so the choices are tested on every OS.
type toastSpec struct {
	Title, Body string
	// Long keeps the toast on screen ~25 s instead of ~7 s: a critical
	// balance should not slip by while the user looks away.
	Long bool
	// Silent: good news (reconnected) makes no sound.
	Silent bool
}

func toastFor(a Alert) toastSpec {
	return toastSpec{
		Title:  xmlText(a.Title),
		Body:   xmlText(a.Body),
		Long:   a.Urgency == UrgencyCritical,
		Silent: a.Urgency == UrgencyLow,
	}
}

// xmlText makes s safe inside the CDATA sections the toast XML puts text
// in: an agent name comes from the cloud and may hold "]]>" (which would
// end the section and break the toast) or characters XML 1.0 forbids.
func xmlText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return strings.ReplaceAll(s, "]]>", "]] >")
}
