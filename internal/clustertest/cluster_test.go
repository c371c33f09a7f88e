// Package clustertest drives several real Conduit processes (the headless server build) on
// one PostgreSQL and one Redis, with a fake upstream, and checks they behave as one gateway.
package clustertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/store"
	"github.com/conduit-gw/conduit/internal/testsvc"
	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { os.Exit(testsvc.Main(m)) }

const masterKey = "cluster-test-master-key"

var secretKey = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("c", 32)))

// buildConduit builds the headless server binary into a temporary directory.
func buildConduit(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "conduit")
	cmd := exec.Command("go", "build", "-tags", "headless", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// instance is one running conduit process.
type instance struct {
	name string
	url  string
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan struct{}
}

// start runs an instance on the database and Redis, with extra flags, and waits until it is
// ready.
func start(t *testing.T, bin, name, dsn, redisURL string, extra ...string) *instance {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	in := &instance{name: name, url: "http://" + addr, log: &bytes.Buffer{}, done: make(chan struct{})}
	var mu sync.Mutex
	in.cmd = exec.Command(bin, append([]string{"--headless", "--addr", addr, "--data-dir", t.TempDir(),
		"--database-url", dsn, "--redis-url", redisURL, "--log-level", "warn"}, extra...)...)
	in.cmd.Env = append(os.Environ(), "CONDUIT_MASTER_KEY="+masterKey, "CONDUIT_SECRET_KEY="+secretKey)
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return in.log.Write(p) })
	in.cmd.Stdout, in.cmd.Stderr = w, w
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = in.cmd.Wait(); close(in.done) }()
	t.Cleanup(func() {
		_ = in.cmd.Process.Kill()
		<-in.done
		if t.Failed() {
			mu.Lock()
			t.Logf("%s log:\n%s", name, in.log.String())
			mu.Unlock()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(in.url + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return in
			}
		}
		select {
		case <-in.done:
			t.Fatalf("%s exited at start:\n%s", name, in.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30s", name)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// admin calls the admin API and decodes the answer into a map.
func (in *instance) admin(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, in.url+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+masterKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s on %s: %d %s", method, path, in.name, resp.StatusCode, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// answer is one /v1 response.
type answer struct {
	status int
	id     string // x-request-id
	body   []byte
}

func (in *instance) chat(key, model string) (answer, error) {
	body := `{"model":"` + model + `","messages":[{"role":"user","content":"hello there"}]}`
	req, _ := http.NewRequest(http.MethodPost, in.url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, id: resp.Header.Get("X-Request-Id"), body: raw}, err
}

// hammer sends n chat requests, alternating between the instances, c at a time.
func hammer(insts []*instance, key, model string, n, c int) []answer {
	var (
		mu   sync.Mutex
		out  []answer
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range c {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				a, err := insts[i%int64(len(insts))].chat(key, model)
				if err != nil {
					a.status = -1
				}
				mu.Lock()
				out = append(out, a)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

func count(as []answer, status int) int {
	n := 0
	for _, a := range as {
		if a.status == status {
			n++
		}
	}
	return n
}

// TestTwoInstances: two conduit processes on one PostgreSQL and one Redis behave as one
// gateway: shared rate limits and budgets, configuration changes served by the other within
// a second, usage rows of every answered request kept when the other instance is killed,
// and Redis stopping handled as configured (fail open by default, closed on the third).
func TestTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real processes")
	}
	bin := buildConduit(t)
	dsn, rds := testsvc.Postgres(t), testsvc.StartRedis(t)
	up := httptest.NewServer(fakeopenai.New(""))
	defer up.Close()
	a := start(t, bin, "a", dsn, rds.URL)
	b := start(t, bin, "b", dsn, rds.URL)
	c := start(t, bin, "c", dsn, rds.URL, "--redis-fail", "closed") // not behind the balancer
	both := []*instance{a, b}

	p := a.admin(t, "POST", "/admin/providers", map[string]any{"name": "fake", "type": "openai",
		"base_url": up.URL + "/v1", "api_key": "sk-fake"})

	t.Run("a model added on one is served by the other within a second", func(t *testing.T) {
		a.admin(t, "POST", "/admin/models", map[string]any{"alias": "m", "provider_id": p["id"],
			"provider_model": "gpt-4o-mini"})
		k := a.admin(t, "POST", "/admin/keys", map[string]any{"name": "open"})["key"].(string)
		deadline := time.Now().Add(time.Second)
		for {
			ans, err := b.chat(k, "m")
			if err == nil && ans.status == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("b does not serve the new model and key after a second: %+v, %v", ans, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("rpm 10 through both: exactly 10 answers", func(t *testing.T) {
		k := a.admin(t, "POST", "/admin/keys", map[string]any{"name": "rpm", "rpm": 10})["key"].(string)
		time.Sleep(200 * time.Millisecond) // b learns of the key through the fan-out
		as := hammer(both, k, "m", 40, 8)
		if ok, limited := count(as, http.StatusOK), count(as, http.StatusTooManyRequests); ok != 10 || limited != 30 {
			t.Fatalf("%d answered, %d rate limited; want 10 and 30", ok, limited)
		}
	})

	t.Run("a budget spent through both overshoots by at most the requests in flight; its alerts fire once", func(t *testing.T) {
		var (
			mu    sync.Mutex
			fired = map[string]int{} // dedupe key → webhook deliveries
		)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var n struct{ Type, Dedupe string }
			_ = json.NewDecoder(r.Body).Decode(&n)
			if n.Type == "budget" {
				mu.Lock()
				fired[n.Dedupe]++
				mu.Unlock()
			}
		}))
		defer hook.Close()
		a.admin(t, "PATCH", "/admin/settings", map[string]any{"notify_webhook_url": hook.URL,
			"budget_alert_percents": []int{50, 80, 100}})
		a.admin(t, "POST", "/admin/costs", map[string]any{"model_pattern": "gpt-4o-mini",
			"input_per_mtok": 10000, "output_per_mtok": 10000})
		key := a.admin(t, "POST", "/admin/keys", map[string]any{"name": "budget", "max_budget": 1})
		time.Sleep(200 * time.Millisecond)
		const inFlight = 4
		as := hammer(both, key["key"].(string), "m", 60, inFlight)
		ok := count(as, http.StatusOK)
		if ok == 0 || count(as, http.StatusTooManyRequests) == 0 {
			t.Fatalf("%d answered of %d: want some answered, then refusals", ok, len(as))
		}
		perRequest := 0.0
		deadline := time.Now().Add(5 * time.Second)
		var spend float64
		for { // the usage writers flush within a second
			k := a.admin(t, "GET", "/admin/keys/"+key["id"].(string), nil)
			spend = k["spend"].(float64)
			perRequest = spend / float64(ok)
			if spend >= 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if spend < 1 || spend > 1+inFlight*perRequest+1e-9 {
			t.Fatalf("spend %.4f after %d answers of $%.4f; want within [1, 1 + %d in flight]",
				spend, ok, perRequest, inFlight)
		}
		deadline = time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			n := len(fired)
			mu.Unlock()
			if n >= 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // a second delivery would come now
		mu.Lock()
		defer mu.Unlock()
		if len(fired) != 3 {
			t.Fatalf("budget alerts %v; want 50%%, 80%% and 100%%", fired)
		}
		for d, n := range fired {
			if n != 1 {
				t.Errorf("alert %s delivered %d times, want once", d, n)
			}
		}
	})

	t.Run("a request costs two Redis round trips: one script admits it, one settles it", func(t *testing.T) {
		// A budgeted, rate-limited key on the model priced above: every counter is in play,
		// and its spend feeds the budget alerts.
		k := a.admin(t, "POST", "/admin/keys", map[string]any{"name": "trips", "rpm": 1000, "tpm": 1_000_000,
			"max_budget": 100})["key"].(string)
		time.Sleep(200 * time.Millisecond)
		rc := redis.NewClient(&redis.Options{Addr: rds.Addr})
		defer rc.Close()
		if err := rc.ConfigResetStat(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
		const n = 20
		if as := hammer(both, k, "m", n, 1); count(as, http.StatusOK) != n {
			t.Fatalf("%d of %d answered", count(as, http.StatusOK), n)
		}
		time.Sleep(200 * time.Millisecond) // the last answer's settling is done
		info, err := rc.Info(t.Context(), "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		// Redis counts the commands a script runs as well: each script reads the key's
		// counters with one HMGET, so any HMGET beyond those is a round trip of its own.
		calls := func(cmd string) int {
			_, rest, ok := strings.Cut(info, "cmdstat_"+cmd+":calls=")
			if !ok {
				return 0
			}
			v, _, _ := strings.Cut(rest, ",")
			c, _ := strconv.Atoi(v)
			return c
		}
		if e, h := calls("evalsha")+calls("eval"), calls("hmget"); e != 2*n || h != 2*n {
			t.Fatalf("%d requests ran %d scripts and %d HMGETs; want %d of each:\n%s", n, e, h, 2*n, info)
		}
	})

	t.Run("a provider going down and back is notified once each", func(t *testing.T) {
		testHealthOnce(t, a, b)
	})

	t.Run("Redis stopped: fail open, /ready degraded; fail closed: 503", func(t *testing.T) {
		k := a.admin(t, "POST", "/admin/keys", map[string]any{"name": "redis-down", "rpm": 1000})["key"].(string)
		time.Sleep(200 * time.Millisecond)
		rds.Stop()
		defer func() { _ = rds.Start() }() // started again below; here if the test stops early
		for _, in := range both {
			ans, err := in.chat(k, "m")
			if err != nil || ans.status != http.StatusOK {
				t.Fatalf("%s with Redis down: %+v, %v; want answered (fail open)", in.name, ans, err)
			}
			resp, err := http.Get(in.url + "/ready")
			if err != nil {
				t.Fatal(err)
			}
			var r struct{ Status string }
			_ = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || r.Status != "degraded" {
				t.Fatalf("%s /ready with Redis down: %d %q; want 200 degraded", in.name, resp.StatusCode, r.Status)
			}
		}
		// A key created on a while the fan-out (Redis pub/sub) is down: b finds it in the
		// database at its first use, and the throttle of failed authentications (10 a minute)
		// never sees it.
		late := a.admin(t, "POST", "/admin/keys", map[string]any{"name": "created-while-redis-down"})["key"].(string)
		for i := range 12 {
			if ans, err := b.chat(late, "m"); err != nil || ans.status != http.StatusOK {
				t.Fatalf("request %d on b with a key created on a while Redis is down: %d %s, %v; want answered",
					i, ans.status, ans.body, err)
			}
		}
		ans, err := c.chat(k, "m")
		var e struct {
			Error struct{ Message, Type, Code string }
		}
		if err != nil || ans.status != http.StatusServiceUnavailable || json.Unmarshal(ans.body, &e) != nil ||
			e.Error.Code != "limits_unavailable" || e.Error.Type == "" || e.Error.Message == "" {
			t.Fatalf("c (fail closed) with Redis down: %d %s, %v; want 503 limits_unavailable in OpenAI's error shape",
				ans.status, ans.body, err)
		}
		if resp, err := http.Get(c.url + "/ready"); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("c (fail closed) /ready with Redis down: %v, %v; want 503", resp, err)
		} else {
			resp.Body.Close()
		}
		if err := rds.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			ans, err := c.chat(k, "m")
			if err == nil && ans.status == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("c does not serve again 10s after Redis is back: %d %s, %v", ans.status, ans.body, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("one instance killed under load: the other serves, no usage row lost", func(t *testing.T) {
		// Redis was just restarted and the fan-out may still be reconnecting: b finds the key
		// created on a in the database.
		k := a.admin(t, "POST", "/admin/keys", map[string]any{"name": "load"})["key"].(string)
		var (
			mu       sync.Mutex
			answered []string // ids b answered
			stop     atomic.Bool
			wg       sync.WaitGroup
		)
		for i := range 6 {
			wg.Go(func() {
				for !stop.Load() {
					in := both[i%2]
					ans, err := in.chat(k, "m")
					if in == b && err == nil && ans.status == http.StatusOK {
						mu.Lock()
						answered = append(answered, ans.id)
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(500 * time.Millisecond)
		_ = a.cmd.Process.Signal(syscall.SIGKILL)
		<-a.done
		mu.Lock()
		before := len(answered)
		mu.Unlock()
		time.Sleep(500 * time.Millisecond)
		stop.Store(true)
		wg.Wait()
		if len(answered) <= before {
			t.Fatalf("b answered %d before the kill and nothing after", before)
		}
		// A clean stop of b flushes its usage writer.
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.done:
		case <-time.After(30 * time.Second):
			t.Fatal("b did not stop within 30s")
		}
		db, err := store.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		missing := 0
		for _, id := range answered {
			if _, err := db.GetLog(context.Background(), id); err != nil {
				missing++
			}
		}
		if missing > 0 {
			t.Fatalf("%d of the %d requests b answered have no usage row", missing, len(answered))
		}
		t.Logf("b answered %d requests (%d after a was killed); every one has its usage row",
			len(answered), len(answered)-before)
	})
}

// testHealthOnce: both instances health-check a provider every second; it goes down, then
// comes back: one "down" and one "recovered" notification across the two, stored and sent.
func testHealthOnce(t *testing.T, a, b *instance) {
	var down atomic.Bool
	fake := fakeopenai.New("")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, `{"error":{"message":"down for maintenance","type":"server_error"}}`, http.StatusServiceUnavailable)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	defer up.Close()
	var (
		mu   sync.Mutex
		sent []string // titles of the provider_health webhooks
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n struct{ Type, Title string }
		_ = json.NewDecoder(r.Body).Decode(&n)
		if n.Type == "provider_health" {
			mu.Lock()
			sent = append(sent, n.Title)
			mu.Unlock()
		}
	}))
	defer hook.Close()
	p := a.admin(t, "POST", "/admin/providers", map[string]any{"name": "flaky", "type": "openai",
		"base_url": up.URL + "/v1", "api_key": "sk-fake"})
	m := a.admin(t, "POST", "/admin/models", map[string]any{"alias": "flaky", "provider_id": p["id"],
		"provider_model": "gpt-4o-mini"})
	a.admin(t, "PATCH", "/admin/settings", map[string]any{"notify_webhook_url": hook.URL})
	a.admin(t, "PUT", "/admin/router", map[string]any{"health_check_interval_s": 1, "cooldown_s": 1})
	defer func() {
		a.admin(t, "DELETE", "/admin/models/"+m["id"].(string), nil)
		a.admin(t, "PUT", "/admin/router", map[string]any{"health_check_interval_s": 60, "cooldown_s": 30})
		a.admin(t, "PATCH", "/admin/settings", map[string]any{"notify_webhook_url": ""})
	}()
	// expect waits until the webhook got want, then a few more check rounds of both
	// instances, and checks nothing else came.
	expect := func(want ...string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			mu.Lock()
			n := len(sent)
			mu.Unlock()
			if n >= len(want) || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(4 * time.Second) // both instances check again, several times
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(sent, "|") != strings.Join(want, "|") {
			t.Fatalf("provider_health webhooks %q, want %q", sent, want)
		}
	}
	expect()
	down.Store(true)
	expect("Provider flaky is down")
	down.Store(false)
	expect("Provider flaky is down", "Provider flaky recovered")
	var stored []string
	for _, n := range a.admin(t, "GET", "/admin/notifications?limit=100", nil)["data"].([]any) {
		if n := n.(map[string]any); n["provider_id"] == p["id"] {
			stored = append(stored, n["title"].(string))
		}
	}
	if strings.Join(stored, "|") != "Provider flaky recovered|Provider flaky is down" {
		t.Fatalf("stored provider_health notifications %q, want one recovered and one down", stored)
	}
}
