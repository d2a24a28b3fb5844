package desktop

import "syscall"

// childSysProcAttr has the kernel send the window process SIGTERM when the
// app dies without ending it (SIGKILL, a crash), beside the end of file it
// reads on its control pipe: a window left behind would hold ~200 MB and a
// dashboard whose API has gone. (The signal follows the thread that
// started the child: see startThread.)
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
