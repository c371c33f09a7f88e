package runtime

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Upstream calls honour HTTPS_PROXY (and HTTP_PROXY, NO_PROXY) like every Go program. Go reads
// the proxy environment once per process, so the check runs in a fresh test process.
func TestTransportUsesProxyFromEnvironment(t *testing.T) {
	if os.Getenv("CONDUIT_PROXY_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTransportUsesProxyFromEnvironment$", "-test.v")
		cmd.Env = append(os.Environ(), "CONDUIT_PROXY_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "CONNECT api.upstream.example:443 through the proxy") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	connects := make(chan string, 1)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			select {
			case connects <- r.Host:
			default:
			}
		}
		http.Error(w, "no", http.StatusBadGateway)
	}))
	defer proxy.Close()
	os.Setenv("HTTPS_PROXY", proxy.URL)
	os.Setenv("NO_PROXY", "")
	client := &http.Client{Transport: NewTransport()}
	if resp, err := client.Get("https://api.upstream.example/v1/models"); err == nil {
		resp.Body.Close()
		t.Fatal("the request went through without the proxy")
	}
	select {
	case host := <-connects:
		t.Logf("CONNECT %s through the proxy", host)
	default:
		t.Fatal("the proxy saw no CONNECT")
	}
}
