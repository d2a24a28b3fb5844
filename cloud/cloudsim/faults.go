package cloudsim

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"time"
)

// Fault is an injected failure for requests matching Method and Path. It
// never applies to /__sim/ paths or the browser login page.
type Fault struct {
	Method     string        // "" = any
	Path       string        // path prefix match, e.g. "/api/v1/credits/balance"
	Count      int           // how many requests it hits; 0 = unlimited until cleared
	Status     int           // respond with this status and Body (default body {"success":false,"error":"Injected failure"})
	Body       string        // response body for Status
	RedirectTo string        // respond 302 Location: RedirectTo
	Malformed  bool          // 200 with a truncated/invalid JSON body
	Delay      time.Duration // sleep before answering (for timeouts); real time
	SlowBody   bool          // write headers + half the body, then stall for Delay, then the rest
	Reset      bool          // hijack and close the connection without answering
}

// faultState is a Fault plus how many hits it has left.
type faultState struct {
	Fault
	left int // remaining hits when Count > 0
}

// malformedBody is what a Malformed fault answers: JSON cut off mid-value.
const malformedBody = `{"success":true,"balance":12.5,"data":{"id":"`

const defaultFaultBody = `{"success":false,"error":"Injected failure"}`

// Request is one API request the simulator received. Auth records only how
// the key was sent, never the key itself.
type Request struct {
	Method string
	Path   string
	Query  string
	Auth   string // "x-api-key" | "bearer" | ""
	// UserAgent is the client's User-Agent header, so tests can check
	// that the app names itself and its version.
	UserAgent string
	At        time.Time
}

// maxRequests bounds the request log in long demo sessions.
const maxRequests = 10000

// record appends r to the request log.
func (s *Server) record(r *http.Request) {
	auth := ""
	if strings.TrimSpace(r.Header.Get("X-API-Key")) != "" {
		auth = "x-api-key"
	} else if _, ok := bearerToken(r.Header.Get("Authorization")); ok {
		auth = "bearer"
	}
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: auth, UserAgent: r.UserAgent(), At: s.now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.st.requests) >= maxRequests {
		s.st.requests = append(s.st.requests[:0], s.st.requests[len(s.st.requests)-maxRequests+1:]...)
	}
	s.st.requests = append(s.st.requests, req)
}

// Requests returns a copy of the request log, oldest first. /__sim/
// requests are not logged.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.st.requests...)
}

// CountRequests counts logged requests with the method ("" = any) whose path
// starts with pathPrefix.
func (s *Server) CountRequests(method, pathPrefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.st.requests {
		if (method == "" || strings.EqualFold(method, r.Method)) && strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.requests = nil
}

// InjectFault appends f to the fault list; the first matching fault wins.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, &faultState{Fault: f, left: f.Count})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = nil
}

// takeFault finds the first fault matching r and uses up one of its hits.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.st.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if !strings.HasPrefix(r.URL.Path, f.Path) {
			continue
		}
		if f.Count > 0 {
			f.left--
			if f.left <= 0 {
				s.st.faults = append(s.st.faults[:i:i], s.st.faults[i+1:]...)
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// applyFault answers r according to a matching fault. It reports whether the
// request was fully handled; a delay-only fault returns false after sleeping
// so the normal handler answers.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	f, ok := s.takeFault(r)
	if !ok {
		return false
	}
	if f.Delay > 0 && !f.SlowBody {
		if !s.sleep(r, f.Delay) {
			// The client gave up (or the server is closing): answering now
			// could hand a half-cancelled client an empty 200.
			resetConnection(w)
			return true
		}
	}
	switch {
	case f.Reset:
		resetConnection(w)
		return true
	case f.RedirectTo != "":
		w.Header().Set("Location", f.RedirectTo)
		w.WriteHeader(http.StatusFound)
		return true
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(malformedBody))
		return true
	case f.Status != 0:
		body := f.Body
		if body == "" {
			body = defaultFaultBody
		}
		h := http.Header{"Content-Type": {"application/json"}}
		if f.SlowBody {
			s.writeSlow(w, r, f.Status, h, []byte(body), f.Delay)
		} else {
			copyHeader(w.Header(), h)
			w.WriteHeader(f.Status)
			_, _ = w.Write([]byte(body))
		}
		return true
	case f.SlowBody:
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.writeSlow(w, r, rec.status, rec.header, rec.body.Bytes(), f.Delay)
		return true
	}
	return false
}

// writeSlow sends the headers and the first half of body, stalls for d, then
// sends the rest. Content-Length is announced so a client sees a short read
// if it gives up.
func (s *Server) writeSlow(w http.ResponseWriter, r *http.Request, status int, h http.Header, body []byte, d time.Duration) {
	copyHeader(w.Header(), h)
	w.Header().Set("Content-Length", itoa(len(body)))
	w.WriteHeader(status)
	half := len(body) / 2
	_, _ = w.Write(body[:half])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	if !s.sleep(r, d) {
		resetConnection(w)
		return
	}
	_, _ = w.Write(body[half:])
}

// resetConnection drops the TCP connection without an HTTP answer. Linger 0
// makes the close an RST, which clients see as "connection reset by peer".
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = nc.NetConn()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = raw.Close()
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = append([]string(nil), v...)
	}
}

// recorder captures a handler's answer so a SlowBody fault can replay it.
type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// Flush lets streaming handlers run against the recorder.
func (r *recorder) Flush() {}
