package app_test

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// TestBaseURLCredentialsNeverEchoed: a configured base URL with
// credentials is refused, and neither the REST answers nor the log repeat
// the password.
func TestBaseURLCredentialsNeverEchoed(t *testing.T) {
	const secret = "s3cr3tPass"
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "milady.json")
	apptest.WriteConfig(t, cfgPath, `{"cloud":{"baseUrl":"https://user:`+secret+`@cloud.example/"}}`)
	logs := &apptest.Buffer{}
	logger := apptest.Logger(logs, slog.LevelDebug)
	svc, db := apptest.NewService(t, apptest.ServiceConfig{ConfigPath: cfgPath, StateDir: filepath.Join(dir, "state"),
		Options: app.Options{Version: "test", Logger: logger, Opener: &apptest.Opener{}, Env: &apptest.Env{}}})
	h := serve(t, svc, db, logger)
	login := h.expect("POST", "/api/cloud/login", "", 400)
	if !strings.Contains(login["error"].(string), "credentials") {
		t.Errorf("login answer does not say why: %v", login)
	}
	h.expect("GET", "/api/cloud/status", "", 200)
	h.expect("GET", "/api/cloud/login/status?sessionId=x", "", 200)
	if out := h.bodies.String(); strings.Contains(out, secret) {
		t.Errorf("an answer echoes the credentials: %s", out)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the log echoes the credentials: %s", logs.String())
	}
	if !strings.Contains(h.bodies.String(), "xxxxx@cloud.example") {
		t.Errorf("the answers do not show the redacted URL: %s", h.bodies.String())
	}
}
