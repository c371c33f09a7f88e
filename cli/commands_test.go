package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/cli"
)

// TestCommands drives every command against a real server: providers, models and keys are
// added, a chat goes through the key `keys create` printed, and usage, logs and status show it.
// Each output, table and --json, is checked against testdata/*.golden.
func TestCommands(t *testing.T) {
	s := start(t)
	one := func(name string, args ...string) { golden(t, name, normalise(s.must(t, args...), s.dataDir)) }

	one("providers_add", "providers", "add", "up", "--type", "openai_compatible", "--base-url", s.upstream, "--api-key", upstreamKey)
	one("providers_add.json", "providers", "add", "spare", "--type", "openai_compatible", "--base-url", s.upstream, "--disabled", "--timeout-ms", "5000", "--json")
	s.both(t, "providers_list", "providers", "list")
	s.both(t, "providers_test", "providers", "test", "up")

	one("models_add", "models", "add", "gpt-4o-mini", "--provider", "up")
	one("models_add.json", "models", "add", "claude-haiku", "--provider", "up", "--model", "gpt-4o-mini", "--vision", "--context-window", "8192", "--json")
	s.both(t, "models_list", "models", "list")

	out := s.must(t, "keys", "create", "laptop", "--models", "gpt*")
	golden(t, "keys_create", normalise(out, s.dataDir))
	base, key := exported(t, out)
	if code := chat(t, base, key, "gpt-4o-mini"); code != http.StatusOK {
		t.Fatalf("chat with the printed key: %d", code)
	}
	waitLogs(t, s, 1) // the two requests' logs in a known order
	if code := chat(t, base, key, "claude-haiku"); code != http.StatusForbidden {
		t.Fatalf("chat outside --models 'gpt*': %d, want 403", code)
	}
	one("keys_create.json", "keys", "create", "ci", "--rpm", "60", "--budget", "5", "--json")
	s.both(t, "keys_list", "keys", "list")
	one("keys_disable", "keys", "disable", "ci")

	waitLogs(t, s, 2)
	s.both(t, "usage_by_model", "usage", "--by", "model", "--since", "7d")
	one("usage_by_key", "usage", "--by", "key")
	s.both(t, "logs", "logs")
	s.both(t, "status", "status")

	one("keys_rm", "keys", "rm", "ci")
	one("models_rm.json", "models", "rm", "claude-haiku", "--json")
	one("providers_rm", "providers", "rm", "spare")
	s.both(t, "providers_list_after", "providers", "list")
}

// waitLogs waits until the server has written n request logs (usage is written asynchronously).
func waitLogs(t *testing.T, s server, n int) {
	t.Helper()
	for range 200 {
		if strings.Count(s.must(t, "logs", "--json"), `"id"`) >= n {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("fewer than %d request logs", n)
}

// TestErrors: bad input is refused with the API's message naming the field, exit 1; a bad
// command line is a usage error, exit 2; a wrong master key is refused.
func TestErrors(t *testing.T) {
	s := start(t)
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"error_type", []string{"providers", "add", "x", "--type", "nope"}, 1},
		{"error_group_by", []string{"usage", "--by", "week"}, 1},
		{"error_since", []string{"usage", "--since", "yesterday"}, 2},
		{"error_no_provider", []string{"keys", "disable", "nobody"}, 1},
		{"error_args", []string{"keys", "create"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := s.conduit(t, c.args...)
			if code != c.code || out != "" {
				t.Fatalf("exit %d, stdout %q; want exit %d and nothing on stdout", code, out, c.code)
			}
			golden(t, c.name, normalise(errs, s.dataDir))
		})
	}
	var out, errb bytes.Buffer
	env := cli.Env{Getenv: func(k string) string {
		return map[string]string{"CONDUIT_MASTER_KEY": "wrong"}[k]
	}, Stdout: &out, Stderr: &errb}
	if code := cli.Run(context.Background(), []string{"--url", s.url, "status"}, env); code != 1 || !strings.Contains(errb.String(), "401") {
		t.Fatalf("wrong master key: exit %d, %q", code, errb.String())
	}
}

// TestMasterKeyFromDataDir: without CONDUIT_MASTER_KEY the key is read from the data dir's
// master.key, as the server wrote it.
func TestMasterKeyFromDataDir(t *testing.T) {
	s := start(t)
	dir := t.TempDir()
	if err := writeFile(dir+"/master.key", master+"\n"); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	env := cli.Env{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errb}
	if code := cli.Run(context.Background(), []string{"--url", s.url, "--data-dir", dir, "keys", "list"}, env); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

// lockedBuffer is written by the follow loop and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsFollow: `logs --follow --json` prints requests made after it started, each once.
func TestLogsFollow(t *testing.T) {
	s := start(t)
	s.must(t, "providers", "add", "up", "--type", "openai_compatible", "--base-url", s.upstream, "--api-key", upstreamKey)
	s.must(t, "models", "add", "gpt-4o-mini", "--provider", "up")
	base, key := exported(t, s.must(t, "keys", "create", "f"))
	var out lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		env := cli.Env{Getenv: func(k string) string {
			return map[string]string{"CONDUIT_MASTER_KEY": master}[k]
		}, Stdout: &out, Stderr: &out}
		done <- cli.Run(ctx, []string{"--url", s.url, "logs", "--follow", "--json", "--interval", "100ms"}, env)
	}()
	for i := 1; i <= 3; i++ {
		if code := chat(t, base, key, "gpt-4o-mini"); code != http.StatusOK {
			t.Fatalf("chat: %d", code)
		}
		for range 400 {
			if strings.Count(out.String(), "\n") >= i {
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("logs --follow: exit %d: %s", code, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("logs --follow printed %d lines, want one per request (3):\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		if !strings.Contains(l, `"alias":"gpt-4o-mini"`) || !strings.Contains(l, `"status":200`) {
			t.Fatalf("line %q is not the request's log", l)
		}
	}
}

// TestCompletion: each shell's completion script names the commands.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		var out, errb bytes.Buffer
		env := cli.Env{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errb}
		if code := cli.Run(context.Background(), []string{"completion", shell}, env); code != 0 {
			t.Fatalf("completion %s: exit %d: %s", shell, code, errb.String())
		}
		if !strings.Contains(out.String(), "conduit") {
			t.Errorf("completion %s: %q", shell, out.String()[:min(200, out.Len())])
		}
	}
	// dynamic completion of a flag's values goes through cobra's __complete command
	var out bytes.Buffer
	env := cli.Env{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: io.Discard}
	cli.Run(context.Background(), []string{"__complete", "usage", "--by", ""}, env)
	if !strings.Contains(out.String(), "provider\n") {
		t.Errorf("completing usage --by: %q", out.String())
	}
}
