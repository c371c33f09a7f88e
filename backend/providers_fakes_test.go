package backend

// Fake upstreams for providers_e2e_test.go, and its checks of what they received and of the
// request log. Each fake speaks one provider's own wire format (Anthropic Messages, Gemini
// generateContent, Cohere v2 chat/embed, Azure OpenAI), records every request it receives and
// answers from one shared script, so that the answers Conduit translates back to the OpenAI
// format can be compared across providers.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// The script every fake follows.
const (
	scriptReply = "Hello! How can I help you today?"
	// scriptPlan is what a model says before calling a tool (fakes whose format has a place
	// for it send it).
	scriptPlan = "Let me check the weather in Paris."
	scriptTool = "get_weather"
	scriptArgs = `{"city":"Paris","unit":"celsius"}`
	// A request whose body holds one of these gets that upstream error.
	trigger500 = "trigger-upstream-500"
	trigger400 = "trigger-upstream-400"
)

var (
	// scriptPieces are the streamed deltas of scriptReply.
	scriptPieces = []string{"Hello!", " How can I", " help you today?"}
	// scriptArgPieces are the streamed deltas of the tool call's arguments (scriptArgs).
	scriptArgPieces = []string{`{"city":`, ` "Paris", "unit"`, `: "celsius"}`}
)

// scriptVector is the embedding of the i-th input: values exact in float32, so that the
// base64 (float32) encoding round-trips them.
func scriptVector(i int) []float64 { return []float64{0.25 * float64(i+1), -0.5, 0.125, 1} }

// fakeUsage is the token count a fake reports for every chat answer.
type fakeUsage struct{ prompt, completion int }

// upstreamRequest is one request a fake received.
type upstreamRequest struct {
	Method string
	Path   string
	URI    string // path and query
	Header http.Header
	Body   []byte
}

// recorder keeps the requests a fake upstream received; fakes embed it.
type recorder struct {
	mu   sync.Mutex
	reqs []upstreamRequest
}

// record reads r's body, keeps the request and returns the body.
func (rec *recorder) record(r *http.Request) []byte {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = append(rec.reqs, upstreamRequest{Method: r.Method, Path: r.URL.Path, URI: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
	return body
}

// count is the number of requests received so far.
func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

// since returns the requests received after the first n.
func (rec *recorder) since(n int) []upstreamRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]upstreamRequest(nil), rec.reqs[n:]...)
}

// Kinds of request a wire format routes.
const (
	routeNone = iota
	routeChat
	routeStream
	routeEmbed
)

// wire is one provider's API as a fake upstream speaks it.
type wire interface {
	// route classifies a request by its path (and, where the format says so, its body).
	route(r *http.Request, in gjson.Result) int
	authorized(h http.Header, key string) bool
	// errorBody answers an error in the provider's format.
	errorBody(w http.ResponseWriter, status int)
	// errorMessage is the message errorBody sends with status.
	errorMessage(status int) string
	// toolResultTurn reports whether the request's last turn gives tool results back (then
	// the fake answers with text even though the request declares tools).
	toolResultTurn(in gjson.Result) bool
	message(w http.ResponseWriter, in gjson.Result, tools bool, u fakeUsage)
	stream(s *fakeSSE, in gjson.Result, tools bool, u fakeUsage)
	embeddings(w http.ResponseWriter, in gjson.Result, tokens int)
}

// fakeUpstream is an httptest server speaking one wire format.
type fakeUpstream struct {
	URL         string
	wire        wire
	key         string
	usage       fakeUsage
	embedTokens int
	recorder
}

func newFakeUpstream(t *testing.T, w wire, key string, u fakeUsage, embedTokens int) *fakeUpstream {
	f := &fakeUpstream{wire: w, key: key, usage: u, embedTokens: embedTokens}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	body := f.record(r)
	in := gjson.ParseBytes(body)
	route := f.wire.route(r, in)
	// "tools" is the same key in all four formats.
	tools := len(in.Get("tools").Array()) > 0 && !f.wire.toolResultTurn(in)
	switch {
	case r.Method != http.MethodPost || route == routeNone:
		f.wire.errorBody(w, http.StatusNotFound)
	case !f.wire.authorized(r.Header, f.key):
		f.wire.errorBody(w, http.StatusUnauthorized)
	case !in.IsObject():
		f.wire.errorBody(w, http.StatusBadRequest)
	case bytes.Contains(body, []byte(trigger500)):
		f.wire.errorBody(w, http.StatusInternalServerError)
	case bytes.Contains(body, []byte(trigger400)):
		f.wire.errorBody(w, http.StatusBadRequest)
	case route == routeChat:
		f.wire.message(w, in, tools, f.usage)
	case route == routeStream:
		f.wire.stream(newFakeSSE(w), in, tools, f.usage)
	case route == routeEmbed:
		f.wire.embeddings(w, in, f.embedTokens)
	}
}

// fakeSSE writes server-sent events, flushing each one.
type fakeSSE struct {
	w   http.ResponseWriter
	eol string
}

func newFakeSSE(w http.ResponseWriter) *fakeSSE {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return &fakeSSE{w: w, eol: "\n"}
}

// event writes one event; name may be empty.
func (s *fakeSSE) event(name, data string) {
	if name != "" {
		fmt.Fprintf(s.w, "event: %s%s", name, s.eol)
	}
	fmt.Fprintf(s.w, "data: %s%s%s", data, s.eol, s.eol)
	if fl, ok := s.w.(http.Flusher); ok {
		fl.Flush()
	}
}

// jsonStr encodes s as a JSON string.
func jsonStr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// vectorsJSON is the JSON array of the vectors of n inputs, each wrapped by wrap.
func vectorsJSON(n int, wrap func(values string) string) string {
	parts := make([]string, n)
	for i := range parts {
		b, _ := json.Marshal(scriptVector(i))
		parts[i] = wrap(string(b))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// lastOf returns the last element of the array at path.
func lastOf(in gjson.Result, path string) gjson.Result {
	a := in.Get(path).Array()
	if len(a) == 0 {
		return gjson.Result{}
	}
	return a[len(a)-1]
}

// anthropicWire is Anthropic's Messages API (POST /v1/messages).
type anthropicWire struct{}

func (anthropicWire) toolResultTurn(in gjson.Result) bool {
	for _, b := range lastOf(in, "messages").Get("content").Array() {
		if b.Get("type").Str == "tool_result" {
			return true
		}
	}
	return false
}

func (anthropicWire) route(r *http.Request, in gjson.Result) int {
	switch {
	case r.URL.Path != "/v1/messages":
		return routeNone
	case in.Get("stream").Bool():
		return routeStream
	}
	return routeChat
}

func (anthropicWire) authorized(h http.Header, key string) bool {
	return h.Get("x-api-key") == key && h.Get("anthropic-version") != ""
}

func (anthropicWire) errorMessage(status int) string {
	switch status {
	case 400:
		return "messages.0.content.0.text: text content blocks must contain non-whitespace text"
	case 401:
		return "invalid x-api-key"
	case 404:
		return "Not found"
	}
	return "Internal server error"
}

func (a anthropicWire) errorBody(w http.ResponseWriter, status int) {
	typ := map[int]string{400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error"}[status]
	if typ == "" {
		typ = "api_error"
	}
	w.Header().Set("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy")
	writeJSON(w, status, fmt.Sprintf(`{"type":"error","error":{"type":%q,"message":%s},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`,
		typ, jsonStr(a.errorMessage(status))))
}

const anthropicModel = "claude-sonnet-4-5-20250929"

func (anthropicWire) message(w http.ResponseWriter, _ gjson.Result, tools bool, u fakeUsage) {
	content, stop := fmt.Sprintf(`[{"type":"text","text":%s}]`, jsonStr(scriptReply)), "end_turn"
	if tools {
		content = fmt.Sprintf(`[{"type":"text","text":%s},{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":%q,"input":%s}]`,
			jsonStr(scriptPlan), scriptTool, scriptArgs)
		stop = "tool_use"
	}
	writeJSON(w, 200, fmt.Sprintf(`{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":%q,`+
		`"content":%s,"stop_reason":%q,"stop_sequence":null,`+
		`"usage":{"input_tokens":%d,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":%d,"service_tier":"standard"}}`,
		anthropicModel, content, stop, u.prompt, u.completion))
}

func (anthropicWire) stream(s *fakeSSE, _ gjson.Result, tools bool, u fakeUsage) {
	s.event("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant",`+
		`"model":%q,"content":[],"stop_reason":null,"stop_sequence":null,`+
		`"usage":{"input_tokens":%d,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1,"service_tier":"standard"}}}`,
		anthropicModel, u.prompt))
	s.event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	s.event("ping", `{"type": "ping"}`)
	pieces, stop := scriptPieces, "end_turn"
	if tools {
		pieces, stop = []string{scriptPlan}, "tool_use"
	}
	for _, p := range pieces {
		s.event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%s}}`, jsonStr(p)))
	}
	s.event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	if tools {
		s.event("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":%q,"input":{}}}`, scriptTool))
		s.event("content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}`)
		for _, p := range scriptArgPieces {
			s.event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":%s}}`, jsonStr(p)))
		}
		s.event("content_block_stop", `{"type":"content_block_stop","index":1}`)
	}
	s.event("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":%d}}`, stop, u.completion))
	s.event("message_stop", `{"type":"message_stop"}`)
}

func (anthropicWire) embeddings(w http.ResponseWriter, _ gjson.Result, _ int) {
	writeJSON(w, 404, `{"type":"error","error":{"type":"not_found_error","message":"Not found"}}`)
}

// geminiWire is the Gemini API (generateContent, streamGenerateContent?alt=sse,
// batchEmbedContents under /v1beta/models/).
type geminiWire struct{}

func (geminiWire) route(r *http.Request, _ gjson.Result) int {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	_, method, _ := strings.Cut(rest, ":")
	switch {
	case !ok:
		return routeNone
	case method == "generateContent":
		return routeChat
	case method == "streamGenerateContent" && r.URL.Query().Get("alt") == "sse":
		return routeStream
	case method == "batchEmbedContents":
		return routeEmbed
	}
	return routeNone
}

func (geminiWire) toolResultTurn(in gjson.Result) bool {
	for _, p := range lastOf(in, "contents").Get("parts").Array() {
		if p.Get("functionResponse").Exists() {
			return true
		}
	}
	return false
}

func (geminiWire) authorized(h http.Header, key string) bool { return h.Get("x-goog-api-key") == key }

func (geminiWire) errorMessage(status int) string {
	switch status {
	case 400:
		return "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n"
	case 401:
		return "API key not valid. Please pass a valid API key."
	case 404:
		return "models/unknown is not found for API version v1beta, or is not supported for generateContent."
	}
	return "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
}

func (g geminiWire) errorBody(w http.ResponseWriter, status int) {
	st := map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND"}[status]
	if st == "" {
		st = "INTERNAL"
	}
	writeJSON(w, status, fmt.Sprintf(`{"error":{"code":%d,"message":%s,"status":%q}}`, status, jsonStr(g.errorMessage(status)), st))
}

const geminiModel = "gemini-2.5-flash"

// geminiResponse is one GenerateContentResponse; finish and full usage only on the last.
func geminiResponse(parts string, last bool, u fakeUsage) string {
	finish, usage := "", fmt.Sprintf(`{"promptTokenCount":%d,"totalTokenCount":%d}`, u.prompt, u.prompt)
	if last {
		finish = `"finishReason":"STOP",`
		usage = fmt.Sprintf(`{"promptTokenCount":%d,"candidatesTokenCount":%d,"totalTokenCount":%d,"promptTokensDetails":[{"modality":"TEXT","tokenCount":%d}]}`,
			u.prompt, u.completion, u.prompt+u.completion, u.prompt)
	}
	return fmt.Sprintf(`{"candidates":[{"content":{"parts":%s,"role":"model"},%s"index":0}],"usageMetadata":%s,"modelVersion":%q,"responseId":"x7BpaPq0LJfLz7IP_Jqg4Qo"}`,
		parts, finish, usage, geminiModel)
}

func geminiText(s string) string { return fmt.Sprintf(`[{"text":%s}]`, jsonStr(s)) }

var geminiCall = fmt.Sprintf(`[{"functionCall":{"name":%q,"args":%s},"thoughtSignature":"CiQBVKhc7sig0=="}]`, scriptTool, scriptArgs)

func (geminiWire) message(w http.ResponseWriter, _ gjson.Result, tools bool, u fakeUsage) {
	parts := geminiText(scriptReply)
	if tools {
		parts = fmt.Sprintf(`[{"text":%s},%s]`, jsonStr(scriptPlan), strings.Trim(geminiCall, "[]"))
	}
	writeJSON(w, 200, geminiResponse(parts, true, u))
}

func (geminiWire) stream(s *fakeSSE, _ gjson.Result, tools bool, u fakeUsage) {
	s.eol = "\r\n" // Google's SSE lines end in CRLF
	if tools {
		s.event("", geminiResponse(geminiText(scriptPlan), false, u))
		s.event("", geminiResponse(geminiCall, true, u))
		return
	}
	for i, p := range scriptPieces {
		s.event("", geminiResponse(geminiText(p), i == len(scriptPieces)-1, u))
	}
}

func (geminiWire) embeddings(w http.ResponseWriter, in gjson.Result, _ int) {
	n := len(in.Get("requests").Array())
	writeJSON(w, 200, `{"embeddings":`+vectorsJSON(n, func(v string) string { return `{"values":` + v + `}` })+`}`)
}

// cohereWire is Cohere's v2 API (POST /v2/chat, /v2/embed).
type cohereWire struct{}

func (cohereWire) route(r *http.Request, in gjson.Result) int {
	switch r.URL.Path {
	case "/v2/chat":
		if in.Get("stream").Bool() {
			return routeStream
		}
		return routeChat
	case "/v2/embed":
		return routeEmbed
	}
	return routeNone
}

func (cohereWire) toolResultTurn(in gjson.Result) bool {
	return lastOf(in, "messages").Get("role").Str == "tool"
}

func (cohereWire) authorized(h http.Header, key string) bool {
	return h.Get("Authorization") == "Bearer "+key
}

func (cohereWire) errorMessage(status int) string {
	switch status {
	case 400:
		return "invalid request: message must be at least 1 token long or tool results must be specified."
	case 401:
		return "invalid api token"
	case 404:
		return "model 'unknown' not found, make sure the correct model ID was used and that you have access to the model."
	}
	return "internal server error, this has been reported to our developers. id 9c4a6e4b1b0b4a3c"
}

func (c cohereWire) errorBody(w http.ResponseWriter, status int) {
	writeJSON(w, status, fmt.Sprintf(`{"id":"5f1e0b3c-2d51-4a0e-9ad6-0e1f6f0b7c21","message":%s}`, jsonStr(c.errorMessage(status))))
}

// cohereUsage reports billed units (what Cohere charges) and the raw tokens, which include
// Cohere's own prompt template.
func cohereUsage(u fakeUsage) string {
	return fmt.Sprintf(`{"billed_units":{"input_tokens":%d,"output_tokens":%d},"tokens":{"input_tokens":%d,"output_tokens":%d}}`,
		u.prompt, u.completion, u.prompt+196, u.completion+2)
}

const cohereCallID = "get_weather_k88p0m8504w5"

func (cohereWire) message(w http.ResponseWriter, _ gjson.Result, tools bool, u fakeUsage) {
	msg := fmt.Sprintf(`{"role":"assistant","content":[{"type":"text","text":%s}]}`, jsonStr(scriptReply))
	finish := "COMPLETE"
	if tools {
		msg = fmt.Sprintf(`{"role":"assistant","tool_plan":%s,"tool_calls":[{"id":%q,"type":"function","function":{"name":%q,"arguments":%s}}]}`,
			jsonStr(scriptPlan), cohereCallID, scriptTool, jsonStr(scriptArgs))
		finish = "TOOL_CALL"
	}
	writeJSON(w, 200, fmt.Sprintf(`{"id":"c14c80c3-18eb-4519-9460-6c92edd8cfb4","message":%s,"finish_reason":%q,"usage":%s}`,
		msg, finish, cohereUsage(u)))
}

func (cohereWire) stream(s *fakeSSE, _ gjson.Result, tools bool, u fakeUsage) {
	s.event("message-start", `{"id":"29f14a5a-11de-4cae-9800-25e4747408ea","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}`)
	finish := "COMPLETE"
	if tools {
		finish = "TOOL_CALL"
		s.event("tool-plan-delta", fmt.Sprintf(`{"type":"tool-plan-delta","delta":{"message":{"tool_plan":%s}}}`, jsonStr(scriptPlan)))
		s.event("tool-call-start", fmt.Sprintf(`{"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":%q,"type":"function","function":{"name":%q,"arguments":""}}}}}`,
			cohereCallID, scriptTool))
		for _, p := range scriptArgPieces {
			s.event("tool-call-delta", fmt.Sprintf(`{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":%s}}}}}`, jsonStr(p)))
		}
		s.event("tool-call-end", `{"type":"tool-call-end","index":0}`)
	} else {
		s.event("content-start", `{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}`)
		for _, p := range scriptPieces {
			s.event("content-delta", fmt.Sprintf(`{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":%s}}}}`, jsonStr(p)))
		}
		s.event("content-end", `{"type":"content-end","index":0}`)
	}
	s.event("message-end", fmt.Sprintf(`{"type":"message-end","delta":{"finish_reason":%q,"usage":%s}}`, finish, cohereUsage(u)))
	s.event("", "[DONE]")
}

func (cohereWire) embeddings(w http.ResponseWriter, in gjson.Result, tokens int) {
	texts := in.Get("texts")
	writeJSON(w, 200, fmt.Sprintf(`{"id":"da6e531f-54c6-4a73-bf92-f60566d8d753","embeddings":{"float":%s},"texts":%s,`+
		`"meta":{"api_version":{"version":"2"},"billed_units":{"input_tokens":%d}},"response_type":"embeddings_by_type"}`,
		vectorsJSON(len(texts.Array()), func(v string) string { return v }), texts.Raw, tokens))
}

// azureWire is Azure OpenAI (POST /openai/deployments/{deployment}/chat/completions?api-version=...):
// OpenAI's format with Azure's content filter annotations.
type azureWire struct{}

func (azureWire) route(r *http.Request, in gjson.Result) int {
	rest, ok := strings.CutPrefix(r.URL.Path, "/openai/deployments/")
	_, op, _ := strings.Cut(rest, "/")
	switch {
	case !ok || op != "chat/completions" || r.URL.Query().Get("api-version") == "":
		return routeNone
	case in.Get("stream").Bool():
		return routeStream
	}
	return routeChat
}

func (azureWire) toolResultTurn(in gjson.Result) bool {
	return lastOf(in, "messages").Get("role").Str == "tool"
}

func (azureWire) authorized(h http.Header, key string) bool { return h.Get("api-key") == key }

func (azureWire) errorMessage(status int) string {
	switch status {
	case 400:
		return "Invalid value for 'content': expected a string, got null."
	case 401:
		return "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."
	case 404:
		return "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."
	}
	return "The server had an error while processing your request. Sorry about that!"
}

func (a azureWire) errorBody(w http.ResponseWriter, status int) {
	msg := jsonStr(a.errorMessage(status))
	switch status {
	case 400:
		writeJSON(w, status, `{"error":{"message":`+msg+`,"type":"invalid_request_error","param":"messages.[0].content","code":null}}`)
	case 401:
		writeJSON(w, status, `{"error":{"code":"401","message":`+msg+`}}`)
	case 404:
		writeJSON(w, status, `{"error":{"code":"DeploymentNotFound","message":`+msg+`}}`)
	default:
		writeJSON(w, status, `{"error":{"code":"InternalServerError","message":`+msg+`}}`)
	}
}

const (
	azureModel   = "gpt-4o-mini-2024-07-18"
	azureFilters = `{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}`
	azurePrompt  = `"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"filtered":false,"detected":false},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}]`
	azureCallID  = "call_DdmO9pD3xa9XTPNJ32zg2hcA"
)

func azureUsage(u fakeUsage) string {
	return fmt.Sprintf(`{"completion_tokens":%d,"completion_tokens_details":{"accepted_prediction_tokens":0,"audio_tokens":0,"reasoning_tokens":0,"rejected_prediction_tokens":0},`+
		`"prompt_tokens":%d,"prompt_tokens_details":{"audio_tokens":0,"cached_tokens":0},"total_tokens":%d}`, u.completion, u.prompt, u.prompt+u.completion)
}

func (azureWire) message(w http.ResponseWriter, _ gjson.Result, tools bool, u fakeUsage) {
	msg := fmt.Sprintf(`{"content":%s,"refusal":null,"role":"assistant"}`, jsonStr(scriptReply))
	finish := "stop"
	if tools {
		msg = fmt.Sprintf(`{"content":null,"refusal":null,"role":"assistant","tool_calls":[{"function":{"arguments":%s,"name":%q},"id":%q,"type":"function"}]}`,
			jsonStr(scriptArgs), scriptTool, azureCallID)
		finish = "tool_calls"
	}
	writeJSON(w, 200, fmt.Sprintf(`{"choices":[{"content_filter_results":%s,"finish_reason":%q,"index":0,"logprobs":null,"message":%s}],`+
		`"created":1741571500,"id":"chatcmpl-B9NvQxYzA1b2C3d4E5f6G7h8","model":%q,"object":"chat.completion",%s,"system_fingerprint":"fp_b705f0c291","usage":%s}`,
		azureFilters, finish, msg, azureModel, azurePrompt, azureUsage(u)))
}

func (azureWire) stream(s *fakeSSE, in gjson.Result, tools bool, u fakeUsage) {
	chunk := func(delta, finish, filters string) string {
		return fmt.Sprintf(`{"choices":[{"content_filter_results":%s,"delta":%s,"finish_reason":%s,"index":0,"logprobs":null}],`+
			`"created":1738961002,"id":"chatcmpl-AyAz0r3eT9wQk1mN5bV7cX2zL8pJd","model":%q,"object":"chat.completion.chunk","system_fingerprint":"fp_b705f0c291"}`,
			filters, delta, finish, azureModel)
	}
	// Azure opens with the prompt's filter results, in a chunk without choices or id.
	s.event("", `{"choices":[],"created":0,"id":"","model":"","object":"",`+azurePrompt+`}`)
	finish := `"stop"`
	if tools {
		finish = `"tool_calls"`
		s.event("", chunk(fmt.Sprintf(`{"content":null,"refusal":null,"role":"assistant","tool_calls":[{"index":0,"id":%q,"type":"function","function":{"name":%q,"arguments":""}}]}`,
			azureCallID, scriptTool), "null", "{}"))
		for _, p := range scriptArgPieces {
			s.event("", chunk(fmt.Sprintf(`{"tool_calls":[{"index":0,"function":{"arguments":%s}}]}`, jsonStr(p)), "null", "{}"))
		}
	} else {
		s.event("", chunk(`{"content":"","refusal":null,"role":"assistant"}`, "null", "{}"))
		for _, p := range scriptPieces {
			s.event("", chunk(fmt.Sprintf(`{"content":%s}`, jsonStr(p)), "null", azureFilters))
		}
	}
	s.event("", chunk(`{}`, finish, "{}"))
	if in.Get("stream_options.include_usage").Bool() {
		s.event("", fmt.Sprintf(`{"choices":[],"created":1738961002,"id":"chatcmpl-AyAz0r3eT9wQk1mN5bV7cX2zL8pJd","model":%q,"object":"chat.completion.chunk","system_fingerprint":"fp_b705f0c291","usage":%s}`,
			azureModel, azureUsage(u)))
	}
	s.event("", "[DONE]")
}

func (azureWire) embeddings(w http.ResponseWriter, _ gjson.Result, _ int) {
	writeJSON(w, 404, `{"error":{"code":"404","message":"Resource not found"}}`)
}

// Checks of what reached the upstream and of the request log.

// absent, as an expected value, means the field must not be in the upstream body.
var absent = &struct{}{}

// wantLog is what the log row of one request must hold.
type wantLog struct {
	what               string
	id                 string
	status             int
	code               string
	prompt, completion int
	stream             bool
	estimated          bool // prompt is Conduit's own count: any positive number
	attempts           int
	alias, model       string
}

// onlyRequest returns the one upstream request made since the first n.
func (r *providerRun) onlyRequest(t *testing.T, n int) upstreamRequest {
	t.Helper()
	reqs := r.fake.since(n)
	if len(reqs) != 1 {
		t.Fatalf("%d upstream requests, want 1", len(reqs))
	}
	return reqs[0]
}

// checkUpstreamAuth checks the upstream got the provider's key where the provider wants it,
// and neither that key elsewhere nor the client's Conduit key anywhere.
func (r *providerRun) checkUpstreamAuth(t *testing.T, up upstreamRequest) {
	t.Helper()
	for h, want := range r.pc.auth {
		if got := up.Header.Get(h); got != want {
			t.Errorf("upstream header %s = %q, want %q", h, got, want)
		}
	}
	for h, vs := range up.Header {
		for _, v := range vs {
			if strings.Contains(v, r.key) {
				t.Errorf("the client's Conduit key reached the upstream in %s", h)
			}
			if strings.Contains(v, r.pc.key) && !r.authHeader(h) {
				t.Errorf("the upstream key was sent in %s too", h)
			}
		}
	}
	if strings.Contains(up.URI, r.pc.key) || strings.Contains(string(up.Body), r.pc.key) {
		t.Errorf("the upstream key was sent in the URL or body")
	}
}

func (r *providerRun) authHeader(h string) bool {
	for k := range r.pc.auth {
		if strings.EqualFold(k, h) {
			return true
		}
	}
	return false
}

// checkChatRequest checks the upstream request of "Say hello".
func (r *providerRun) checkChatRequest(t *testing.T, up upstreamRequest, stream bool) {
	t.Helper()
	if want := r.pc.chatURI(stream); up.Method != http.MethodPost || up.URI != want {
		t.Errorf("upstream %s %s, want POST %s", up.Method, up.URI, want)
	}
	r.checkUpstreamAuth(t, up)
	extra := r.pc.plainBody
	if stream {
		extra = r.pc.streamBody
	}
	for _, m := range []map[string]any{r.pc.body, extra} {
		for path, want := range m {
			got := gjson.GetBytes(up.Body, path)
			if want == absent {
				if got.Exists() {
					t.Errorf("upstream body has %s = %s, want none", path, got.Raw)
				}
				continue
			}
			w, _ := json.Marshal(want)
			if !sameJSON(got.Raw, string(w)) {
				t.Errorf("upstream body %s = %s, want %s", path, got.Raw, w)
			}
		}
	}
}

// checkToolRequest checks the tool declaration reached the upstream in its format.
func (r *providerRun) checkToolRequest(t *testing.T, up upstreamRequest) {
	t.Helper()
	r.checkUpstreamAuth(t, up)
	got := gjson.GetBytes(up.Body, r.pc.tool)
	if want := r.pc.wantTool(scriptTool, weatherDescription, weatherSchema); !sameJSON(got.Raw, want) {
		t.Errorf("upstream tool %s = %s, want %s", r.pc.tool, got.Raw, want)
	}
}

// expectLog notes the log row a request must have left.
func (r *providerRun) expectLog(hr *http.Response, w wantLog) {
	if hr == nil {
		return
	}
	w.id = hr.Header.Get("x-request-id")
	if w.attempts == 0 {
		w.attempts = 1
	}
	if w.alias == "" {
		w.alias, w.model = chatAlias, r.pc.model
	}
	if w.model == "" {
		w.model = r.pc.model
	}
	r.logs = append(r.logs, w)
}

// checkLogs checks the log row of every request made.
func (r *providerRun) checkLogs(t *testing.T) {
	rows := map[string]map[string]any{}
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, row := range r.e.requestLogs(len(r.logs)) {
			rows[row["id"].(string)] = row
		}
		missing := 0
		for _, w := range r.logs {
			if rows[w.id] == nil {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, w := range r.logs {
		row := rows[w.id]
		if row == nil {
			t.Errorf("%s: no log row %q", w.what, w.id)
			continue
		}
		num := func(k string) float64 { f, _ := row[k].(float64); return f }
		switch {
		case row["provider_id"] != r.pid || row["alias"] != w.alias || row["provider_model"] != w.model:
			t.Errorf("%s: logged provider %v alias %v model %v, want %s %s %s", w.what, row["provider_id"], row["alias"],
				row["provider_model"], r.pid, w.alias, w.model)
		case num("status") != float64(w.status) || row["error_code"] != w.code || row["stream"] != w.stream:
			t.Errorf("%s: logged status %v error_code %v stream %v, want %d %q %v", w.what, row["status"], row["error_code"],
				row["stream"], w.status, w.code, w.stream)
		case w.estimated && (num("prompt_tokens") <= 0 || num("completion_tokens") != 0 || row["estimated"] != true):
			t.Errorf("%s: logged tokens %v+%v (estimated %v), want Conduit's own count, marked estimated", w.what,
				row["prompt_tokens"], row["completion_tokens"], row["estimated"])
		case !w.estimated && (num("prompt_tokens") != float64(w.prompt) || num("completion_tokens") != float64(w.completion) || row["estimated"] != false):
			t.Errorf("%s: logged tokens %v+%v (estimated %v), want the upstream's %d+%d", w.what, row["prompt_tokens"],
				row["completion_tokens"], row["estimated"], w.prompt, w.completion)
		case num("attempts") != float64(w.attempts):
			t.Errorf("%s: logged %v attempts, want %d", w.what, row["attempts"], w.attempts)
		}
		// Every model here has a shipped price: tokens cost something, failures nothing.
		cost, ok := row["cost"].(float64)
		tokens := num("prompt_tokens") + num("completion_tokens")
		if !ok || cost < 0 || (cost > 0) != (w.status == 200 && tokens > 0) {
			t.Errorf("%s: logged cost %v for status %d and %v tokens", w.what, row["cost"], w.status, tokens)
		}
	}
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
