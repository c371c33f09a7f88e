package backend

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeclock"
	"github.com/conduit-gw/conduit/internal/runtime"
	"github.com/conduit-gw/conduit/internal/throttle"
)

func TestFailedAuthThrottle(t *testing.T) {
	clk := fakeclock.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	th := throttle.New(throttle.Options{Limit: 5, Window: time.Minute, Block: time.Minute, Now: clk.Now})
	e := newEnvWith(t, func(o *runtime.Options) { o.Throttle = th })
	_, key := e.setup()
	h := e.srv.Handler()
	host := "127.0.0.1:8800"
	const attacker, other = "10.9.9.9:4000", "10.1.1.1:4000"
	v1 := func(addr, k string) *httptestResult {
		return result(serve(h, "GET", host, "/v1/models", addr, map[string]string{"Authorization": "Bearer " + k}, ""))
	}
	loginAs := func(addr, k string) *httptestResult {
		return result(serve(h, "POST", host, "/admin/login", addr, map[string]string{"Content-Type": "application/json"},
			`{"master_key":"`+k+`"}`))
	}

	// Wrong virtual keys and wrong master keys count together, per address.
	for i := 0; i < 2; i++ {
		if r := v1(attacker, "condt_wrong"); r.code != 401 {
			t.Fatalf("wrong key %d = %d", i, r.code)
		}
	}
	if r := loginAs(attacker, "wrong-master"); r.code != 401 {
		t.Fatalf("wrong login = %d", r.code)
	}
	if r := result(serve(h, "GET", host, "/admin/keys", attacker, map[string]string{"Authorization": "Bearer nope"}, "")); r.code != 401 {
		t.Fatalf("wrong bearer = %d", r.code)
	}
	if r := v1(attacker, "condt_wrong"); r.code != 401 { // the fifth failure blocks
		t.Fatalf("fifth failure = %d", r.code)
	}
	for _, r := range []*httptestResult{
		v1(attacker, "condt_wrong"),
		v1(attacker, key), // a valid key from a blocked address: refused too, no guessing through
		loginAs(attacker, testMaster),
		result(serve(h, "GET", host, "/admin/keys", attacker, map[string]string{"Authorization": "Bearer " + testMaster}, "")),
	} {
		if r.code != http.StatusTooManyRequests || r.retryAfter != "60" {
			t.Errorf("blocked address: %d Retry-After %q %s", r.code, r.retryAfter, r.body)
		}
	}
	// Other addresses are unaffected.
	if r := v1(other, key); r.code != 200 {
		t.Errorf("valid key from another address = %d %s", r.code, r.body)
	}
	if r := loginAs(other, testMaster); r.code != 200 {
		t.Errorf("login from another address = %d", r.code)
	}
	// Counted in metrics, audited, notified.
	resp, body := e.do("GET", "/metrics", nil, map[string]string{"Authorization": "Bearer " + testMaster})
	if resp.StatusCode != 200 || !strings.Contains(string(body), "conduit_auth_failures_total 5") ||
		!strings.Contains(string(body), "conduit_auth_blocks_total 1") || !strings.Contains(string(body), "conduit_auth_throttled_total 4") {
		t.Errorf("metrics:\n%s", grepLines(string(body), "conduit_auth_"))
	}
	waitFor(t, "a login_failed audit row for the block", func() bool {
		_, m := e.admin("GET", "/admin/audit?resource=auth_throttle", nil)
		rows, _ := m["data"].([]any)
		return len(rows) == 1 && rows[0].(map[string]any)["action"] == "login_failed" &&
			rows[0].(map[string]any)["client_ip"] == "10.9.9.9"
	})
	waitFor(t, "a system notification", func() bool {
		_, m := e.admin("GET", "/admin/notifications", nil)
		rows, _ := m["data"].([]any)
		for _, r := range rows {
			n := r.(map[string]any)
			if n["type"] == "system" && strings.Contains(n["body"].(string), "10.9.9.9") {
				return true
			}
		}
		return false
	})
	// The block runs out.
	clk.Advance(61 * time.Second)
	if r := v1(attacker, key); r.code != 200 {
		t.Errorf("after the block = %d %s", r.code, r.body)
	}
}

type httptestResult struct {
	code       int
	retryAfter string
	body       string
}

func result(w *httptest.ResponseRecorder) *httptestResult {
	return &httptestResult{code: w.Code, retryAfter: w.Header().Get("Retry-After"), body: w.Body.String()}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
