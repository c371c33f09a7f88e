package fakeopenai

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// messages answers an Anthropic Messages request (/v1/messages) in Anthropic's wire format,
// whole or streamed as named events (message_start, content blocks with their deltas,
// message_delta, message_stop; an error event where the script says). Offered tools, it
// answers with get_weather tool_use blocks, else with the reply. A request that ends with an
// assistant message is a prefill: it is answered with the rest of the answer after it (the
// reply's rest after the prefilled text, the tool calls after those prefilled), or refused
// with RejectPrefill.
func (s *Server) messages(w http.ResponseWriter, r *http.Request, model string, body map[string]any, sc Script) {
	msgs, _ := body["messages"].([]any)
	if model == "" || len(msgs) == 0 {
		anthropicError(w, http.StatusBadRequest, "invalid_request_error", "model and messages: Field required")
		return
	}
	t := chatTurn{model: model, pt: promptTokens(body), reply: s.Reply}
	done := 0
	if prefix, calls, ok := messagesPrefill(msgs); ok {
		if sc.RejectPrefill {
			anthropicError(w, http.StatusBadRequest, "invalid_request_error", "This model does not support assistant message prefill.")
			return
		}
		t.reply, done = strings.TrimPrefix(t.reply, prefix), calls
	}
	_, t.wantTools = body["tools"].([]any)
	t.wantTools = t.wantTools && !sc.TextWithTools
	if last, _ := msgs[len(msgs)-1].(map[string]any); strings.Contains(fmt.Sprint(last["content"]), "tool_result") {
		t.wantTools = false // the tool answered: the model replies in text
	}
	t.calls = toolCalls(sc.ToolCalls, done)
	t.words = strings.SplitAfter(t.reply, " ")
	t.ct = len(t.words)
	var blocks []map[string]any
	stop := "end_turn"
	if t.wantTools {
		stop = "tool_use"
		for _, c := range t.calls {
			blocks = append(blocks, map[string]any{"type": "tool_use", "id": c.anthropicID(), "name": "get_weather",
				"input": map[string]any{"city": c.city}})
		}
	} else {
		blocks = []map[string]any{{"type": "text", "text": t.reply}}
	}
	msg := map[string]any{"id": "msg_fake1", "type": "message", "role": "assistant", "model": model, "content": blocks,
		"stop_reason": stop, "stop_sequence": nil, "usage": messagesUsage(t.pt, sc.CacheRead, t.ct)}
	if stream, _ := body["stream"].(bool); stream {
		s.messagesStream(w, r, t, msg, sc)
		return
	}
	writeJSON(w, anthropicOrder(msg))
}

// anthropicKeys is the order Anthropic writes the keys of its messages, blocks and events in
// (a message puts its id first); others follow in alphabetical order.
var anthropicKeys = []string{"type", "index", "id", "role", "model", "content", "content_block", "delta",
	"name", "input", "text", "partial_json", "stop_reason", "stop_sequence", "usage", "error", "message",
	"input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens"}

// anthropicOrder is v with the keys of its objects, at every depth, in Anthropic's order: a
// client reading them sees what it would see from Anthropic ("type" first).
func anthropicOrder(v any) any {
	switch v := v.(type) {
	case map[string]any:
		rank := func(k string) int {
			if k == "id" && v["type"] == "message" {
				return -1 // a message begins with its id
			}
			if i := slices.Index(anthropicKeys, k); i >= 0 {
				return i
			}
			return len(anthropicKeys)
		}
		keys := slices.SortedFunc(maps.Keys(v), func(a, b string) int {
			return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
		})
		o := make(obj, 0, len(keys))
		for _, k := range keys {
			o = append(o, field{k, anthropicOrder(v[k])})
		}
		return o
	case []map[string]any:
		return anthropicOrderAll(v)
	case []any:
		return anthropicOrderAll(v)
	}
	return v
}

// anthropicOrderAll is anthropicOrder of each of xs.
func anthropicOrderAll[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = anthropicOrder(x)
	}
	return out
}

// messagesPrefill returns the text and the number of tool_use blocks of a trailing assistant
// message (content a string or a list of blocks).
func messagesPrefill(msgs []any) (text string, calls int, ok bool) {
	last, _ := msgs[len(msgs)-1].(map[string]any)
	if last["role"] != "assistant" {
		return "", 0, false
	}
	switch c := last["content"].(type) {
	case string:
		return c, 0, true
	case []any:
		for _, b := range c {
			b, _ := b.(map[string]any)
			switch b["type"] {
			case "text":
				s, _ := b["text"].(string)
				text += s
			case "tool_use":
				calls++
			}
		}
	}
	return text, calls, true
}

// anthropicID is the call's id as Anthropic names tool calls.
func (c toolCall) anthropicID() string { return strings.Replace(c.id, "call_", "toolu_", 1) }

// anthropicEvents writes Anthropic's named server-sent events, each flushed at once.
type anthropicEvents struct{ events }

func (e anthropicEvents) send(v map[string]any) {
	b, _ := json.Marshal(anthropicOrder(v))
	fmt.Fprintf(e.w, "event: %s\ndata: %s\n\n", v["type"], b)
	if e.fl != nil {
		e.fl.Flush()
	}
}

// failEvent is Anthropic's mid-stream error event.
func (e anthropicEvents) failEvent() {
	e.send(map[string]any{"type": "error", "error": map[string]any{"type": "overloaded_error", "message": "Overloaded"}})
}

func (e anthropicEvents) block(typ string, index int, extra map[string]any) {
	v := map[string]any{"type": typ, "index": index}
	for k, x := range extra {
		v[k] = x
	}
	e.send(v)
}

// messagesStream streams msg: a text block with a delta per word, or a tool_use block per call
// with its input in two input_json_delta pieces (the parts of Script.ToolCalls).
func (s *Server) messagesStream(w http.ResponseWriter, r *http.Request, t chatTurn, msg map[string]any, sc Script) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	ev := anthropicEvents{events{w: w, fl: fl, model: t.model}}
	start := map[string]any{}
	for k, v := range msg {
		start[k] = v
	}
	start["content"], start["stop_reason"] = []any{}, nil
	start["usage"] = messagesUsage(t.pt, sc.CacheRead, 1)
	ev.send(map[string]any{"type": "message_start", "message": start})
	ev.send(map[string]any{"type": "ping"})
	var send func(i int)
	n := len(t.words)
	if t.wantTools {
		n = 3 * len(t.calls)
		send = func(i int) {
			c, part := t.calls[i/3], i%3
			if part == 0 {
				ev.block("content_block_start", i/3, map[string]any{"content_block": map[string]any{
					"type": "tool_use", "id": c.anthropicID(), "name": "get_weather", "input": map[string]any{}}})
				return
			}
			ev.block("content_block_delta", i/3, map[string]any{"delta": map[string]any{"type": "input_json_delta", "partial_json": c.argParts()[part-1]}})
			if part == 2 {
				ev.block("content_block_stop", i/3, nil)
			}
		}
	} else {
		ev.block("content_block_start", 0, map[string]any{"content_block": map[string]any{"type": "text", "text": ""}})
		send = func(i int) {
			ev.block("content_block_delta", 0, map[string]any{"delta": map[string]any{"type": "text_delta", "text": t.words[i]}})
		}
	}
	if !streamParts(w, r, n, sc, send, ev.failEvent) {
		return
	}
	if !t.wantTools {
		ev.block("content_block_stop", 0, nil)
	}
	// Like Anthropic's, message_delta's usage is cumulative: the prompt's counts too.
	ev.send(map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": msg["stop_reason"], "stop_sequence": nil},
		"usage": messagesUsage(t.pt, sc.CacheRead, t.ct)})
	if !sc.NoDone {
		ev.send(map[string]any{"type": "message_stop"})
	}
}

// messagesUsage is Anthropic's usage object: input_tokens are the prompt tokens not read from
// the cache.
func messagesUsage(pt, cacheRead, out int) map[string]any {
	return map[string]any{"input_tokens": pt - min(cacheRead, pt), "cache_read_input_tokens": min(cacheRead, pt),
		"cache_creation_input_tokens": 0, "output_tokens": out}
}

// anthropicError writes an error in Anthropic's shape.
func anthropicError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}})
}
