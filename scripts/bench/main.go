// Command bench measures the performance figures the README lists
// against the built binary and prints each beside its target. It is run by
// `make bench`; nothing here is asserted by a test, because timings belong
// in reports, not in pass/fail checks.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type figure struct {
	name, value, target string
	ok                  bool
}

func main() {
	bin := flag.String("bin", "build/bin/milady-cloud", "the milady-cloud binary")
	starts := flag.Int("starts", 20, "interleaved starts per program")
	idle := flag.Duration("idle", 60*time.Second, "connected-and-idle window for the CPU figure")
	flag.Parse()

	abs, err := filepath.Abs(*bin)
	must(err)
	work, err := os.MkdirTemp("", "milady-bench-")
	must(err)
	defer os.RemoveAll(work)
	bare := filepath.Join(work, "bare")
	must(run("go", "build", "-o", bare, "./scripts/bench/bare"))

	fmt.Printf("milady-cloud bench — %s, %d cores, %s\n\n", runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), cpuModel())
	var figs []figure
	figs = append(figs, benchStart(abs, bare, work, *starts))

	app := startApp(abs, work)
	defer app.stop()
	app.login()
	figs = append(figs, benchMemory(app))
	figs = append(figs, benchThroughput(app, bare)...)
	agent := app.connectAgent()
	figs = append(figs, benchChat(app, agent), benchStream(app, agent))
	figs = append(figs, benchCredits(app))
	figs = append(figs, benchIdleCPU(app, *idle))

	fmt.Printf("\n%-58s %-28s %-14s %s\n", "figure", "measured", "target", "")
	fmt.Println(strings.Repeat("-", 110))
	failed := 0
	for _, f := range figs {
		mark := "ok"
		if !f.ok {
			mark = "MISSED"
			failed++
		}
		fmt.Printf("%-58s %-28s %-14s %s\n", f.name, f.value, f.target, mark)
	}
	fmt.Printf("\n%d of %d figures within target\n", len(figs)-failed, len(figs))
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
