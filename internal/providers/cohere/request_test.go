package cohere

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// answer is a minimal successful Cohere upstream for every operation.
func answer(w http.ResponseWriter, r *http.Request) {
	var body bytes.Buffer
	_, _ = body.ReadFrom(r.Body)
	switch {
	case strings.HasSuffix(r.URL.Path, "/chat") && gjson.GetBytes(body.Bytes(), "stream").Bool():
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("event: message-start\ndata: {\"id\":\"m1\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":\"assistant\",\"content\":[],\"tool_plan\":\"\",\"tool_calls\":[],\"citations\":[]}}}\n\n" +
			"event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",\"usage\":{\"billed_units\":{\"input_tokens\":1,\"output_tokens\":1},\"tokens\":{\"input_tokens\":5,\"output_tokens\":1}}}}\n\n" +
			"data: [DONE]\n\n"))
	case strings.HasSuffix(r.URL.Path, "/chat"):
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"m1","message":{"role":"assistant","content":[{"type":"text","text":"ok"}]},"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":1,"output_tokens":1},"tokens":{"input_tokens":5,"output_tokens":1}}}`))
	case strings.HasSuffix(r.URL.Path, "/embed"):
		n := len(gjson.GetBytes(body.Bytes(), "texts").Array())
		vecs := make([]string, n)
		for i := range vecs {
			vecs[i] = `[0.5,-0.25,1e-3]`
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"e1","embeddings":{"float":[` + strings.Join(vecs, ",") + `]},"texts":[],"meta":{"api_version":{"version":"2"},"billed_units":{"input_tokens":1}},"response_type":"embeddings_by_type"}`))
	default:
		http.NotFound(w, r)
	}
}

// TestRequestGoldens sends each testdata/requests/<case>.json as a client would (its "model"
// is used as the Cohere model) and pins what the upstream receives in <case>.golden.json.
func TestRequestGoldens(t *testing.T) {
	cases, err := filepath.Glob("testdata/requests/*.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range cases {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			up := providertest.NewUpstream(t, answer)
			c := newClient(t, up.URL+"/v2")
			body := bytes.TrimRight(providertest.ReadFile(t, in), "\n")
			model := gjson.GetBytes(body, "model").Str
			ctx := context.Background()
			if strings.HasPrefix(name, "embeddings") {
				var req llm.EmbeddingsRequest
				if err := json.Unmarshal(body, &req); err != nil {
					t.Fatal(err)
				}
				req.Raw = body
				if _, err := c.Embeddings(ctx, &req, model); err != nil {
					t.Fatal(err)
				}
			} else {
				req := providertest.ChatRequest(t, body)
				if req.Stream {
					st, err := c.ChatStream(ctx, req, model)
					if err != nil {
						t.Fatal(err)
					}
					if chunk, err := st.Next(); err != nil || !gjson.ValidBytes(chunk) {
						t.Fatalf("first chunk %s, %v", chunk, err)
					}
					_ = st.Close()
				} else if _, err := c.Chat(ctx, req, model); err != nil {
					t.Fatal(err)
				}
			}
			providertest.Golden(t, strings.TrimSuffix(in, ".json")+".golden.json", providertest.RenderRequest(t, up.Last(t), "Accept", "Authorization", "Content-Type"), *update)
		})
	}
	if n < 10 {
		t.Fatalf("only %d request cases", n)
	}
}

// TestRefusals: parameters Cohere cannot honour are a 400 naming them, never dropped.
func TestRefusals(t *testing.T) {
	for _, tt := range []struct {
		name, body, param, msg string
	}{
		{"n", `{"n":2}`, "n", "n > 1 is not supported by cohere"},
		{"logprobs", `{"logprobs":true}`, "logprobs", "logprobs is not supported by cohere"},
		{"logit_bias", `{"logit_bias":{"1":1}}`, "logit_bias", "not supported by cohere"},
		{"reasoning_effort", `{"reasoning_effort":"low"}`, "reasoning_effort", "not supported by cohere"},
		{"parallel_false", `{"parallel_tool_calls":false,"tools":[{"type":"function","function":{"name":"f"}}]}`, "parallel_tool_calls", "parallel_tool_calls=false"},
		{"tool_choice_missing", `{"tool_choice":{"type":"function","function":{"name":"g"}},"tools":[{"type":"function","function":{"name":"f"}}]}`, "tool_choice", `"g"`},
		{"tool_choice_allowed", `{"tool_choice":{"type":"allowed_tools"},"tools":[{"type":"function","function":{"name":"f"}}]}`, "tool_choice", "allowed_tools"},
		{"tool_choice_no_tools", `{"tool_choice":"required"}`, "tool_choice", "requires tools"},
		{"response_format", `{"response_format":{"type":"xml"}}`, "response_format", "xml"},
		{"top_k", `{"top_k":-1}`, "top_k", "positive integer"},
		{"audio", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}`, "messages", `"input_audio" is not supported by cohere`},
		{"function_role", `{"messages":[{"role":"user","content":"x"},{"role":"function","name":"f","content":"r"}]}`, "messages", `role "function"`},
		{"tool_without_id", `{"messages":[{"role":"user","content":"x"},{"role":"tool","content":"r"}]}`, "messages", "tool_call_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := providertest.NewUpstream(t, answer)
			c := newClient(t, up.URL)
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tt.body), &m); err != nil {
				t.Fatal(err)
			}
			m["model"] = json.RawMessage(`"m"`)
			if _, ok := m["messages"]; !ok {
				m["messages"] = json.RawMessage(`[{"role":"user","content":"hi"}]`)
			}
			body, _ := json.Marshal(m)
			req := providertest.ChatRequest(t, body)
			_, err := c.Chat(context.Background(), req, "command-a-03-2025")
			e := providertest.AsLLMError(t, err)
			if e.Status != 400 || e.Code != llm.CodeInvalidRequest || e.Param != tt.param || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("got %s, want param %s with %q", providertest.Describe(err), tt.param, tt.msg)
			}
			if len(up.Requests()) != 0 {
				t.Error("a refused request reached the upstream")
			}
		})
	}
}
