package autostart

import (
	"strings"
	"testing"
)

func TestRunCommandQuotes(t *testing.T) {
	for exe, want := range map[string]string{
		`C:\Users\Ann\AppData\Local\Programs\Milady Cloud\milady-cloud.exe`: `"C:\Users\Ann\AppData\Local\Programs\Milady Cloud\milady-cloud.exe" --hidden`,
		`C:\milady-cloud.exe`:                    `"C:\milady-cloud.exe" --hidden`,
		`d:/apps/milady cloud/milady.exe`:        `"d:/apps/milady cloud/milady.exe" --hidden`,
		`\\server\share\Milady\milady.exe`:       `"\\server\share\Milady\milady.exe" --hidden`,
		`C:\Program Files (x86)\M & M\%x%\m.exe`: `"C:\Program Files (x86)\M & M\%x%\m.exe" --hidden`,
	} {
		got, err := RunCommand(exe)
		if err != nil || got != want {
			t.Errorf("RunCommand(%q) = %q, %v; want %q", exe, got, err, want)
		}
	}
}

func TestRunCommandRejects(t *testing.T) {
	for exe, why := range map[string]string{
		"":                        "not absolute",
		`milady-cloud.exe`:        "not absolute",
		`C:milady-cloud.exe`:      "not absolute",
		`\milady-cloud.exe`:       "not absolute",
		`\\server`:                "not absolute",
		`/usr/bin/milady-cloud`:   "not absolute",
		`C:\a"b\milady-cloud.exe`: "quote",
		"C:\\a\nb\\milady.exe":    "control",
		`C:\Milady Cloud\`:        "backslash",
	} {
		_, err := RunCommand(exe)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("RunCommand(%q) error = %v; want one mentioning %q", exe, err, why)
		}
	}
}
