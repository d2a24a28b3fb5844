package store

import (
	"net/url"
	"testing"
)

// TestFileURI covers the database URI on both systems: on Windows the drive
// letter must follow "file:///" (SQLite rejects "file://C:%5C…" with
// "invalid uri authority"), and on both the characters a URI reserves are
// escaped so that they stay part of the file name.
func TestFileURI(t *testing.T) {
	q := url.Values{"_txlock": {"immediate"}}.Encode()
	for _, tc := range []struct {
		goos, path, want string
	}{
		{"linux", "/home/ann/.local/share/milady-cloud/milady-cloud.db",
			"file:///home/ann/.local/share/milady-cloud/milady-cloud.db?_txlock=immediate"},
		{"linux", "/tmp/a b/x?y#z%.db", "file:///tmp/a%20b/x%3Fy%23z%25.db?_txlock=immediate"},
		{"linux", `/tmp/back\slash.db`, "file:///tmp/back%5Cslash.db?_txlock=immediate"},
		{"darwin", "/Users/ann/Library/Application Support/milady-cloud/milady-cloud.db",
			"file:///Users/ann/Library/Application%20Support/milady-cloud/milady-cloud.db?_txlock=immediate"},
		{"windows", `C:\Users\ann\AppData\Local\milady-cloud\milady-cloud.db`,
			"file:///C:/Users/ann/AppData/Local/milady-cloud/milady-cloud.db?_txlock=immediate"},
		{"windows", `D:\Mes données\#1\milady-cloud.db`,
			"file:///D:/Mes%20donn%C3%A9es/%231/milady-cloud.db?_txlock=immediate"},
		{"windows", `C:/Users/ann/x.db`, "file:///C:/Users/ann/x.db?_txlock=immediate"},
		{"windows", `\\server\share\milady-cloud.db`, "file:////server/share/milady-cloud.db?_txlock=immediate"},
	} {
		if got := fileURI(tc.path, tc.goos, q); got != tc.want {
			t.Errorf("fileURI(%q, %s) = %q, want %q", tc.path, tc.goos, got, tc.want)
		}
	}
}
