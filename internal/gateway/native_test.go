package gateway

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/snapshot"
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
		{name: "escaped type", ev: `{"type":"response.complet\u0065d","sequence_number":9,"response":{"model":"gpt-4o-mini","usage":{"input_tokens":4,"output_tokens":1}}}`,
			want: `{"type":"response.complet\u0065d","sequence_number":9,"response":{"model":"bench","usage":{"input_tokens":4,"output_tokens":1}}}`, prompt: 4, output: 1},
		// Only a terminal event reports the usage: one before it is not read for it.
		{name: "usage before the end", ev: `{"type":"response.in_progress","sequence_number":1,"response":{"model":"bench","usage":{"input_tokens":4,"output_tokens":1}}}`},
		{name: "failed", ev: `{"type":"response.failed","sequence_number":3,"response":{"model":"bench","status":"failed","usage":{"input_tokens":6,"output_tokens":0}}}`, prompt: 6},
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

// responsesAdapter serves the Responses API natively, streaming its script.
type responsesAdapter struct{ scriptedAdapter }

func (a *responsesAdapter) Responses(context.Context, []byte, string) (*llm.Response, error) {
	return nil, errors.New("not used")
}

func (a *responsesAdapter) ResponsesStream(context.Context, []byte, string) (llm.ChunkStream, error) {
	return a.stream, nil
}

// Native Responses answers in a row (their relays are used again) each reach the client
// naming the alias asked for, with their own usage charged.
func TestRelayNativeResponsesInARow(t *testing.T) {
	log := &usageRows{}
	g := relayGateway(&scriptedAdapter{}, log)
	s := g.cfg.Load()
	d := s.Aliases["chat"].Deployments[0]
	a := &responsesAdapter{}
	d.Provider.Adapter = a
	d2 := *d
	d2.Alias = "c2"
	s.Aliases["c2"] = &snapshot.Alias{Name: "c2", Deployments: []*snapshot.Deployment{&d2}}
	answers := []struct {
		alias  string
		events []string
		in     int
	}{
		{"chat", []string{
			`{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","model":"gpt-4o-mini-2024-07-18","output":[],"usage":null}}`,
			`{"type":"response.output_text.delta","sequence_number":1,"delta":"Hello there"}`,
			`{"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","model":"gpt-4o-mini-2024-07-18","output":[],"usage":{"input_tokens":7,"output_tokens":2}}}`,
		}, 7},
		{"c2", []string{
			`{"type":"response.created","sequence_number":0,"response":{"model":"m"}}`,
			`{"type":"response.completed","sequence_number":1,"response":{"model":"m","usage":{"input_tokens":3,"output_tokens":1}}}`,
		}, 3},
	}
	for i, ans := range answers {
		a.stream = &scriptedStream{chunks: ans.events, err: io.EOF}
		w := &recordingWriter{}
		req := &NativeRequest{API: APIResponses, Model: ans.alias, Stream: true, Raw: []byte(`{"model":"` + ans.alias + `","stream":true}`)}
		if _, native, err := g.Native(context.Background(), &Call{RequestID: "r", Start: time.Now()}, req, w); err != nil || !native {
			t.Fatalf("answer %d: native %v, %v", i, native, err)
		}
		if len(w.chunks) != len(ans.events) {
			t.Fatalf("answer %d: got %q", i, w.chunks)
		}
		for j, ev := range ans.events {
			want := ev
			if m := gjson.Get(ev, "response.model"); m.Exists() {
				want, _ = sjson.Set(ev, "response.model", ans.alias)
			}
			if w.chunks[j] != want {
				t.Errorf("answer %d event %d = %s, want %s", i, j, w.chunks[j], want)
			}
		}
		if row := log.rows[i]; row.PromptTokens != ans.in || row.Alias != ans.alias {
			t.Errorf("answer %d: row %+v", i, row)
		}
	}
}
