package backend

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/runtime"
)

func TestSystemBaseURL(t *testing.T) {
	// A name the browser reaches Conduit by must be allowed (DNS-rebinding protection).
	e := newEnvWith(t, func(o *runtime.Options) { o.AllowedHosts = []string{"conduit.example"} })
	e.srv.SetListenURL("http://0.0.0.0:8800")
	desktop := httptest.NewServer(DesktopHandler(e.srv.Handler()))
	t.Cleanup(desktop.Close)

	cases := []struct {
		name, base, host, want string
	}{
		{"browser: the host it reached", e.url, "", e.url + "/v1"},
		{"browser through a name", e.url, "conduit.example:8800", "http://conduit.example:8800/v1"},
		{"desktop window: the listen address", desktop.URL, "wails", "http://127.0.0.1:8800/v1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tc.base+"/admin/system", nil)
			req.Header.Set("Authorization", "Bearer "+testMaster)
			if tc.host != "" {
				req.Host = tc.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var sys struct {
				BaseURL string `json:"base_url"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&sys); err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d, %v", resp.StatusCode, err)
			}
			if sys.BaseURL != tc.want {
				t.Errorf("base_url = %q, want %q", sys.BaseURL, tc.want)
			}
		})
	}
}

func TestLoopbackURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8800":  "http://127.0.0.1:8800",
		"http://0.0.0.0:8800":    "http://127.0.0.1:8800",
		"http://[::]:9000":       "http://127.0.0.1:9000",
		"http://[::1]:8800":      "http://[::1]:8800",
		"http://192.0.2.7:8800/": "http://192.0.2.7:8800",
	} {
		if got := loopbackURL(in); got != want {
			t.Errorf("loopbackURL(%q) = %q, want %q", in, got, want)
		}
	}
	if !strings.HasPrefix(loopbackURL("::not a url"), "::") {
		t.Error("an unparsable URL is returned as it is")
	}
}
