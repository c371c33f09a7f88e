package backend

// End-to-end tests of the non-OpenAI adapters: a fake upstream speaking each provider's own
// wire format (providers_fakes_test.go), a provider and aliases created through the admin
// API, and the official OpenAI Go SDK driving Conduit's /v1 API. Every provider must give
// the same OpenAI-shaped answers; what differs is only what reached the upstream.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/tidwall/gjson"
)

// providerCase is one provider type and what its upstream must receive.
type providerCase struct {
	typ, name  string // provider type and name (x-conduit-provider)
	key        string // the upstream API key
	apiVersion string // azure only
	model      string // provider_model of the chat alias
	embedModel string // provider_model of the embeddings alias; "" when not tested
	usage      fakeUsage
	// embedTokens are the prompt tokens the upstream reports for embeddings. Gemini reports
	// none: Conduit then counts them itself and marks the log row estimated.
	embedTokens int
	toolPlan    bool // the tool-call answer carries scriptPlan as content
	// promptFilterChunk: Azure opens a stream with a chunk of prompt_filter_results, without
	// choices, id or object. The openai adapter relays it; the gateway never forwards a chunk
	// without choices unless it is the usage chunk the client asked for.
	promptFilterChunk bool
	wire              wire
	baseURL           func(fakeURL string) string

	chatURI func(stream bool) string
	// auth holds the headers that must carry the key (and the API version).
	auth map[string]string
	// body maps gjson paths to expected values in the upstream body of "Say hello";
	// streamBody and plainBody add those of streamed and non-streamed requests.
	body, streamBody, plainBody map[string]any
	// tool is the gjson path of the first tool declaration and wantTool what it must be.
	tool     string
	wantTool func(name, description, schema string) string
	// turns is the gjson path of the conversation; wantTurns gives what its second and
	// third turns must be when the client sends back a tool call (id, arguments) and its result.
	turns     string
	wantTurns func(id, args, result string) [2]string
	// image is the gjson path of the user's image part and wantImage what it must be.
	image     string
	wantImage func(dataURL, mediaType, b64 string) string
	embedURI  string
	wantEmbed func(texts []string) string
}

func providerCases() []providerCase {
	openAITool := func(name, description, schema string) string {
		return `{"type":"function","function":{"name":` + jsonStr(name) + `,"description":` + jsonStr(description) + `,"parameters":` + schema + `}}`
	}
	imageURLPart := func(dataURL, _, _ string) string {
		return `{"type":"image_url","image_url":{"url":` + jsonStr(dataURL) + `}}`
	}
	return []providerCase{{
		typ: "anthropic", name: "claude", key: "sk-ant-api03-FAKE-0123456789",
		model: "claude-sonnet-4-5", usage: fakeUsage{25, 11}, toolPlan: true, wire: anthropicWire{},
		baseURL: func(u string) string { return u },
		chatURI: func(bool) string { return "/v1/messages" },
		auth:    map[string]string{"x-api-key": "sk-ant-api03-FAKE-0123456789", "anthropic-version": "2023-06-01"},
		body: map[string]any{"model": "claude-sonnet-4-5", "max_tokens": 4096, "system": absent,
			"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "Say hello"}}}}},
		streamBody: map[string]any{"stream": true},
		plainBody:  map[string]any{"stream": absent},
		tool:       "tools.0",
		wantTool: func(name, description, schema string) string {
			return `{"name":` + jsonStr(name) + `,"description":` + jsonStr(description) + `,"input_schema":` + schema + `}`
		},
		turns: "messages",
		wantTurns: func(id, args, result string) [2]string {
			return [2]string{
				`{"role":"assistant","content":[{"type":"text","text":` + jsonStr(scriptPlan) + `},{"type":"tool_use","id":` + jsonStr(id) + `,"name":"get_weather","input":` + args + `}]}`,
				`{"role":"user","content":[{"type":"tool_result","tool_use_id":` + jsonStr(id) + `,"content":` + jsonStr(result) + `}]}`,
			}
		},
		image: "messages.0.content.1",
		wantImage: func(_, mediaType, b64 string) string {
			return `{"type":"image","source":{"type":"base64","media_type":` + jsonStr(mediaType) + `,"data":` + jsonStr(b64) + `}}`
		},
	}, {
		typ: "gemini", name: "google", key: "AIzaSyFAKE-0123456789abcdef",
		model: "gemini-2.5-flash", embedModel: "gemini-embedding-001", usage: fakeUsage{9, 7}, toolPlan: true,
		wire:    geminiWire{},
		baseURL: func(u string) string { return u + "/v1beta" },
		chatURI: func(stream bool) string {
			if stream {
				return "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
			}
			return "/v1beta/models/gemini-2.5-flash:generateContent"
		},
		auth: map[string]string{"x-goog-api-key": "AIzaSyFAKE-0123456789abcdef"},
		body: map[string]any{"contents": []any{map[string]any{"role": "user", "parts": []any{map[string]any{"text": "Say hello"}}}},
			"model": absent, "messages": absent, "stream": absent},
		tool: "tools.0.functionDeclarations.0",
		wantTool: func(name, description, schema string) string {
			return `{"name":` + jsonStr(name) + `,"description":` + jsonStr(description) + `,"parametersJsonSchema":` + schema + `}`
		},
		turns: "contents",
		// Gemini names the function answered, not the call; the replayed call goes without
		// a thought signature (the SDK drops extra_content), which gemini-2.5 accepts.
		wantTurns: func(_, args, result string) [2]string {
			return [2]string{
				`{"role":"model","parts":[{"text":` + jsonStr(scriptPlan) + `},{"functionCall":{"name":"get_weather","args":` + args + `}}]}`,
				`{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":` + result + `}}]}`,
			}
		},
		image: "contents.0.parts.1",
		wantImage: func(_, mediaType, b64 string) string {
			return `{"inlineData":{"mimeType":` + jsonStr(mediaType) + `,"data":` + jsonStr(b64) + `}}`
		},
		embedURI: "/v1beta/models/gemini-embedding-001:batchEmbedContents",
		wantEmbed: func(texts []string) string {
			reqs := make([]string, len(texts))
			for i, s := range texts {
				reqs[i] = `{"model":"models/gemini-embedding-001","content":{"parts":[{"text":` + jsonStr(s) + `}]}}`
			}
			return `{"requests":[` + strings.Join(reqs, ",") + `]}`
		},
	}, {
		typ: "cohere", name: "cohere", key: "co-FAKE-0123456789abcdef",
		model: "command-a-03-2025", embedModel: "embed-v4.0", usage: fakeUsage{17, 12}, embedTokens: 6, toolPlan: true,
		wire:       cohereWire{},
		baseURL:    func(u string) string { return u + "/v2" },
		chatURI:    func(bool) string { return "/v2/chat" },
		auth:       map[string]string{"Authorization": "Bearer co-FAKE-0123456789abcdef"},
		body:       map[string]any{"model": "command-a-03-2025", "messages": []any{map[string]any{"role": "user", "content": "Say hello"}}},
		streamBody: map[string]any{"stream": true},
		plainBody:  map[string]any{"stream": false},
		tool:       "tools.0",
		wantTool:   openAITool,
		turns:      "messages",
		wantTurns: func(id, args, result string) [2]string {
			return [2]string{
				`{"role":"assistant","tool_plan":` + jsonStr(scriptPlan) + `,"tool_calls":[{"id":` + jsonStr(id) + `,"type":"function","function":{"name":"get_weather","arguments":` + jsonStr(args) + `}}]}`,
				`{"role":"tool","tool_call_id":` + jsonStr(id) + `,"content":` + jsonStr(result) + `}`,
			}
		},
		image:     "messages.0.content.1",
		wantImage: imageURLPart,
		embedURI:  "/v2/embed",
		wantEmbed: func(texts []string) string {
			b, _ := json.Marshal(texts)
			return `{"model":"embed-v4.0","texts":` + string(b) + `,"input_type":"search_document","embedding_types":["float"]}`
		},
	}, {
		typ: "azure", name: "azure-east", key: "0123456789abcdef0123456789abcdef", apiVersion: "2024-10-21",
		model: "gpt-4o-mini", usage: fakeUsage{19, 10}, promptFilterChunk: true, wire: azureWire{},
		baseURL: func(u string) string { return u },
		chatURI: func(bool) string { return "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21" },
		auth:    map[string]string{"api-key": "0123456789abcdef0123456789abcdef"},
		body:    map[string]any{"model": "gpt-4o-mini", "messages": []any{map[string]any{"role": "user", "content": "Say hello"}}},
		// Conduit asks for usage even when the client does not, to account the request.
		streamBody: map[string]any{"stream": true, "stream_options": map[string]any{"include_usage": true}},
		plainBody:  map[string]any{"stream": absent, "stream_options": absent},
		tool:       "tools.0",
		wantTool:   openAITool,
		turns:      "messages",
		wantTurns: func(id, args, result string) [2]string {
			return [2]string{
				`{"role":"assistant","tool_calls":[{"id":` + jsonStr(id) + `,"type":"function","function":{"name":"get_weather","arguments":` + jsonStr(args) + `}}]}`,
				`{"role":"tool","tool_call_id":` + jsonStr(id) + `,"content":` + jsonStr(result) + `}`,
			}
		},
		image:     "messages.0.content.1",
		wantImage: imageURLPart,
	}}
}

// providerRun is one provider case's Conduit, fake upstream and client.
type providerRun struct {
	pc     providerCase
	e      *env
	fake   *fakeUpstream
	pid    string
	key    string // the client's Conduit key
	client openai.Client
	logs   []wantLog
}

const (
	chatAlias  = "assistant"
	embedAlias = "embedder"
	// pngB64 is a 1×1 PNG.
	pngB64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

func TestProvidersE2E(t *testing.T) {
	for _, pc := range providerCases() {
		t.Run(pc.typ, func(t *testing.T) {
			r := startProviderRun(t, pc)
			t.Run("chat", r.testChat)
			t.Run("stream", r.testStream)
			t.Run("tools", r.testTools)
			t.Run("tools stream", r.testToolsStream)
			t.Run("tool result", r.testToolResult)
			t.Run("vision", r.testVision)
			if pc.embedModel != "" {
				t.Run("embeddings", r.testEmbeddings)
			}
			// A 5xx is retried (max_retries 1), a 400 is the request's fault and is not.
			t.Run("upstream 500", func(t *testing.T) {
				r.testUpstreamError(t, trigger500, http.StatusInternalServerError, 502, "upstream_error", 2)
			})
			t.Run("upstream 400", func(t *testing.T) {
				r.testUpstreamError(t, trigger400, http.StatusBadRequest, 400, "invalid_request", 1)
			})
			r.checkLogs(t)
		})
	}
}

func startProviderRun(t *testing.T, pc providerCase) *providerRun {
	e := newEnv(t)
	r := &providerRun{pc: pc, e: e, fake: newFakeUpstream(t, pc.wire, pc.key, pc.usage, pc.embedTokens)}
	prov := map[string]any{"name": pc.name, "type": pc.typ, "base_url": pc.baseURL(r.fake.URL), "api_key": pc.key}
	if pc.apiVersion != "" {
		prov["api_version"] = pc.apiVersion
	}
	p := e.mustAdmin(201, "POST", "/admin/providers", prov)
	r.pid = p["id"].(string)
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": chatAlias, "provider_id": r.pid,
		"provider_model": pc.model, "supports_tools": true, "supports_vision": true})
	if pc.embedModel != "" {
		e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": embedAlias, "provider_id": r.pid,
			"provider_model": pc.embedModel, "supports_embeddings": true})
	}
	r.key = e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "e2e"})["key"].(string)
	// One quick retry; no cooldowns or health checks, so that the error subtests leave the
	// deployment in rotation and the upstream sees only the requests made here.
	e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"max_retries": 1, "retry_base_ms": 1, "retry_max_ms": 5,
		"cooldown_after_failures": 0, "health_check_interval_s": 0})
	r.client = openai.NewClient(option.WithBaseURL(e.url+"/v1"), option.WithAPIKey(r.key), option.WithMaxRetries(0))
	return r
}

func sayHello() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: chatAlias, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello")}}
}

var (
	weatherDescription = "Get the current weather in a city"
	weatherSchema      = `{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}`
)

func weatherParams() openai.ChatCompletionNewParams {
	var schema shared.FunctionParameters
	if err := json.Unmarshal([]byte(weatherSchema), &schema); err != nil {
		panic(err)
	}
	return openai.ChatCompletionNewParams{
		Model:    chatAlias,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the weather in Paris?")},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: scriptTool, Description: openai.String(weatherDescription), Parameters: schema,
		})},
	}
}

var includeUsage = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}

func (r *providerRun) testChat(t *testing.T) {
	n := r.fake.count()
	var hr *http.Response
	resp, err := r.client.Chat.Completions.New(context.Background(), sayHello(), option.WithResponseInto(&hr))
	if err != nil {
		t.Fatal(err)
	}
	r.checkHeaders(t, hr)
	r.checkCompletion(t, resp, scriptReply, "stop")
	up := r.onlyRequest(t, n)
	r.checkChatRequest(t, up, false)
	r.expectLog(hr, wantLog{what: "chat", status: 200, prompt: r.pc.usage.prompt, completion: r.pc.usage.completion})
}

func (r *providerRun) testStream(t *testing.T) {
	t.Run("with usage", func(t *testing.T) { r.testTextStream(t, true) })
	// The adapters always end with a usage chunk: Conduit keeps it for its log only.
	t.Run("without usage", func(t *testing.T) { r.testTextStream(t, false) })
}

func (r *providerRun) testTextStream(t *testing.T, withUsage bool) {
	params := sayHello()
	if withUsage {
		params.StreamOptions = includeUsage
	}
	n := r.fake.count()
	acc, hr := r.stream(t, params)
	if got := acc.Choices[0].Message.Content; got != scriptReply {
		t.Errorf("streamed content = %q, want %q", got, scriptReply)
	}
	if got := acc.Choices[0].FinishReason; got != "stop" {
		t.Errorf("finish_reason = %q, want stop", got)
	}
	if len(acc.Choices[0].Message.ToolCalls) != 0 {
		t.Errorf("tool_calls = %+v, want none", acc.Choices[0].Message.ToolCalls)
	}
	up := r.onlyRequest(t, n)
	r.checkChatRequest(t, up, true)
	r.expectLog(hr, wantLog{what: t.Name(), status: 200, prompt: r.pc.usage.prompt, completion: r.pc.usage.completion, stream: true})
}

func (r *providerRun) testTools(t *testing.T) {
	n := r.fake.count()
	var hr *http.Response
	resp, err := r.client.Chat.Completions.New(context.Background(), weatherParams(), option.WithResponseInto(&hr))
	if err != nil {
		t.Fatal(err)
	}
	r.checkHeaders(t, hr)
	r.checkCompletion(t, resp, r.toolContent(), "tool_calls")
	calls := resp.Choices[0].Message.ToolCalls
	if len(calls) != 1 {
		t.Fatalf("tool_calls = %+v, want one", calls)
	}
	checkToolCall(t, calls[0].ID, calls[0].Type, calls[0].Function.Name, calls[0].Function.Arguments)
	r.checkToolRequest(t, r.onlyRequest(t, n))
	r.expectLog(hr, wantLog{what: "tools", status: 200, prompt: r.pc.usage.prompt, completion: r.pc.usage.completion})
}

func (r *providerRun) testToolsStream(t *testing.T) {
	params := weatherParams()
	params.StreamOptions = includeUsage
	n := r.fake.count()
	acc, hr := r.stream(t, params)
	c := acc.Choices[0]
	if c.FinishReason != "tool_calls" {
		t.Errorf("finish_reason = %q, want tool_calls", c.FinishReason)
	}
	if c.Message.Content != r.toolContent() {
		t.Errorf("content = %q, want %q", c.Message.Content, r.toolContent())
	}
	if len(c.Message.ToolCalls) != 1 {
		t.Fatalf("accumulated tool_calls = %+v, want one", c.Message.ToolCalls)
	}
	tc := c.Message.ToolCalls[0]
	checkToolCall(t, tc.ID, string(tc.Type), tc.Function.Name, tc.Function.Arguments)
	r.checkToolRequest(t, r.onlyRequest(t, n))
	r.expectLog(hr, wantLog{what: "tools stream", status: 200, prompt: r.pc.usage.prompt, completion: r.pc.usage.completion, stream: true})
}

// weatherResult is what the client's tool returns.
const weatherResult = `{"temperature":18,"condition":"sunny"}`

// testToolResult sends the tool call back with its result, as a client's agent loop does.
func (r *providerRun) testToolResult(t *testing.T) {
	ctx := context.Background()
	var hr *http.Response
	first, err := r.client.Chat.Completions.New(ctx, weatherParams(), option.WithResponseInto(&hr))
	if err != nil || len(first.Choices) != 1 || len(first.Choices[0].Message.ToolCalls) != 1 {
		t.Fatalf("no tool call to answer: %v %+v", err, first)
	}
	r.expectLog(hr, wantLog{what: "tool call", status: 200, prompt: r.pc.usage.prompt, completion: r.pc.usage.completion})
	call := first.Choices[0].Message.ToolCalls[0]
	params := weatherParams()
	params.Messages = append(params.Messages, first.Choices[0].Message.ToParam(), openai.ToolMessage(weatherResult, call.ID))

	n := r.fake.count()
	resp, err := r.client.Chat.Completions.New(ctx, params, option.WithResponseInto(&hr))
	if err != nil {
		t.Fatal(err)
	}
	r.checkHeaders(t, hr)
	r.checkCompletion(t, resp, scriptReply, "stop")
	up := r.onlyRequest(t, n)
	r.checkUpstreamAuth(t, up)
	if turns := len(gjson.GetBytes(up.Body, r.pc.turns).Array()); turns != 3 {
		t.Errorf("upstream got %d turns, want 3: %s", turns, up.Body)
	}
	for i, want := range r.pc.wantTurns(call.ID, call.Function.Arguments, weatherResult) {
		path := r.pc.turns + "." + strconv.Itoa(i+1)
		if got := gjson.GetBytes(up.Body, path); !sameJSON(got.Raw, want) {
			t.Errorf("upstream %s = %s, want %s", path, got.Raw, want)
		}
	}
	r.expectLog(hr, wantLog{what: "tool result", status: 200, prompt: r.pc.usage.prompt, completion: r.pc.usage.completion})
}

func (r *providerRun) testVision(t *testing.T) {
	dataURL := "data:image/png;base64," + pngB64
	params := openai.ChatCompletionNewParams{Model: chatAlias, Messages: []openai.ChatCompletionMessageParamUnion{
		openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
			openai.TextContentPart("What is in this image?"),
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: dataURL}),
		}),
	}}
	n := r.fake.count()
	var hr *http.Response
	resp, err := r.client.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&hr))
	if err != nil {
		t.Fatal(err)
	}
	r.checkHeaders(t, hr)
	r.checkCompletion(t, resp, scriptReply, "stop")
	up := r.onlyRequest(t, n)
	got := gjson.GetBytes(up.Body, r.pc.image)
	if want := r.pc.wantImage(dataURL, "image/png", pngB64); !sameJSON(got.Raw, want) {
		t.Errorf("upstream image part %s = %s, want %s", r.pc.image, got.Raw, want)
	}
	r.expectLog(hr, wantLog{what: "vision", status: 200, prompt: r.pc.usage.prompt, completion: r.pc.usage.completion})
}

func (r *providerRun) testEmbeddings(t *testing.T) {
	texts := []string{"The quick brown fox", "jumps over the lazy dog"}
	for _, tt := range []struct {
		name   string
		format openai.EmbeddingNewParamsEncodingFormat
		want   string // encoding_format the SDK sends ("" : none)
	}{
		{"SDK default", "", ""},
		{"float", openai.EmbeddingNewParamsEncodingFormatFloat, "float"},
		{"base64", openai.EmbeddingNewParamsEncodingFormatBase64, "base64"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var sent []byte
			capture := option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
				if req.Body != nil {
					sent, _ = io.ReadAll(req.Body)
					req.Body = io.NopCloser(strings.NewReader(string(sent)))
				}
				return next(req)
			})
			n := r.fake.count()
			var hr *http.Response
			resp, err := r.client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
				Model: embedAlias, Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts}, EncodingFormat: tt.format,
			}, option.WithResponseInto(&hr), capture)
			if err != nil {
				t.Fatal(err)
			}
			if got := gjson.GetBytes(sent, "encoding_format").Str; got != tt.want {
				t.Errorf("the SDK sent encoding_format %q, want %q", got, tt.want)
			}
			r.checkHeaders(t, hr)
			if resp.Model != embedAlias || len(resp.Data) != len(texts) {
				t.Fatalf("model %q, %d embeddings; want %q, %d", resp.Model, len(resp.Data), embedAlias, len(texts))
			}
			for i, d := range resp.Data {
				if d.Index != int64(i) || !reflect.DeepEqual(d.Embedding, scriptVector(i)) {
					t.Errorf("data[%d] = index %d %v, want %v", i, d.Index, d.Embedding, scriptVector(i))
				}
				raw := gjson.Get(d.RawJSON(), "embedding")
				if isB64 := raw.Type == gjson.String; isB64 != (tt.want == "base64") {
					t.Errorf("data[%d].embedding came as %s for encoding_format %q", i, raw.Type, tt.want)
				}
			}
			if resp.Usage.PromptTokens != int64(r.pc.embedTokens) || resp.Usage.TotalTokens != int64(r.pc.embedTokens) {
				t.Errorf("usage = %+v, want %d prompt tokens", resp.Usage, r.pc.embedTokens)
			}
			up := r.onlyRequest(t, n)
			r.checkUpstreamAuth(t, up)
			if up.URI != r.pc.embedURI {
				t.Errorf("upstream %s %s, want POST %s", up.Method, up.URI, r.pc.embedURI)
			}
			if want := r.pc.wantEmbed(texts); !sameJSON(string(up.Body), want) {
				t.Errorf("upstream body = %s, want %s", up.Body, want)
			}
			r.expectLog(hr, wantLog{what: "embeddings " + tt.name, status: 200, prompt: r.pc.embedTokens,
				estimated: r.pc.embedTokens == 0, alias: embedAlias, model: r.pc.embedModel})
		})
	}
}

// testUpstreamError makes the upstream fail with upstreamStatus and checks the client gets
// status and code, with the provider's message, after attempts upstream calls.
// Streamed, the error comes before the stream begins: a plain JSON error with that status.
func (r *providerRun) testUpstreamError(t *testing.T, trigger string, upstreamStatus, status int, code string, attempts int) {
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "whole", true: "stream"}[stream], func(t *testing.T) {
			r.upstreamError(t, stream, trigger, upstreamStatus, status, code, attempts)
		})
	}
}

func (r *providerRun) upstreamError(t *testing.T, stream bool, trigger string, upstreamStatus, status int, code string, attempts int) {
	params := openai.ChatCompletionNewParams{Model: chatAlias, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(trigger)}}
	n := r.fake.count()
	var err error
	if stream {
		s := r.client.Chat.Completions.NewStreaming(context.Background(), params)
		for s.Next() {
			t.Errorf("chunk from a failed upstream: %s", s.Current().RawJSON())
		}
		err = s.Err()
		s.Close()
	} else {
		_, err = r.client.Chat.Completions.New(context.Background(), params)
	}
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *openai.Error", err)
	}
	if apiErr.StatusCode != status || apiErr.Code != code {
		t.Errorf("status %d code %q, want %d %q (message %q)", apiErr.StatusCode, apiErr.Code, status, code, apiErr.Message)
	}
	// The provider's own message, read from its error format, reaches the client.
	if want := strings.TrimSpace(r.pc.wire.errorMessage(upstreamStatus)); !strings.Contains(apiErr.Message, want) {
		t.Errorf("message %q does not hold the upstream's %q", apiErr.Message, want)
	}
	if got := len(r.fake.since(n)); got != attempts {
		t.Errorf("%d upstream requests, want %d", got, attempts)
	}
	r.checkHeaders(t, apiErr.Response)
	r.expectLog(apiErr.Response, wantLog{what: t.Name(), status: status, code: code, attempts: attempts, stream: stream})
}

// stream runs a streamed request, checking the shape of every chunk, and returns the
// accumulation.
func (r *providerRun) stream(t *testing.T, params openai.ChatCompletionNewParams) (*openai.ChatCompletionAccumulator, *http.Response) {
	t.Helper()
	var hr *http.Response
	s := r.client.Chat.Completions.NewStreaming(context.Background(), params, option.WithResponseInto(&hr))
	defer s.Close()
	acc := &openai.ChatCompletionAccumulator{}
	var (
		chunks, contentDeltas, usageChunks, filterChunks int
		finishedCalls                                    []openai.FinishedChatCompletionToolCall
		usage                                            openai.CompletionUsage
		lastIsUsage                                      bool
	)
	for s.Next() {
		ch := s.Current()
		chunks++
		if !acc.AddChunk(ch) {
			t.Fatalf("chunk %d not accumulated (id %q after %q): %s", chunks, ch.ID, acc.ID, ch.RawJSON())
		}
		switch {
		case len(ch.Choices) == 0 && gjson.Get(ch.RawJSON(), "prompt_filter_results").Exists():
			filterChunks++
		case ch.Object != "chat.completion.chunk" || ch.ID == "" || ch.Created == 0:
			t.Errorf("chunk %d: object %q id %q created %d: %s", chunks, ch.Object, ch.ID, ch.Created, ch.RawJSON())
		}
		if ch.Model != chatAlias {
			t.Errorf("chunk %d model = %q, want %q", chunks, ch.Model, chatAlias)
		}
		if tc, ok := acc.JustFinishedToolCall(); ok {
			finishedCalls = append(finishedCalls, tc)
		}
		for _, c := range ch.Choices {
			if c.Delta.Content != "" {
				contentDeltas++
			}
		}
		lastIsUsage = len(ch.Choices) == 0 && ch.JSON.Usage.Valid()
		if lastIsUsage {
			usageChunks++
			usage = ch.Usage
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	r.checkHeaders(t, hr)
	if ct := hr.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("Content-Type = %q", ct)
	}
	if filterChunks != 0 {
		t.Errorf("%d prompt_filter_results chunks reached the client, want 0", filterChunks)
	}
	if !params.StreamOptions.IncludeUsage.Value {
		if usageChunks != 0 {
			t.Errorf("%d usage chunks, want none: the client did not ask for usage", usageChunks)
		}
	} else {
		if usageChunks != 1 || !lastIsUsage {
			t.Errorf("%d usage chunks (last chunk is one: %v), want exactly one, last", usageChunks, lastIsUsage)
		}
		r.checkUsage(t, usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens)
		r.checkUsage(t, acc.Usage.PromptTokens, acc.Usage.CompletionTokens, acc.Usage.TotalTokens)
	}
	if len(acc.Choices) != 1 || acc.Model != chatAlias || acc.ID == "" {
		t.Fatalf("accumulated %d choices, model %q, id %q", len(acc.Choices), acc.Model, acc.ID)
	}
	if len(params.Tools) == 0 {
		if contentDeltas != len(scriptPieces) {
			t.Errorf("%d content deltas, want %d: the text must be relayed as it streams", contentDeltas, len(scriptPieces))
		}
	} else {
		if len(finishedCalls) != 1 || finishedCalls[0].Name != scriptTool || !sameJSON(finishedCalls[0].Arguments, scriptArgs) {
			t.Errorf("JustFinishedToolCall events = %+v, want one %s", finishedCalls, scriptTool)
		}
	}
	return acc, hr
}

func (r *providerRun) toolContent() string {
	if r.pc.toolPlan {
		return scriptPlan
	}
	return ""
}

// checkCompletion checks a non-streamed answer's shape.
func (r *providerRun) checkCompletion(t *testing.T, resp *openai.ChatCompletion, content, finish string) {
	t.Helper()
	if resp.ID == "" || resp.Object != "chat.completion" || resp.Model != chatAlias || resp.Created == 0 {
		t.Errorf("id %q object %q model %q created %d", resp.ID, resp.Object, resp.Model, resp.Created)
	}
	if len(resp.Choices) != 1 {
		t.Fatalf("%d choices, want 1: %s", len(resp.Choices), resp.RawJSON())
	}
	c := resp.Choices[0]
	if c.Index != 0 || c.Message.Role != "assistant" || c.Message.Content != content || c.FinishReason != finish {
		t.Errorf("choice = index %d role %q content %q finish_reason %q; want content %q, finish_reason %q",
			c.Index, c.Message.Role, c.Message.Content, c.FinishReason, content, finish)
	}
	if finish != "tool_calls" && len(c.Message.ToolCalls) != 0 {
		t.Errorf("tool_calls = %+v, want none", c.Message.ToolCalls)
	}
	r.checkUsage(t, resp.Usage.PromptTokens, resp.Usage.CompletionTokens, resp.Usage.TotalTokens)
}

func (r *providerRun) checkUsage(t *testing.T, prompt, completion, total int64) {
	t.Helper()
	u := r.pc.usage
	if prompt != int64(u.prompt) || completion != int64(u.completion) || total != int64(u.prompt+u.completion) {
		t.Errorf("usage = %d+%d=%d, want the upstream's %d+%d=%d", prompt, completion, total, u.prompt, u.completion, u.prompt+u.completion)
	}
}

func checkToolCall(t *testing.T, id, typ, name, args string) {
	t.Helper()
	if id == "" || typ != "function" || name != scriptTool || !sameJSON(args, scriptArgs) {
		t.Errorf("tool call = id %q type %q %s(%s), want a function %s(%s)", id, typ, name, args, scriptTool, scriptArgs)
	}
}

// checkHeaders checks the Conduit headers of an answer.
func (r *providerRun) checkHeaders(t *testing.T, hr *http.Response) {
	t.Helper()
	if hr == nil {
		t.Fatal("no HTTP response captured")
	}
	if got := hr.Header.Get("x-conduit-provider"); got != r.pc.name {
		t.Errorf("x-conduit-provider = %q, want %q", got, r.pc.name)
	}
	if hr.Header.Get("x-request-id") == "" {
		t.Error("no x-request-id")
	}
}
