package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if i := strings.Index(l, ":"); i > 0 {
				return strings.TrimSpace(l[i+1:])
			}
		}
	}
	return "unknown CPU"
}

// proc is a started program that printed its URL.
type proc struct {
	cmd    *exec.Cmd
	url    string
	simURL string
	state  string
	cfg    string
	sim    *http.Client
	client *http.Client
}

var urlRE = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)
var simRE = regexp.MustCompile(`url=(https://127\.0\.0\.1:[0-9]+)`)

// startProc starts a program and waits for its URL on stdout.
func startProc(env []string, name string, args ...string) (*proc, *bytes.Buffer) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	must(err)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	must(cmd.Start())
	p := &proc{cmd: cmd, client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := urlRE.FindString(sc.Text()); m != "" {
			p.url = m
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if p.url == "" {
		must(fmt.Errorf("%s printed no URL; log:\n%s", name, logs.String()))
	}
	return p, &logs
}

func (p *proc) stop() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(6 * time.Second):
			_ = p.cmd.Process.Kill()
		}
	}
}

// startApp starts milady-cloud --headless --sim with its own folders.
func startApp(bin, work string) *proc {
	dir, err := os.MkdirTemp(work, "app-")
	must(err)
	// --sim keeps its own milady.json in <state>/sim.
	cfg := filepath.Join(dir, "state", "sim", "milady.json")
	env := []string{"MILADY_STATE_DIR=" + filepath.Join(dir, "state"), "MILADY_CONFIG_PATH=" + cfg,
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "xdg"), "DISPLAY=", "WAYLAND_DISPLAY=", "MILADY_API_TOKEN="}
	p, logs := startProc(env, bin, "--headless", "--sim", "--port", "0")
	p.state, p.cfg = filepath.Join(dir, "state"), cfg
	for i := 0; i < 100 && p.simURL == ""; i++ {
		if m := simRE.FindStringSubmatch(logs.String()); m != nil {
			p.simURL = m[1]
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	pem, err := os.ReadFile(filepath.Join(p.state, "sim-ca.pem"))
	must(err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	p.sim = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 64}}
	return p
}

func (p *proc) call(c *http.Client, method, url, body string, hdr ...string) (int, []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	must(err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (p *proc) api(method, path, body string) map[string]any {
	code, b := p.call(p.client, method, p.url+path, body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if code >= 400 || m == nil {
		must(fmt.Errorf("%s %s: %d %s", method, path, code, b))
	}
	return m
}

// login logs in through the simulator's approve hook.
func (p *proc) login() {
	m := p.api("POST", "/api/cloud/login", "")
	sid := m["sessionId"].(string)
	code, b := p.call(p.sim, "POST", p.simURL+"/__sim/sessions/"+sid+"/approve", "{}")
	if code != 200 {
		must(fmt.Errorf("approve: %d %s", code, b))
	}
	for i := 0; i < 500; i++ {
		if p.api("GET", "/api/cloud/login/status?sessionId="+sid, "")["status"] == "authenticated" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	must(fmt.Errorf("login did not complete"))
}

func (p *proc) connectAgent() string {
	m := p.api("POST", "/api/cloud/agents", `{"agentName":"Bench"}`)
	id := m["agent"].(map[string]any)["id"].(string)
	p.api("POST", "/api/cloud/agents/"+id+"/connect", "")
	return id
}

// apiKey reads the key the app saved (the bench owns this config file).
func (p *proc) apiKey() string {
	b, err := os.ReadFile(p.cfg)
	must(err)
	m := regexp.MustCompile(`"apiKey"\s*:\s*"([^"]+)"`).FindSubmatch(b)
	if m == nil {
		must(fmt.Errorf("no apiKey in %s", p.cfg))
	}
	return string(m[1])
}

// cpuSeconds is utime+stime of the process.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	must(err)
	s := string(b)
	fields := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	ut, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// anonMB is the anonymous memory of a process from smaps_rollup.
func anonMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	must(err)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Anonymous:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}
