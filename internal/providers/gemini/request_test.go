package gemini

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// gifPixel is the image the fake upstream serves at /img/.
var gifPixel, _ = base64.StdEncoding.DecodeString("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")

// answer is a minimal successful Gemini upstream for every operation.
func answer(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/img/"):
		w.Header().Set("Content-Type", "image/gif")
		_, _ = w.Write(gifPixel)
	case strings.HasSuffix(r.URL.Path, ":streamGenerateContent"):
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"ok\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":1,\"candidatesTokenCount\":1,\"totalTokenCount\":2}}\r\n\r\n"))
	case strings.HasSuffix(r.URL.Path, ":generateContent"):
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":"ok"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2}}`))
	case strings.HasSuffix(r.URL.Path, ":batchEmbedContents"):
		n := len(gjson.GetBytes(mustRead(r), "requests").Array())
		var b strings.Builder
		b.WriteString(`{"embeddings":[`)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"values":[0.5,-0.25,1e-3]}`)
		}
		b.WriteString(`]}`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(b.String()))
	default:
		http.NotFound(w, r)
	}
}

func mustRead(r *http.Request) []byte {
	var b bytes.Buffer
	_, _ = b.ReadFrom(r.Body)
	return b.Bytes()
}

// TestRequestGoldens sends each testdata/requests/<case>.json as a client would (its "model"
// is used as the Gemini model) and pins what the upstream receives in <case>.golden.json.
// {{UPSTREAM}} in a fixture stands for the fake upstream's URL.
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
			c := newClient(t, up.URL+"/v1beta")
			body := bytes.TrimRight(providertest.ReadFile(t, in), "\n")
			body = bytes.ReplaceAll(body, []byte("{{UPSTREAM}}"), []byte(up.URL))
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
			var got providertest.Captured
			for _, r := range up.Requests() {
				if !strings.HasPrefix(r.URL, "/img/") {
					got = r
				}
			}
			providertest.Golden(t, strings.TrimSuffix(in, ".json")+".golden.json", providertest.RenderRequest(t, got, "Accept", "Authorization", "Content-Type", "X-Goog-Api-Key"), *update)
		})
	}
	if n < 10 {
		t.Fatalf("only %d request cases", n)
	}
}

// TestRefusals: parameters Gemini cannot honour are a 400 naming them, never dropped.
func TestRefusals(t *testing.T) {
	for _, tt := range []struct {
		name, body, param, msg string
	}{
		{"logprobs", `{"logprobs":true}`, "logprobs", "logprobs is not supported by gemini"},
		{"top_logprobs", `{"top_logprobs":2}`, "top_logprobs", "top_logprobs is not supported by gemini"},
		{"logit_bias", `{"logit_bias":{"50256":-100}}`, "logit_bias", "not supported by gemini"},
		{"audio", `{"modalities":["text","audio"]}`, "modalities", "not supported by gemini"},
		{"functions", `{"functions":[{"name":"f"}]}`, "functions", "not supported by gemini"},
		{"parallel_false", `{"parallel_tool_calls":false,"tools":[{"type":"function","function":{"name":"f"}}]}`, "parallel_tool_calls", "parallel_tool_calls=false"},
		{"tool_choice_unknown", `{"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}},"tools":[{"type":"function","function":{"name":"f"}}]}`, "tool_choice", "allowed_tools"},
		{"tool_choice_missing", `{"tool_choice":{"type":"function","function":{"name":"g"}},"tools":[{"type":"function","function":{"name":"f"}}]}`, "tool_choice", `"g"`},
		{"tool_choice_no_tools", `{"tool_choice":"required"}`, "tool_choice", "requires tools"},
		{"response_format", `{"response_format":{"type":"xml"}}`, "response_format", "xml"},
		{"reasoning_effort", `{"reasoning_effort":"max"}`, "reasoning_effort", "must be"},
		{"top_k", `{"top_k":0.5}`, "top_k", "positive integer"},
		{"bad_args", `{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`, "messages", "not a JSON object"},
		{"orphan_tool", `{"messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"nope","content":"r"}]}`, "messages", `"nope" matches no earlier`},
		{"file_id", `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, "messages", "file_id"},
		{"image_scheme", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}`, "messages", "https or data"},
		{"image_in_system", `{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}]}`, "messages", "only supported in user messages"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := providertest.NewUpstream(t, answer)
			c := newClient(t, up.URL)
			body := []byte(tt.body)
			if !gjson.GetBytes(body, "messages").Exists() {
				body, _ = sjsonSet(body, "messages", `[{"role":"user","content":"hi"}]`)
			}
			body, _ = sjsonSet(body, "model", `"m"`)
			req := providertest.ChatRequest(t, body)
			_, err := c.Chat(context.Background(), req, "gemini-2.5-flash")
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

// sjsonSet sets a raw JSON value at a top-level key.
func sjsonSet(body []byte, key, raw string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	m[key] = json.RawMessage(raw)
	return json.Marshal(m)
}

func TestNextCallIndex(t *testing.T) {
	calls := func(ids ...string) llm.Message {
		m := llm.Message{Role: llm.RoleAssistant}
		for _, id := range ids {
			m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: id})
		}
		return m
	}
	for _, tt := range []struct {
		msgs []llm.Message
		want int
	}{
		{nil, 0},
		{[]llm.Message{calls("call_0", "call_1")}, 2},
		{[]llm.Message{calls("toolu_a"), calls("call_7")}, 8},
		{[]llm.Message{calls("call_x", "call_-3", "call_99999999999")}, 3},
	} {
		if got := nextCallIndex(&llm.ChatRequest{Messages: tt.msgs}); got != tt.want {
			t.Errorf("nextCallIndex(%v) = %d, want %d", tt.msgs, got, tt.want)
		}
	}
}
