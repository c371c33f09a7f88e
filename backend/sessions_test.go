package backend

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSessionsInDatabase: a web UI login is kept in the database: a second server over the
// same store (another instance, or this one restarted, with nothing in memory) accepts the
// cookie, and a logout through either ends it for both.
func TestSessionsInDatabase(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.do("POST", "/admin/login", map[string]string{"master_key": testMaster}, nil)
	var tok string
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			tok = c.Value
		}
	}
	if resp.StatusCode != http.StatusOK || tok == "" {
		t.Fatalf("login: %d, cookie %q", resp.StatusCode, tok)
	}
	other := httptest.NewServer(Mount(e.rt, Web{}).Handler())
	defer other.Close()
	get := func(base string) int {
		req, _ := http.NewRequest("GET", base+"/admin/system", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
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
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if got := get(e.url); got != http.StatusUnauthorized {
		t.Fatalf("after a logout on the other server: %d, want 401", got)
	}
}
