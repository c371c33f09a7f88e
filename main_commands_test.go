package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/backend"
	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/runtime"
	"github.com/conduit-gw/conduit/internal/store"
)

const testMaster = "main-test-master-key-0123456789"

func post(t *testing.T, url, path, key string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func logRows(t *testing.T, db *store.DB) int64 {
	t.Helper()
	c, err := db.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c["request_logs"]
}

// A backup taken through the running server while requests keep coming is a whole database
// with every row written before it; restoring it into a data directory gives the same rows.
// Restore refuses while a server holds the data directory.
func TestBackupUnderLoadThenRestore(t *testing.T) {
	up := httptest.NewServer(fakeopenai.New(""))
	defer up.Close()
	dir := t.TempDir()
	srv, err := runtime.Start(context.Background(), runtime.Options{Addr: "127.0.0.1:0", DataDir: dir, SecretsMode: "file",
		MasterKey: testMaster, Mode: "headless", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoShedding: true},
		backend.Web{}.Face)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = srv.Stop()
		}
	}()
	if st := post(t, srv.URL, "/admin/providers", testMaster, map[string]any{"name": "f", "type": "openai_compatible", "base_url": up.URL + "/v1"}); st != 201 {
		t.Fatalf("provider: %d", st)
	}
	var provs struct {
		Data []struct{ ID string } `json:"data"`
	}
	req, _ := http.NewRequest("GET", srv.URL+"/admin/providers", nil)
	req.Header.Set("Authorization", "Bearer "+testMaster)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&provs)
	resp.Body.Close()
	if st := post(t, srv.URL, "/admin/models", testMaster, map[string]any{"alias": "m", "provider_id": provs.Data[0].ID, "provider_model": "x"}); st != 201 {
		t.Fatalf("model: %d", st)
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				post(t, srv.URL, "/v1/chat/completions", testMaster, map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "hi"}}})
			}
		}()
	}
	db := srv.Runtime.DB
	deadline := time.Now().Add(30 * time.Second)
	for logRows(t, db) < 50 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	before := logRows(t, db)
	file := filepath.Join(t.TempDir(), "backup.db")
	var out, errOut bytes.Buffer
	code := run2([]string{"backup", file, "--url", srv.URL, "--data-dir", dir}, map[string]string{"CONDUIT_MASTER_KEY": testMaster}, &out, &errOut)
	stop.Store(true)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup exit %d: %s", code, errOut.String())
	}
	backedUp, err := store.CheckFile(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows before the backup, %d in it (written under load); %s", before, backedUp, strings.TrimSpace(out.String()))
	if backedUp < before || backedUp == 0 {
		t.Fatalf("backup holds %d rows, fewer than the %d written before it", backedUp, before)
	}

	// Restore over the live server's data directory is refused and changes nothing.
	errOut.Reset()
	if code := run2([]string{"restore", file, "--data-dir", dir}, nil, &out, &errOut); code == 0 ||
		!strings.Contains(errOut.String(), "in use") {
		t.Fatalf("restore over a live server: exit %d %s", code, errOut.String())
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true

	// Restore into a fresh data directory, and over the stopped server's one.
	for _, target := range []string{t.TempDir(), dir} {
		out.Reset()
		errOut.Reset()
		if code := run2([]string{"restore", file, "--data-dir", target}, nil, &out, &errOut); code != 0 {
			t.Fatalf("restore into %s: exit %d %s", target, code, errOut.String())
		}
		rdb, err := store.Open(context.Background(), filepath.Join(target, "conduit.db"))
		if err != nil {
			t.Fatal(err)
		}
		got := logRows(t, rdb)
		rdb.Close()
		if got != backedUp {
			t.Errorf("restored into %s: %d rows, the backup has %d", target, got, backedUp)
		}
		if target == dir && !strings.Contains(out.String(), "previous database is kept") {
			t.Errorf("restore over a database did not say where the old one went: %s", out.String())
		}
	}
	// With no server running, backup reads the data directory.
	offline := filepath.Join(t.TempDir(), "offline.db")
	errOut.Reset()
	if code := run2([]string{"backup", offline, "--url", "http://127.0.0.1:1", "--data-dir", dir}, nil, &out, &errOut); code != 0 {
		t.Fatalf("offline backup: exit %d %s", code, errOut.String())
	}
	if n, err := store.CheckFile(context.Background(), offline); err != nil || n != backedUp {
		t.Errorf("offline backup: %d rows, %v; want %d", n, err, backedUp)
	}
	// Junk is refused.
	if code := run2([]string{"restore", filepath.Join(dir, "conduit.lock"), "--data-dir", t.TempDir()}, nil, &out, &errOut); code == 0 {
		t.Error("restoring a non-database succeeded")
	}
}

// run2 runs backup or restore with its own stdout.
func run2(args []string, e map[string]string, stdout, stderr io.Writer) int {
	switch args[0] {
	case "backup":
		return backupTo(args[1:], env(e), stdout, stderr)
	case "restore":
		return restoreTo(args[1:], env(e), stdout, stderr)
	}
	return -1
}

// TestCommandURL: backup finds the server the admin commands use: --url (a URL or host:port),
// else --addr, else CONDUIT_URL, else CONDUIT_ADDR; a wildcard listen host means this machine.
func TestCommandURL(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"default", nil, nil, "http://127.0.0.1:8800"},
		{"CONDUIT_ADDR", nil, map[string]string{"CONDUIT_ADDR": "0.0.0.0:9000"}, "http://127.0.0.1:9000"},
		{"CONDUIT_URL host:port", nil, map[string]string{"CONDUIT_URL": "127.0.0.1:8871", "CONDUIT_ADDR": ":9000"}, "http://127.0.0.1:8871"},
		{"CONDUIT_URL URL", nil, map[string]string{"CONDUIT_URL": "https://gw.example.com"}, "https://gw.example.com"},
		{"--addr beats CONDUIT_URL", []string{"--addr", "127.0.0.1:7000"}, map[string]string{"CONDUIT_URL": "https://gw.example.com"}, "http://127.0.0.1:7000"},
		{"--url host:port", []string{"--url", "localhost:7001"}, nil, "http://localhost:7001"},
		{"--url URL", []string{"--url", "https://other.example.com"}, map[string]string{"CONDUIT_URL": "https://gw.example.com"}, "https://other.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseCommand("backup", append([]string{"out.db"}, tt.args...), env(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if f.url != tt.want {
				t.Errorf("url %q, want %q", f.url, tt.want)
			}
		})
	}
}

func TestRowsText(t *testing.T) {
	for n, want := range map[int64]string{0: "0 request log rows", 1: "1 request log row", 3: "3 request log rows"} {
		if got := rowsText(n); got != want {
			t.Errorf("rowsText(%d) = %q, want %q", n, got, want)
		}
	}
}
