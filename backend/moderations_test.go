package backend

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestModerationsThroughSDK: /v1/moderations is routed to the alias's deployment (model
// replaced upstream, alias answered back), logged, and refuses bad input in OpenAI's shape.
func TestModerationsThroughSDK(t *testing.T) {
	e := newEnv(t)
	pid, key := e.setup()
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "omni-moderation-latest", "provider_id": pid, "provider_model": "omni-moderation-2024-09-26"})
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1"), option.WithAPIKey(key), option.WithMaxRetries(0))
	ctx := context.Background()

	resp, err := client.Moderations.New(ctx, openai.ModerationNewParams{
		Model: "omni-moderation-latest",
		Input: openai.ModerationNewParamsInputUnion{OfStringArray: []string{"I will kill the process", "hello"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "omni-moderation-latest" || len(resp.Results) != 2 || !resp.Results[0].Flagged ||
		!resp.Results[0].Categories.Violence || resp.Results[1].Flagged {
		t.Fatalf("%+v", resp)
	}
	reqs := e.fake.Requests()
	if last := reqs[len(reqs)-1]; last.Path != "/v1/moderations" || last.Body["model"] != "omni-moderation-2024-09-26" {
		t.Fatalf("upstream got %s %v", last.Path, last.Body)
	}

	// no model: OpenAI's default alias
	r, body := e.v1(key, "/v1/moderations", map[string]any{"input": "hello"})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("default model: %d %s", r.StatusCode, body)
	}
	for _, c := range []struct {
		body  map[string]any
		param string
	}{
		{map[string]any{"model": "omni-moderation-latest"}, "input"},
		{map[string]any{"model": 3, "input": "x"}, "model"},
	} {
		r, body := e.v1(key, "/v1/moderations", c.body)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"param":"`+c.param+`"`) {
			t.Fatalf("%v: %d %s", c.body, r.StatusCode, body)
		}
	}
	// the two answered requests and the two refused ones are logged under the key
	logs := e.requestLogs(4)
	ok := 0
	for _, l := range logs {
		if l["endpoint"] == "moderations" && l["alias"] == "omni-moderation-latest" && l["status"] == float64(200) {
			ok++
		}
	}
	if ok != 2 {
		t.Fatalf("%d answered moderation logs, want 2: %v", ok, logs)
	}
}
