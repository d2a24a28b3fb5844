package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// apiCase is one request and what must come back. The request and answer
// parts (method … wantHeader) need nothing but a base URL, so the same
// table can be run against the real Service; setup, wantCall and noCall
// are for the fake Backend.
type apiCase struct {
	name       string
	method     string
	path       string
	headers    map[string]string // "Host" sets the Host header
	body       string
	wantStatus int
	wantJSON   string            // the whole body, compared as decoded JSON
	wantSub    string            // a substring of the body
	wantHeader map[string]string // exact header values ("" = must be absent)

	setup    func(*fakeBackend)
	wantCall string // a Backend call starting with this was recorded
	noCall   bool   // the Backend was not called (bar a read-only Snapshot)
}

// newTestServer starts the API over real HTTP on a loopback port.
func newTestServer(t *testing.T, f *fakeBackend, mod func(*Options)) *httptest.Server {
	t.Helper()
	opts := f.options()
	if mod != nil {
		mod(&opts)
	}
	srv := httptest.NewServer(New(opts))
	t.Cleanup(srv.Close)
	return srv
}

// exchange sends the case's request and reads the whole answer.
func exchange(t *testing.T, client *http.Client, baseURL string, c apiCase) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, baseURL+c.path, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	for k, v := range c.headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, b
}

// checkAnswer compares an answer with the case's expectations.
func checkAnswer(t *testing.T, c apiCase, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != c.wantStatus {
		t.Errorf("%s %s: status %d, want %d; body %s", c.method, c.path, resp.StatusCode, c.wantStatus, body)
	}
	if c.wantJSON != "" {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
		var got, want any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v: %s", c.method, c.path, err, body)
		}
		if err := json.Unmarshal([]byte(c.wantJSON), &want); err != nil {
			t.Fatalf("bad wantJSON in case %q: %v", c.name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s: body\n got %s\nwant %s", c.method, c.path, body, c.wantJSON)
		}
	}
	if c.wantSub != "" && !strings.Contains(string(body), c.wantSub) {
		t.Errorf("%s %s: body %s does not contain %q", c.method, c.path, body, c.wantSub)
	}
	for k, v := range c.wantHeader {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s %s: header %s = %q, want %q", c.method, c.path, k, got, v)
		}
	}
}

// runCases runs each case in a parallel subtest against its own fake.
func runCases(t *testing.T, cases []apiCase, mod func(*Options)) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			if c.setup != nil {
				c.setup(f)
			}
			srv := newTestServer(t, f, mod)
			resp, body := exchange(t, srv.Client(), srv.URL, c)
			checkAnswer(t, c, resp, body)
			if c.wantCall != "" && !f.called(c.wantCall) {
				t.Errorf("Backend calls %q, want one starting %q", f.Calls(), c.wantCall)
			}
			if c.noCall && len(f.mutatingCalls()) != 0 {
				t.Errorf("Backend was called (%q); validation must answer first", f.Calls())
			}
		})
	}
}

const agentJSON = `{"id":"` + testAgentID + `","agentName":"Milady","status":"running",
	"lastBackupAt":null,"lastHeartbeatAt":null,"errorMessage":null,
	"createdAt":"2026-03-01T12:00:00Z","updatedAt":"2026-03-01T12:00:00Z"}`

func agentPath(id, action string) string {
	p := "/api/cloud/agents/" + id
	if action != "" {
		p += "/" + action
	}
	return p
}

func errJSON(msg string) string {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return string(b)
}

// TestRoutes covers every route of the REST API with a working Backend.
func TestRoutes(t *testing.T) {
	t.Parallel()
	id := testAgentID
	runCases(t, []apiCase{
		{name: "health", method: "GET", path: "/api/health", wantStatus: 200,
			wantJSON: `{"ok":true,"app":"milady-cloud","version":"` + testVersion + `"}`},
		{name: "login", method: "POST", path: "/api/cloud/login", wantStatus: 200, wantCall: "StartLogin",
			wantJSON: `{"ok":true,"sessionId":"sess-1","browserUrl":"https://cloud.test/auth/cli-login?session=sess-1"}`},
		{name: "login status pending", method: "GET", path: "/api/cloud/login/status?sessionId=sess-1",
			wantStatus: 200, wantJSON: `{"status":"pending"}`, wantCall: "LoginStatus sess-1"},
		{name: "login status authenticated", method: "GET", path: "/api/cloud/login/status?sessionId=s2",
			setup:      func(f *fakeBackend) { f.loginStatus.Status, f.loginStatus.KeyPrefix = "authenticated", "eliza_ab" },
			wantStatus: 200, wantJSON: `{"status":"authenticated","keyPrefix":"eliza_ab"}`},
		{name: "login cancel", method: "POST", path: "/api/cloud/login/cancel", wantStatus: 200,
			wantJSON: `{"ok":true}`, wantCall: "CancelLogin"},
		{name: "log-out", method: "POST", path: "/api/cloud/disconnect", wantStatus: 200,
			wantJSON: `{"keyStillValid":true,"ok":true,"revokeUrl":"https://www.elizacloud.ai/dashboard/api-keys","status":"disconnected"}`, wantCall: "Logout"},
		{name: "status", method: "GET", path: "/api/cloud/status", wantStatus: 200, wantCall: "Status",
			wantJSON: `{"connected":false,"enabled":false,"hasApiKey":false,"reason":"not_authenticated",
				"connection":{"state":"disconnected","since":"2026-03-01T12:00:00Z"}}`},
		{name: "credits", method: "GET", path: "/api/cloud/credits", wantStatus: 200, wantCall: "Credits false",
			wantJSON: `{"connected":true,"balance":12.5,"low":false,"critical":false,
				"topUpUrl":"https://www.elizacloud.ai/dashboard/settings?tab=billing"}`},
		{name: "credits fresh", method: "GET", path: "/api/cloud/credits?fresh=1", wantStatus: 200, wantCall: "Credits true"},
		{name: "credit history", method: "GET", path: "/api/cloud/credits/history", wantStatus: 200,
			wantJSON: `{"ok":true,"samples":[{"at":"2026-03-01T12:00:00Z","balance":12.5}]}`},
		{name: "top up", method: "POST", path: "/api/cloud/topup", wantStatus: 200,
			wantJSON: `{"ok":true,"url":"https://www.elizacloud.ai/dashboard/settings?tab=billing"}`, wantCall: "TopUp 0"},
		{name: "top up page", method: "POST", path: "/api/cloud/topup/open", wantStatus: 200,
			wantJSON: `{"ok":true}`, wantCall: "OpenTopUp"},
		{name: "list agents", method: "GET", path: "/api/cloud/agents", wantStatus: 200,
			wantJSON: `{"ok":true,"agents":[` + agentJSON + `]}`},
		{name: "create agent", method: "POST", path: "/api/cloud/agents", wantStatus: 201,
			body:     `{"agentName":"Milady","agentConfig":{"a":1},"environmentVars":{"K":"V"}}`,
			wantJSON: `{"ok":true,"agent":` + agentJSON + `}`, wantCall: "CreateAgent Milady 1 map[K:V]"},
		{name: "get agent", method: "GET", path: agentPath(id, ""), wantStatus: 200,
			wantJSON: `{"ok":true,"agent":` + agentJSON + `}`, wantCall: "GetAgent " + id},
		{name: "provision", method: "POST", path: agentPath(id, "provision"), wantStatus: 200,
			wantJSON: `{"ok":true,"agentId":"` + id + `","agentName":"Milady","status":"connected"}`, wantCall: "ConnectAgent " + id},
		{name: "provision async", method: "POST", path: agentPath(id, "provision") + "?async=1", wantStatus: 202,
			wantJSON: `{"ok":true,"agentId":"` + id + `","status":"connecting"}`, wantCall: "ConnectAgentAsync " + id},
		{name: "connect", method: "POST", path: agentPath(id, "connect"), wantStatus: 200,
			wantJSON: `{"ok":true,"agentId":"` + id + `","agentName":"Milady","status":"connected"}`, wantCall: "ConnectAgent " + id},
		{name: "connect async", method: "POST", path: agentPath(id, "connect") + "?async=1", wantStatus: 202,
			wantJSON: `{"ok":true,"agentId":"` + id + `","status":"connecting"}`, wantCall: "ConnectAgentAsync " + id},
		{name: "disconnect agent", method: "POST", path: agentPath(id, "disconnect"), wantStatus: 200,
			wantJSON: `{"ok":true,"agentId":"` + id + `","status":"disconnected"}`, wantCall: "DisconnectAgent " + id},
		{name: "shutdown", method: "POST", path: agentPath(id, "shutdown"), wantStatus: 200,
			wantJSON: `{"ok":true,"agentId":"` + id + `","status":"stopped"}`, wantCall: "ShutdownAgent " + id},
		{name: "suspend", method: "POST", path: agentPath(id, "suspend"), wantStatus: 200,
			wantJSON: `{"ok":true,"agentId":"` + id + `","status":"stopped"}`, wantCall: "SuspendAgent " + id},
		{name: "resume", method: "POST", path: agentPath(id, "resume"), wantStatus: 200,
			wantJSON: `{"ok":true,"agentId":"` + id + `","status":"running"}`, wantCall: "ResumeAgent " + id},
		{name: "backups", method: "GET", path: agentPath(id, "backups"), wantStatus: 200,
			wantJSON: `{"ok":true,"backups":[]}`, wantCall: "ListBackups " + id},
		{name: "snapshot", method: "POST", path: agentPath(id, "snapshot"), wantStatus: 200,
			wantJSON: `{"ok":true,"backup":{"id":"bk-1","snapshotType":"manual","sizeBytes":null,"createdAt":"2026-03-01T12:00:00Z"}}`},
		{name: "restore latest", method: "POST", path: agentPath(id, "restore"), wantStatus: 200,
			wantJSON: `{"ok":true,"restore":{"restoredFromBackupId":"bk-1","snapshotType":"manual","createdAt":"2026-03-01T12:00:00Z"}}`,
			wantCall: "RestoreAgent " + id + " backup="},
		{name: "restore one", method: "POST", path: agentPath(id, "restore"), body: `{"backupId":"bk-7"}`,
			wantStatus: 200, wantCall: "RestoreAgent " + id + " backup=bk-7"},
		{name: "chat", method: "POST", path: "/api/chat", body: `{"text":"hi","roomId":"r1","channelType":"GROUP"}`,
			wantStatus: 200, wantJSON: `{"text":"echo: hi","agentId":"` + id + `"}`, wantCall: "Chat hi room=r1 channel=GROUP"},
		{name: "chat defaults", method: "POST", path: "/api/chat", body: `{"text":"hi","roomId":null}`,
			wantStatus: 200, wantCall: "Chat hi room= channel="},
		{name: "chat history default room", method: "GET", path: "/api/chat/history", wantStatus: 200,
			wantJSON: `{"ok":true,"messages":[{"at":"2026-03-01T12:00:00Z","agentId":"` + id + `","roomId":"web-chat","role":"user","text":"hi"}]}`,
			wantCall: "ChatHistory web-chat"},
		{name: "chat history room", method: "GET", path: "/api/chat/history?roomId=r9", wantStatus: 200, wantCall: "ChatHistory r9"},
		{name: "window show headless", method: "POST", path: "/api/window/show", wantStatus: 200, wantJSON: `{"ok":true,"shown":false}`},
		{name: "window show desktop", method: "POST", path: "/api/window/show", setup: func(f *fakeBackend) { f.shown = true },
			wantStatus: 200, wantJSON: `{"ok":true,"shown":true}`},
		{name: "settings", method: "POST", path: "/api/settings", body: `{"notifications":false,"startAtLogin":true}`,
			wantStatus: 200, wantCall: "SetStartAtLogin true",
			wantJSON: `{"ok":true,"settings":{"baseUrl":"","notifications":true,"startAtLogin":false,"configPath":"/tmp/milady.json","backupSkipWhenIdle":false}}`},
		{name: "settings empty", method: "POST", path: "/api/settings", wantStatus: 200, wantCall: "Snapshot"},
		{name: "settings skip idle backups", method: "POST", path: "/api/settings", body: `{"backupSkipWhenIdle":false}`,
			wantStatus: 200, wantCall: "SetBackupSkipWhenIdle false"},
		{name: "top up credits", method: "POST", path: "/api/cloud/topup", body: `{"credits":25}`, wantStatus: 200, wantCall: "TopUp 25"},
		{name: "top up bounds", method: "POST", path: "/api/cloud/topup", body: `{"credits":1000}`, wantStatus: 200, wantCall: "TopUp 1000"},
		{name: "top up null credits", method: "POST", path: "/api/cloud/topup", body: `{"credits":null}`, wantStatus: 200, wantCall: "TopUp 0"},
		{name: "usage", method: "GET", path: "/api/cloud/usage", wantStatus: 200, wantCall: "Usage 0 0",
			wantJSON: `{"transactions":[],"hours":0,"spent":0,"added":0,"burnRatePerHour":null}`},
		{name: "usage window", method: "GET", path: "/api/cloud/usage?hours=720&limit=1", wantStatus: 200, wantCall: "Usage 720 1"},
		{name: "open agent", method: "POST", path: agentPath(id, "open"), wantStatus: 200,
			wantJSON: `{"ok":true}`, wantCall: "OpenAgent " + id},
	}, nil)
}

// TestRoutingRules covers 404/405 and the order of checks on agent paths
// (Milady's order): path, then method, then id, then login.
func TestRoutingRules(t *testing.T) {
	t.Parallel()
	id := testAgentID
	notFound := errJSON("Not found")
	badID := errJSON("Invalid agent ID or cloud not connected")
	runCases(t, []apiCase{
		{name: "unknown api path", method: "GET", path: "/api/nope", wantStatus: 404, wantJSON: notFound, noCall: true,
			wantHeader: map[string]string{"Cache-Control": "no-store"}},
		{name: "api root", method: "GET", path: "/api", wantStatus: 404, wantJSON: notFound, noCall: true},
		{name: "trailing slash", method: "GET", path: "/api/health/", wantStatus: 404, wantJSON: notFound},
		{name: "extra segment", method: "POST", path: agentPath(id, "provision") + "/extra", wantStatus: 404, wantJSON: notFound, noCall: true},
		{name: "unknown action", method: "POST", path: agentPath(id, "explode"), wantStatus: 404, wantJSON: notFound, noCall: true},
		{name: "bad id and unknown action is 404 first", method: "POST", path: agentPath("nope", "explode"), wantStatus: 404, wantJSON: notFound},
		{name: "empty id", method: "POST", path: "/api/cloud/agents//provision", wantStatus: 404, wantJSON: notFound},
		{name: "wrong method on action", method: "GET", path: agentPath(id, "provision"), wantStatus: 405,
			wantJSON: errJSON("Method not allowed"), wantHeader: map[string]string{"Allow": "POST"}, noCall: true},
		{name: "bad id and wrong method is 405 first", method: "GET", path: agentPath("not-a-uuid", "provision"), wantStatus: 405,
			wantHeader: map[string]string{"Allow": "POST"}},
		{name: "wrong method on agent", method: "DELETE", path: agentPath(id, ""), wantStatus: 405,
			wantHeader: map[string]string{"Allow": "GET"}},
		{name: "wrong method on agents", method: "PUT", path: "/api/cloud/agents", wantStatus: 405,
			wantJSON: errJSON("Method not allowed"), wantHeader: map[string]string{"Allow": "GET, POST"}},
		{name: "wrong method on health", method: "POST", path: "/api/health", wantStatus: 405, wantHeader: map[string]string{"Allow": "GET"}},
		{name: "non-uuid id", method: "POST", path: agentPath("not-a-uuid", "provision"), wantStatus: 400, wantJSON: badID, noCall: true},
		{name: "non-uuid id detail", method: "GET", path: agentPath("123", ""), wantStatus: 400, wantJSON: badID, noCall: true},
		{name: "braced uuid", method: "GET", path: agentPath("{"+id+"}", "backups"), wantStatus: 400, wantJSON: badID},
		{name: "uuid without dashes", method: "POST", path: agentPath(strings.ReplaceAll(id, "-", ""), "connect"), wantStatus: 400, wantJSON: badID},
		{name: "upper-case uuid", method: "POST", path: agentPath(strings.ToUpper(id), "connect"), wantStatus: 200,
			wantCall: "ConnectAgent " + strings.ToUpper(id)},
		{name: "bad id beats logged out", method: "POST", path: agentPath("x", "shutdown"), wantStatus: 400, wantJSON: badID,
			setup: func(f *fakeBackend) { f.errs["ShutdownAgent"] = notLoggedIn() }, noCall: true},
		{name: "logged out", method: "POST", path: agentPath(id, "shutdown"), wantStatus: 401,
			setup: func(f *fakeBackend) { f.errs["ShutdownAgent"] = notLoggedIn() }, wantJSON: errJSON("Not connected to Eliza Cloud")},
		{name: "bad id beats bad body", method: "POST", path: agentPath("x", "restore"), body: `[]`, wantStatus: 400, wantJSON: badID},
	}, nil)
}

// TestValidation: bad input is answered without calling the Backend.
func TestValidation(t *testing.T) {
	t.Parallel()
	id := testAgentID
	notObject := errJSON("Request body must be a JSON object")
	invalidJSON := errJSON("Invalid JSON in request body")
	nameRequired := errJSON("agentName is required")
	textRequired := errJSON("text is required")
	creditsBad := errJSON("credits must be an integer from 1 to 1000")
	hoursBad := errJSON("hours must be an integer from 1 to 720")
	limitBad := errJSON("limit must be an integer from 1 to 1000")
	cases := []apiCase{
		{name: "login status without id", method: "GET", path: "/api/cloud/login/status",
			wantJSON: errJSON("sessionId query parameter is required")},
		{name: "login status empty id", method: "GET", path: "/api/cloud/login/status?sessionId=",
			wantJSON: errJSON("sessionId query parameter is required")},
		{name: "array body", method: "POST", path: "/api/cloud/agents", body: `[{"agentName":"x"}]`, wantJSON: notObject},
		{name: "invalid json", method: "POST", path: "/api/cloud/agents", body: `{"agentName":`, wantJSON: invalidJSON},
		{name: "string body", method: "POST", path: "/api/chat", body: `"hello"`, wantJSON: notObject},
		{name: "null body", method: "POST", path: "/api/chat", body: `null`, wantJSON: notObject},
		{name: "trailing garbage", method: "POST", path: "/api/chat", body: `{"text":"a"} x`, wantJSON: invalidJSON},
		{name: "not json at all", method: "POST", path: "/api/chat", body: `text=hello`, wantJSON: invalidJSON},
		{name: "number body", method: "POST", path: "/api/settings", body: `42`, wantJSON: notObject},
		{name: "empty body is {}", method: "POST", path: "/api/cloud/agents", wantJSON: nameRequired},
		{name: "agentName blank", method: "POST", path: "/api/cloud/agents", body: `{"agentName":"  "}`, wantJSON: nameRequired},
		{name: "agentName number", method: "POST", path: "/api/cloud/agents", body: `{"agentName":42}`, wantJSON: nameRequired},
		{name: "agentName null", method: "POST", path: "/api/cloud/agents", body: `{"agentName":null}`, wantJSON: nameRequired},
		{name: "env not object", method: "POST", path: "/api/cloud/agents", body: `{"agentName":"a","environmentVars":["K=V"]}`,
			wantJSON: errJSON("environmentVars must be an object of strings")},
		{name: "env value not string", method: "POST", path: "/api/cloud/agents", body: `{"agentName":"a","environmentVars":{"K":1}}`,
			wantJSON: errJSON("environmentVars must be an object of strings")},
		{name: "env value null", method: "POST", path: "/api/cloud/agents", body: `{"agentName":"a","environmentVars":{"K":null}}`,
			wantJSON: errJSON("environmentVars must be an object of strings")},
		{name: "agentConfig not object", method: "POST", path: "/api/cloud/agents", body: `{"agentName":"a","agentConfig":"x"}`,
			wantJSON: errJSON("agentConfig must be an object")},
		{name: "backupId not string", method: "POST", path: agentPath(id, "restore"), body: `{"backupId":7}`,
			wantJSON: errJSON("backupId must be a string")},
		{name: "restore array body", method: "POST", path: agentPath(id, "restore"), body: `[]`, wantJSON: notObject},
		{name: "chat text missing", method: "POST", path: "/api/chat", body: `{}`, wantJSON: textRequired},
		{name: "chat empty body", method: "POST", path: "/api/chat", wantJSON: textRequired},
		{name: "chat text blank", method: "POST", path: "/api/chat", body: `{"text":" \n\t"}`, wantJSON: textRequired},
		{name: "chat text not string", method: "POST", path: "/api/chat", body: `{"text":["hi"]}`, wantJSON: textRequired},
		{name: "chat text too long", method: "POST", path: "/api/chat", body: `{"text":"` + strings.Repeat("a", 32<<10+1) + `"}`,
			wantJSON: errJSON("text is too long (at most 32 KiB)")},
		{name: "chat roomId not string", method: "POST", path: "/api/chat", body: `{"text":"hi","roomId":1}`,
			wantJSON: errJSON("roomId must be a string")},
		{name: "chat channelType not string", method: "POST", path: "/api/chat", body: `{"text":"hi","channelType":true}`,
			wantJSON: errJSON("channelType must be a string")},
		{name: "chat channelType unknown", method: "POST", path: "/api/chat", body: `{"text":"hi","channelType":"dm"}`,
			wantSub: "channelType must be one of DM, GROUP, VOICE_DM, VOICE_GROUP, API"},
		{name: "stream text missing", method: "POST", path: "/api/chat/stream", body: `{"text":""}`, wantJSON: textRequired},
		{name: "stream channelType unknown", method: "POST", path: "/api/chat/stream", body: `{"text":"a","channelType":"SMS"}`,
			wantSub: "channelType must be one of"},
		{name: "stream array body", method: "POST", path: "/api/chat/stream", body: `[]`, wantJSON: notObject},
		{name: "settings not bool", method: "POST", path: "/api/settings", body: `{"notifications":"yes"}`,
			wantJSON: errJSON("notifications must be a boolean")},
		{name: "settings second not bool applies neither", method: "POST", path: "/api/settings",
			body: `{"notifications":true,"startAtLogin":1}`, wantJSON: errJSON("startAtLogin must be a boolean")},
		{name: "settings skip idle not bool applies none", method: "POST", path: "/api/settings",
			body: `{"notifications":true,"backupSkipWhenIdle":"no"}`, wantJSON: errJSON("backupSkipWhenIdle must be a boolean")},
		{name: "top up invalid json", method: "POST", path: "/api/cloud/topup", body: `{"credits":`, wantJSON: invalidJSON},
		{name: "top up array", method: "POST", path: "/api/cloud/topup", body: `[10]`, wantJSON: notObject},
		{name: "top up number body", method: "POST", path: "/api/cloud/topup", body: `10`, wantJSON: notObject},
		{name: "top up zero", method: "POST", path: "/api/cloud/topup", body: `{"credits":0}`, wantJSON: creditsBad},
		{name: "top up too many", method: "POST", path: "/api/cloud/topup", body: `{"credits":1001}`, wantJSON: creditsBad},
		{name: "top up fraction", method: "POST", path: "/api/cloud/topup", body: `{"credits":2.5}`, wantJSON: creditsBad},
		{name: "top up string", method: "POST", path: "/api/cloud/topup", body: `{"credits":"10"}`, wantJSON: creditsBad},
		{name: "top up huge", method: "POST", path: "/api/cloud/topup", body: `{"credits":1e300}`, wantJSON: creditsBad},
		{name: "usage hours zero", method: "GET", path: "/api/cloud/usage?hours=0", wantJSON: hoursBad},
		{name: "usage hours too many", method: "GET", path: "/api/cloud/usage?hours=721", wantJSON: hoursBad},
		{name: "usage hours text", method: "GET", path: "/api/cloud/usage?hours=day", wantJSON: hoursBad},
		{name: "usage limit zero", method: "GET", path: "/api/cloud/usage?limit=0", wantJSON: limitBad},
		{name: "usage limit too many", method: "GET", path: "/api/cloud/usage?hours=1&limit=1001", wantJSON: limitBad},
	}
	for i := range cases {
		cases[i].wantStatus = 400
		cases[i].noCall = true
	}
	runCases(t, cases, nil)
}

// TestChatTextLimit: exactly 32 KiB is accepted.
func TestChatTextLimit(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{{name: "32 KiB", method: "POST", path: "/api/chat",
		body: `{"text":"` + strings.Repeat("a", 32<<10) + `"}`, wantStatus: 200, wantCall: "Chat aaa"}}, nil)
}

// TestPanicIsJSON500: a panicking Backend yields a JSON 500, and the
// server keeps serving.
func TestPanicIsJSON500(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.panics["ListAgents"] = true
	srv := newTestServer(t, f, nil)
	c := apiCase{method: "GET", path: "/api/cloud/agents", wantStatus: 500, wantJSON: errJSON("Internal server error")}
	resp, body := exchange(t, srv.Client(), srv.URL, c)
	checkAnswer(t, c, resp, body)
	c = apiCase{method: "GET", path: "/api/health", wantStatus: 200, wantSub: `"ok":true`}
	resp, body = exchange(t, srv.Client(), srv.URL, c)
	checkAnswer(t, c, resp, body)
}

// TestLogoutNeverFails: POST /api/cloud/disconnect is 200 even when the
// Backend reports a problem.
func TestLogoutNeverFails(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{{name: "save failed", method: "POST", path: "/api/cloud/disconnect",
		setup:      func(f *fakeBackend) { f.errs["Logout"] = fmt.Errorf("save config: disk full") },
		wantStatus: 200, wantJSON: `{"keyStillValid":true,"ok":true,"revokeUrl":"https://www.elizacloud.ai/dashboard/api-keys","status":"disconnected"}`}}, nil)
}

// TestRouteTableUnambiguous: no path can match two routes with the same
// method, so the table reads as the whole truth.
func TestRouteTableUnambiguous(t *testing.T) {
	t.Parallel()
	routes := New(newFake().options()).(*server).routes
	overlap := func(a, b route) bool {
		if a.method != b.method || len(a.segs) != len(b.segs) {
			return false
		}
		for i := range a.segs {
			if a.segs[i] != b.segs[i] && a.segs[i] != idSegment && b.segs[i] != idSegment {
				return false
			}
		}
		return true
	}
	for i := range routes {
		for j := i + 1; j < len(routes); j++ {
			if overlap(routes[i], routes[j]) {
				t.Errorf("%s %s overlaps %s", routes[i].method, routes[i].pattern, routes[j].pattern)
			}
		}
	}
}
