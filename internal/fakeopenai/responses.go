package fakeopenai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// responses answers a Responses API request: the reply text, or a get_weather function call
// when tools are offered and the last input item is not a function's output. Objects keep
// the key order OpenAI sends ("type" and "sequence_number" first), and a stream is OpenAI's
// event sequence for one output item, flushed event by event. A streamed text is cut, stalled
// or failed where the script says (a part per word).
// textPart, messageItem and functionItem are the output pieces of a Responses answer.
func textPart(text string) obj {
	return obj{{"type", "output_text"}, {"annotations", []any{}}, {"logprobs", []any{}}, {"text", text}}
}

func messageItem(status string, content []any) obj {
	return obj{{"id", "msg_fake1"}, {"type", "message"}, {"status", status}, {"content", content}, {"role", "assistant"}}
}

func functionItem(status, args string) obj {
	return obj{{"id", "fc_fake1"}, {"type", "function_call"}, {"status", status}, {"arguments", args},
		{"call_id", "call_abc123"}, {"name", "get_weather"}}
}

func (s *Server) responses(w http.ResponseWriter, r *http.Request, model string, body map[string]any, sc Script) {
	if msg := s.unknownRef(body); msg != "" {
		writeError(w, http.StatusNotFound, "invalid_request_error", "not_found", msg)
		return
	}
	in, _ := json.Marshal(body["input"])
	pt := len(in)/4 + 1
	words := strings.SplitAfter(s.Reply, " ")
	ct := len(words)
	_, call := body["tools"].([]any)
	if items, ok := body["input"].([]any); ok && len(items) > 0 {
		if last, _ := items[len(items)-1].(map[string]any); last["type"] == "function_call_output" {
			call = false
		}
	}
	item := messageItem("completed", []any{textPart(s.Reply)})
	if call {
		item = functionItem("completed", `{"city":"Paris"}`)
	}
	id := fmt.Sprintf("resp_fake%d", s.served.Load())
	s.mu.Lock()
	s.minted[id] = true
	s.mu.Unlock()
	echo := echoedRequest(body)
	resp := func(status string, output []any, usage any) obj {
		return obj{{"id", id}, {"object", "response"}, {"created_at", 1700000000}, {"status", status},
			{"error", nil}, {"incomplete_details", nil}, {"instructions", echo.get("instructions", nil)},
			{"max_output_tokens", echo.get("max_output_tokens", nil)}, {"model", model}, {"output", output},
			{"parallel_tool_calls", echo.get("parallel_tool_calls", true)},
			{"previous_response_id", echo.get("previous_response_id", nil)},
			{"reasoning", obj{{"effort", nil}, {"summary", nil}}}, {"store", echo.get("store", true)},
			{"temperature", echo.get("temperature", 1.0)}, {"text", obj{{"format", obj{{"type", "text"}}}}},
			{"tool_choice", echo.get("tool_choice", "auto")}, {"tools", echo.get("tools", []any{})},
			{"top_p", echo.get("top_p", 1.0)}, {"truncation", echo.get("truncation", "disabled")}, {"usage", usage},
			{"user", echo.get("user", nil)}, {"metadata", echo.get("metadata", obj{})}}
	}
	usage := obj{{"input_tokens", pt}, {"input_tokens_details", obj{{"cached_tokens", 0}}},
		{"output_tokens", ct}, {"output_tokens_details", obj{{"reasoning_tokens", 0}}}, {"total_tokens", pt + ct}}
	if stream, _ := body["stream"].(bool); !stream {
		writeJSON(w, resp("completed", []any{item}, usage))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl, _ := w.(http.Flusher)
	seq := 0
	send := func(typ string, fields ...field) {
		b, _ := json.Marshal(append(obj{{"type", typ}, {"sequence_number", seq}}, fields...))
		seq++
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, b)
		if fl != nil {
			fl.Flush()
		}
	}
	send("response.created", field{"response", resp("in_progress", []any{}, nil)})
	send("response.in_progress", field{"response", resp("in_progress", []any{}, nil)})
	at := func(more ...field) []field {
		return append([]field{{"item_id", item[0].v}, {"output_index", 0}}, more...)
	}
	if call {
		send("response.output_item.added", field{"output_index", 0}, field{"item", functionItem("in_progress", "")})
		for _, part := range []string{`{"city"`, `:"Paris"}`} {
			send("response.function_call_arguments.delta", at(field{"delta", part})...)
		}
		send("response.function_call_arguments.done", at(field{"arguments", `{"city":"Paris"}`})...)
	} else {
		send("response.output_item.added", field{"output_index", 0}, field{"item", messageItem("in_progress", []any{})})
		send("response.content_part.added", at(field{"content_index", 0}, field{"part", textPart("")})...)
		if !streamParts(w, r, len(words), sc, func(i int) {
			send("response.output_text.delta", at(field{"content_index", 0}, field{"delta", words[i]}, field{"logprobs", []any{}})...)
		}, func() {
			send("error", field{"code", "server_error"}, field{"message", "The server had an error while processing your request."}, field{"param", nil})
		}) {
			return
		}
		send("response.output_text.done", at(field{"content_index", 0}, field{"text", s.Reply}, field{"logprobs", []any{}})...)
		send("response.content_part.done", at(field{"content_index", 0}, field{"part", textPart(s.Reply)})...)
	}
	send("response.output_item.done", field{"output_index", 0}, field{"item", item})
	send("response.completed", field{"response", resp("completed", []any{item}, usage)})
	if sc.NoDone {
		hangUp(w, false) // no reset: that would drop the events still unread
	}
}

// echoedRequest is the request body whose settings a response object repeats, as OpenAI's
// does: instructions, sampling, tools, previous_response_id and the rest.
type echoedRequest map[string]any

// get is the request's value of k, or def when the request has none (or null).
func (e echoedRequest) get(k string, def any) any {
	if v, ok := e[k]; ok && v != nil {
		return v
	}
	return def
}

// obj is a JSON object that keeps its keys in order.
type obj []field

type field struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(f.k)
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// completions answers a legacy text completion with the reply, whole or one chunk per word.
func (s *Server) completions(w http.ResponseWriter, body map[string]any) {
	model, _ := body["model"].(string)
	p, _ := json.Marshal(body["prompt"])
	pt, words := len(p)/4+1, strings.SplitAfter(s.Reply, " ")
	usage := map[string]any{"prompt_tokens": pt, "completion_tokens": len(words), "total_tokens": pt + len(words)}
	obj := func(text string, finish any) map[string]any {
		return map[string]any{"id": "cmpl-fake1", "object": "text_completion", "created": 1700000000, "model": model,
			"choices": []any{map[string]any{"text": text, "index": 0, "logprobs": nil, "finish_reason": finish}}}
	}
	if stream, _ := body["stream"].(bool); !stream {
		out := obj(s.Reply, "stop")
		out["usage"] = usage
		writeJSON(w, out)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	for i, word := range words {
		var finish any
		if i == len(words)-1 {
			finish = "stop"
		}
		b, _ := json.Marshal(obj(word, finish))
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	if so, _ := body["stream_options"].(map[string]any); so["include_usage"] == true {
		b, _ := json.Marshal(map[string]any{"id": "cmpl-fake1", "object": "text_completion", "created": 1700000000,
			"model": model, "choices": []any{}, "usage": usage})
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// unknownRef is OpenAI's answer to a request naming a response or an item this server did not
// make ("" when it names none): it knows only its own.
func (s *Server) unknownRef(body map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, _ := body["previous_response_id"].(string); prev != "" && !s.minted[prev] {
		return fmt.Sprintf("Previous response with id '%s' not found.", prev)
	}
	items, _ := body["input"].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["id"].(string)
		if id != "" && id != "msg_fake1" && id != "fc_fake1" {
			return fmt.Sprintf("Item with id '%s' not found.", id)
		}
	}
	return ""
}
