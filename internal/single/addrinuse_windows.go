package single

import "golang.org/x/sys/windows"

// addrInUse is Winsock's code for a port that is already taken
// (WSAEADDRINUSE, 10048); Go's syscall.EADDRINUSE is a different, invented
// number on Windows, so errors.Is would never match it there.
const addrInUse = windows.WSAEADDRINUSE
