//go:build !windows

package single

import "syscall"

// addrInUse is the errno bind gives for a port that is already taken.
const addrInUse = syscall.EADDRINUSE
