package backend

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/keys"
	"github.com/conduit-gw/conduit/internal/runtime"
	"github.com/conduit-gw/conduit/internal/store"
)

func TestAdminAuth(t *testing.T) {
	e := newEnv(t)
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"}} {
		if resp, _ := e.do("GET", "/admin/providers", nil, h); resp.StatusCode != 401 {
			t.Fatalf("%v: status %d, want 401", h, resp.StatusCode)
		}
	}
	if resp, _ := e.do("GET", "/admin/providers", nil, map[string]string{"X-API-Key": testMaster}); resp.StatusCode != 200 {
		t.Fatalf("X-API-Key: %d", resp.StatusCode)
	}
	if resp, _ := e.do("POST", "/admin/login", map[string]string{"master_key": "nope"}, nil); resp.StatusCode != 401 {
		t.Fatalf("bad login: %d", resp.StatusCode)
	}
	resp, _ := e.do("POST", "/admin/login", map[string]string{"master_key": testMaster}, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == e.sessionCookie() {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Value == "" {
		t.Fatalf("session cookie = %+v", cookie)
	}
	withCookie := map[string]string{"Cookie": e.sessionCookie() + "=" + cookie.Value}
	if resp, _ := e.do("GET", "/admin/system", nil, withCookie); resp.StatusCode != 200 {
		t.Fatalf("cookie auth: %d", resp.StatusCode)
	}
	// The session cookie is not a client API credential.
	if resp, _ := e.do("GET", "/v1/models", nil, withCookie); resp.StatusCode != 401 {
		t.Fatalf("cookie on /v1: %d", resp.StatusCode)
	}
	e.do("POST", "/admin/logout", nil, withCookie)
	if resp, _ := e.do("GET", "/admin/system", nil, withCookie); resp.StatusCode != 401 {
		t.Fatalf("after logout: %d", resp.StatusCode)
	}
	_, m := e.admin("GET", "/admin/audit?resource=session", nil)
	actions := map[string]bool{}
	for _, r := range m["data"].([]any) {
		actions[r.(map[string]any)["action"].(string)] = true
	}
	if !actions["login"] || !actions["login_failed"] {
		t.Fatalf("audit of logins: %v", m["data"])
	}
}

func TestAdminValidation(t *testing.T) {
	e := newEnv(t)
	pid, _ := e.setup()
	_, km := e.admin("GET", "/admin/keys", nil)
	kid := km["data"].([]any)[0].(map[string]any)["id"].(string)
	tests := []struct {
		method, path string
		body         any
		field        string
	}{
		{"POST", "/admin/providers", map[string]any{"type": "openai"}, "name"},
		{"POST", "/admin/providers", map[string]any{"name": "x", "type": "nope"}, "type"},
		{"POST", "/admin/providers", map[string]any{"name": "x"}, "type"},
		{"POST", "/admin/providers", map[string]any{"name": "x", "type": "openai", "base_url": "ftp://x"}, "base_url"},
		{"POST", "/admin/providers", map[string]any{"name": "x", "type": "azure"}, "base_url"},
		{"POST", "/admin/providers", map[string]any{"name": "x", "type": "openai_compatible"}, "base_url"},
		{"POST", "/admin/providers", map[string]any{"name": "x", "type": "openai", "timeout_ms": -1}, "timeout_ms"},
		{"POST", "/admin/providers", map[string]any{"name": "x", "type": "openai", "enabled": "yes"}, "enabled"},
		{"POST", "/admin/providers", map[string]any{"name": "fake", "type": "openai"}, "name"},
		{"POST", "/admin/providers", map[string]any{"name": "x", "type": "openai", "colour": "red"}, "colour"},
		{"PATCH", "/admin/providers/" + pid, map[string]any{"name": ""}, "name"},
		{"POST", "/admin/models", map[string]any{"provider_id": pid, "provider_model": "m"}, "alias"},
		{"POST", "/admin/models", map[string]any{"alias": "a b", "provider_id": pid, "provider_model": "m"}, "alias"},
		{"POST", "/admin/models", map[string]any{"alias": "a", "provider_model": "m"}, "provider_id"},
		{"POST", "/admin/models", map[string]any{"alias": "a", "provider_id": "prov_nope", "provider_model": "m"}, "provider_id"},
		{"POST", "/admin/models", map[string]any{"alias": "a", "provider_id": pid}, "provider_model"},
		{"POST", "/admin/models", map[string]any{"alias": "a", "provider_id": pid, "provider_model": "m", "weight": 0}, "weight"},
		{"POST", "/admin/models", map[string]any{"alias": "a", "provider_id": pid, "provider_model": "m", "priority": -1}, "priority"},
		{"POST", "/admin/models", map[string]any{"alias": "a", "provider_id": pid, "provider_model": "m", "weight": 1.5}, "weight"},
		{"PUT", "/admin/router", map[string]any{"strategy": "fastest"}, "strategy"},
		{"PUT", "/admin/router", map[string]any{"max_retries": -1}, "max_retries"},
		{"PUT", "/admin/router", map[string]any{"retry_base_ms": 100, "retry_max_ms": 10}, "retry_max_ms"},
		{"PUT", "/admin/router", map[string]any{"fallbacks": map[string]any{"a": []string{"a"}}}, "fallbacks"},
		{"PUT", "/admin/router", map[string]any{"fallbacks": []string{"a"}}, "fallbacks"},
		{"PUT", "/admin/router", map[string]any{"context_window_fallbacks": map[string]any{"a": []string{""}}}, "context_window_fallbacks"},
		{"PUT", "/admin/router", map[string]any{"context_window_fallbacks": "big"}, "context_window_fallbacks"},
		{"PUT", "/admin/router", map[string]any{"first_token_timeout_ms": -1}, "first_token_timeout_ms"},
		{"PUT", "/admin/router", map[string]any{"stream_idle_timeout_ms": "2s"}, "stream_idle_timeout_ms"},
		{"POST", "/admin/models", map[string]any{"alias": "a", "provider_id": pid, "provider_model": "m", "supports_prefill": "yes"}, "supports_prefill"},
		{"POST", "/admin/models", map[string]any{"alias": "a", "provider_id": pid, "provider_model": "m", "first_token_timeout_ms": -5}, "first_token_timeout_ms"},
		{"POST", "/admin/models", map[string]any{"alias": "a", "provider_id": pid, "provider_model": "m", "stream_idle_timeout_ms": 1.5}, "stream_idle_timeout_ms"},
		{"POST", "/admin/keys", map[string]any{"max_budget": -1}, "max_budget"},
		{"POST", "/admin/keys", map[string]any{"budget_duration": "hourly"}, "budget_duration"},
		{"POST", "/admin/keys", map[string]any{"rpm": 0}, "rpm"},
		{"POST", "/admin/keys", map[string]any{"tpm": "many"}, "tpm"},
		{"POST", "/admin/keys", map[string]any{"allowed_models": []string{"a*b"}}, "allowed_models"},
		{"POST", "/admin/keys", map[string]any{"allowed_models": "gpt"}, "allowed_models"},
		{"POST", "/admin/keys", map[string]any{"expires_at": "tomorrow"}, "expires_at"},
		{"POST", "/admin/keys", map[string]any{"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"},
		{"POST", "/admin/keys", map[string]any{"metadata": []int{1}}, "metadata"},
		{"POST", "/admin/keys", map[string]any{"key": "condt_mine"}, "key"},
		{"PATCH", "/admin/keys/" + kid, map[string]any{"rpd": -5}, "rpd"},
		{"POST", "/admin/costs", map[string]any{"input_per_mtok": 1, "output_per_mtok": 1}, "model_pattern"},
		{"POST", "/admin/costs", map[string]any{"model_pattern": "m", "input_per_mtok": -1, "output_per_mtok": 1}, "input_per_mtok"},
		{"POST", "/admin/costs", map[string]any{"model_pattern": "m", "output_per_mtok": 1}, "input_per_mtok"},
		{"PATCH", "/admin/costs/default:gpt-4o", map[string]any{"input_per_mtok": 1}, "id"},
		{"POST", "/admin/costs", map[string]any{"model_pattern": "m", "input_per_mtok": 0, "output_per_mtok": 0, "per_second": -1}, "per_second"},
		{"POST", "/admin/costs", map[string]any{"model_pattern": "m", "input_per_mtok": 0, "output_per_mtok": 0, "per_search_unit": "x"}, "per_search_unit"},
		{"PATCH", "/admin/settings", map[string]any{"budget_alert_percents": []int{0}}, "budget_alert_percents"},
		{"PATCH", "/admin/settings", map[string]any{"notify_webhook_url": "not a url"}, "notify_webhook_url"},
		{"PATCH", "/admin/settings", map[string]any{"log_retention_days": 0}, "log_retention_days"},
		{"PATCH", "/admin/settings", map[string]any{"expiry_warning_days": "7"}, "expiry_warning_days"},
		{"POST", "/admin/login", map[string]any{}, "master_key"},
		{"POST", "/admin/providers", "[1,2]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.field, func(t *testing.T) {
			_, before := e.admin("GET", "/admin/system", nil)
			status, m := e.admin(tt.method, tt.path, tt.body)
			if status != 400 {
				t.Fatalf("status %d, want 400: %v", status, m)
			}
			errObj, _ := m["error"].(map[string]any)
			if errObj == nil || errObj["message"] == "" {
				t.Fatalf("no error message: %v", m)
			}
			if tt.field != "" && errObj["field"] != tt.field {
				t.Fatalf("field %v, want %q (%v)", errObj["field"], tt.field, errObj["message"])
			}
			_, after := e.admin("GET", "/admin/system", nil)
			if !equalJSON(before["counts"], after["counts"]) {
				t.Fatalf("a refused change changed something: %v → %v", before["counts"], after["counts"])
			}
		})
	}
	for _, p := range []string{"/admin/providers/prov_x", "/admin/models/dep_x", "/admin/keys/key_x"} {
		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			if status, _ := e.admin(m, p, map[string]any{}); status != 404 {
				t.Errorf("%s %s = %d, want 404", m, p, status)
			}
		}
	}
	if status, _ := e.admin("DELETE", "/admin/costs/cost_x", nil); status != 404 {
		t.Errorf("DELETE unknown cost = %d", status)
	}
}

func equalJSON(a, b any) bool {
	return strings.EqualFold(jsonString(a), jsonString(b))
}

func TestAdminCRUDRoundTrip(t *testing.T) {
	e := newEnv(t)
	pid, _ := e.setup()
	m := e.mustAdmin(200, "GET", "/admin/providers/"+pid, nil)
	if m["api_key_set"] != true || m["base_url"] != e.fakeURL {
		t.Fatalf("provider: %v", m)
	}
	m = e.mustAdmin(200, "PATCH", "/admin/providers/"+pid, map[string]any{"api_key": nil})
	if m["api_key_set"] != false {
		t.Fatalf("removing the key: %v", m)
	}
	dep := e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "long", "provider_id": pid, "provider_model": "m",
		"context_window": 1000000, "supports_prefill": true, "first_token_timeout_ms": 4000})
	if dep["supports_prefill"] != true || dep["first_token_timeout_ms"] != float64(4000) || dep["stream_idle_timeout_ms"] != nil {
		t.Fatalf("model with limits: %v", dep)
	}
	dep = e.mustAdmin(200, "PATCH", "/admin/models/"+dep["id"].(string), map[string]any{"first_token_timeout_ms": nil, "stream_idle_timeout_ms": 9000})
	if dep["supports_prefill"] != true || dep["first_token_timeout_ms"] != nil || dep["stream_idle_timeout_ms"] != float64(9000) {
		t.Fatalf("model limits after PATCH: %v", dep)
	}
	if got := e.mustAdmin(200, "GET", "/admin/models/"+dep["id"].(string), nil); got["stream_idle_timeout_ms"] != float64(9000) || got["context_window"] != float64(1000000) {
		t.Fatalf("model read back: %v", got)
	}
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "ci", "max_budget": 5, "budget_duration": "monthly",
		"rpm": 10, "allowed_models": []string{"gpt*"}, "metadata": map[string]any{"team": "x"}})
	plain := k["key"].(string)
	if !keys.LooksValid(plain) || k["key_prefix"] != plain[:12] {
		t.Fatalf("key %q prefix %v", plain, k["key_prefix"])
	}
	got := e.mustAdmin(200, "GET", "/admin/keys/"+k["id"].(string), nil)
	if _, leaked := got["key"]; leaked {
		t.Fatal("GET returned the plaintext key")
	}
	if got["budget_reset_at"] == nil || got["spend"] != float64(0) || got["max_budget"] != float64(5) {
		t.Fatalf("key read: %v", got)
	}
	// Stored hashed: the plaintext is nowhere in the database.
	if b, _ := os.ReadFile(filepath.Join(e.dataDir, "conduit.db")); strings.Contains(string(b), plain) {
		t.Fatal("plaintext key in the database file")
	}
	c := e.mustAdmin(201, "POST", "/admin/costs", map[string]any{"model_pattern": "my-*", "input_per_mtok": 1, "output_per_mtok": 2})
	e.mustAdmin(200, "PATCH", "/admin/costs/"+c["id"].(string), map[string]any{"per_image": 0.5})
	costs := e.mustAdmin(200, "GET", "/admin/costs?q=my-", nil)["data"].([]any)
	if len(costs) != 1 || costs[0].(map[string]any)["per_image"] != 0.5 || costs[0].(map[string]any)["source"] != "custom" {
		t.Fatalf("costs: %v", costs)
	}
	all := e.mustAdmin(200, "GET", "/admin/costs", nil)["data"].([]any)
	if len(all) < 30 {
		t.Fatalf("only %d cost rows: the default price table is missing", len(all))
	}
	st := e.mustAdmin(200, "PATCH", "/admin/settings", map[string]any{"budget_alert_percents": []int{90, 50, 50}, "log_bodies": true})
	if jsonString(st["budget_alert_percents"]) != "[50,90]" || st["log_bodies"] != true {
		t.Fatalf("settings: %v", st)
	}
	r := e.mustAdmin(200, "GET", "/admin/router", nil)
	if r["first_token_timeout_ms"] != float64(0) || r["stream_idle_timeout_ms"] != float64(120000) ||
		jsonString(r["context_window_fallbacks"]) != "{}" {
		t.Fatalf("router defaults: %v", r)
	}
	for _, a := range []string{"backup", "gpt-long"} {
		e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": a, "provider_id": pid, "provider_model": "gpt-4o"})
	}
	r = e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"strategy": "weighted", "fallbacks": map[string]any{"gpt": []string{"backup"}},
		"context_window_fallbacks": map[string]any{"gpt": []string{"gpt-long"}}, "first_token_timeout_ms": 8000, "stream_idle_timeout_ms": 30000})
	if r["strategy"] != "weighted" || r["max_retries"] != float64(3) || jsonString(r["context_window_fallbacks"]) != `{"gpt":["gpt-long"]}` ||
		r["first_token_timeout_ms"] != float64(8000) || r["stream_idle_timeout_ms"] != float64(30000) {
		t.Fatalf("router: %v", r)
	}
	sys := e.mustAdmin(200, "GET", "/admin/system", nil)
	for _, f := range []string{"version", "uptime_s", "mode", "db_path", "db_bytes", "secrets_backend", "counts", "providers"} {
		if _, ok := sys[f]; !ok {
			t.Errorf("system lacks %s", f)
		}
	}
	if sys["secrets_backend"] != "file" || sys["mode"] != "headless" {
		t.Errorf("system: %v", sys)
	}
	e.mustAdmin(204, "DELETE", "/admin/providers/"+pid, nil)
	if models := e.mustAdmin(200, "GET", "/admin/models", nil)["data"].([]any); len(models) != 0 {
		t.Fatalf("deleting a provider leaves its models: %v", models)
	}
	audit := e.mustAdmin(200, "GET", "/admin/audit?limit=100", nil)["data"].([]any)
	if len(audit) < 8 {
		t.Fatalf("audit rows: %d", len(audit))
	}
}

// TestSecretsNeverLeak checks every admin read, the audit trail, the logs and the files.
func TestSecretsNeverLeak(t *testing.T) {
	e := newEnv(t)
	pid, key := e.setup()
	e.mustAdmin(200, "PATCH", "/admin/providers/"+pid, map[string]any{"api_key": testProviderKey + "-v2"})
	e.fake.APIKey = testProviderKey + "-v2"
	e.v1(key, "/v1/chat/completions", chat("gpt", nil))
	e.fake.Set(fakeopenai.Script{FailStatus: 401, FailTimes: 5})
	e.v1(key, "/v1/chat/completions", chat("gpt", nil))
	e.requestLogs(2)
	var all strings.Builder
	for _, p := range []string{"/admin/providers", "/admin/providers/" + pid, "/admin/models", "/admin/keys", "/admin/costs",
		"/admin/router", "/admin/settings", "/admin/system", "/admin/logs", "/admin/usage", "/admin/audit"} {
		resp, out := e.do("GET", p, nil, map[string]string{"Authorization": "Bearer " + testMaster})
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", p, resp.StatusCode, out)
		}
		all.Write(out)
	}
	files, _ := filepath.Glob(filepath.Join(e.dataDir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	all.WriteString(e.logs.String())
	for _, secret := range []string{testProviderKey, testMaster, key} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("secret %.12s… found in an admin response, file or log line", secret)
		}
	}
}

// TestCleanShutdownLosesNothing stops the server while requests are in flight.
func TestCleanShutdownLosesNothing(t *testing.T) {
	fake := fakeopenai.New("")
	fake.Set(fakeopenai.Script{Latency: 300 * time.Millisecond})
	up := httptestServer(t, fake)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	urlCh := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runtime.Serve(ctx, runtime.Options{Addr: "127.0.0.1:0", DataDir: dir, SecretsMode: "file", MasterKey: testMaster,
			Mode: "headless", Logger: quietLogger(), NoShedding: true, Started: func(u string) { urlCh <- u }}, Web{}.Face)
	}()
	base := <-urlCh
	e := &env{t: t, url: base, fakeURL: up + "/v1", fake: fake}
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "f", "type": "openai_compatible", "base_url": e.fakeURL})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "m", "provider_id": p["id"], "provider_model": "x"})
	const n = 40
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := e.v1(testMaster, "/v1/chat/completions", chat("m", nil))
			statuses <- resp.StatusCode
		}()
	}
	for fake.Served() < n { // every request is in flight upstream
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	close(statuses)
	for s := range statuses {
		if s != 200 {
			t.Fatalf("in-flight request finished with %d", s)
		}
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "conduit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counts, err := db.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts["request_logs"] != n {
		t.Fatalf("%d request logs after shutdown, want %d", counts["request_logs"], n)
	}
}

func TestLogBodiesOnlyWhenEnabled(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	e.v1(key, "/v1/chat/completions", chat("gpt", nil))
	e.mustAdmin(200, "PATCH", "/admin/settings", map[string]any{"log_bodies": true})
	e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"stream": true}))
	rows := e.requestLogs(2)
	if rows[0]["stream"] != true { // both may share a millisecond
		rows[0], rows[1] = rows[1], rows[0]
	}
	streamed := e.mustAdmin(200, "GET", "/admin/logs/"+rows[0]["id"].(string), nil)
	if req, _ := streamed["request_body"].(string); !strings.Contains(req, "Say hello") {
		t.Fatalf("request body not kept: %v", streamed["request_body"])
	}
	if resp, _ := streamed["response_body"].(string); !strings.Contains(resp, "upstream!") {
		t.Fatalf("streamed response not kept: %v", streamed["response_body"])
	}
	plain := e.mustAdmin(200, "GET", "/admin/logs/"+rows[1]["id"].(string), nil)
	if plain["request_body"] != nil || plain["response_body"] != nil {
		t.Fatalf("bodies kept with log_bodies off: %v", plain)
	}
	if status, _ := e.admin("GET", "/admin/logs/req_nope", nil); status != 404 {
		t.Fatalf("unknown log id: %d", status)
	}
}

// TestDesktopWindowIsAdmitted: requests from the desktop window (in process) reach the admin
// API without a login and are audited as the desktop actor; the same request over the network
// is refused.
func TestDesktopWindowIsAdmitted(t *testing.T) {
	e := newEnv(t)
	h := DesktopHandler(e.srv.Handler())
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/admin/keys", strings.NewReader(`{"name":"from-window"}`))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	if rec.Code != 201 {
		t.Fatalf("window request: %d %s", rec.Code, rec.Body)
	}
	if row := e.mustAdmin(200, "GET", "/admin/audit?limit=1", nil)["data"].([]any)[0].(map[string]any); row["actor"] != "desktop" {
		t.Fatalf("audit actor %v", row["actor"])
	}
	if resp, _ := e.do("POST", "/admin/keys", map[string]any{"name": "from-network"}, nil); resp.StatusCode != 401 {
		t.Fatalf("network request without credentials: %d", resp.StatusCode)
	}
}

// TestLogFilters: the logs list's query parameters reach the store (the store's tests cover
// each filter's rows); a bad errors flag is a field error.
func TestLogFilters(t *testing.T) {
	e := newEnv(t)
	providerID, key := e.setup()
	e.v1(key, "/v1/chat/completions", chat("gpt", nil))
	e.v1(key, "/v1/chat/completions", chat("nope", nil)) // 404, logged as an error
	rows := e.requestLogs(2)
	count := func(q string) int {
		t.Helper()
		m := e.mustAdmin(200, "GET", "/admin/logs?"+q, nil)
		return len(m["data"].([]any))
	}
	tests := []struct {
		q    string
		want int
	}{
		{"model=gpt", 1},
		{"model=gp", 0}, // model stays an exact alias
		{"model_contains=GP", 1},
		{"model_contains=4o-MINI", 1},
		{"model_contains=zzz", 0},
		{"provider_id=" + providerID, 1},
		{"provider_id=prov_other", 0},
		{"errors=1", 1},
		{"errors=0", 2},
		{"id=" + rows[0]["id"].(string), 1},
		{"id=req_unknown", 0},
	}
	for _, tt := range tests {
		if got := count(tt.q); got != tt.want {
			t.Errorf("GET /admin/logs?%s: %d rows, want %d", tt.q, got, tt.want)
		}
	}
	status, m := e.admin("GET", "/admin/logs?errors=maybe", nil)
	if status != 400 || m["error"].(map[string]any)["field"] != "errors" {
		t.Errorf("errors=maybe: %d %v, want a 400 field error", status, m)
	}
}

// TestKeyLimitErrorsSayWhatTheyCount: a bad rate limit is refused in the words the UI labels use.
func TestKeyLimitErrorsSayWhatTheyCount(t *testing.T) {
	e := newEnv(t)
	for field, words := range map[string]string{"rpm": "requests per minute", "rpd": "requests per day", "tpm": "tokens per minute"} {
		status, m := e.admin("POST", "/admin/keys", map[string]any{"name": "k", field: 0})
		msg, _ := m["error"].(map[string]any)["message"].(string)
		if status != 400 || !strings.HasPrefix(msg, words+" ("+field+") must be") {
			t.Errorf("%s: 0 → %d %q, want a 400 naming %q", field, status, msg, words)
		}
	}
}
