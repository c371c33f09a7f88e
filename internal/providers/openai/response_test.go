package openai

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/conduit-gw/conduit/internal/llm"
)

// serveFile answers with a recorded body.
func serveFile(t testing.TB, status int, contentType string, body []byte) *providertest.Upstream {
	return providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

func chatReq() *llm.ChatRequest {
	return &llm.ChatRequest{Model: "alias",
		Raw: []byte(`{"model":"alias","messages":[{"role":"user","content":"hi"}]}`)}
}

func TestChatResponses(t *testing.T) {
	for _, tt := range []struct {
		file    string
		variant string
		usage   llm.Usage
	}{
		{"openai_chat_cached.json", "openai", llm.Usage{PromptTokens: 2006, CompletionTokens: 300, TotalTokens: 2306,
			PromptTokensDetails: &llm.PromptTokensDetails{CachedTokens: 1920}, CompletionTokensDetails: &llm.CompletionTokensDetails{}}},
		{"openai_reasoning.json", "openai", llm.Usage{PromptTokens: 12, CompletionTokens: 1090, TotalTokens: 1102,
			PromptTokensDetails: &llm.PromptTokensDetails{}, CompletionTokensDetails: &llm.CompletionTokensDetails{ReasoningTokens: 1088}}},
		{"openai_tool_calls.json", "openai", llm.Usage{PromptTokens: 82, CompletionTokens: 17, TotalTokens: 99}},
		{"azure_chat.json", "azure", llm.Usage{PromptTokens: 19, CompletionTokens: 10, TotalTokens: 29,
			PromptTokensDetails: &llm.PromptTokensDetails{}, CompletionTokensDetails: &llm.CompletionTokensDetails{}}},
		{"mistral_chat.json", "mistral", llm.Usage{PromptTokens: 16, CompletionTokens: 34, TotalTokens: 50}},
		{"ollama_no_total.json", "ollama", llm.Usage{PromptTokens: 26, CompletionTokens: 3, TotalTokens: 29}},
		{"no_usage.json", "openai_compatible", llm.Usage{}},
		{"openrouter_keepalive.json", "openrouter", llm.Usage{PromptTokens: 14, CompletionTokens: 4, TotalTokens: 18}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			body := providertest.ReadFile(t, "testdata/responses/"+tt.file)
			up := serveFile(t, 200, "application/json", body)
			c := newClient(t, tt.variant, up.URL, "k")
			resp, err := c.Chat(context.Background(), chatReq(), "m")
			if err != nil {
				t.Fatal(err)
			}
			// The body is relayed as received (leading keep-alive whitespace aside).
			if !bytes.Equal(resp.Body, bytes.TrimSpace(body)) {
				t.Errorf("body changed:\n%s", resp.Body)
			}
			if !usageEqual(resp.Usage, tt.usage) {
				t.Errorf("usage = %s, want %s", fmtUsage(resp.Usage), fmtUsage(tt.usage))
			}
		})
	}
}

func usageEqual(a, b llm.Usage) bool { return fmtUsage(a) == fmtUsage(b) }

func fmtUsage(u llm.Usage) string {
	s := []string{itoa(u.PromptTokens), itoa(u.CompletionTokens), itoa(u.TotalTokens), "-", "-"}
	if u.PromptTokensDetails != nil {
		s[3] = itoa(u.PromptTokensDetails.CachedTokens)
	}
	if u.CompletionTokensDetails != nil {
		s[4] = itoa(u.CompletionTokensDetails.ReasoningTokens)
	}
	return "prompt/completion/total/cached/reasoning=" + strings.Join(s, "/")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

func TestParseUsage(t *testing.T) {
	for in, want := range map[string]llm.Usage{
		`{}`:             {},
		`{"usage":null}`: {},
		`{"usage":"x"}`:  {},
		`{"usage":{}}`:   {},
		`not json`:       {},
		`{"usage":{"prompt_tokens":5,"completion_tokens":7}}`:                   {PromptTokens: 5, CompletionTokens: 7, TotalTokens: 12},
		`{"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":13}}`: {PromptTokens: 5, CompletionTokens: 7, TotalTokens: 13},
		`{"usage":{"prompt_tokens":"5","completion_tokens":7.0}}`:               {PromptTokens: 5, CompletionTokens: 7, TotalTokens: 12},
		`{"usage":{"prompt_tokens":100,"prompt_tokens_details":{"cached_tokens":64}}}`: {PromptTokens: 100, TotalTokens: 100,
			PromptTokensDetails: &llm.PromptTokensDetails{CachedTokens: 64}},
		`{"usage":{"prompt_tokens":100,"prompt_tokens_details":{"cached_tokens":null}}}`: {PromptTokens: 100, TotalTokens: 100},
		`{"usage":{"prompt_tokens":100,"prompt_tokens_details":null}}`:                   {PromptTokens: 100, TotalTokens: 100},
		`{"choices":[{"usage":{"prompt_tokens":1}}]}`:                                    {},
	} {
		if got := llm.ParseUsage([]byte(in)); !usageEqual(got, want) {
			t.Errorf("llm.ParseUsage(%s) = %s, want %s", in, fmtUsage(got), fmtUsage(want))
		}
	}
}

func TestMalformedResponses(t *testing.T) {
	for _, f := range []string{"malformed_truncated.json", "malformed_html.json", "malformed_array.json"} {
		up := serveFile(t, 200, "application/json", providertest.ReadFile(t, "testdata/responses/"+f))
		c := newClient(t, "openai", up.URL, "k")
		resp, err := c.Chat(context.Background(), chatReq(), "m")
		if resp != nil {
			t.Errorf("%s: got a response", f)
		}
		e := providertest.AsLLMError(t, err)
		if e.Status != http.StatusBadGateway || e.Code != llm.CodeUpstreamError || e.Type != "upstream_error" ||
			!e.Retryable || e.Message != "openai returned a malformed response" {
			t.Errorf("%s: %s", f, providertest.Describe(err))
		}
	}
	// A 200 that carries an error object (sent after the status line was committed).
	up := serveFile(t, 200, "application/json", providertest.ReadFile(t, "testdata/responses/openrouter_late_error.json"))
	_, err := newClient(t, "openrouter", up.URL, "k").Chat(context.Background(), chatReq(), "m")
	if e := providertest.AsLLMError(t, err); e.Status != 502 || !e.Retryable || e.Message != "openrouter: Provider returned error" {
		t.Errorf("late error: %s", providertest.Describe(err))
	}
}

func TestEmbeddingsAndImagesResponses(t *testing.T) {
	body := providertest.ReadFile(t, "testdata/responses/embeddings_base64.json")
	up := serveFile(t, 200, "application/json", body)
	c := newClient(t, "openai", up.URL, "k")
	req := &llm.EmbeddingsRequest{Model: "alias", Raw: []byte(`{"model":"alias","input":["a","b"],"encoding_format":"base64"}`)}
	resp, err := c.Embeddings(context.Background(), req, "text-embedding-3-small")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.Body, body) || resp.Usage.PromptTokens != 14 || resp.Usage.TotalTokens != 14 {
		t.Errorf("embeddings: %s %+v", resp.Body, resp.Usage)
	}
	img := providertest.ReadFile(t, "testdata/responses/images_b64.json")
	up = serveFile(t, 200, "application/json", img)
	resp, err = newClient(t, "azure", up.URL, "k").GenerateImages(context.Background(), []byte(`{"model":"a","prompt":"otter"}`), "dalle3")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.Body, img) || resp.Usage != (llm.Usage{}) {
		t.Errorf("images: %s %+v", resp.Body, resp.Usage)
	}
	// Errors map the same way as for chat.
	up = serveFile(t, 400, "application/json", []byte(`{"error":{"code":"content_policy_violation","message":"Your request was rejected as a result of our safety system.","param":null,"type":"invalid_request_error"}}`))
	_, err = newClient(t, "openai", up.URL, "k").GenerateImages(context.Background(), []byte(`{"prompt":"x"}`), "dall-e-3")
	if e := providertest.AsLLMError(t, err); e.Status != 400 || e.Message != "openai: Your request was rejected as a result of our safety system." {
		t.Errorf("image error: %s", providertest.Describe(err))
	}
}
