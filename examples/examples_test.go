// Package examples holds runnable programs and configs that point SDKs, agents and editors at
// Conduit; this test runs every one that can run here through the real binary.
package examples_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
)

const (
	master      = "examples-master-key-0123456789"
	upstreamKey = "sk-fake-upstream"
	reply       = "Hello from the fake upstream!"
)

// gateway is bin/conduit built from this tree, serving with a fake OpenAI upstream behind it,
// configured through its own command line; env holds the two export lines `keys create` printed.
type gateway struct {
	bin  string
	url  string
	base string // OPENAI_BASE_URL
	key  string // OPENAI_API_KEY
}

func startGateway(t *testing.T) gateway {
	t.Helper()
	if testing.Short() {
		t.Skip("the examples build and run bin/conduit; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "conduit")
	build := exec.Command("go", "build", "-tags", "headless", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	up := httptest.NewServer(fakeopenai.New(upstreamKey))
	t.Cleanup(up.Close)

	ctx, cancel := context.WithCancel(context.Background())
	srv := exec.CommandContext(ctx, bin, "--headless", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--secrets", "file")
	srv.Env = append(os.Environ(), "CONDUIT_MASTER_KEY="+master)
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = srv.Wait() })
	g := gateway{bin: bin, url: serving(t, stderr)}

	g.conduit(t, "providers", "add", "fake", "--type", "openai_compatible", "--base-url", up.URL+"/v1", "--api-key", upstreamKey)
	g.conduit(t, "models", "add", "gpt-4o-mini", "--provider", "fake", "--vision", "--tools")
	g.conduit(t, "models", "add", "text-embedding-3-small", "--provider", "fake", "--embeddings")
	out := g.conduit(t, "keys", "create", "examples", "--models", "gpt*,text-*")
	g.base = regexp.MustCompile(`(?m)^export OPENAI_BASE_URL=(\S+)$`).FindStringSubmatch(out)[1]
	g.key = regexp.MustCompile(`(?m)^export OPENAI_API_KEY=(\S+)$`).FindStringSubmatch(out)[1]
	return g
}

// serving reads the server's log until it says where it listens, then drains the rest.
func serving(t *testing.T, stderr io.Reader) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`msg="conduit is serving" url=(\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(time.Minute):
		t.Fatal("bin/conduit did not start serving")
		return ""
	}
}

// conduit runs the binary's command line against the gateway.
func (g gateway) conduit(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(g.bin, append([]string{"--url", g.url}, args...)...)
	cmd.Env = append(os.Environ(), "CONDUIT_MASTER_KEY="+master)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("conduit %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// env is the environment an example runs with: the key and both SDKs' base URLs.
func (g gateway) env() []string {
	return append(os.Environ(), "OPENAI_BASE_URL="+g.base, "OPENAI_API_KEY="+g.key,
		"ANTHROPIC_BASE_URL="+strings.TrimSuffix(g.base, "/v1"), "ANTHROPIC_API_KEY="+g.key,
		"npm_config_update_notifier=false")
}

// run runs an example and checks its output holds every want.
func (g gateway) run(t *testing.T, dir string, want []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, g.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	t.Logf("%s", out)
}

// copyDir copies an example folder (without node_modules) so installing into it leaves the
// tree clean.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// npmInstall installs an example's dependencies (the versions its package-lock.json pins,
// when it has one) or skips when npm cannot reach its registry.
func npmInstall(t *testing.T, dir string) {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	args := []string{"install", "--no-audit", "--no-fund", "--no-package-lock"}
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err == nil {
		args = []string{"ci", "--no-audit", "--no-fund"}
	}
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("npm could not install the example's dependencies (registry unreachable?): %v\n%s", err, out)
	}
}

func TestExamples(t *testing.T) {
	g := startGateway(t)
	sdk := []string{"chat: " + reply, "stream: " + reply, "tool call: get_weather", "vision: " + reply, "embedding dimensions:"}

	t.Run("curl", func(t *testing.T) {
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("curl is not installed")
		}
		g.run(t, "curl", []string{`"content":"` + reply, `data: [DONE]`, `"name":"get_weather"`, `"embedding"`}, "bash", "run.sh")
	})
	t.Run("curl-audio-rerank", func(t *testing.T) {
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("curl is not installed")
		}
		for _, m := range []string{"whisper-1", "tts-1", "rerank-v3.5"} {
			g.conduit(t, "models", "add", m, "--provider", "fake")
		}
		out := g.conduit(t, "keys", "create", "audio", "--models", "whisper*,tts*,rerank*")
		ga := g
		ga.key = regexp.MustCompile(`(?m)^export OPENAI_API_KEY=(\S+)$`).FindStringSubmatch(out)[1]
		ga.run(t, "curl-audio-rerank", []string{`"duration":0.5`, fakeopenai.Transcript, fakeopenai.Translation,
			fmt.Sprintf("speech.mp3: %d bytes", len(fakeopenai.SpeechAudio("Hello from Conduit."))),
			`"document":{"text":"Paris is the capital of France"}`}, "bash", "run.sh")
	})
	t.Run("go-openai", func(t *testing.T) {
		g.run(t, "..", sdk, "go", "run", "./examples/go-openai")
	})
	t.Run("node-openai", func(t *testing.T) {
		dir := copyDir(t, "node-openai")
		npmInstall(t, dir)
		g.run(t, dir, sdk, "node", "index.mjs")
	})
	messages := []string{"message: " + reply, "stream: " + reply, "tool use: get_weather"}
	t.Run("node-anthropic", func(t *testing.T) {
		dir := copyDir(t, "node-anthropic")
		npmInstall(t, dir)
		g.run(t, dir, messages, "node", "index.mjs")
	})
	t.Run("go-anthropic", func(t *testing.T) {
		g.run(t, "..", messages, "go", "run", "./examples/go-anthropic")
	})
	// frameworks: chat, stream, tool call and embedding (no vision step)
	for _, dir := range []string{"node-langchain", "node-vercel-ai"} {
		t.Run(dir, func(t *testing.T) {
			tmp := copyDir(t, dir)
			npmInstall(t, tmp)
			g.run(t, tmp, []string{sdk[0], sdk[1], sdk[2], sdk[4]}, "node", "index.mjs")
		})
	}
	for _, py := range []struct{ dir, module string }{{"python-openai", "openai"}, {"python-anthropic", "anthropic"}, {"python-langchain", "langchain_openai"}} {
		t.Run(py.dir, func(t *testing.T) {
			if err := exec.Command("python3", "-c", "import "+py.module).Run(); err != nil {
				t.Skipf("python3 has no %q package (PyPI is unreachable here; pip install -r requirements.txt elsewhere)", py.module)
			}
			g.run(t, py.dir, []string{reply}, "python3", "main.py")
		})
	}
}
