package config

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crashHelperEnv makes TestHelperProcess act as the saving process.
const crashHelperEnv = "MILADY_CONFIG_CRASH_HELPER"

// TestHelperProcess is not a test: re-executed by TestCrashWhileSaving, it
// saves the config in a loop, printing one line per save, until it is
// killed.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(crashHelperEnv) != "1" {
		t.Skip("helper process for TestCrashWhileSaving")
	}
	path := os.Getenv("MILADY_CONFIG_PATH")
	s, err := Open(path, nil)
	if err != nil || s.Err() != nil {
		fmt.Printf("error: open: %v %v\n", err, s.Err())
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	s.beforeWrite = func() {
		fmt.Fprintln(out, "writing")
		_ = out.Flush()
	}
	for i := 0; ; i++ {
		err := s.Update(func(p *Patch) {
			if i%3 == 2 {
				p.ClearCloudLogin()
			} else {
				p.SetCloudLogin("eliza_" + strconv.Itoa(i))
			}
			p.SetLastAgent("agent-" + strconv.Itoa(i))
			p.SetWasConnected(i%2 == 0)
		})
		if err != nil {
			fmt.Fprintf(out, "error: %v\n", err)
			_ = out.Flush()
			os.Exit(3)
		}
		fmt.Fprintln(out, "saved")
		_ = out.Flush()
	}
}

// TestCrashWhileSaving kills a process that is saving the config at random
// moments and checks after every kill that the file parses and still
// holds every key it had. MILADY_CRASH_KILLS raises the number of kills.
func TestCrashWhileSaving(t *testing.T) {
	if os.Getenv(crashHelperEnv) == "1" {
		t.Skip("inside the helper")
	}
	kills := 60
	if n, err := strconv.Atoi(os.Getenv("MILADY_CRASH_KILLS")); err == nil && n > 0 {
		kills = n
	}
	if testing.Short() {
		kills = 10
	}
	path := filepath.Join(t.TempDir(), FileName)
	orig := crashFixture(t)
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	want := mustTree(t, orig)
	owned := []string{"cloud.enabled", "cloud.apiKey", "desktop.lastAgentId", "desktop.wasConnected"}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	t.Logf("%d kills (seeded from the clock)", kills)

	midWrite := 0
	for k := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashHelperEnv+"=1", "MILADY_CONFIG_PATH="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it finish 1–3 saves, then kill it: every other round right
		// after it announces a write (so the kill lands in the write, fsync
		// or rename), otherwise anywhere in the next save. A spin of random
		// length spreads the moment of the kill.
		waitFor, marker := 1+rng.IntN(3), "saved"
		if k%2 == 0 {
			marker = "writing"
		}
		sc := bufio.NewScanner(stdout)
		for seen := 0; seen < waitFor; {
			if !sc.Scan() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("kill %d: helper exited early: %v", k, sc.Err())
			}
			if line := sc.Text(); strings.HasPrefix(line, "error") {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("kill %d: helper: %s", k, line)
			} else if line == marker {
				seen++
			}
		}
		spin(rng.IntN(100_000))
		if err := cmd.Process.Kill(); err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		_ = cmd.Wait()

		if temps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".milady.json.tmp-*")); len(temps) > 0 {
			midWrite++
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("kill %d: config gone: %v", k, err)
		}
		doc, err := parseDocument(raw)
		if err != nil || doc.json5 {
			t.Fatalf("kill %d: config does not parse (err=%v):\n%.400s", k, err, raw)
		}
		if !reflect.DeepEqual(without(doc.tree, owned...), without(want, owned...)) {
			t.Fatalf("kill %d: keys lost or changed", k)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("kill %d: mode %v", k, fi.Mode().Perm())
		}
	}
	t.Logf("%d of %d kills landed while a temp file was open (mid-save)", midWrite, kills)
}

// spin burns a random, short amount of CPU: the kill moment must vary, and a
// timer's granularity would bunch the kills together.
func spin(n int) {
	x := 0
	for i := range n {
		x ^= i
	}
	spinSink = x
}

var spinSink int

// crashFixture is a large config (so that a save takes long enough to be
// interrupted) with comments, nesting and every JSON type.
func crashFixture(t *testing.T) []byte {
	t.Helper()
	base, err := os.ReadFile(filepath.Join("testdata", "milady-full.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	s := string(base)
	cut := strings.LastIndex(s, "}")
	sb.WriteString(strings.TrimRight(s[:cut], " \n"))
	sb.WriteString(",\n  // bulk section\n  \"bulk\": {\n")
	for i := range 200 {
		fmt.Fprintf(&sb, "    \"key%d\": {\"n\": %d, \"s\": \"value %d\", \"list\": [1, 2.5, true, null]}, // c%d\n", i, i, i, i)
	}
	sb.WriteString("  }\n}\n")
	return []byte(sb.String())
}
