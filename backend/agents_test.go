package backend

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// The coding agents themselves, installed from npm, run against Conduit. Skipped with a
// message when npm cannot install them (offline machines).

var agents struct {
	once sync.Once
	dir  string
	err  error
}

// agentBin installs @openai/codex and @anthropic-ai/claude-code once per test binary and
// returns the path of the named executable, or skips the test.
func agentBin(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("agent tests install npm packages; skipped with -short")
	}
	agents.once.Do(func() {
		npm, err := exec.LookPath("npm")
		if err != nil {
			agents.err = err
			return
		}
		dir, err := os.MkdirTemp("", "conduit-agents-")
		if err != nil {
			agents.err = err
			return
		}
		agents.dir = dir
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", dir,
			"@openai/codex@0.171", "@anthropic-ai/claude-code@2.1")
		cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			agents.err = &installError{out: string(out), err: err}
		}
	})
	if agents.err != nil {
		t.Skipf("npm could not install the agent CLIs: %v", agents.err)
	}
	bin := filepath.Join(agents.dir, "node_modules", ".bin", name)
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s not installed: %v", name, err)
	}
	return bin
}

type installError struct {
	out string
	err error
}

func (e *installError) Error() string {
	out := e.out
	if len(out) > 500 {
		out = out[len(out)-500:]
	}
	return e.err.Error() + ": " + out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if agents.dir != "" {
		_ = os.RemoveAll(agents.dir)
	}
	os.Exit(code)
}

// agentEnv is Conduit with the agent fake behind an alias: "agent-chat" on an
// openai_compatible provider (chat only) and "agent-claude" on an anthropic provider.
func agentEnv(t *testing.T) (*env, *agentFake, string) {
	t.Helper()
	e := newEnv(t)
	f := newAgentFake(t)
	for _, p := range []struct{ name, typ, base, alias, model string }{
		{"agent-chat", "openai_compatible", f.srv.URL + "/v1", "agent-chat", "local-coder"},
		{"agent-anthropic", "anthropic", f.srv.URL, "agent-claude", "claude-sonnet-4-5"},
	} {
		prov := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{
			"name": p.name, "type": p.typ, "base_url": p.base, "api_key": "upstream-key"})
		e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": p.alias, "provider_id": prov["id"],
			"provider_model": p.model, "supports_tools": true, "supports_vision": true, "supports_streaming": true})
	}
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "agent"})
	return e, f, k["key"].(string)
}

// codexConfig is the config.toml the README gives for Codex CLI.
func codexConfig(baseURL, alias string) string {
	return `model = "` + alias + `"
model_provider = "conduit"
web_search = "disabled"

[model_providers.conduit]
name = "Conduit"
base_url = "` + baseURL + `/v1"
env_key = "CONDUIT_API_KEY"
wire_api = "responses"
`
}

// TestCodexCLI runs `codex exec` through Conduit to a chat-only upstream and to an
// Anthropic one: it answers, after running one tool call.
func TestCodexCLI(t *testing.T) {
	bin := agentBin(t, "codex")
	e, f, key := agentEnv(t)
	for _, alias := range []string{"agent-chat", "agent-claude"} {
		t.Run(alias, func(t *testing.T) {
			home := t.TempDir()
			codexHome := filepath.Join(home, ".codex")
			if err := os.MkdirAll(codexHome, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(codexHome, "config.toml"), []byte(codexConfig(e.url, alias)), 0o600); err != nil {
				t.Fatal(err)
			}
			before := f.count()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
				"Run the command that prints the check word, then report it.")
			cmd.Dir = home
			cmd.Env = append(minimalEnv(home), "CODEX_HOME="+codexHome, "CONDUIT_API_KEY="+key)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			t.Logf("codex exec → %s\nstdout:\n%s\nstderr (tail):\n%s", alias, stdout.String(), tail(stderr.String(), 1500))
			if err != nil {
				t.Fatalf("codex exec: %v", err)
			}
			if !strings.Contains(stdout.String(), "Done: ") || !strings.Contains(stdout.String(), "conduit-tool-ok") {
				t.Fatalf("codex's answer lacks the tool's output")
			}
			calls := f.since(before)
			if len(calls) < 2 {
				t.Fatalf("%d upstream calls", len(calls))
			}
			// The second turn carried the tool's result to the upstream in its own wire.
			last := gjson.ParseBytes(calls[len(calls)-1].Body)
			if alias == "agent-chat" {
				if !strings.Contains(lastOf(last, "messages").Get("content").String(), "conduit-tool-ok") {
					t.Errorf("chat upstream's last message: %s", lastOf(last, "messages").Raw)
				}
			} else if !strings.Contains(lastOf(last, "messages").Raw, "tool_result") {
				t.Errorf("anthropic upstream's last message: %s", lastOf(last, "messages").Raw)
			}
		})
	}
}

// minimalEnv is an environment for an agent CLI: a temporary HOME, PATH, and telemetry off.
func minimalEnv(home string) []string {
	return []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=dumb", "NO_COLOR=1",
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"DISABLE_TELEMETRY=1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_AUTOUPDATER=1"}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestClaudeCode runs `claude -p` with the Read tool through Conduit: translated to an
// OpenAI-wire upstream, and natively to an Anthropic one, which gets Claude Code's
// cache_control blocks and anthropic-beta header unchanged.
func TestClaudeCode(t *testing.T) {
	bin := agentBin(t, "claude")
	e, f, key := agentEnv(t)
	for _, alias := range []string{"agent-chat", "agent-claude"} {
		t.Run(alias, func(t *testing.T) {
			home := t.TempDir()
			f.readPath = filepath.Join(home, "note.txt")
			if err := os.WriteFile(f.readPath, []byte("conduit-read-ok\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			before := f.count()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-p", "Read note.txt and tell me what it says.", "--allowedTools", "Read")
			cmd.Dir = home
			cmd.Env = append(minimalEnv(home), "ANTHROPIC_BASE_URL="+e.url, "ANTHROPIC_API_KEY="+key,
				"ANTHROPIC_MODEL="+alias, "ANTHROPIC_DEFAULT_HAIKU_MODEL="+alias, "ANTHROPIC_SMALL_FAST_MODEL="+alias)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			t.Logf("claude -p → %s\nstdout:\n%s\nstderr (tail):\n%s", alias, stdout.String(), tail(stderr.String(), 1500))
			if err != nil {
				t.Fatalf("claude: %v", err)
			}
			if !strings.Contains(stdout.String(), "Done: ") || !strings.Contains(stdout.String(), "conduit-read-ok") {
				t.Fatalf("claude's answer lacks the file's content")
			}
			var turns []upstreamRequest
			for _, c := range f.since(before) {
				if strings.HasSuffix(c.Path, "/messages") || strings.HasSuffix(c.Path, "/chat/completions") {
					turns = append(turns, c)
				}
			}
			if len(turns) < 2 {
				t.Fatalf("%d upstream turns", len(turns))
			}
			last := turns[len(turns)-1]
			body := gjson.ParseBytes(last.Body)
			if alias == "agent-chat" {
				if last.Path != "/v1/chat/completions" || !strings.Contains(lastOf(body, "messages").Get("content").String(), "conduit-read-ok") {
					t.Errorf("chat upstream's last turn: %s %s", last.Path, lastOf(body, "messages").Raw)
				}
				return
			}
			beta := last.Header.Get("anthropic-beta")
			if last.Path != "/v1/messages" || !strings.Contains(beta, "claude-code-20250219") || !strings.Contains(beta, "mid-conversation-system-2026-04-07") {
				t.Errorf("anthropic upstream: %s anthropic-beta %q", last.Path, beta)
			}
			if body.Get("model").Str != "claude-sonnet-4-5" || !strings.Contains(string(last.Body), `"cache_control":{"type":"ephemeral"}`) ||
				!body.Get("thinking").Exists() {
				t.Errorf("anthropic upstream got %.600s", last.Body)
			}
		})
	}
}
