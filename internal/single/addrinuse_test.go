package single

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

// TestIsAddrInUse checks the port-taken test by error code: the code as
// net.Listen wraps it counts whatever the message says, and a message that
// only reads like it (another language, another error) does not.
func TestIsAddrInUse(t *testing.T) {
	listenErr := func(err error) error {
		return &net.OpError{Op: "listen", Net: "tcp", Err: &os.SyscallError{Syscall: "bind", Err: err}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"the platform's code from bind", listenErr(addrInUse), true},
		{"the code wrapped again", fmt.Errorf("start: %w", listenErr(addrInUse)), true},
		{"English text without the code", errors.New("listen tcp 127.0.0.1:2138: bind: address already in use"), false},
		{"Windows English text without the code", errors.New("bind: Only one usage of each socket address is normally permitted."), false},
		{"permission denied", listenErr(syscall.EACCES), false},
		{"address not available", listenErr(syscall.EADDRNOTAVAIL), false},
		{"nil", nil, false},
	} {
		if got := isAddrInUse(tc.err); got != tc.want {
			t.Errorf("%s: isAddrInUse(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestIsAddrInUseRealListen takes a port twice on this system, so that the
// code the platform really returns is the one compared (on Windows and under
// Wine: WSAEADDRINUSE).
func TestIsAddrInUseRealListen(t *testing.T) {
	first, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := net.Listen("tcp", first.Addr().String())
	if err == nil {
		second.Close()
		t.Fatal("a second listen on the same port succeeded")
	}
	if !isAddrInUse(err) {
		t.Fatalf("isAddrInUse(%v) = false, want true", err)
	}
}
