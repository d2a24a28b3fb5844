//go:build windows

package notify

import (
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// The real push is not called here: WinRT toasts are missing under Wine and
// on Server Core, and a test must not pop toasts on a developer's desktop.

func TestToastSenderPushesFromOneThreadAndUninitsOnClose(t *testing.T) {
	var threads []uint32
	var xmls []string
	uninits := 0
	s := startToastSender("Milady Cloud", func(appID, xml string) error {
		if appID != "Milady Cloud" {
			t.Errorf("appID = %q", appID)
		}
		threads = append(threads, windows.GetCurrentThreadId())
		xmls = append(xmls, xml)
		return nil
	}, func() { uninits++ })
	for range 5 {
		if err := s.Send(Alert{ID: "credits", Title: "Credits critical", Body: "Agent a]]>b: $(calc)", Urgency: UrgencyCritical}); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, th := range threads[1:] {
		if th != threads[0] {
			t.Fatalf("toasts pushed from threads %v, want one", threads)
		}
	}
	if uninits != 1 {
		t.Fatalf("COM uninitialised %d times on Close, want 1", uninits)
	}
	x := xmls[0]
	for _, want := range []string{`duration="long"`, "<![CDATA[Credits critical]]>", "<![CDATA[Agent a]] >b: $(calc)]]>", `audio src="ms-winsoundevent:Notification.Default"`} {
		if !strings.Contains(x, want) {
			t.Errorf("toast XML lacks %q:\n%s", want, x)
		}
	}
	if err := s.Send(Alert{ID: "credits"}); err != errClosed {
		t.Fatalf("Send after Close = %v, want errClosed", err)
	}
	if err := s.Close(); err == nil {
		t.Fatal("second Close did not say so")
	}
}

func TestToastSenderNoUninitWithoutToasts(t *testing.T) {
	uninits := 0
	s := startToastSender("x", func(string, string) error { return nil }, func() { uninits++ })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if uninits != 0 {
		t.Fatal("COM uninitialised though it was never initialised")
	}
}

func TestToastXMLSilentForGoodNews(t *testing.T) {
	x, err := toastXML("Milady Cloud", Alert{Title: "Reconnected", Body: "b", Urgency: UrgencyLow})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(x, `<audio silent="true" />`) || !strings.Contains(x, `duration="short"`) {
		t.Fatalf("good news toast is not short and silent:\n%s", x)
	}
}
