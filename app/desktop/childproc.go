package desktop

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/milady-ai/milady-cloud/internal/clock"
	"github.com/milady-ai/milady-cloud/internal/opener"
)

// childProc is one window process. done and the exec.Cmd's ProcessState
// are set by its waiter goroutine; the other fields belong to Run's.
type childProc struct {
	cmd  *exec.Cmd
	pid  int
	ctl  *os.File      // the write end of its control pipe; nil once closed
	done chan struct{} // closed once it has exited and its output is relayed
	tail *tailLines    // its last stderr lines

	ending bool        // asked to quit (Hide, Quit, the app quitting)
	stage  int         // 0 quit asked, 1 SIGTERM sent, 2 SIGKILL sent
	timer  clock.Timer // the next escalation, while ending
}

// spawn starts the window executable with the control pipe as fd 3 and
// hands it the hello line. Nothing secret is on its command line (just
// the path) or in its environment.
func (c *Child) spawn() (*childProc, error) {
	if c.cfg.Path == "" {
		return nil, errors.New("no window executable")
	}
	hello, err := json.Marshal(c.cfg.Hello)
	if err != nil {
		return nil, fmt.Errorf("encode the window's settings: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("control pipe for the window: %w", err)
	}
	env := c.cfg.Env
	if env == nil {
		env = os.Environ()
	}
	cmd := exec.Command(c.cfg.Path)
	cmd.Env = opener.Filter(env)
	cmd.ExtraFiles = []*os.File{r} // fd 3 (ChildControlFD)
	cmd.SysProcAttr = childSysProcAttr()
	p := &childProc{cmd: cmd, ctl: w, done: make(chan struct{}), tail: &tailLines{max: childTailLines}}
	stdout := &childLog{log: c.log}
	stderr := &childLog{log: c.log, tail: p.tail}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = childOutputWait
	started := make(chan error, 1)
	c.starter <- func() { started <- cmd.Start() }
	if err := <-started; err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, fmt.Errorf("start %s: %w", c.cfg.Path, err)
	}
	_ = r.Close() // the child has its copy; ours would hide its end of file
	p.pid = cmd.Process.Pid
	go func() {
		_ = cmd.Wait() // the status is in cmd.ProcessState
		stdout.flush()
		stderr.flush()
		close(p.done)
	}()
	c.log.Info("window: started the window process", "pid", p.pid, "path", c.cfg.Path)
	if err := p.send(string(hello)); err != nil {
		// It has gone already, or will on end of file; its exit says why.
		c.log.Warn("window: could not hand the window process its settings", "pid", p.pid, "err", err)
		p.closeCtl()
	}
	return p, nil
}

// send writes one line on the control pipe. The deadline only guards
// against a child that stopped reading with the pipe full.
func (p *childProc) send(line string) error {
	if p.ctl == nil {
		return errors.New("control pipe closed")
	}
	_ = p.ctl.SetWriteDeadline(time.Now().Add(childWriteWait))
	if _, err := io.WriteString(p.ctl, line+"\n"); err != nil {
		return fmt.Errorf("write to the window process: %w", err)
	}
	return nil
}

// closeCtl closes the control pipe: the child reads end of file.
func (p *childProc) closeCtl() {
	if p.ctl != nil {
		_ = p.ctl.Close()
		p.ctl = nil
	}
}

// release frees what the parent holds for an exited child.
func (p *childProc) release() {
	p.closeCtl()
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
}

// terminate asks the window process to end (SIGTERM). Windows has no such
// signal: the error there makes the caller kill it.
func (p *childProc) terminate() error {
	return p.cmd.Process.Signal(syscall.SIGTERM)
}
