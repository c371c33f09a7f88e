package fakeopenai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// responses answers a Responses API request: the reply text, or a get_weather function call
// when tools are offered and the last input item is not a function's output.
func (s *Server) responses(w http.ResponseWriter, model string, body map[string]any) {
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
	item := map[string]any{"id": "msg_fake1", "type": "message", "status": "completed", "role": "assistant",
		"content": []any{map[string]any{"type": "output_text", "text": s.Reply, "annotations": []any{}}}}
	if call {
		item = map[string]any{"id": "fc_fake1", "type": "function_call", "status": "completed", "call_id": "call_abc123",
			"name": "get_weather", "arguments": `{"city":"Paris"}`}
	}
	id := fmt.Sprintf("resp_fake%d", s.served.Load())
	s.mu.Lock()
	s.minted[id] = true
	s.mu.Unlock()
	resp := func(status string, output []any, usage any) map[string]any {
		return map[string]any{"id": id, "object": "response", "created_at": 1700000000, "status": status,
			"error": nil, "incomplete_details": nil, "model": model, "output": output, "usage": usage,
			"parallel_tool_calls": true, "tool_choice": "auto", "tools": []any{}, "store": true}
	}
	usage := map[string]any{"input_tokens": pt, "input_tokens_details": map[string]any{"cached_tokens": 0},
		"output_tokens": ct, "output_tokens_details": map[string]any{"reasoning_tokens": 0}, "total_tokens": pt + ct}
	if stream, _ := body["stream"].(bool); !stream {
		writeJSON(w, resp("completed", []any{item}, usage))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl, _ := w.(http.Flusher)
	seq := 0
	send := func(v map[string]any) {
		v["sequence_number"] = seq
		seq++
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", v["type"], b)
		if fl != nil {
			fl.Flush()
		}
	}
	send(map[string]any{"type": "response.created", "response": resp("in_progress", []any{}, nil)})
	send(map[string]any{"type": "response.in_progress", "response": resp("in_progress", []any{}, nil)})
	if call {
		send(map[string]any{"type": "response.output_item.added", "output_index": 0, "item": map[string]any{
			"id": "fc_fake1", "type": "function_call", "status": "in_progress", "call_id": "call_abc123", "name": "get_weather", "arguments": ""}})
		for _, part := range []string{`{"city"`, `:"Paris"}`} {
			send(map[string]any{"type": "response.function_call_arguments.delta", "item_id": "fc_fake1", "output_index": 0, "delta": part})
		}
		send(map[string]any{"type": "response.function_call_arguments.done", "item_id": "fc_fake1", "output_index": 0, "arguments": `{"city":"Paris"}`})
	} else {
		send(map[string]any{"type": "response.output_item.added", "output_index": 0, "item": map[string]any{
			"id": "msg_fake1", "type": "message", "status": "in_progress", "role": "assistant", "content": []any{}}})
		send(map[string]any{"type": "response.content_part.added", "item_id": "msg_fake1", "output_index": 0, "content_index": 0,
			"part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}}})
		for _, word := range words {
			send(map[string]any{"type": "response.output_text.delta", "item_id": "msg_fake1", "output_index": 0, "content_index": 0, "delta": word, "logprobs": []any{}})
		}
		send(map[string]any{"type": "response.output_text.done", "item_id": "msg_fake1", "output_index": 0, "content_index": 0, "text": s.Reply, "logprobs": []any{}})
		send(map[string]any{"type": "response.content_part.done", "item_id": "msg_fake1", "output_index": 0, "content_index": 0,
			"part": map[string]any{"type": "output_text", "text": s.Reply, "annotations": []any{}}})
	}
	send(map[string]any{"type": "response.output_item.done", "output_index": 0, "item": item})
	send(map[string]any{"type": "response.completed", "response": resp("completed", []any{item}, usage)})
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
