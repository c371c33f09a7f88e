package backend

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/conduit-gw/conduit/internal/runtime"
)

func TestHostPolicy(t *testing.T) {
	cases := []struct {
		listen string
		extra  []string
		host   string
		want   bool
	}{
		{"127.0.0.1:8800", nil, "127.0.0.1:8800", true},
		{"127.0.0.1:8800", nil, "localhost:8800", true},
		{"127.0.0.1:8800", nil, "LOCALHOST", true},
		{"127.0.0.1:8800", nil, "[::1]:8800", true},
		{"127.0.0.1:8800", nil, "127.0.0.2", true}, // loopback
		{"127.0.0.1:8800", nil, "", true},          // no Host: not a browser
		{"127.0.0.1:8800", nil, "evil.example:8800", false},
		{"127.0.0.1:8800", nil, "localhost.evil.example", false},
		{"127.0.0.1:8800", nil, "10.0.0.5:8800", false},
		{"10.0.0.5:8800", nil, "10.0.0.5:8800", true},
		{"10.0.0.5:8800", nil, "10.0.0.6:8800", false},
		{"0.0.0.0:8800", nil, "10.0.0.6:8800", true}, // every interface: any IP literal
		{"0.0.0.0:8800", nil, "[fe80::1]:8800", true},
		{"0.0.0.0:8800", nil, "gw.example", false}, // but not any name
		{":8800", nil, "192.168.1.1", true},
		{"127.0.0.1:8800", []string{"gw.example"}, "GW.example:443", true},
		{"127.0.0.1:8800", []string{"gw.example:8800"}, "gw.example", true},
		{"127.0.0.1:8800", []string{"*.corp.example"}, "a.corp.example", true},
		{"127.0.0.1:8800", []string{"*.corp.example"}, "corp.example.evil", false},
		{"127.0.0.1:8800", []string{"*"}, "anything.example", true},
		{"conduit.local:8800", nil, "conduit.local:8800", true},
	}
	for _, c := range cases {
		if got := newHostPolicy(c.listen, c.extra).allows(c.host); got != c.want {
			t.Errorf("listen %q extra %v: allows(%q) = %v, want %v", c.listen, c.extra, c.host, got, c.want)
		}
	}
}

func TestOwnOrigin(t *testing.T) {
	cases := []struct {
		origin, referer string
		want            bool
	}{
		{"http://127.0.0.1:8800", "", true},
		{"http://127.0.0.1:8800", "https://evil.example/", true}, // Origin wins
		{"", "http://127.0.0.1:8800/keys", true},
		{"https://evil.example", "", false},
		{"http://127.0.0.1:9999", "", false},
		{"null", "", false},
		{"", "", false},
		{"not a url\x7f", "", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8800/admin/keys", nil)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if c.referer != "" {
			r.Header.Set("Referer", c.referer)
		}
		if got := ownOrigin(r); got != c.want {
			t.Errorf("Origin %q Referer %q: ownOrigin = %v, want %v", c.origin, c.referer, got, c.want)
		}
	}
}

// serve sends one request straight to the handler, as if from addr to host.
func serve(h http.Handler, method, host, path, addr string, header map[string]string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://"+host+path, strings.NewReader(body))
	r.Host = host
	r.RemoteAddr = addr
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHostCheck(t *testing.T) {
	e := newEnvWith(t, func(o *runtime.Options) { o.AllowedHosts = []string{"gw.example"} })
	h := e.srv.Handler()
	auth := map[string]string{"Authorization": "Bearer " + testMaster}
	for _, tc := range []struct {
		host, path string
		desktop    bool
		want       int
	}{
		{"127.0.0.1:8800", "/admin/system", false, 200},
		{"localhost:8800", "/admin/system", false, 200},
		{"gw.example", "/admin/system", false, 200},
		{"rebound.evil.example", "/admin/system", false, http.StatusMisdirectedRequest},
		{"rebound.evil.example", "/v1/models", false, http.StatusMisdirectedRequest},
		{"rebound.evil.example", "/", false, http.StatusMisdirectedRequest},
		{"rebound.evil.example", "/health", false, http.StatusMisdirectedRequest},
		{"wails", "/admin/system", true, 200}, // the desktop window, in process
	} {
		r := httptest.NewRequest("GET", "http://"+tc.host+tc.path, nil)
		r.Host = tc.host
		r.RemoteAddr = "127.0.0.1:5555"
		if !tc.desktop {
			for k, v := range auth {
				r.Header.Set(k, v)
			}
		} else {
			r = r.WithContext(context.WithValue(r.Context(), desktopKey{}, true))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("GET %s Host %s = %d %s, want %d", tc.path, tc.host, w.Code, w.Body, tc.want)
		}
		if tc.want == http.StatusMisdirectedRequest && !strings.Contains(w.Body.String(), "--allowed-hosts") {
			t.Errorf("refusal does not say what to do: %s", w.Body)
		}
	}
	// On /v1 the refusal is an OpenAI error.
	w := serve(h, "GET", "evil.example", "/v1/models", "127.0.0.1:1", nil, "")
	if errorCode(t, w.Body.Bytes()) != "host_not_allowed" {
		t.Errorf("body %s", w.Body)
	}
}

// login returns a session cookie from the real handler.
func login(t *testing.T, h http.Handler) string {
	t.Helper()
	w := serve(h, "POST", "127.0.0.1:8800", "/admin/login", "127.0.0.1:1",
		map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:8800"},
		`{"master_key":"`+testMaster+`"}`)
	if w.Code != 200 {
		t.Fatalf("login = %d %s", w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie("127.0.0.1:8800") {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func TestOriginCheckOnCookieWrites(t *testing.T) {
	e := newEnv(t)
	h := e.srv.Handler()
	ck := sessionCookie("127.0.0.1:8800") + "=" + login(t, h)
	host := "127.0.0.1:8800"
	body := `{"name":"origin-test"}`
	for _, tc := range []struct {
		name   string
		method string
		header map[string]string
		want   int
	}{
		{"same origin", "POST", map[string]string{"Cookie": ck, "Origin": "http://" + host}, 201},
		{"same-origin referer", "POST", map[string]string{"Cookie": ck, "Referer": "http://" + host + "/keys"}, 201},
		{"other origin", "POST", map[string]string{"Cookie": ck, "Origin": "https://evil.example"}, 403},
		{"other port", "POST", map[string]string{"Cookie": ck, "Origin": "http://127.0.0.1:9"}, 403},
		{"no origin", "POST", map[string]string{"Cookie": ck}, 403},
		{"read without origin", "GET", map[string]string{"Cookie": ck}, 200},
		{"master key, no origin", "POST", map[string]string{"Authorization": "Bearer " + testMaster}, 201},
		{"master key, any origin", "POST", map[string]string{"Authorization": "Bearer " + testMaster, "Origin": "https://elsewhere.example"}, 201},
	} {
		tc.header["Content-Type"] = "application/json"
		b := body
		if tc.method == "GET" {
			b = ""
		}
		w := serve(h, tc.method, host, "/admin/keys", "127.0.0.1:1", tc.header, b)
		if w.Code != tc.want {
			t.Errorf("%s: %s /admin/keys = %d %s, want %d", tc.name, tc.method, w.Code, w.Body, tc.want)
		}
		if v := w.Header().Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("%s: /admin sent Access-Control-Allow-Origin %q", tc.name, v)
		}
	}
	// A login posted by another site's page is refused.
	w := serve(h, "POST", host, "/admin/login", "127.0.0.1:1",
		map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, `{"master_key":"`+testMaster+`"}`)
	if w.Code != 403 || len(w.Result().Cookies()) != 0 {
		t.Errorf("cross-origin login = %d, cookies %v", w.Code, w.Result().Cookies())
	}
	// /admin answers no preflight.
	w = serve(h, "OPTIONS", host, "/admin/keys", "127.0.0.1:1",
		map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, "")
	if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Code < 400 {
		t.Errorf("admin preflight = %d %v", w.Code, w.Header())
	}
}

func TestV1CORS(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	h := e.srv.Handler()
	host := "127.0.0.1:8800"
	app := "http://localhost:5173"
	preflight := map[string]string{"Origin": app, "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "authorization, content-type"}

	// Off by default: preflight refused, responses unmarked.
	w := serve(h, "OPTIONS", host, "/v1/chat/completions", "127.0.0.1:1", preflight, "")
	if w.Code != 403 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight with CORS off = %d %v", w.Code, w.Header())
	}
	w = serve(h, "GET", host, "/v1/models", "127.0.0.1:1", map[string]string{"Origin": app, "Authorization": "Bearer " + key}, "")
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("GET with CORS off = %d %v", w.Code, w.Header())
	}

	// Bad values are refused and change nothing.
	for _, bad := range []string{`["localhost:5173"]`, `["https://a.example/path"]`, `"*"`, `[1]`} {
		if st, m := e.admin("PATCH", "/admin/settings", `{"cors_origins":`+bad+`}`); st != 400 {
			t.Errorf("cors_origins %s = %d %v, want 400", bad, st, m)
		}
	}
	m := e.mustAdmin(200, "PATCH", "/admin/settings", map[string]any{"cors_origins": []string{"HTTP://LocalHost:5173/", "https://app.example"}})
	if got := jsonString(m["cors_origins"]); got != `["http://localhost:5173","https://app.example"]` {
		t.Fatalf("cors_origins stored as %s", got)
	}

	w = serve(h, "OPTIONS", host, "/v1/chat/completions", "127.0.0.1:1", preflight, "")
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != app ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "POST") ||
		w.Header().Get("Access-Control-Allow-Headers") != "authorization, content-type" {
		t.Fatalf("preflight = %d %v", w.Code, w.Header())
	}
	w = serve(h, "POST", host, "/v1/chat/completions", "127.0.0.1:1",
		map[string]string{"Origin": app, "Authorization": "Bearer " + key, "Content-Type": "application/json"}, jsonString(chat("gpt", nil)))
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != app ||
		!strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "X-Request-Id") {
		t.Fatalf("chat from an allowed origin = %d %v", w.Code, w.Header())
	}
	if w.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Error("credentials allowed")
	}
	// Another origin is still refused.
	preflight["Origin"] = "https://evil.example"
	if w := serve(h, "OPTIONS", host, "/v1/chat/completions", "127.0.0.1:1", preflight, ""); w.Code != 403 {
		t.Errorf("preflight from an unlisted origin = %d", w.Code)
	}
	// "*" allows any origin.
	e.mustAdmin(200, "PATCH", "/admin/settings", map[string]any{"cors_origins": []string{"*"}})
	if w := serve(h, "OPTIONS", host, "/v1/models", "127.0.0.1:1", preflight, ""); w.Code != 204 ||
		w.Header().Get("Access-Control-Allow-Origin") != "https://evil.example" {
		t.Errorf("preflight with * = %d %v", w.Code, w.Header())
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/", "/keys", "/admin/system", "/health"} {
		resp, _ := e.do("GET", p, nil, map[string]string{"Authorization": "Bearer " + testMaster})
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("GET %s headers: %v", p, h)
		}
	}
	resp, _ := e.do("GET", "/v1/models", nil, nil)
	if resp.Header.Get("Content-Security-Policy") != "" {
		t.Error("/v1 carries the UI's CSP")
	}
}

func TestInlineScriptHashes(t *testing.T) {
	page := []byte(`<html><head><script>
  console.log("hi")
</script><script type="module" crossorigin src="/assets/index.js"></script><script>x()</script></head></html>`)
	got := inlineScriptHashes(page)
	want := []string{sha256CSP("\n  console.log(\"hi\")\n"), sha256CSP("x()")}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("hashes %v, want %v", got, want)
	}
	csp := contentSecurityPolicy(page)
	if !strings.Contains(csp, "script-src 'self' '"+want[0]+"' '"+want[1]+"';") {
		t.Errorf("CSP %s", csp)
	}
	if csp := contentSecurityPolicy(nil); !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("CSP without inline scripts: %s", csp)
	}
}

// TestUISecurityHeaders: a handler serving the UI outside the server (the desktop window's
// asset server) gets the server's headers, its policy hashing that UI's inline scripts; /v1
// gets none.
func TestUISecurityHeaders(t *testing.T) {
	ui := fstest.MapFS{"index.html": {Data: []byte(`<html><head><script>boot()</script></head></html>`)}}
	h := UISecurityHeaders(ui)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	for path, want := range map[string]bool{"/": true, "/index.html": true, "/admin/system": true, "/v1/models": false} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		csp := rec.Header().Get("Content-Security-Policy")
		got := strings.Contains(csp, "script-src 'self' '"+sha256CSP("boot()")+"';") &&
			rec.Header().Get("X-Frame-Options") == "DENY" && rec.Header().Get("X-Content-Type-Options") == "nosniff"
		if got != want || !want && csp != "" {
			t.Errorf("%s: headers %v", path, rec.Header())
		}
	}
}

func sha256CSP(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
