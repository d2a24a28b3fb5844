package cloudsim

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
)

// loginPage is the simulator's stand-in for {site}/auth/cli-login. The real
// page signs the user in and completes the session automatically; here the
// simulated user is always signed in and approves with one click, so a whole
// login works offline. The button works with JavaScript (fetch to the
// control API) and without it (form post back to this page).
var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Eliza Cloud — Approve login (simulator)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}
.notice{background:#fff4d6;border:1px solid #e0b84c;padding:.75rem 1rem;border-radius:6px}
code{background:#f2f2f2;padding:.1rem .3rem;border-radius:3px}
button{font-size:1.1rem;padding:.5rem 1.5rem;margin-top:1rem}
#result{margin-top:1rem;font-weight:600}
</style>
</head>
<body>
<h1>Approve login</h1>
<p class="notice" id="sim-notice">This is the <strong>offline Eliza Cloud simulator</strong>, not the real Eliza Cloud. Nothing here touches a real account.</p>
{{if .Found}}
<p>A desktop app asks to sign in as <strong>{{.Email}}</strong>.</p>
<p>Session: <code id="session">{{.Session}}</code></p>
{{if .Approved}}
<p id="result">Login approved. You can close this tab.</p>
{{else}}
<form id="approve-form" method="post" action="{{.FormAction}}">
<button id="approve" type="submit">Approve</button>
</form>
<p id="result" role="status">{{.Message}}</p>
<script>
document.getElementById("approve-form").addEventListener("submit", function (ev) {
  ev.preventDefault();
  var btn = document.getElementById("approve");
  var out = document.getElementById("result");
  btn.disabled = true;
  fetch({{.ApproveURL}}, {method: "POST"}).then(function (res) {
    return res.json().then(function (body) {
      if (res.ok) {
        out.textContent = "Login approved. You can close this tab.";
        btn.hidden = true;
      } else {
        out.textContent = "Approval failed: " + (body.error || ("HTTP " + res.status));
        btn.disabled = false;
      }
    });
  }).catch(function (err) {
    out.textContent = "Approval failed: " + err;
    btn.disabled = false;
  });
});
</script>
{{end}}
{{else}}
<p id="result">This login session was not found or has expired. Start the login again from the app.</p>
{{end}}
</body>
</html>
`))

type loginPageData struct {
	Found      bool
	Approved   bool
	Session    string
	Email      string
	Message    string
	FormAction string
	ApproveURL string
}

// handleLoginPage is GET /auth/cli-login?session=<id>.
func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("session")
	s.mu.Lock()
	sess := s.liveSessionLocked(id)
	data := loginPageData{Session: id, Email: SimEmail}
	if sess != nil {
		data.Found = true
		data.Approved = sess.status != "pending"
	}
	s.mu.Unlock()
	s.renderLogin(w, data)
}

// handleLoginPageApprove is the no-JavaScript path: the form posts back to
// the page, which approves and shows the result.
func (s *Server) handleLoginPageApprove(w http.ResponseWriter, r *http.Request) {
	if !isLoopback(r) {
		plainError(w, http.StatusForbidden, "The simulator only accepts approvals from this computer")
		return
	}
	id := r.URL.Query().Get("session")
	s.mu.Lock()
	err := s.approveLocked(id)
	sess := s.liveSessionLocked(id)
	s.mu.Unlock()
	data := loginPageData{Session: id, Email: SimEmail, Found: sess != nil}
	if err == nil || err == ErrSessionCompleted {
		data.Approved = true
	} else {
		data.Message = "Approval failed: " + err.Error()
	}
	s.renderLogin(w, data)
}

func (s *Server) renderLogin(w http.ResponseWriter, data loginPageData) {
	data.FormAction = "/auth/cli-login?session=" + url.QueryEscape(data.Session)
	data.ApproveURL = "/__sim/sessions/" + url.PathEscape(data.Session) + "/approve"
	var buf bytes.Buffer
	if err := loginPage.Execute(&buf, data); err != nil {
		s.log.Error("render simulator login page", "err", err)
		http.Error(w, "simulator page error", http.StatusInternalServerError)
		return
	}
	status := http.StatusOK
	if !data.Found {
		status = http.StatusNotFound
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// billingPage stands in for {site}/dashboard/settings?tab=billing, where
// the app's Top up leads under --sim: it says where the user is and how to
// change the simulated balance, and never points at the real cloud.
const billingPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Eliza Cloud — Billing (simulator)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}
.notice{background:#fff4d6;border:1px solid #e0b84c;padding:.75rem 1rem;border-radius:6px}
code{background:#f2f2f2;padding:.1rem .3rem;border-radius:3px}
</style>
</head>
<body>
<h1>Billing</h1>
<p class="notice" id="sim-notice">This is the <strong>offline Eliza Cloud simulator</strong>: there is nothing to pay. On the real Eliza Cloud this page tops up your credits.</p>
<p>To change the simulated balance, <code>POST /__sim/balance</code> with <code>{"balance": 25}</code>.</p>
</body>
</html>
`

// handleBillingPage serves billingPage.
func (s *Server) handleBillingPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(billingPage))
}
