package paths

import "testing"

func TestExpandHome(t *testing.T) {
	for _, tc := range []struct{ in, home, want string }{
		{"~", "/home/u", "/home/u"},
		{"~/x", "/home/u", "/home/u/x"},
		{"~x", "/home/u", "~x"},
		{"/abs/~/x", "/home/u", "/abs/~/x"},
		{"~/x", "", "~/x"},
	} {
		if got := ExpandHome(tc.in, tc.home); got != tc.want {
			t.Errorf("ExpandHome(%q, %q) = %q, want %q", tc.in, tc.home, got, tc.want)
		}
	}
}
