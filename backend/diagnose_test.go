package backend

import (
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/llm"
)

func TestDiagnose(t *testing.T) {
	transport := func(inner error) error {
		return llm.Upstream("openai could not be reached", &url.Error{Op: "Get", URL: "https://user:pw@api.example/v1/models?key=s3cret", Err: inner})
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name             string
		err              error
		cause, url, hint string
	}{
		{"refused", transport(refused), "dial tcp: connect: connection refused", "https://api.example/v1/models", "Nothing is listening"},
		{"dns", transport(&net.DNSError{Err: "no such host", Name: "api.example", IsNotFound: true}), "no such host", "https://api.example/v1/models", "does not resolve"},
		{"unknown CA", transport(x509.UnknownAuthorityError{}), "certificate signed by unknown authority", "https://api.example/v1/models", "CA certificate"},
		{"plain http", transport(errors.New("http: server gave HTTP response to HTTPS client")), "server gave HTTP response", "https://api.example/v1/models", "try http://"},
		{"401", &llm.Error{Message: "openai rejected the gateway's credentials (401): Incorrect API key provided: sk-ab***", UpstreamStatus: 401,
			Cause: &url.Error{Op: "Get", URL: "https://api.example/v1/models", Err: errors.New("openai returned 401: {\"error\":\"sk-abcdef\"}")}},
			"rejected the gateway's credentials", "https://api.example/v1/models", "check the key"},
		{"404", &llm.Error{Message: "openai returned 404: not found", UpstreamStatus: 404}, "returned 404", "", "base URL"},
		{"other", errors.New("boom"), "boom", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := diagnose(tt.err)
			if !strings.Contains(d.Cause, tt.cause) || d.URL != tt.url || !strings.Contains(d.Hint, tt.hint) || (tt.hint == "") != (d.Hint == "") {
				t.Fatalf("diagnose = %+v, want cause ~%q url %q hint ~%q", d, tt.cause, tt.url, tt.hint)
			}
			for _, secret := range []string{"s3cret", "pw@", "sk-abcdef"} {
				if strings.Contains(d.Cause+d.URL+d.Hint, secret) {
					t.Fatalf("diagnosis shows %q: %+v", secret, d)
				}
			}
		})
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestProviderTestSaysWhyAndSetsHealth(t *testing.T) {
	e := newEnv(t)
	addr := closedPort(t)
	down := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "down", "type": "openai_compatible", "base_url": "http://" + addr + "/v1"})["id"].(string)
	res := e.mustAdmin(200, "POST", "/admin/providers/"+down+"/test", nil)
	if res["ok"] != false || !strings.Contains(res["cause"].(string), "connection refused") ||
		res["url"] != "http://"+addr+"/v1/models" || !strings.Contains(res["hint"].(string), "running") || res["health"] != "down" {
		t.Fatalf("refused test: %v", res)
	}
	badKey := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "bad-key", "type": "openai", "base_url": e.fakeURL, "api_key": "sk-wrong-key-123456"})["id"].(string)
	res = e.mustAdmin(200, "POST", "/admin/providers/"+badKey+"/test", nil)
	if res["ok"] != false || res["url"] != e.fakeURL+"/models" || !strings.Contains(res["hint"].(string), "API key") {
		t.Fatalf("bad key test: %v", res)
	}
	if strings.Contains(jsonString(res), "sk-wrong-key-123456") {
		t.Fatalf("the test result shows the key: %v", res)
	}
	good := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "good", "type": "openai", "base_url": e.fakeURL, "api_key": testProviderKey})["id"].(string)
	res = e.mustAdmin(200, "POST", "/admin/providers/"+good+"/test", nil)
	if res["ok"] != true || res["health"] != "up" || res["cause"] != nil {
		t.Fatalf("good test: %v", res)
	}

	want := map[string]string{down: "down", badKey: "down", good: "up"}
	for _, p := range e.mustAdmin(200, "GET", "/admin/providers", nil)["data"].([]any) {
		m := p.(map[string]any)
		if m["status"] != want[m["id"].(string)] {
			t.Errorf("providers list: %s is %v, want %s", m["name"], m["status"], want[m["id"].(string)])
		}
	}
	for _, p := range e.mustAdmin(200, "GET", "/admin/system", nil)["providers"].([]any) {
		m := p.(map[string]any)
		if m["status"] != want[m["id"].(string)] {
			t.Errorf("system: %s is %v, want %s", m["name"], m["status"], want[m["id"].(string)])
		}
	}

	// A provider with deployments: the test marks them at once.
	dep := e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "m", "provider_id": down, "provider_model": "gpt-4o"})["id"].(string)
	e.mustAdmin(200, "POST", "/admin/providers/"+down+"/test", nil)
	if h := e.mustAdmin(200, "GET", "/admin/models/"+dep, nil)["health"].(map[string]any); h["status"] != "down" {
		t.Fatalf("deployment health after a failed test: %v", h)
	}
}

// TestProviderTestWithoutModelList: a local server that serves chat but not GET /models
// passes the connection test and stays up, saying it lists no models; its alias answers.
func TestProviderTestWithoutModelList(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	mux.Handle("/v1/chat/completions", fakeopenai.New(""))
	local := httptest.NewServer(mux) // GET /v1/models: 404
	t.Cleanup(local.Close)
	id := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "local", "type": "openai_compatible", "base_url": local.URL + "/v1"})["id"].(string)
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "local", "provider_id": id, "provider_model": "llama"})
	res := e.mustAdmin(200, "POST", "/admin/providers/"+id+"/test", nil)
	if res["ok"] != true || res["health"] != "up" || !strings.Contains(res["message"].(string), "does not list its models") {
		t.Fatalf("test of a server without a models list: %v", res)
	}
	key := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "k"})["key"].(string)
	chat := map[string]any{"model": "local", "messages": []map[string]any{{"role": "user", "content": "hi"}}}
	if resp, body := e.do("POST", "/v1/chat/completions", chat, map[string]string{"Authorization": "Bearer " + key}); resp.StatusCode != 200 {
		t.Fatalf("after the test: %d %s", resp.StatusCode, body)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"gpt", "gpt", 0}, {"gtp", "gpt", 1}, {"gtp-4o", "gpt-4o", 1}, {"claud", "claude", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
