package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/backend"
	"github.com/conduit-gw/conduit/cli"
	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/runtime"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from this run")

const (
	master      = "cli-test-master-key-0123456789"
	upstreamKey = "sk-fake-upstream"
)

// server is a real Conduit (runtime, store, gateway, admin API) on 127.0.0.1:0 with a fake
// OpenAI upstream, as the CLI meets it.
type server struct {
	url, upstream, dataDir string
}

func start(t *testing.T) server {
	t.Helper()
	dir := t.TempDir()
	o := runtime.Options{
		Addr: "127.0.0.1:0", DataDir: dir, SecretsMode: "file", MasterKey: master, Mode: "headless",
		Version: "test", NoShedding: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Stderr: io.Discard,
	}
	run, err := runtime.Start(context.Background(), o, backend.Web{}.Face)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = run.Stop() })
	up := httptest.NewServer(fakeopenai.New(upstreamKey))
	t.Cleanup(up.Close)
	return server{url: run.URL, upstream: up.URL + "/v1", dataDir: dir}
}

// conduit runs one command line against s; the master key comes from the environment.
func (s server) conduit(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := cli.Env{Getenv: func(k string) string {
		return map[string]string{"CONDUIT_MASTER_KEY": master}[k]
	}, Stdout: &out, Stderr: &errb, DefaultDataDir: t.TempDir()}
	code = cli.Run(context.Background(), append([]string{"--url", s.url}, args...), env)
	return out.String(), errb.String(), code
}

// must runs a command that has to succeed.
func (s server) must(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := s.conduit(t, args...)
	if code != 0 {
		t.Fatalf("conduit %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`condt_[A-Za-z0-9_-]+`), "<key>"},
	{regexp.MustCompile(`\b[a-z]+_[a-z2-7]{16,26}\b`), "<id>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?`), "<time>"},
	{regexp.MustCompile(`http://127\.0\.0\.1:\d+`), "<url>"},
	{regexp.MustCompile(`"127\.0\.0\.1"`), `"<ip>"`},
	{regexp.MustCompile(`"(latency_ms|ttfb_ms|overhead_ms|p50_ms|p95_ms|uptime_s|db_bytes)": [0-9.e+-]+`), `"$1": <n>`},
	{regexp.MustCompile(`(uptime_s|db_bytes):(\s+)\d+`), "$1:$2<n>"},
	{regexp.MustCompile(`(^|[^$\d.])\d+\.\d+`), "$1<n>"},
	{regexp.MustCompile(`(\S)  +`), "$1  "},
	// the table of counts and the list of provider types grow with the product
	{regexp.MustCompile(`(?m)^count .*\n`), ""},
	{regexp.MustCompile(`(?s)"(counts|provider_types)": [{\[].*?\n  [}\]],?\n`), ""},
}

func normalise(s, dataDir string) string {
	s = strings.ReplaceAll(s, dataDir, "<data>")
	for _, n := range normalisers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

// golden compares got (normalised) with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cli -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from %s (a field added to the admin API? check the change and run go test ./cli -update):\n--- got\n%s--- want\n%s", name, path, got, want)
	}
}

// both runs a command as a table and with --json and checks each against its golden file.
func (s server) both(t *testing.T, name string, args ...string) {
	t.Helper()
	golden(t, name, normalise(s.must(t, args...), s.dataDir))
	out := s.must(t, append(args, "--json")...)
	if !json.Valid([]byte(out)) {
		t.Fatalf("conduit %s --json printed invalid JSON:\n%s", strings.Join(args, " "), out)
	}
	golden(t, name+".json", normalise(out, s.dataDir))
}

func chat(t *testing.T, base, key, model string) int {
	t.Helper()
	body := `{"model":"` + model + `","messages":[{"role":"user","content":"hi"}]}`
	req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// exported reads the two export lines `keys create` prints.
func exported(t *testing.T, out string) (base, key string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "export OPENAI_BASE_URL="); ok {
			base = v
		}
		if v, ok := strings.CutPrefix(line, "export OPENAI_API_KEY="); ok {
			key = v
		}
	}
	if base == "" || !strings.HasPrefix(key, "condt_") {
		t.Fatalf("keys create printed no export lines:\n%s", out)
	}
	return base, key
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
