// Package fakeopenai is a scriptable upstream that speaks OpenAI's wire format, for tests,
// end-to-end runs and benchmarks. It answers chat completions (whole and streamed), embeddings,
// image generations and the model list, and can be told to fail, stall or cut streams. It also
// answers Anthropic's Messages API (/v1/messages) in Anthropic's wire format, with the same
// scripts.
package fakeopenai

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Script changes how the next requests are answered. Zero values mean "behave normally".
type Script struct {
	// FailStatus, with FailTimes > 0, answers that many requests with this status.
	FailStatus int
	FailTimes  int
	RetryAfter string // Retry-After header on failures
	// RetryAfterMS is the retry-after-ms header on failures (OpenAI's, in milliseconds).
	RetryAfterMS string
	// FailCode is the error code of scripted failures (e.g. "content_filter").
	FailCode string
	// ResetTimes resets the connection of that many requests before any response.
	ResetTimes int
	// FirstChunkDelay holds a stream's first chunk back (the headers go out at once).
	FirstChunkDelay time.Duration
	// MalformedAfter sends one event that is not JSON after this many content chunks.
	MalformedAfter int
	// NoDone ends an otherwise complete stream without its end marker: "data: [DONE]" (chat),
	// message_stop (Anthropic Messages); a Responses stream, which ends with its terminal
	// event, has its connection closed right after that, its chunked body unfinished.
	NoDone bool
	// CacheRead is the prompt tokens an Anthropic Messages answer reads from the prompt cache
	// (cache_read_input_tokens, in message_start and message_delta).
	CacheRead int
	// TextWithTools answers in text even when the request offers tools.
	TextWithTools bool
	// ContextWindow refuses a request whose prompt is longer than this many tokens with 400
	// context_length_exceeded.
	ContextWindow int
	// RejectPrefill refuses a request that ends with an assistant message (400
	// invalid_prefill); otherwise such a request is answered with the rest of Reply after
	// the assistant's text (a continuation).
	RejectPrefill bool
	// CutAfter cuts a stream after this many content chunks (no [DONE]).
	CutAfter int
	// ErrorEventAfter sends an error event after this many content chunks.
	ErrorEventAfter int
	// Latency delays every answer.
	Latency time.Duration
	// StallAfter, with StallFor, goes quiet for StallFor after this many content chunks.
	StallAfter int
	StallFor   time.Duration
	// NoStreamUsage leaves out the usage chunk even when asked for.
	NoStreamUsage bool
	// ToolCalls is how many get_weather calls an answer to a request offering tools makes
	// (default one). Streamed, each call is three parts for CutAfter, StallAfter and
	// ErrorEventAfter: its opening with the name, then two pieces of its arguments; so
	// CutAfter 3 cuts between the first and the second call, 4 or 5 inside the second.
	ToolCalls int
}

// Request is what the fake saw of one request.
type Request struct {
	Path   string
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// Server is an http.Handler. Configure it with Set; inspect Requests.
type Server struct {
	// Reply is the assistant text (default "Hello from the fake upstream!").
	Reply string
	// Chunks is how many content chunks a stream has (default: one per word).
	APIKey string // when set, requests must carry "Bearer <APIKey>" or api-key
	// KeepRequests records requests for Requests() (default true; off for benchmarks).
	KeepRequests bool

	mu       sync.Mutex
	script   Script
	requests []Request
	minted   map[string]bool // the ids of the responses made
	served   atomic.Int64
}

// New returns a fake upstream that requires apiKey (none when empty).
func New(apiKey string) *Server {
	return &Server{APIKey: apiKey, Reply: "Hello from the fake upstream!", KeepRequests: true, minted: map[string]bool{}}
}

// Set replaces the script.
func (s *Server) Set(sc Script) {
	s.mu.Lock()
	s.script = sc
	s.mu.Unlock()
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Served is the number of requests answered.
func (s *Server) Served() int64 { return s.served.Load() }

// takeScript returns the script for this request, consuming one failure.
func (s *Server) takeScript() (sc Script, reset, fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc = s.script
	if s.script.ResetTimes > 0 {
		s.script.ResetTimes--
		return sc, true, false
	}
	if s.script.FailTimes > 0 {
		s.script.FailTimes--
		return sc, false, true
	}
	return sc, false, false
}

// hangUp closes the connection under a handler without answering further: with reset, a TCP
// reset (which also discards what the client has not read yet), else an orderly close after
// what was sent.
func hangUp(w http.ResponseWriter, reset bool) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(interface{ SetLinger(int) error }); ok && reset {
				_ = tc.SetLinger(0)
			}
			conn.Close()
		}
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.served.Add(1)
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	s.mu.Lock()
	if s.KeepRequests && len(s.requests) < 10_000 {
		s.requests = append(s.requests, Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Raw: raw})
	}
	s.mu.Unlock()

	if s.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.APIKey && r.Header.Get("api-key") != s.APIKey &&
		r.Header.Get("x-api-key") != s.APIKey {
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
		return
	}
	sc, reset, fail := s.takeScript()
	if reset {
		hangUp(w, true)
		return
	}
	if sc.Latency > 0 {
		select {
		case <-time.After(sc.Latency):
		case <-r.Context().Done():
			return
		}
	}
	if fail {
		if sc.RetryAfter != "" {
			w.Header().Set("Retry-After", sc.RetryAfter)
		}
		if sc.RetryAfterMS != "" {
			w.Header().Set("Retry-After-Ms", sc.RetryAfterMS)
		}
		typ := "server_error"
		if sc.FailStatus < 500 {
			typ = "invalid_request_error"
		}
		writeError(w, sc.FailStatus, typ, sc.FailCode, fmt.Sprintf("scripted failure %d", sc.FailStatus))
		return
	}
	model, _ := body["model"].(string)
	if model == "" && needsModel(r.URL.Path) {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "you must provide a model parameter")
		return
	}
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/models"):
		writeJSON(w, map[string]any{"object": "list", "data": []map[string]any{
			{"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
			{"id": "text-embedding-3-small", "object": "model", "created": 1705948997, "owned_by": "system"},
			// A model no shipped price row matches, as a self-hosted one would be.
			{"id": "fake-local-7b", "object": "model", "created": 1721172741, "owned_by": "local"},
		}})
	case strings.HasSuffix(r.URL.Path, "/chat/completions"):
		s.chat(w, r, model, body, sc)
	case strings.HasSuffix(r.URL.Path, "/v1/messages"):
		s.messages(w, r, model, body, sc)
	case strings.HasSuffix(r.URL.Path, "/completions") && !strings.HasSuffix(r.URL.Path, "/chat/completions"):
		s.completions(w, body)
	case strings.HasSuffix(r.URL.Path, "/responses"):
		s.responses(w, r, model, body, sc)
	case strings.HasSuffix(r.URL.Path, "/embeddings"):
		s.embeddings(w, body)
	case strings.HasSuffix(r.URL.Path, "/moderations"):
		s.moderations(w, model, body)
	case strings.HasSuffix(r.URL.Path, "/rerank"):
		s.rerank(w, body)
	case strings.HasSuffix(r.URL.Path, "/audio/transcriptions"), strings.HasSuffix(r.URL.Path, "/audio/translations"):
		s.transcribe(w, r, raw, strings.HasSuffix(r.URL.Path, "/translations"))
	case strings.HasSuffix(r.URL.Path, "/audio/speech"):
		s.speech(w, body, sc)
	case strings.HasSuffix(r.URL.Path, "/images/generations"):
		writeJSON(w, map[string]any{"created": 1700000000, "data": []map[string]any{{"url": "https://example.invalid/image.png", "revised_prompt": "a cat"}}})
	default:
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url", "Unknown request URL: "+r.URL.Path)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	var c any
	if code != "" {
		c = code
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c}})
}

// promptTokens is a deterministic stand-in for tokenisation: 1 token per 4 bytes of messages.
func promptTokens(body map[string]any) int {
	b, _ := json.Marshal(body["messages"])
	return len(b)/4 + 1
}

// chatTurn is what one chat request asks of the fake.
type chatTurn struct {
	model     string
	reply     string
	pt, ct    int      // prompt and completion tokens
	words     []string // the reply, a word per content chunk
	wantTools bool     // answer with get_weather tool calls
	calls     []toolCall
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, model string, body map[string]any, sc Script) {
	msgs, ok := body["messages"].([]any)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "'messages' is a required property")
		return
	}
	t := chatTurn{model: model, pt: promptTokens(body), reply: s.Reply}
	if sc.ContextWindow > 0 && t.pt > sc.ContextWindow {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "context_length_exceeded",
			fmt.Sprintf("This model's maximum context length is %d tokens. However, your messages resulted in %d tokens.", sc.ContextWindow, t.pt))
		return
	}
	done := 0 // tool calls the prefill holds
	if prefix, calls, ok := prefill(msgs); ok {
		if sc.RejectPrefill {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_prefill",
				"This model does not support assistant message prefill.")
			return
		}
		t.reply = strings.TrimPrefix(t.reply, prefix) // the rest of the known answer
		done = calls
	}
	t.words = strings.SplitAfter(t.reply, " ")
	t.ct = len(t.words)
	_, t.wantTools = body["tools"].([]any)
	if len(msgs) > 0 {
		if last, _ := msgs[len(msgs)-1].(map[string]any); last["role"] == "tool" {
			t.wantTools = false // the tool answered: the model replies in text
		}
	}
	t.calls = toolCalls(sc.ToolCalls, done)
	if stream, _ := body["stream"].(bool); stream {
		includeUsage := false
		if so, ok := body["stream_options"].(map[string]any); ok {
			includeUsage, _ = so["include_usage"].(bool)
		}
		s.chatStream(w, r, t, includeUsage && !sc.NoStreamUsage, sc)
		return
	}
	msg := map[string]any{"role": "assistant", "content": t.reply, "refusal": nil}
	finish := "stop"
	if t.wantTools {
		var calls []map[string]any
		for _, c := range t.calls {
			calls = append(calls, map[string]any{"id": c.id, "type": "function",
				"function": map[string]any{"name": "get_weather", "arguments": c.arguments()}})
		}
		msg = map[string]any{"role": "assistant", "content": nil, "tool_calls": calls}
		finish = "tool_calls"
	}
	writeJSON(w, map[string]any{
		"id": "chatcmpl-fake1", "object": "chat.completion", "created": 1700000000, "model": model,
		"choices":            []map[string]any{{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
		"usage":              map[string]any{"prompt_tokens": t.pt, "completion_tokens": t.ct, "total_tokens": t.pt + t.ct, "prompt_tokens_details": map[string]any{"cached_tokens": 0}},
		"system_fingerprint": "fp_fake",
	})
}

// events writes a stream's server-sent events, each flushed at once.
type events struct {
	w     http.ResponseWriter
	fl    http.Flusher
	model string
	usage json.RawMessage // each chunk's usage: null when the request asked for usage, as OpenAI sends it
}

func (e events) send(v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(e.w, "data: %s\n\n", b)
	if e.fl != nil {
		e.fl.Flush()
	}
}

// chunk sends a chat.completion.chunk with one choice.
func (e events) chunk(delta map[string]any, finish any) {
	e.send(chatChunk{ID: "chatcmpl-fake1", Object: "chat.completion.chunk", Created: 1700000000,
		Model: e.model, SystemFingerprint: "fp_fake",
		Choices: []chunkChoice{{Index: 0, Delta: delta, FinishReason: finish}}, Usage: e.usage})
}

// chatChunk is a chat.completion.chunk with its fields in the order OpenAI sends them: a
// proxy reading them sees what it would see from OpenAI.
type chatChunk struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint string          `json:"system_fingerprint"`
	Choices           []chunkChoice   `json:"choices"`
	Usage             json.RawMessage `json:"usage,omitempty"` // null or the counts; none when not asked for
}

type chunkChoice struct {
	Index        int            `json:"index"`
	Delta        map[string]any `json:"delta"`
	Logprobs     any            `json:"logprobs"`
	FinishReason any            `json:"finish_reason"`
}

func (s *Server) chatStream(w http.ResponseWriter, r *http.Request, t chatTurn, includeUsage bool, sc Script) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	ev := events{w: w, fl: fl, model: t.model}
	if includeUsage {
		ev.usage = json.RawMessage("null")
	}
	if sc.FirstChunkDelay > 0 {
		if fl != nil {
			fl.Flush() // the headers
		}
		select {
		case <-time.After(sc.FirstChunkDelay):
		case <-r.Context().Done():
			return
		}
	}
	ev.chunk(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil)
	finish := "stop"
	if t.wantTools {
		finish = "tool_calls"
		send := func(i int) {
			c, part := t.calls[i/3], i%3
			tc := map[string]any{"index": i / 3, "function": map[string]any{"arguments": ""}}
			if part == 0 {
				tc["id"], tc["type"], tc["function"] = c.id, "function", map[string]any{"name": "get_weather", "arguments": ""}
			} else {
				tc["function"] = map[string]any{"arguments": c.argParts()[part-1]}
			}
			ev.chunk(map[string]any{"tool_calls": []map[string]any{tc}}, nil)
		}
		if !streamParts(w, r, 3*len(t.calls), sc, send, ev.failEvent) {
			return
		}
	} else if !streamWords(ev, r, t.words, sc) {
		return
	}
	ev.chunk(map[string]any{}, finish)
	if includeUsage {
		ev.send(chatChunk{ID: "chatcmpl-fake1", Object: "chat.completion.chunk", Created: 1700000000,
			Model: t.model, SystemFingerprint: "fp_fake", Choices: []chunkChoice{},
			Usage: fmt.Appendf(nil, `{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`, t.pt, t.ct, t.pt+t.ct)})
	}
	if !sc.NoDone {
		fmt.Fprint(w, "data: [DONE]\n\n")
	}
	if fl != nil {
		fl.Flush()
	}
}

// prefill returns the text and the number of tool calls of a trailing assistant message:
// the request asks for the answer to be continued from it.
func prefill(msgs []any) (text string, calls int, ok bool) {
	if len(msgs) == 0 {
		return "", 0, false
	}
	last, _ := msgs[len(msgs)-1].(map[string]any)
	if last["role"] != "assistant" {
		return "", 0, false
	}
	text, _ = last["content"].(string)
	tc, _ := last["tool_calls"].([]any)
	return text, len(tc), true
}

// weatherCities are the cities an answer's get_weather calls ask about, in order.
var weatherCities = []string{"Paris", "Tokyo", "Lima", "Oslo"}

// toolCall is one get_weather call of an answer.
type toolCall struct{ id, city string }

func (c toolCall) arguments() string { return `{"city":"` + c.city + `"}` }

// argParts are the two pieces a call's arguments stream in.
func (c toolCall) argParts() [2]string { return [2]string{`{"city"`, `:"` + c.city + `"}`} }

// toolCalls returns the calls of an answer of n calls (at least one, at most one per city)
// after the first done, which the request's prefill holds already.
func toolCalls(n, done int) []toolCall {
	n = min(max(n, 1), len(weatherCities))
	var out []toolCall
	for i := done; i < n; i++ {
		id := "call_abc123"
		if i > 0 {
			id = fmt.Sprintf("call_abc123_%d", i)
		}
		out = append(out, toolCall{id: id, city: weatherCities[i]})
	}
	return out
}

// streamWords sends a content chunk per word, cutting, stalling or failing where the script
// says. It reports whether the stream goes on to its end.
func streamWords(ev events, r *http.Request, words []string, sc Script) bool {
	return streamParts(ev.w, r, len(words), sc, func(i int) { ev.chunk(map[string]any{"content": words[i]}, nil) }, ev.failEvent)
}

// failEvent sends OpenAI's mid-stream error event.
func (e events) failEvent() {
	e.send(map[string]any{"error": map[string]any{"message": "The server had an error while processing your request.", "type": "server_error"}})
}

// streamParts sends the n parts of an answer (words, or tool-call pieces) with send, cutting,
// stalling or sending the error event (fail) before the part the script names. It reports
// whether the stream goes on to its end.
func streamParts(w http.ResponseWriter, r *http.Request, n int, sc Script, send func(i int), fail func()) bool {
	for i := range n {
		if sc.CutAfter > 0 && i == sc.CutAfter {
			hangUp(w, false)
			return false
		}
		if sc.MalformedAfter > 0 && i == sc.MalformedAfter {
			fmt.Fprint(w, "data: {\"id\":\"chatcmpl-fake1\",\"choices\":[{\"delta\":\n\n")
		}
		if sc.StallAfter > 0 && i == sc.StallAfter {
			select {
			case <-time.After(sc.StallFor):
			case <-r.Context().Done():
				return false
			}
		}
		if sc.ErrorEventAfter > 0 && i == sc.ErrorEventAfter {
			fail()
			return false
		}
		send(i)
	}
	return true
}

func (s *Server) embeddings(w http.ResponseWriter, body map[string]any) {
	inputs := inputList(body["input"], func(v any) (string, bool) { return fmt.Sprint(v), true })
	base64Format := body["encoding_format"] == "base64"
	data := make([]map[string]any, len(inputs))
	tokens := 0
	for i, in := range inputs {
		vec := []float32{0.1, -0.2, 0.3, float32(len(in))}
		var emb any = vec
		if base64Format {
			buf := make([]byte, 4*len(vec))
			for j, f := range vec {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(f))
			}
			emb = base64.StdEncoding.EncodeToString(buf)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
		tokens += len(in)/4 + 1
	}
	writeJSON(w, map[string]any{"object": "list", "data": data, "model": body["model"],
		"usage": map[string]any{"prompt_tokens": tokens, "total_tokens": tokens}})
}
