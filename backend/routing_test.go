package backend

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/conduit-gw/conduit/internal/fakeclock"
	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// twoDeployments gives alias "gpt" a primary (priority 0) and a secondary (priority 1)
// deployment on two fake upstreams, and returns them with an SDK client.
func twoDeployments(t *testing.T, e *env) (primary, secondary *fakeopenai.Server, client openai.Client) {
	t.Helper()
	primary, secondary = fakeopenai.New(""), fakeopenai.New("")
	primary.Reply, secondary.Reply = "from primary", "from secondary"
	for i, f := range []*fakeopenai.Server{primary, secondary} {
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": []string{"primary", "secondary"}[i],
			"type": "openai_compatible", "base_url": srv.URL + "/v1"})
		e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "gpt", "provider_id": p["id"],
			"provider_model": "gpt-4o-mini", "priority": i})
	}
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "sdk"})["key"].(string)
	return primary, secondary, openai.NewClient(option.WithBaseURL(e.url+"/v1"), option.WithAPIKey(k), option.WithMaxRetries(0))
}

func ask(client openai.Client) (*openai.ChatCompletion, error) {
	return client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
}

// A transient failure is retried on the same deployment after a back-off; a deployment of
// the same priority tier is tried meanwhile, a lower tier only after.
func TestTransientFailureRetriedWithinTier(t *testing.T) {
	sl := &sleeps{}
	e := newEnvWith(t, func(o *runtime.Options) { o.Sleep = sl.sleep })
	primary, secondary, client := twoDeployments(t, e)
	primary.Set(fakeopenai.Script{FailStatus: 500, FailTimes: 1})
	resp, err := ask(client)
	if err != nil || resp.Choices[0].Message.Content != "from primary" {
		t.Fatalf("%v %+v", err, resp)
	}
	if primary.Served() != 2 || secondary.Served() != 0 || len(sl.all()) != 1 {
		t.Fatalf("primary %d, secondary %d calls, back-offs %v", primary.Served(), secondary.Served(), sl.all())
	}
	r := e.requestLogs(1)[0]
	if r["attempts"] != float64(2) || r["status"] != float64(200) {
		t.Fatalf("log row %v", r)
	}
	// One tier: the other deployment answers while the first one waits.
	for _, d := range e.mustAdmin(200, "GET", "/admin/models", nil)["data"].([]any) {
		e.mustAdmin(200, "PATCH", "/admin/models/"+d.(map[string]any)["id"].(string), map[string]any{"priority": 0})
	}
	primary.Set(fakeopenai.Script{FailStatus: 500, FailTimes: 1})
	resp, err = ask(client)
	if err != nil || resp.Choices[0].Message.Content != "from secondary" || primary.Served() != 3 || len(sl.all()) != 1 {
		t.Fatalf("%v %+v: primary %d calls, back-offs %v", err, resp, primary.Served(), sl.all())
	}
}

func TestAllDeploymentsFailFastWithoutRetryStorm(t *testing.T) {
	sl := &sleeps{}
	e := newEnvWith(t, func(o *runtime.Options) { o.Sleep = sl.sleep }) // default router: 3 retries, cooldown after 3 failures
	primary, secondary, client := twoDeployments(t, e)
	primary.Set(fakeopenai.Script{FailStatus: 500, FailTimes: 1000})
	secondary.Set(fakeopenai.Script{FailStatus: 503, FailTimes: 1000})
	_, err := ask(client)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || apiErr.Code != "upstream_error" {
		t.Fatalf("err = %v", err)
	}
	// Each deployment is retried until it enters cooldown (3 failures in a row), with two
	// back-offs each.
	if primary.Served() != 3 || secondary.Served() != 3 || len(sl.all()) != 4 {
		t.Fatalf("primary %d, secondary %d upstream calls, back-offs %v", primary.Served(), secondary.Served(), sl.all())
	}
	// Both are cooling down now: the alias answers 503 at once.
	start := time.Now()
	_, err = ask(client)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Code != "no_healthy_deployment" {
		t.Fatalf("with every deployment cooling down: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("the 503 took %v", time.Since(start))
	}
}

func TestRecoveredDeploymentIsUsedAfterCooldown(t *testing.T) {
	clk := fakeclock.New(time.Now())
	e := newEnvWith(t, func(o *runtime.Options) { o.RouterClock = clk.Now })
	primary, _, client := twoDeployments(t, e)
	e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"cooldown_after_failures": 2, "cooldown_s": 1, "max_retries": 1})
	primary.Set(fakeopenai.Script{FailStatus: 500, FailTimes: 2})
	for i := 0; i < 2; i++ {
		if resp, err := ask(client); err != nil || resp.Choices[0].Message.Content != "from secondary" {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	// Primary is cooling down: traffic goes straight to secondary.
	before := primary.Served()
	if resp, err := ask(client); err != nil || resp.Choices[0].Message.Content != "from secondary" || primary.Served() != before {
		t.Fatalf("during cooldown: %v, primary called %d times", err, primary.Served()-before)
	}
	clk.Advance(999 * time.Millisecond)
	if resp, err := ask(client); err != nil || resp.Choices[0].Message.Content != "from secondary" || primary.Served() != before {
		t.Fatalf("just before the cooldown ends: %v, primary called %d times", err, primary.Served()-before)
	}
	clk.Advance(time.Millisecond)
	if resp, err := ask(client); err != nil || resp.Choices[0].Message.Content != "from primary" {
		t.Fatalf("after cooldown: %v %+v", err, resp)
	}
	if h := e.mustAdmin(200, "GET", "/admin/system", nil)["providers"]; !strings.Contains(jsonString(h), `"status":"up"`) {
		t.Fatalf("provider health: %v", h)
	}
}

func TestFallbackAliasesInOrder(t *testing.T) {
	e := newEnvWith(t, func(o *runtime.Options) { o.Sleep = (&sleeps{}).sleep })
	_, _, client := twoDeployments(t, e)
	backup := fakeopenai.New("")
	backup.Reply = "from backup"
	srv := httptest.NewServer(backup)
	defer srv.Close()
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "backup", "type": "openai_compatible", "base_url": srv.URL + "/v1"})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "backup", "provider_id": p["id"], "provider_model": "m"})
	e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"fallbacks": map[string]any{"gpt": []string{"backup"}}, "max_retries": 2})
	// Every deployment of "gpt" fails: the fallback alias answers.
	e.mustAdmin(200, "PATCH", "/admin/providers/"+providerID(e, "primary"), map[string]any{"base_url": "http://127.0.0.1:1/v1"})
	e.mustAdmin(200, "PATCH", "/admin/providers/"+providerID(e, "secondary"), map[string]any{"base_url": "http://127.0.0.1:1/v1"})
	resp, err := ask(client)
	if err != nil || resp.Choices[0].Message.Content != "from backup" || resp.Model != "backup" {
		t.Fatalf("%v %+v", err, resp)
	}
}

func providerID(e *env, name string) string {
	for _, p := range e.mustAdmin(200, "GET", "/admin/providers", nil)["data"].([]any) {
		if m := p.(map[string]any); m["name"] == name {
			return m["id"].(string)
		}
	}
	e.t.Fatalf("no provider %q", name)
	return ""
}

func TestStreamCutSeenBySDKAsError(t *testing.T) {
	e := newEnv(t)
	primary, _, client := twoDeployments(t, e)
	primary.Set(fakeopenai.Script{CutAfter: 1})
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	text := ""
	for stream.Next() {
		if c := stream.Current(); len(c.Choices) > 0 {
			text += c.Choices[0].Delta.Content
		}
	}
	if stream.Err() == nil {
		t.Fatalf("a stream cut upstream ended cleanly for the SDK (text %q)", text)
	}
	if !strings.HasPrefix(primary.Reply, text) || text == "" {
		t.Fatalf("text before the cut %q", text)
	}
}
