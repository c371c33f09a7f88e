package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/store"
)

// buildBinary builds the server binary once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "conduit")
	out, err := exec.Command("go", "build", "-tags", "headless", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is the real binary serving on a free loopback port.
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
}

func startBinary(t *testing.T, bin, dir string) *proc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &proc{url: "http://" + addr, logs: &bytes.Buffer{}}
	p.cmd = exec.Command(bin, "--headless", "--addr", addr, "--data-dir", dir, "--secrets", "file", "--log-level", "warn")
	p.cmd.Env = append(os.Environ(), "CONDUIT_MASTER_KEY="+testMaster)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/health")
		if err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			_ = p.cmd.Process.Kill()
			t.Fatalf("the binary did not start: %s", p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func adminJSON(t *testing.T, method, url string, body any) map[string]any {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Authorization", "Bearer "+testMaster)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s = %d %v", method, url, resp.StatusCode, m)
	}
	return m
}

// TestKill9UnderLoad kills the real binary with SIGKILL while it answers requests: the rows
// it loses are at most what arrives in about one usage flush interval (200 ms), the database
// passes its integrity check, and the restarted server rebuilds the key's spend from what was
// stored.
func TestKill9UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	bin := buildBinary(t)
	up := httptest.NewServer(fakeopenai.New(""))
	defer up.Close()
	dir := t.TempDir()
	p := startBinary(t, bin, dir)
	prov := adminJSON(t, "POST", p.url+"/admin/providers", map[string]any{"name": "f", "type": "openai_compatible", "base_url": up.URL + "/v1"})
	adminJSON(t, "POST", p.url+"/admin/models", map[string]any{"alias": "m", "provider_id": prov["id"], "provider_model": "gpt-4o-mini"})
	k := adminJSON(t, "POST", p.url+"/admin/keys", map[string]any{"name": "load", "max_budget": 1000})
	key, keyID := k["key"].(string), k["id"].(string)

	var answered atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	body, _ := json.Marshal(map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "hi"}}})
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				req, _ := http.NewRequest("POST", p.url+"/v1/chat/completions", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					continue // the server is gone
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && !stop.Load() {
					answered.Add(1)
				}
			}
		}()
	}
	start := time.Now()
	time.Sleep(2 * time.Second)
	_ = p.cmd.Process.Kill() // SIGKILL: no shutdown, no last flush
	killedAfter := time.Since(start)
	stop.Store(true)
	_ = p.cmd.Wait()
	wg.Wait()

	db := filepath.Join(dir, "conduit.db")
	stored, err := store.CheckFile(context.Background(), db)
	if err != nil {
		t.Fatalf("after kill -9: %v", err)
	}
	n := answered.Load()
	lost := n - stored
	rate := float64(n) / killedAfter.Seconds()
	lostMS := 0.0
	if rate > 0 {
		lostMS = float64(lost) / rate * 1000
	}
	t.Logf("kill -9 under load: %d requests answered, %d usage rows stored, %d lost = %.0f ms of traffic at %.0f req/s (flush interval 200 ms); integrity_check ok",
		n, stored, lost, lostMS, rate)
	if n < 50 {
		t.Fatalf("only %d requests answered before the kill: no load", n)
	}
	// One flush interval of traffic, plus the batch being written when the process died and
	// scheduling slack on a busy machine.
	if allowed := int64(math.Ceil(rate*0.4)) + 20; lost > allowed {
		t.Errorf("lost %d rows, more than %d (about one flush interval of traffic)", lost, allowed)
	}

	// Restarted, the server rebuilds the key's spend from the stored rows.
	p2 := startBinary(t, bin, dir)
	defer func() {
		_ = p2.cmd.Process.Signal(os.Interrupt)
		_ = p2.cmd.Wait()
	}()
	got := adminJSON(t, "GET", p2.url+"/admin/keys/"+keyID, nil)["spend"].(float64)
	var want float64
	logs := adminJSON(t, "GET", p2.url+"/admin/logs?limit=1000&key_id="+keyID, nil)["data"].([]any)
	for before := ""; ; {
		for _, r := range logs {
			want += r.(map[string]any)["cost"].(float64)
			before = r.(map[string]any)["id"].(string)
		}
		if len(logs) < 1000 {
			break
		}
		logs = adminJSON(t, "GET", p2.url+"/admin/logs?limit=1000&key_id="+keyID+"&before="+before, nil)["data"].([]any)
	}
	if want <= 0 || math.Abs(got-want) > 1e-9*math.Max(1, want) {
		t.Errorf("spend after restart %g, want the %g of the stored rows", got, want)
	}
}
