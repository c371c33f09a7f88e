package llm

import (
	"errors"
	"testing"

	"github.com/tidwall/gjson"
)

func TestParseChatRequestErrors(t *testing.T) {
	tests := []struct {
		name, body, param string
	}{
		{"not json", `{"model":`, ""},
		{"not an object", `[1]`, ""},
		{"no model", `{"messages":[{"role":"user","content":"x"}]}`, "model"},
		{"model not a string", `{"model":1,"messages":[{"role":"user","content":"x"}]}`, "model"},
		{"no messages", `{"model":"m"}`, "messages"},
		{"empty messages", `{"model":"m","messages":[]}`, "messages"},
		{"messages not array", `{"model":"m","messages":"hi"}`, "messages"},
		{"message not object", `{"model":"m","messages":["hi"]}`, "messages"},
		{"no role", `{"model":"m","messages":[{"content":"x"}]}`, "messages"},
		{"bad role", `{"model":"m","messages":[{"role":"robot","content":"x"}]}`, "messages"},
		{"content a number", `{"model":"m","messages":[{"role":"user","content":1}]}`, "messages"},
		{"part without type", `{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}`, "messages"},
		{"image without url", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}`, "messages"},
		{"stream not bool", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, "stream"},
		{"n zero", `{"model":"m","messages":[{"role":"user","content":"x"}],"n":0}`, "n"},
		{"n fraction", `{"model":"m","messages":[{"role":"user","content":"x"}],"n":1.5}`, "n"},
		{"max_tokens string", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":"9"}`, "max_tokens"},
		{"tool without name", `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{}}]}`, "tools"},
		{"stream_options not object", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":true}`, "stream_options"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseChatRequest([]byte(tt.body))
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 || e.Code != CodeInvalidRequest || e.Param != tt.param {
				t.Fatalf("err = %v (param %q), want 400 invalid_request on %q", err, e.Param, tt.param)
			}
		})
	}
}

func TestParseChatRequestThenDecode(t *testing.T) {
	body := []byte(`{"model":"gpt","stream":true,"stream_options":{"include_usage":true},"n":2,"max_tokens":64,
		"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"what?"},
		{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}],
		"tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"g"}}],"x_extra":1}`)
	r, err := ParseChatRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if r.Model != "gpt" || !r.Stream || !r.WantsUsage() || *r.N != 2 || *r.MaxTokens != 64 ||
		!r.HasImages() || r.ToolCount() != 2 || len(r.Messages) != 0 || string(r.Raw) != string(body) {
		t.Fatalf("parsed %+v", r)
	}
	if err := r.Decode(); err != nil {
		t.Fatal(err)
	}
	if len(r.Messages) != 2 || r.Messages[1].Content.Parts[1].ImageURL.URL != "data:image/png;base64,AA==" ||
		!r.HasImages() || r.ToolCount() != 2 || string(r.Raw) != string(body) || r.Model != "gpt" {
		t.Fatalf("decoded %+v", r)
	}
	if err := r.Decode(); err != nil { // idempotent
		t.Fatal(err)
	}
	plain, _ := ParseChatRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	if plain.HasImages() || plain.ToolCount() != 0 || plain.Stream || plain.WantsUsage() {
		t.Fatalf("plain %+v", plain)
	}
}

func BenchmarkParseChatRequest(b *testing.B) {
	body := []byte(`{"model":"bench","messages":[{"role":"system","content":"You are a concise assistant that answers in plain English. You are a concise assistant that answers in plain English. You are a concise assistant that answers in plain English. You are a concise assistant that answers in plain English. You are a concise assistant that answers in plain English."},{"role":"user","content":"Summarise the benefits of a gateway. Summarise the benefits of a gateway. Summarise the benefits of a gateway. Summarise the benefits of a gateway. Summarise the benefits of a gateway."}],"temperature":0.2,"max_tokens":64}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseChatRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func TestContentText(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"string", `"hello"`, "hello"},
		{"text parts", `[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"b"}]`, "ab"},
		{"null", `null`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ContentText(gjson.Parse(tt.content)); got != tt.want {
				t.Errorf("ContentText(%s) = %q, want %q", tt.content, got, tt.want)
			}
		})
	}
}
