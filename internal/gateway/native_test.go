package gateway

import (
	"testing"
)

// TestNativeResponsesTake relays the events of a native Responses stream: those with the
// response object name the alias, the terminal one reports the usage, every other event
// passes as it came.
func TestNativeResponsesTake(t *testing.T) {
	tests := []struct {
		name, ev, want string
		prompt, output int // the usage noted, 0 when none
	}{
		{name: "delta", ev: `{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","delta":"Hi","logprobs":[]}`},
		{name: "text naming the key", ev: `{"type":"response.output_text.delta","sequence_number":4,"delta":"\"response\": {\"model\":\"x\"}"}`},
		{name: "a value that is the key", ev: `{"type":"response.output_text.delta","sequence_number":4,"delta":"response"}`},
		{name: "created", ev: `{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","model":"gpt-4o-mini","usage":null}}`,
			want: `{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","model":"bench","usage":null}}`},
		{name: "completed", ev: `{"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","model":"gpt-4o-mini",` +
			`"output":[{"type":"message","content":[{"type":"output_text","text":"the model"}]}],"usage":{"input_tokens":10,"output_tokens":5,"total_tokens":15}}}`,
			want: `{"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","model":"bench",` +
				`"output":[{"type":"message","content":[{"type":"output_text","text":"the model"}]}],"usage":{"input_tokens":10,"output_tokens":5,"total_tokens":15}}}`,
			prompt: 10, output: 5},
		{name: "keys in another order", ev: `{"response" : {"usage":{"input_tokens":3,"output_tokens":2},"model" : "gpt-4o-mini"}, "type":"response.incomplete"}`,
			want: `{"response" : {"usage":{"input_tokens":3,"output_tokens":2},"model" : "bench"}, "type":"response.incomplete"}`, prompt: 3, output: 2},
		{name: "queued", ev: `{"type":"response.queued","sequence_number":0,"response":{"id":"resp_1","model":"gpt-4o-mini"}}`,
			want: `{"type":"response.queued","sequence_number":0,"response":{"id":"resp_1","model":"bench"}}`},
		{name: "part event type not first", ev: `{"sequence_number":3,"type":"response.output_item.done","item":{"id":"msg_1"}}`},
		{name: "naming the alias", ev: `{"type":"response.in_progress","sequence_number":1,"response":{"model":"bench"}}`},
		{name: "no model", ev: `{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1"}}`},
		{name: "response not an object", ev: `{"type":"response.in_progress","sequence_number":1,"response":null}`},
		{name: "nested key only", ev: `{"type":"response.output_item.added","sequence_number":2,"item":{"response":{"model":"gpt-4o-mini"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &nativeStream{req: &NativeRequest{API: APIResponses}}
			f.name("bench")
			var sent delivered
			out, ok := f.take([]byte(tt.ev), &sent)
			want := tt.want
			if want == "" {
				want = tt.ev
			}
			if !ok || string(out) != want {
				t.Errorf("take = %s, %v; want %s", out, ok, want)
			}
			if !sent.gotUsage || sent.usage.PromptTokens != tt.prompt || sent.usage.CompletionTokens != tt.output {
				t.Errorf("usage = %+v (reported %v), want %d in, %d out", sent.usage, sent.gotUsage, tt.prompt, tt.output)
			}
		})
	}
}
