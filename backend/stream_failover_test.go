package backend

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
)

// TestStreamErrorBeforeFirstChunkFailsOver: an upstream whose stream carries an error before
// any chunk is left for the next deployment (nothing reached the client), whichever adapter
// reported the error; one that fails after its first chunk is not (see TestStreamCutSeenBySDKAsError).
func TestStreamErrorBeforeFirstChunkFailsOver(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct{ name, body string }{
		{"error_event", "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n"},
		{"malformed", "data: not json\n\n"},
		{"no_done", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(failing.Close)
			good := fakeopenai.New("")
			good.Reply = "from secondary"
			goodSrv := httptest.NewServer(good)
			t.Cleanup(goodSrv.Close)
			alias := "fo-" + tt.name
			for i, u := range []string{failing.URL, goodSrv.URL} {
				p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": alias + []string{"-a", "-b"}[i],
					"type": "openai_compatible", "base_url": u + "/v1"})
				e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": alias, "provider_id": p["id"],
					"provider_model": "gpt-4o-mini", "priority": i})
			}
			k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": alias})["key"].(string)
			client := openai.NewClient(option.WithBaseURL(e.url+"/v1"), option.WithAPIKey(k), option.WithMaxRetries(0))
			stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
				Model: alias, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
			text := ""
			for stream.Next() {
				if c := stream.Current(); len(c.Choices) > 0 {
					text += c.Choices[0].Delta.Content
				}
			}
			if err := stream.Err(); err != nil || text != "from secondary" || good.Served() != 1 {
				t.Fatalf("err %v, text %q, secondary served %d", err, text, good.Served())
			}
		})
	}
}
