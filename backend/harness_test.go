package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/runtime"
)

const (
	testMaster      = "test-master-key-0123456789"
	testProviderKey = "sk-upstream-SECRET-4242"
)

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a complete Conduit (real store, file secrets, gateway) behind httptest, with a fake
// OpenAI upstream.
type env struct {
	t       *testing.T
	url     string
	rt      *runtime.Runtime
	srv     *Server
	http    *httptest.Server // serves srv at url
	fake    *fakeopenai.Server
	fakeURL string
	logs    *syncBuffer
	dataDir string
}

func newEnv(t *testing.T) *env { t.Helper(); return newEnvWith(t, nil) }

// newEnvWith lets a test change the serve options.
func newEnvWith(t *testing.T, change func(*runtime.Options)) *env {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir := t.TempDir()
	so := runtime.Options{
		DataDir: dir, SecretsMode: "file", MasterKey: testMaster, Mode: "headless", Version: "test",
		Logger: log, Stderr: logs, NoShedding: true,
	}
	if change != nil {
		change(&so)
	}
	rt, err := runtime.Build(context.Background(), so)
	if err != nil {
		t.Fatal(err)
	}
	server := Mount(rt, Web{})
	srv := httptest.NewServer(server.Handler())
	fake := fakeopenai.New(testProviderKey)
	up := httptest.NewServer(fake)
	e := &env{t: t, url: srv.URL, rt: rt, srv: server, http: srv, fake: fake, fakeURL: up.URL + "/v1", logs: logs, dataDir: dir}
	t.Cleanup(func() {
		srv.Close()
		up.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rt.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return e
}

// do sends a request and returns the status and body.
func (e *env) do(method, path string, body any, header map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, out
}

// admin calls the admin API with the master key and decodes the JSON answer.
func (e *env) admin(method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	resp, out := e.do(method, path, body, map[string]string{"Authorization": "Bearer " + testMaster})
	var m map[string]any
	if len(out) > 0 {
		if err := json.Unmarshal(out, &m); err != nil {
			e.t.Fatalf("%s %s: not JSON: %s", method, path, out)
		}
	}
	return resp.StatusCode, m
}

// mustAdmin is admin that fails the test unless the status is want.
func (e *env) mustAdmin(want int, method, path string, body any) map[string]any {
	e.t.Helper()
	status, m := e.admin(method, path, body)
	if status != want {
		e.t.Fatalf("%s %s = %d %v, want %d", method, path, status, m, want)
	}
	return m
}

// setup creates a provider for the fake upstream, alias "gpt" → gpt-4o-mini, and a key.
func (e *env) setup() (providerID, key string) {
	e.t.Helper()
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{
		"name": "fake", "type": "openai", "base_url": e.fakeURL, "api_key": testProviderKey,
	})
	providerID = p["id"].(string)
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{
		"alias": "gpt", "provider_id": providerID, "provider_model": "gpt-4o-mini",
		"supports_tools": true, "supports_vision": true, "supports_embeddings": true,
	})
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "test"})
	// Fast retries keep failure tests quick.
	e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"retry_base_ms": 1, "retry_max_ms": 5})
	return providerID, k["key"].(string)
}

// v1 posts to the client API with a key.
func (e *env) v1(key, path string, body any) (*http.Response, []byte) {
	e.t.Helper()
	h := map[string]string{}
	if key != "" {
		h["Authorization"] = "Bearer " + key
	}
	method := "POST"
	if body == nil {
		method = "GET"
	}
	return e.do(method, path, body, h)
}

// logs waits for the usage writer to store n rows and returns them (newest first).
func (e *env) requestLogs(n int) []map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, m := e.admin("GET", "/admin/logs?limit=1000", nil)
		rows, _ := m["data"].([]any)
		if len(rows) >= n || time.Now().After(deadline) {
			out := make([]map[string]any, len(rows))
			for i, r := range rows {
				out[i] = r.(map[string]any)
			}
			if len(out) < n {
				e.t.Fatalf("%d log rows, want %d", len(out), n)
			}
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func chat(model string, extra map[string]any) map[string]any {
	m := map[string]any{"model": model, "messages": []any{map[string]any{"role": "user", "content": "Say hello"}}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// sseEvents splits an SSE body into its data payloads.
func sseEvents(body []byte) []string {
	var out []string
	for _, block := range strings.Split(string(body), "\n\n") {
		block = strings.TrimSpace(block)
		if strings.HasPrefix(block, "data: ") {
			out = append(out, strings.TrimPrefix(block, "data: "))
		}
	}
	return out
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var m struct {
		Error struct {
			Code    string `json:"code"`
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Error.Message == "" || m.Error.Type == "" {
		t.Fatalf("not an OpenAI error: %s", body)
	}
	return m.Error.Code
}
