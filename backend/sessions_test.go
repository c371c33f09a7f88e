package backend

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSessionsInDatabase: a web UI login is kept in the database: a second server over the
// same store (another instance, or this one restarted, with nothing in memory) accepts the
// cookie, and a logout through either ends it for both.
func TestSessionsInDatabase(t *testing.T) {
	e := newEnv(t)
	tok := strings.TrimPrefix(e.login(), e.sessionCookie()+"=")
	other := httptest.NewServer(Mount(e.rt, Web{}).Handler())
	defer other.Close()
	// The browser reaches both behind one origin (a load balancer): one cookie name.
	cookie := func(base string) *http.Cookie {
		return &http.Cookie{Name: sessionCookie(strings.TrimPrefix(base, "http://")), Value: tok}
	}
	get := func(base string) int {
		req, _ := http.NewRequest("GET", base+"/admin/system", nil)
		req.AddCookie(cookie(base))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(other.URL); got != http.StatusOK {
		t.Fatalf("the other server refuses the session: %d", got)
	}
	req, _ := http.NewRequest("POST", other.URL+"/admin/logout", nil)
	req.AddCookie(cookie(other.URL))
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if got := get(e.url); got != http.StatusUnauthorized {
		t.Fatalf("after a logout on the other server: %d, want 401", got)
	}
}

// TestTwoServersOneBrowser: two Conduit servers on one machine (one host, two ports) share a
// browser's cookie jar, which scopes cookies by host alone; logging in to one, or out of it,
// leaves the other's login alone.
func TestTwoServersOneBrowser(t *testing.T) {
	a, b := newEnv(t), newEnv(t)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	call := func(method, base, path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base)
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	login := `{"master_key":"` + testMaster + `"}`
	for _, e := range []*env{a, b} {
		if got := call("POST", e.url, "/admin/login", login); got != http.StatusOK {
			t.Fatalf("login at %s: %d", e.url, got)
		}
	}
	for _, e := range []*env{a, b} {
		if got := call("GET", e.url, "/admin/system", ""); got != http.StatusOK {
			t.Fatalf("%s after logging in to both: %d, want 200", e.url, got)
		}
	}
	if got := call("POST", b.url, "/admin/logout", ""); got != http.StatusOK {
		t.Fatalf("logout: %d", got)
	}
	if got := call("GET", b.url, "/admin/system", ""); got != http.StatusUnauthorized {
		t.Fatalf("the server logged out of: %d, want 401", got)
	}
	if got := call("GET", a.url, "/admin/system", ""); got != http.StatusOK {
		t.Fatalf("the other server after a logout: %d, want 200", got)
	}
}

func TestSessionCookieName(t *testing.T) {
	for _, tc := range []struct{ host, want string }{
		{"127.0.0.1:8800", "conduit_session_8800"},
		{"localhost:8801", "conduit_session_8801"},
		{"[::1]:9000", "conduit_session_9000"},
		{"conduit.example.com", "conduit_session"},
		{"", "conduit_session"},
		{"evil:80;x", "conduit_session"},
	} {
		if got := sessionCookie(tc.host); got != tc.want {
			t.Errorf("sessionCookie(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
}
