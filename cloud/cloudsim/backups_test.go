package cloudsim

import (
	"encoding/json"
	"testing"
	"time"
)

func send(t *testing.T, s *Server, k, id, text string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": "m", "method": "message.send", "params": map[string]any{"text": text}})
	call(t, s, "POST", "/api/v1/milady/agents/"+id+"/bridge", string(body), key(k)).want(t, 200)
}

func TestSnapshotsArePrunedToTen(t *testing.T) {
	clk := newFake()
	s, k, id := startRunning(t, Options{Clock: clk})
	send(t, s, k, id, "héllo")

	var ids []string
	for i := range 12 {
		clk.Advance(time.Minute)
		r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/snapshot", "", key(k)).want(t, 200)
		ids = append(ids, r.str("data.backupId"))
		if r.str("data.snapshotType") != "manual" || r.get("data.sizeBytes") == nil || !isoMillis.MatchString(r.str("data.createdAt")) {
			t.Fatalf("snapshot %d = %s", i, r.raw)
		}
		if _, has := r.body["data"].(map[string]any)["id"]; has {
			t.Fatal("snapshot answer must use backupId, not id")
		}
	}
	if n := s.SnapshotCount(id); n != 10 {
		t.Fatalf("SnapshotCount = %d, want 10", n)
	}
	r := call(t, s, "GET", "/api/v1/milady/agents/"+id+"/backups", "", key(k)).want(t, 200)
	list := r.get("data").([]any)
	if len(list) != 10 || list[0].(map[string]any)["id"] != ids[11] || list[9].(map[string]any)["id"] != ids[2] {
		t.Fatalf("backups not newest-first pruned list: %s", r.raw)
	}
	// sizeBytes is the UTF-8 length of the stored state JSON.
	state, _ := json.Marshal(obj{"memories": []memory{
		{Role: "user", Text: "héllo", Timestamp: clk.Now().Add(-12 * time.Minute).UnixMilli()},
		{Role: "assistant", Text: "[echo] héllo", Timestamp: clk.Now().Add(-12 * time.Minute).UnixMilli()},
	}, "config": obj{}, "workspaceFiles": obj{}})
	if got := list[0].(map[string]any)["sizeBytes"]; got != float64(len(state)) {
		t.Fatalf("sizeBytes = %v, want %d", got, len(state))
	}
	r = call(t, s, "GET", "/api/v1/milady/agents/unknown/backups", "", key(k)).want(t, 200)
	if len(r.get("data").([]any)) != 0 {
		t.Fatalf("unknown agent backups = %s", r.raw)
	}
}

func TestSnapshotRequiresRunning(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	id := createAgent(t, s, k, "Idle")
	for _, target := range []string{id, "no-such-agent"} {
		r := call(t, s, "POST", "/api/v1/milady/agents/"+target+"/snapshot", "", key(k)).want(t, 409)
		if r.str("error") != "Sandbox is not running" || r.body["success"] != false {
			t.Fatalf("snapshot %s = %s", target, r.raw)
		}
	}
}

func TestRestore(t *testing.T) {
	s, k, id := startRunning(t, Options{})
	post := func(body string) resp {
		return call(t, s, "POST", "/api/v1/milady/agents/"+id+"/restore", body, key(k))
	}
	r := post(`{}`).want(t, 404)
	if r.str("error") != "No backup found" {
		t.Fatalf("restore without backups = %s", r.raw)
	}
	send(t, s, k, id, "one")
	first := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/snapshot", "", key(k)).want(t, 200).str("data.backupId")
	send(t, s, k, id, "two")
	second := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/snapshot", "", key(k)).want(t, 200).str("data.backupId")

	post(`{"backupId":"not-a-uuid"}`).want(t, 400)
	post(`not json`).want(t, 500)
	post(`{"backupId":"6f1d8a52-3c39-4c8e-9a43-5b2b4d7f0e11"}`).want(t, 404)
	call(t, s, "POST", "/api/v1/milady/agents/missing/restore", `{}`, key(k)).want(t, 404)

	// Running: any backup may be pushed in.
	r = post(`{"backupId":"`+first+`"}`).want(t, 200)
	if r.str("data.restoredFromBackupId") != first || r.str("data.snapshotType") != "manual" {
		t.Fatalf("restore running = %s", r.raw)
	}
	if got := statusMemories(t, s, k, id); got != 2 {
		t.Fatalf("memories after restoring first backup = %d, want 2", got)
	}

	// Stopped: only the latest (the pre-shutdown backup now), and it comes back up.
	call(t, s, "POST", "/api/v1/milady/agents/"+id+"/suspend", "", key(k)).want(t, 200)
	r = post(`{"backupId":"`+second+`"}`).want(t, 409)
	if r.str("error") != "Stopped agents can only restore the latest backup" {
		t.Fatalf("restore old backup while stopped = %s", r.raw)
	}
	r = post(`{}`).want(t, 200)
	if r.str("data.snapshotType") != "pre-shutdown" {
		t.Fatalf("restore latest while stopped = %s", r.raw)
	}
	if st, _ := s.AgentStatus(id); st != "running" {
		t.Fatalf("status after restore = %s", st)
	}
	if got := statusMemories(t, s, k, id); got != 2 {
		t.Fatalf("memories after restart = %d, want 2", got)
	}

	other := runningAgent(t, s, k)
	r = call(t, s, "POST", "/api/v1/milady/agents/"+other+"/restore", `{"backupId":"`+first+`"}`, key(k)).want(t, 500)
	if r.str("error") != "Backup does not belong to this agent" {
		t.Fatalf("foreign backup = %s", r.raw)
	}
}

func TestProvisionRestoresLatestBackup(t *testing.T) {
	s, k, id := startRunning(t, Options{})
	send(t, s, k, id, "remember me")
	call(t, s, "PATCH", "/api/v1/milady/agents/"+id, `{"action":"suspend"}`, key(k)).want(t, 200)
	r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 202)
	call(t, s, "GET", "/api/v1/jobs/"+r.str("data.jobId"), "", key(k)).want(t, 200)
	if got := statusMemories(t, s, k, id); got != 2 {
		t.Fatalf("memories after re-provision = %d, want 2", got)
	}
}

// statusMemories asks the sandbox (status.get) how many memories it has.
func statusMemories(t *testing.T, s *Server, k, id string) int {
	t.Helper()
	r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/bridge", `{"jsonrpc":"2.0","id":9,"method":"status.get"}`, key(k)).want(t, 200)
	n, ok := r.get("result.memoriesCount").(float64)
	if !ok {
		t.Fatalf("status.get = %s", r.raw)
	}
	return int(n)
}
