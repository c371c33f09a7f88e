package backend

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// sessionCookie is the name of the session cookie the test server sets.
func (e *env) sessionCookie() string {
	return sessionCookie(strings.TrimPrefix(e.url, "http://"))
}

// login signs in with the master key and returns the session cookie header.
func (e *env) login() string {
	e.t.Helper()
	resp, _ := e.do("POST", "/admin/login", map[string]string{"master_key": testMaster}, nil)
	for _, c := range resp.Cookies() {
		if c.Name == e.sessionCookie() {
			return c.Name + "=" + c.Value
		}
	}
	e.t.Fatalf("login: %d, no session cookie", resp.StatusCode)
	return ""
}

func TestPlaygroundAdmission(t *testing.T) {
	e := newEnv(t)
	_, vk := e.setup()
	cookie := e.login()
	vkID := ""
	for _, k := range e.mustAdmin(200, "GET", "/admin/keys", nil)["data"].([]any) {
		vkID = k.(map[string]any)["id"].(string)
	}

	cases := []struct {
		name   string
		header map[string]string
		status int
		keyID  string // the key the request ran as, when admitted
	}{
		{"session + playground header", map[string]string{"Cookie": cookie, PlaygroundHeader: "1"}, 200, PlaygroundKeyID},
		{"session + header + same Origin", map[string]string{"Cookie": cookie, PlaygroundHeader: "1",
			"Origin": e.url, "Sec-Fetch-Site": "same-origin"}, 200, PlaygroundKeyID},
		{"a chosen virtual key wins", map[string]string{"Cookie": cookie, PlaygroundHeader: "1",
			"Authorization": "Bearer " + vk}, 200, vkID},
		{"session cookie alone", map[string]string{"Cookie": cookie}, 401, ""},
		{"header alone", map[string]string{PlaygroundHeader: "1"}, 401, ""},
		{"header + unknown session", map[string]string{"Cookie": e.sessionCookie() + "=forged", PlaygroundHeader: "1"}, 401, ""},
		{"header + session from another origin", map[string]string{"Cookie": cookie, PlaygroundHeader: "1",
			"Origin": "https://evil.example"}, 401, ""},
		{"header + session from another site", map[string]string{"Cookie": cookie, PlaygroundHeader: "1",
			"Sec-Fetch-Site": "cross-site"}, 401, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.do("POST", "/v1/chat/completions", chat("gpt", nil), tc.header)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status == 401 {
				if code := errorCode(t, body); code != "invalid_api_key" {
					t.Errorf("code %q", code)
				}
				return
			}
			id := resp.Header.Get("X-Request-Id")
			for _, row := range e.requestLogs(1) {
				if row["id"] == id && row["key_id"] != tc.keyID {
					t.Errorf("logged as key %v, want %s", row["key_id"], tc.keyID)
				}
			}
		})
	}
}

func TestPlaygroundIsAKey(t *testing.T) {
	e := newEnv(t)
	e.setup()
	cookie := e.login()
	h := map[string]string{"Cookie": cookie, PlaygroundHeader: "1"}
	if resp, body := e.do("GET", "/v1/models", nil, h); resp.StatusCode != 200 || !strings.Contains(string(body), `"gpt"`) {
		t.Fatalf("models: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.do("POST", "/v1/chat/completions", chat("gpt", nil), h); resp.StatusCode != 200 {
		t.Fatalf("chat: %d %s", resp.StatusCode, body)
	}

	// Logged and priced like a key, and listed with the keys.
	rows := e.requestLogs(1)
	if rows[0]["key_id"] != PlaygroundKeyID || !(rows[0]["cost"].(float64) > 0) {
		t.Errorf("log row: key %v, cost %v", rows[0]["key_id"], rows[0]["cost"])
	}
	k := e.mustAdmin(200, "GET", "/admin/keys/"+PlaygroundKeyID, nil)
	if k["name"] != "Playground" || k["key"] != nil || !(k["spend"].(float64) > 0) {
		t.Errorf("key: %v", k)
	}
	var usage []map[string]any
	raw, _ := json.Marshal(e.mustAdmin(200, "GET", "/admin/usage?group_by=key", nil)["data"])
	_ = json.Unmarshal(raw, &usage)
	found := false
	for _, u := range usage {
		found = found || u["key"] == PlaygroundKeyID
	}
	if !found {
		t.Errorf("usage by key lacks the playground: %s", raw)
	}
	audit := e.mustAdmin(200, "GET", "/admin/audit?resource=key", nil)["data"].([]any)
	if a := audit[0].(map[string]any); a["resource_id"] != PlaygroundKeyID || a["actor"] != actorSession || a["action"] != "create" {
		t.Errorf("audit: %v", a)
	}

	// Its limits apply: disabled, the playground is refused like any key.
	e.mustAdmin(200, "PATCH", "/admin/keys/"+PlaygroundKeyID, map[string]any{"enabled": false})
	resp, body := e.do("POST", "/v1/chat/completions", chat("gpt", nil), h)
	if resp.StatusCode != 401 || errorCode(t, body) != "key_disabled" {
		t.Fatalf("disabled playground: %d %s", resp.StatusCode, body)
	}
	// Deleted, it comes back with the defaults on next use.
	e.mustAdmin(204, "DELETE", "/admin/keys/"+PlaygroundKeyID, nil)
	if resp, body := e.do("POST", "/v1/chat/completions", chat("gpt", nil), h); resp.StatusCode != 200 {
		t.Fatalf("after delete: %d %s", resp.StatusCode, body)
	}
}

func TestPlaygroundDesktopWindow(t *testing.T) {
	e := newEnv(t)
	e.setup()
	desktop := httptest.NewServer(DesktopHandler(e.srv.Handler()))
	t.Cleanup(desktop.Close)
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"with the playground header", map[string]string{PlaygroundHeader: "1", "Content-Type": "application/json"}, 200},
		{"without it", map[string]string{"Content-Type": "application/json"}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", desktop.URL+"/v1/chat/completions", strings.NewReader(jsonString(chat("gpt", nil))))
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	audit := e.mustAdmin(200, "GET", "/admin/audit?resource=key", nil)["data"].([]any)
	if a := audit[0].(map[string]any); a["resource_id"] != PlaygroundKeyID || a["actor"] != actorDesktop {
		t.Errorf("audit: %v", a)
	}
}

func TestPlaygroundFollowsTheMasterKey(t *testing.T) {
	var a, b playground
	if a.key("one") != a.key("two") {
		t.Error("the key is derived once per server")
	}
	if a.key("one") == b.key("two") || !strings.HasPrefix(a.key("one"), "condt_") || len(a.key("one")) != len(b.key("two")) {
		t.Errorf("keys: %q %q", a.key("one"), b.key("two"))
	}
	var c playground
	if c.key("one") != a.key("one") {
		t.Error("the same master key gives the same playground key")
	}
}
