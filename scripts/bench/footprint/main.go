// Command footprint measures the desktop footprint figures of `make bench`:
// the memory of the app started at login (--hidden, a tray host present)
// summed over its whole process tree (WebKit's web and network processes
// included), the same after the window was opened once and closed, and the
// time from the tray's "Open Dashboard" click to the dashboard drawn.
//
// It needs a display and a session bus of its own: `make bench` runs it as
//
//	dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" go run ./scripts/bench/footprint -bin build/bin/milady-cloud
//
// The tray host is scripts/window/fakewatcher; the click is the dbusmenu
// Event a panel sends (scripts/window/sni); "drawn" is the page reporting it
// has mounted ("window: dashboard ready" in the log) with the window
// viewable; the close is a WM_DELETE_WINDOW (scripts/window/wmclose.c), as
// a window manager's close button sends. Figures are medians of -runs. The
// last lines split the hidden app's own PSS by mapping (smaps.go): its
// binary, the libraries it links, anonymous memory.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/milady-ai/milady-cloud/scripts/window/sni"
)

const title = "Milady Cloud — SIMULATOR"

func main() {
	bin := flag.String("bin", "build/bin/milady-cloud", "the milady-cloud binary (desktop build)")
	runs := flag.Int("runs", 3, "starts to take the medians over")
	settle := flag.Duration("settle", 10*time.Second, "wait after start, and after closing the window, before reading memory")
	flag.Parse()
	if err := run(*bin, *runs, *settle); err != nil {
		fmt.Fprintln(os.Stderr, "footprint:", err)
		os.Exit(1)
	}
}

func run(bin string, runs int, settle time.Duration) error {
	if os.Getenv("DISPLAY") == "" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return errors.New("needs a display and a private session bus: run under dbus-run-session -- xvfb-run -a")
	}
	abs, err := filepath.Abs(bin)
	if err == nil {
		// The path the kernel shows for the binary's mappings.
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return fmt.Errorf("resolve binary: %w", err)
	}
	work, err := os.MkdirTemp("", "milady-footprint-")
	if err != nil {
		return fmt.Errorf("create work folder: %w", err)
	}
	defer os.RemoveAll(work)
	watcherBin, wmclose := filepath.Join(work, "fakewatcher"), filepath.Join(work, "wmclose")
	if out, err := exec.Command("go", "build", "-o", watcherBin, "./scripts/window/fakewatcher").CombinedOutput(); err != nil {
		return fmt.Errorf("build fakewatcher: %w: %s", err, out)
	}
	if out, err := exec.Command("gcc", "-O2", "-o", wmclose, "scripts/window/wmclose.c", "-lX11").CombinedOutput(); err != nil {
		return fmt.Errorf("build wmclose: %w: %s", err, out)
	}
	w, err := startWatcher(watcherBin)
	if err != nil {
		return err
	}
	defer w.stop()

	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("desktop footprint — %s, %d runs, load average at start: %s\n", abs, runs, strings.Join(strings.Fields(string(load))[:3], " "))
	var hidden, uss, afterClose, click, cpus []float64
	var parts []map[string]usage
	for i := 0; i < runs; i++ {
		h, u, a, c, cpu, b, err := once(abs, work, wmclose, w, settle, i)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		parts = append(parts, b)
		fmt.Printf("  run %d: hidden %.1f MB (USS %.1f MB), click → drawn %.0f ms (%.2f s of CPU), after open+close %.1f MB\n", i+1, h, u, c, cpu, a)
		hidden, afterClose, click, cpus = append(hidden, h), append(afterClose, a), append(click, c), append(cpus, cpu)
		uss = append(uss, u)
	}
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("load average at end: %s\n", strings.Join(strings.Fields(string(load))[:3], " "))

	type fig struct {
		name, value, target string
		ok                  bool
	}
	figs := []fig{
		{"--hidden with a tray host, PSS of the process tree after " + settle.String(), fmt.Sprintf("%.1f MB (USS %.1f MB)", median(hidden), median(uss)), "≤ 40 MB", median(hidden) <= 40},
		{"the same after the window was opened once and closed", fmt.Sprintf("%.1f MB", median(afterClose)), "(reported)", true},
		{"tray Open Dashboard click → dashboard drawn", fmt.Sprintf("%.0f ms (%.2f s CPU)", median(click), median(cpus)), "≤ 1000 ms", median(click) <= 1000},
	}
	fmt.Printf("\n%-58s %-28s %-14s %s\n", "figure", "measured (median)", "target", "")
	fmt.Println(strings.Repeat("-", 110))
	for _, f := range figs {
		mark := "ok"
		if !f.ok {
			mark = "MISSED"
		}
		fmt.Printf("%-58s %-28s %-14s %s\n", f.name, f.value, f.target, mark)
	}
	fmt.Println("\nthe hidden app's own PSS by mapping (medians; /proc/<pid>/smaps):")
	for _, l := range formatBreakdown(medianBreakdown(parts)) {
		fmt.Println("  " + l)
	}
	return nil
}

// medianBreakdown is the per-family median of several breakdowns.
func medianBreakdown(bs []map[string]usage) map[string]usage {
	out := map[string]usage{}
	for _, fam := range families {
		var pss, dirty, shared, files []float64
		for _, b := range bs {
			u := b[fam]
			pss, dirty = append(pss, float64(u.pss)), append(dirty, float64(u.dirty))
			shared, files = append(shared, float64(u.shared)), append(files, float64(u.files))
		}
		if len(pss) > 0 {
			out[fam] = usage{pss: int(median(pss)), dirty: int(median(dirty)), shared: int(median(shared)), files: int(median(files))}
		}
	}
	return out
}

// once starts the app --hidden, reads its footprint after settle, opens the
// dashboard from the tray, closes the window, reads the footprint again.
// parts is the hidden app's own PSS by mapping family.
func once(bin, work, wmclose string, w *watcher, settle time.Duration, i int) (hiddenMB, hiddenUSS, afterMB, clickMS, cpuS float64, parts map[string]usage, err error) {
	dir := filepath.Join(work, fmt.Sprintf("run%d", i))
	env := []string{
		"MILADY_STATE_DIR=" + filepath.Join(dir, "state"),
		"MILADY_CONFIG_PATH=" + filepath.Join(dir, "milady.json"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "xdg-config"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "xdg-data"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "xdg-cache"),
		"XDG_STATE_HOME=" + filepath.Join(dir, "xdg-state"),
		"GDK_BACKEND=x11", "NO_AT_BRIDGE=1", "BROWSER=true", "WAYLAND_DISPLAY=",
	}
	cmd := exec.Command(bin, "--sim", "--hidden", "--port", "0")
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	ready := &event{}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "window: dashboard ready") {
				ready.set()
			}
		}
	}()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, 0, 0, nil, fmt.Errorf("start app: %w", err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = pw.Close()
	}()
	reg, err := w.next(30 * time.Second)
	if err != nil {
		return 0, 0, 0, 0, 0, nil, err
	}
	time.Sleep(time.Until(start.Add(settle)))
	hiddenMB, hiddenUSS = treeMem(cmd.Process.Pid)
	smaps, err := os.Open(fmt.Sprintf("/proc/%d/smaps", cmd.Process.Pid))
	if err != nil {
		return 0, 0, 0, 0, 0, nil, fmt.Errorf("read the app's mappings: %w", err)
	}
	parts, err = breakdown(smaps, bin)
	_ = smaps.Close()
	if err != nil {
		return 0, 0, 0, 0, 0, nil, err
	}

	cpu0 := treeCPU(cmd.Process.Pid)
	t0 := time.Now()
	if _, err := sni.Click(reg[0], reg[1], "Open Dashboard"); err != nil {
		return 0, 0, 0, 0, 0, nil, err
	}
	// The page's ready line first, then the window's visibility: each
	// xdotool run costs a process start, and polling it while the window
	// process and WebKit start would take CPU from what is being measured.
	// The window is mapped before the page reports ready, so the second
	// loop normally ends at its first look.
	var wid string
	for !ready.isSet() || wid == "" {
		if time.Since(t0) > 60*time.Second {
			return 0, 0, 0, 0, 0, nil, errors.New("the dashboard was not drawn within 60 s of the click")
		}
		if ready.isSet() {
			wid = visibleWindow()
		}
		if wid == "" {
			time.Sleep(5 * time.Millisecond)
		}
	}
	clickMS = float64(time.Since(t0)) / float64(time.Millisecond)
	// Processes that ended meanwhile are not counted; none do while opening.
	cpuS = treeCPU(cmd.Process.Pid) - cpu0

	time.Sleep(2 * time.Second)
	if out, err := exec.Command(wmclose, wid).CombinedOutput(); err != nil {
		return 0, 0, 0, 0, 0, nil, fmt.Errorf("close the window: %w: %s", err, out)
	}
	for visibleWindow() != "" {
		if time.Since(t0) > 90*time.Second {
			return 0, 0, 0, 0, 0, nil, errors.New("the window did not hide after the close request")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(settle)
	afterMB, _ = treeMem(cmd.Process.Pid)
	return hiddenMB, hiddenUSS, afterMB, clickMS, cpuS, parts, nil
}

func visibleWindow() string {
	out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+title+"$").Output()
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// event is a flag set once, read from another goroutine.
type event struct {
	mu sync.Mutex
	on bool
}

func (e *event) set()        { e.mu.Lock(); e.on = true; e.mu.Unlock() }
func (e *event) isSet() bool { e.mu.Lock(); defer e.mu.Unlock(); return e.on }

// watcher is the fake tray host; registrations arrive as (sender, service).
type watcher struct {
	cmd *exec.Cmd
	reg chan [2]string
}

func startWatcher(bin string) (*watcher, error) {
	cmd := exec.Command(bin)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("pipe fakewatcher: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fakewatcher: %w", err)
	}
	w := &watcher{cmd: cmd, reg: make(chan [2]string, 16)}
	owned := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 2 && f[0] == "owner":
				close(owned)
			case len(f) == 3 && f[0] == "registered":
				w.reg <- [2]string{f[1], f[2]}
			}
		}
	}()
	select {
	case <-owned:
		return w, nil
	case <-time.After(10 * time.Second):
		w.stop()
		return nil, errors.New("fakewatcher did not own org.kde.StatusNotifierWatcher within 10 s")
	}
}

func (w *watcher) next(limit time.Duration) ([2]string, error) {
	select {
	case r := <-w.reg:
		return r, nil
	case <-time.After(limit):
		return [2]string{}, fmt.Errorf("the app's tray item did not register within %s", limit)
	}
}

func (w *watcher) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	_ = w.cmd.Wait()
}

// tree lists root and its descendants, from /proc/*/stat.
func tree(root int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(pid); len(f) > 1 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	for pid := range parent {
		q := pid
		for q != root && q > 1 {
			q = parent[q]
		}
		if q == root {
			out = append(out, pid)
		}
	}
	return out
}

// statFields are the fields of /proc/pid/stat after the command name.
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndex(s, ")")+2:])
}

// treeCPU is the CPU time (user+system) of root and its live descendants,
// in seconds: the work of opening the window, whatever the load.
func treeCPU(root int) float64 {
	var ticks float64
	for _, pid := range tree(root) {
		if f := statFields(pid); len(f) > 12 {
			ut, _ := strconv.ParseFloat(f[11], 64)
			st, _ := strconv.ParseFloat(f[12], 64)
			ticks += ut + st
		}
	}
	return ticks / 100 // USER_HZ
}

// treeMem sums Pss and Private_Clean+Private_Dirty (USS) over root and
// every descendant (smaps_rollup), in MB. PSS splits shared pages between
// the processes that map them, so it is what the app costs the machine,
// libraries included; it drops when other programs map the same GTK/WebKit
// libraries. USS, the pages no other process maps, does not depend on them.
func treeMem(root int) (pss, uss float64) {
	for _, pid := range tree(root) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			v, _ := strconv.ParseFloat(f[1], 64)
			switch f[0] {
			case "Pss:":
				pss += v
			case "Private_Clean:", "Private_Dirty:":
				uss += v
			}
		}
	}
	return pss / 1024, uss / 1024
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
