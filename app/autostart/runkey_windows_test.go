//go:build windows

package autostart

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"golang.org/x/sys/windows/registry"
)

// scratchRunKey is a RunKey under a fresh HKCU key, deleted at the end, so
// the test never touches the real Run key of whoever runs it.
func scratchRunKey(t *testing.T) *RunKey {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	base := `Software\MiladyCloudTest-` + hex.EncodeToString(b)
	t.Cleanup(func() {
		for _, p := range []string{base + `\Approved`, base + `\Run`, base} {
			_ = registry.DeleteKey(registry.CURRENT_USER, p)
		}
	})
	return &RunKey{Root: registry.CURRENT_USER, Path: base + `\Run`, Name: RunValueName,
		ApprovedPath: base + `\Approved`, Exe: `C:\Program Files\Milady Cloud\milady-cloud.exe`}
}

func readValue(t *testing.T, r *RunKey) (string, bool) {
	t.Helper()
	k, err := registry.OpenKey(r.Root, r.Path, registry.QUERY_VALUE)
	if err != nil {
		return "", false
	}
	defer k.Close()
	s, _, err := k.GetStringValue(r.Name)
	return s, err == nil
}

func TestNewRunKeyIsTheCurrentUsersRunKey(t *testing.T) {
	r := NewRunKey(`C:\m.exe`)
	if r.Root != registry.CURRENT_USER || r.Path != RunKeyPath || r.Name != "Milady Cloud" || r.Exe != `C:\m.exe` {
		t.Fatalf("NewRunKey = %+v", r)
	}
	if _, ok := Default(nil, "", `C:\m.exe`).(*RunKey); !ok {
		t.Fatal("Default on Windows is not the Run key")
	}
}

func TestRunKeyEnableDisable(t *testing.T) {
	r := scratchRunKey(t)
	if r.Enabled() {
		t.Fatal("Enabled before Enable (the key does not even exist)")
	}
	if err := r.Disable(); err != nil {
		t.Fatalf("Disable with no key: %v", err)
	}
	if err := r.Enable(); err != nil {
		t.Fatalf("Enable: %v", err)
	}
	if !r.Enabled() {
		t.Fatal("not Enabled after Enable")
	}
	got, ok := readValue(t, r)
	if want := `"C:\Program Files\Milady Cloud\milady-cloud.exe" --hidden`; !ok || got != want {
		t.Fatalf("Run value = %q (present %v), want %q", got, ok, want)
	}
	if err := r.Enable(); err != nil { // again: replaces, no error
		t.Fatalf("second Enable: %v", err)
	}
	if err := r.Disable(); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	if r.Enabled() {
		t.Fatal("still Enabled after Disable")
	}
	if _, ok := readValue(t, r); ok {
		t.Fatal("value still present after Disable")
	}
	if err := r.Disable(); err != nil {
		t.Fatalf("Disable twice: %v", err)
	}
}

func TestRunKeyValueIsTheTruth(t *testing.T) {
	r := scratchRunKey(t)
	k, _, err := registry.CreateKey(r.Root, r.Path, registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	// Written by hand (or by an installer) as REG_EXPAND_SZ: still on.
	if err := k.SetExpandStringValue(r.Name, `"%LOCALAPPDATA%\m.exe" --hidden`); err != nil {
		t.Fatal(err)
	}
	if !r.Enabled() {
		t.Fatal("a value written by someone else does not count as on")
	}
	if err := k.DeleteValue(r.Name); err != nil {
		t.Fatal(err)
	}
	k.Close()
	if r.Enabled() {
		t.Fatal("on after the value was deleted by hand")
	}
}

func TestRunKeyEnableClearsTaskManagerOff(t *testing.T) {
	r := scratchRunKey(t)
	k, _, err := registry.CreateKey(r.Root, r.ApprovedPath, registry.SET_VALUE|registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.SetBinaryValue(r.Name, []byte{3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if err := r.Enable(); err != nil {
		t.Fatalf("Enable: %v", err)
	}
	if _, _, err := k.GetBinaryValue(r.Name); err == nil {
		t.Fatal("Task Manager's off mark survived Enable")
	}
}

func TestRunKeyEnableRejectsRelativeExe(t *testing.T) {
	r := scratchRunKey(t)
	r.Exe = "milady-cloud.exe"
	if err := r.Enable(); err == nil {
		t.Fatal("Enable with a relative binary path succeeded")
	}
	if r.Enabled() {
		t.Fatal("a failed Enable left a value")
	}
}
