package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
)

// metric reads one counter from /metrics.
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testMaster)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}

// fill writes zeros to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return
		}
	}
}

// TestFullDisk runs the real binary on a small tmpfs data dir and fills it: requests keep
// being answered, the usage rows that cannot be written are counted, a system notification
// says so (seen here through the notification webhook, since the database cannot store it),
// and once space returns rows are written again and a second notification says how many
// were lost.
func TestFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the real binary and mounts a tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs for the data dir (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })

	var mu sync.Mutex
	var notes []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n map[string]any
		if json.NewDecoder(r.Body).Decode(&n) == nil && n["type"] == "system" {
			mu.Lock()
			notes = append(notes, n)
			mu.Unlock()
		}
	}))
	defer hook.Close()
	systemNotes := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, n := range notes {
			out = append(out, n["title"].(string)+": "+n["body"].(string))
		}
		return out
	}

	bin := buildBinary(t)
	up := httptest.NewServer(fakeopenai.New(""))
	defer up.Close()
	p := startBinary(t, bin, dir)
	defer func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		_ = p.cmd.Wait()
	}()
	adminJSON(t, "PATCH", p.url+"/admin/settings", map[string]any{"notify_webhook_url": hook.URL, "notify_desktop": false})
	prov := adminJSON(t, "POST", p.url+"/admin/providers", map[string]any{"name": "f", "type": "openai_compatible", "base_url": up.URL + "/v1"})
	adminJSON(t, "POST", p.url+"/admin/models", map[string]any{"alias": "m", "provider_id": prov["id"], "provider_model": "x"})
	body, _ := json.Marshal(map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "hi"}}})
	chat := func() int {
		req, _ := http.NewRequest("POST", p.url+"/v1/chat/completions", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testMaster)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	// The WAL reuses its space for a while; keep going until a write needs more.
	deadline := time.Now().Add(90 * time.Second)
	served := 0
	for metric(t, p.url, "conduit_usage_failed_total") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no usage row failed to be written on a full disk after %d requests", served)
		}
		for i := 0; i < 50; i++ {
			if st := chat(); st != 200 {
				t.Fatalf("request on a full disk answered %d", st)
			}
			served++
		}
	}
	failed := metric(t, p.url, "conduit_usage_failed_total")
	t.Logf("full disk: %d requests answered, %.0f usage rows not written", served, failed)
	for deadline := time.Now().Add(20 * time.Second); len(systemNotes()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no system notification about the full disk")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := systemNotes()[0]; !strings.Contains(n, "cannot be written") {
		t.Errorf("notification: %s", n)
	}

	// Space returns: rows are written again, by themselves.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	written := metric(t, p.url, "conduit_usage_written_total")
	for deadline := time.Now().Add(30 * time.Second); metric(t, p.url, "conduit_usage_written_total") <= written; {
		if time.Now().After(deadline) {
			t.Fatal("rows are not written after space returned")
		}
		chat()
		time.Sleep(100 * time.Millisecond)
	}
	for deadline := time.Now().Add(20 * time.Second); len(systemNotes()) < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("no recovery notification: %v", systemNotes())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("notifications: %q", systemNotes())
	if n := systemNotes()[1]; !strings.Contains(n, "written again") {
		t.Errorf("recovery notification: %s", n)
	}
}
