package main

import "testing"

func TestWindowAPIURL(t *testing.T) {
	for _, c := range []struct{ api, bind, want string }{
		{"http://127.0.0.1:2138/", "127.0.0.1", "http://127.0.0.1:2138/"},
		{"http://192.168.1.5:2138/", "192.168.1.5", "http://192.168.1.5:2138/"},
		{"http://0.0.0.0:2138/", "0.0.0.0", "http://127.0.0.1:2138/"},
		{"http://[::]:4000/", "::", "http://127.0.0.1:4000/"},
		{"http://[::]:4000/", "[::]", "http://127.0.0.1:4000/"},
		{"http://myhost:2138/", "myhost", "http://myhost:2138/"},
	} {
		if got := windowAPIURL(c.api, c.bind); got != c.want {
			t.Errorf("windowAPIURL(%q, %q) = %q, want %q", c.api, c.bind, got, c.want)
		}
	}
}
