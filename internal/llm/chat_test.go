package llm

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestContentRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string // a message's "content" as a client sends it
		want string // how it marshals back ("" = same as in)
		text string // Content.String()
		// shape after decoding
		isParts, null bool
		parts         int
	}{
		{name: "string", in: `"Hello, world"`, text: "Hello, world"},
		{name: "empty string", in: `""`},
		{name: "unicode and html", in: `"caf\u00e9 <b>&</b>"`, want: `"café \u003cb\u003e\u0026\u003c/b\u003e"`, text: "café <b>&</b>"},
		{name: "null", in: `null`, null: true},
		{name: "empty array", in: `[]`, isParts: true},
		{name: "text parts", in: `[{"type":"text","text":"What is in "},{"type":"text","text":"this image?"}]`,
			isParts: true, parts: 2, text: "What is in this image?"},
		{name: "image part", in: `[{"type":"text","text":"Describe"},{"type":"image_url","image_url":{"url":"https://upload.wikimedia.org/cat.jpg","detail":"high"}}]`,
			isParts: true, parts: 2, text: "Describe"},
		{name: "data url image", in: `[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]`,
			isParts: true, parts: 1},
		{name: "unknown part types kept byte for byte",
			in:      `[{"type":"input_audio","input_audio":{"data":"UklGRiQAAABXQVZF","format":"wav"}},{"type":"file","file":{"file_id":"file-6F2ksmvXxt4VdoqmHRw6kL","x":[1,2.50,null]}},{"type":"future_part","z":{"deep":{"deeper":true}},"order":"kept"}]`,
			isParts: true, parts: 3},
		// encoding/json compacts and HTML-escapes what a MarshalJSON returns: equal JSON, not
		// equal bytes. OpenAI-family adapters forward the client's raw bytes, so only
		// translating adapters see this.
		{name: "unknown part re-encoded by encoding/json", in: `[ {"type":"x", "html":"<a href='#'>&</a>"} ]`,
			want: `[{"type":"x","html":"\u003ca href='#'\u003e\u0026\u003c/a\u003e"}]`, isParts: true, parts: 1},
		{name: "known part drops unknown fields", in: `[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]`,
			want: `[{"type":"text","text":"hi"}]`, isParts: true, parts: 1, text: "hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Content
			if err := json.Unmarshal([]byte(tt.in), &c); err != nil {
				t.Fatal(err)
			}
			if c.IsParts != tt.isParts || c.Null != tt.null || len(c.Parts) != tt.parts {
				t.Errorf("decoded %+v: IsParts=%v Null=%v parts=%d", c, c.IsParts, c.Null, len(c.Parts))
			}
			if got := c.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
			out, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if string(out) != want {
				t.Errorf("round trip\n got %s\nwant %s", out, want)
			}
		})
	}
}

func TestContentRejects(t *testing.T) {
	for _, in := range []string{`5`, `true`, `{"type":"text"}`, `[1]`, `["text"]`} {
		var c Content
		if err := json.Unmarshal([]byte(in), &c); err == nil {
			t.Errorf("%s: accepted as %+v", in, c)
		}
	}
}

func TestContentMarshalBuilt(t *testing.T) {
	for _, tt := range []struct {
		c    Content
		want string
	}{
		{Content{Text: "hi"}, `"hi"`},
		{Content{Null: true}, `null`},
		{Content{IsParts: true}, `[]`},
		{Content{IsParts: true, Parts: []ContentPart{{Type: PartText, Text: "a"}, {Type: PartImageURL, ImageURL: &ImageURL{URL: "https://x/y.png"}}}},
			`[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]`},
	} {
		b, err := json.Marshal(tt.c)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.c, b, err, tt.want)
		}
	}
}

func TestMessageRoundTrip(t *testing.T) {
	in := `[{"role":"system","content":"You are terse."},` +
		`{"role":"user","content":[{"type":"text","text":"Weather in Paris and Tokyo?"}]},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
		`{"role":"tool","content":"18C, sunny","tool_call_id":"call_abc"}]`
	var msgs []Message
	if err := json.Unmarshal([]byte(in), &msgs); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(msgs)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("round trip\n got %s\nwant %s", out, in)
	}
}

func TestStop(t *testing.T) {
	tests := []struct {
		in      string
		want    Stop
		wantErr bool
	}{
		{`"\n\n"`, Stop{"\n\n"}, false},
		{`["END","###"]`, Stop{"END", "###"}, false},
		{`[]`, Stop{}, false},
		{`null`, nil, false},
		{` "x" `, Stop{"x"}, false},
		{`5`, nil, true},
		{`[1,2]`, nil, true},
		{`{"a":1}`, nil, true},
	}
	for _, tt := range tests {
		var s Stop
		err := json.Unmarshal([]byte(tt.in), &s)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.in, err)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(s, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.in, s, tt.want)
		}
	}
	// In a request: a string stop marshals back as an array (equivalent for OpenAI); an
	// absent or empty one is left out.
	for in, want := range map[string]string{
		`{"model":"m","messages":[],"stop":"END"}`:       `"stop":["END"]`,
		`{"model":"m","messages":[],"stop":["a","b"]}`:   `"stop":["a","b"]`,
		`{"model":"m","messages":[],"stop":null}`:        ``,
		`{"model":"m","messages":[],"stop":[]}`:          ``,
		`{"model":"m","messages":[]}`:                    ``,
		`{"model":"m","messages":[],"stop":"","seed":1}`: `"stop":[""]`,
	} {
		var r ChatRequest
		if err := json.Unmarshal([]byte(in), &r); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(&r)
		if want == "" && strings.Contains(string(b), `"stop"`) || want != "" && !strings.Contains(string(b), want) {
			t.Errorf("%s marshals to %s, want %q", in, b, want)
		}
	}
}

func TestChatRequestDecode(t *testing.T) {
	in := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,` +
		`"stream_options":{"include_usage":true},"n":2,"seed":42,"stop":"x",` +
		`"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"},"strict":true}}],` +
		`"tool_choice":{"type":"function","function":{"name":"f"}},"response_format":{"type":"json_object"},` +
		`"unknown_field":{"kept":"in Raw only"}}`
	var r ChatRequest
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Stream || !r.WantsUsage() || *r.N != 2 || *r.Seed != 42 || len(r.Stop) != 1 ||
		len(r.Tools) != 1 || !*r.Tools[0].Function.Strict || string(r.ToolChoice) != `{"type":"function","function":{"name":"f"}}` ||
		string(r.ResponseFormat) != `{"type":"json_object"}` {
		t.Errorf("decoded %+v", r)
	}
	if err := r.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	var noUsage ChatRequest
	_ = json.Unmarshal([]byte(`{"stream_options":{"include_usage":false}}`), &noUsage)
	if noUsage.WantsUsage() || (&ChatRequest{}).WantsUsage() {
		t.Error("WantsUsage without include_usage:true")
	}
}

func TestChatRequestValidate(t *testing.T) {
	user := Message{Role: RoleUser, Content: Content{Text: "hi"}}
	tests := []struct {
		name  string
		json  string // decoded when set
		req   ChatRequest
		param string // "" = valid
	}{
		{name: "minimal", req: ChatRequest{Model: "m", Messages: []Message{user}}},
		{name: "every role", json: `{"model":"m","messages":[{"role":"system","content":"s"},{"role":"developer","content":"d"},` +
			`{"role":"user","content":"u"},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},` +
			`{"role":"tool","tool_call_id":"c","content":"r"},{"role":"function","name":"f","content":"r"}]}`},
		{name: "no model", req: ChatRequest{Messages: []Message{user}}, param: "model"},
		{name: "no messages", req: ChatRequest{Model: "m"}, param: "messages"},
		{name: "empty messages", json: `{"model":"m","messages":[]}`, param: "messages"},
		{name: "no role", json: `{"model":"m","messages":[{"content":"x"}]}`, param: "messages"},
		{name: "unknown role", json: `{"model":"m","messages":[{"role":"robot","content":"x"}]}`, param: "messages"},
		{name: "image without url", json: `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":""}}]}]}`, param: "messages"},
		{name: "image without image_url", json: `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, param: "messages"},
		{name: "image ok", json: `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]}]}`},
		{name: "n zero", req: ChatRequest{Model: "m", Messages: []Message{user}, N: new(0)}, param: "n"},
		{name: "n negative", req: ChatRequest{Model: "m", Messages: []Message{user}, N: new(-1)}, param: "n"},
		{name: "n one", req: ChatRequest{Model: "m", Messages: []Message{user}, N: new(1)}},
		{name: "tool without name", json: `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{}}]}`, param: "tools"},
		{name: "tool of other type", json: `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"code_interpreter","function":{"name":"f"}}]}`, param: "tools"},
		{name: "tool ok", json: `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"get_weather"}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req
			if tt.json != "" {
				if err := json.Unmarshal([]byte(tt.json), &r); err != nil {
					t.Fatal(err)
				}
			}
			err := r.Validate()
			if tt.param == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Validate() = %v, want *Error", err)
			}
			if e.Status != http.StatusBadRequest || e.Code != CodeInvalidRequest || e.Type != "invalid_request_error" ||
				e.Param != tt.param || e.Message == "" {
				t.Errorf("Validate() = %+v, want 400 invalid_request param %q", e, tt.param)
			}
		})
	}
}

func TestHasImages(t *testing.T) {
	for in, want := range map[string]bool{
		`[{"role":"user","content":"look at https://x/y.png"}]`:                                                                                                        false,
		`[{"role":"user","content":[{"type":"text","text":"hi"}]}]`:                                                                                                    false,
		`[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"","format":"wav"}}]}]`:                                                                false,
		`[{"role":"system","content":"s"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x"}}]}]`:                                           true,
		`[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"b"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}]`: true,
		`[]`: false,
	} {
		var r ChatRequest
		if err := json.Unmarshal([]byte(`{"model":"m","messages":`+in+`}`), &r); err != nil {
			t.Fatal(err)
		}
		if got := r.HasImages(); got != want {
			t.Errorf("HasImages(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestEmbeddingsValidate(t *testing.T) {
	tests := []struct {
		json  string
		param string
	}{
		{`{"model":"text-embedding-3-small","input":"The food was delicious"}`, ""},
		{`{"model":"m","input":["a","b"],"encoding_format":"base64"}`, ""},
		{`{"model":"m","input":[[1,2,3]],"encoding_format":"float","dimensions":256}`, ""},
		{`{"model":"m","input":"x","encoding_format":"binary"}`, "encoding_format"},
		{`{"input":"x"}`, "model"},
		{`{"model":"m"}`, "input"},
		{`{"model":"m","input":null}`, "input"},
		{`{"model":"m","input":5}`, "input"},
		{`{"model":"m","input":{"text":"x"}}`, "input"},
	}
	for _, tt := range tests {
		var r EmbeddingsRequest
		if err := json.Unmarshal([]byte(tt.json), &r); err != nil {
			t.Fatal(err)
		}
		err := r.Validate()
		if tt.param == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.json, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Param != tt.param || e.Status != 400 || e.Code != CodeInvalidRequest {
			t.Errorf("%s: Validate() = %v, want invalid_request on %q", tt.json, err, tt.param)
		}
	}
	// Built in code, with no input at all.
	if err := (&EmbeddingsRequest{Model: "m"}).Validate(); err == nil {
		t.Error("empty input accepted")
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                       "",
		-time.Second:            "",
		time.Nanosecond:         "1",
		time.Second:             "1",
		time.Second + 1:         "2",
		1500 * time.Millisecond: "2",
		59 * time.Second:        "59",
		time.Hour:               "3600",
		math.MaxInt64:           "9223372037",
	} {
		e := &Error{RetryAfter: d}
		if got := e.RetryAfterSeconds(); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	cause := errors.New("dial tcp: refused")
	e := &Error{Status: 502, Code: CodeUpstreamError, Message: "openai could not be reached", Cause: cause}
	if !errors.Is(e, cause) || !strings.Contains(e.Error(), "dial tcp") {
		t.Errorf("Error()/Unwrap: %v", e)
	}
	if (&Error{Code: "c", Message: "m"}).Error() != "c: m" {
		t.Error("Error() without cause")
	}
	if AsError(e) != e {
		t.Error("AsError must return an *Error as is")
	}
	if w := AsError(errors.Join(errors.New("x"), e)); w != e {
		t.Error("AsError must find a wrapped *Error")
	}
	if g := AsError(cause); g.Status != 502 || g.Code != CodeUpstreamError || g.Cause != cause || g.Retryable {
		t.Errorf("AsError(plain) = %+v", g)
	}
	if r := Errorf(403, "invalid_request_error", CodeModelNotAllowed, "model %q", "x"); r.Message != `model "x"` || r.Status != 403 {
		t.Errorf("Errorf = %+v", r)
	}
}

func TestUsageCachedTokens(t *testing.T) {
	var nilUsage *Usage
	if nilUsage.CachedTokens() != 0 || (&Usage{}).CachedTokens() != 0 {
		t.Error("CachedTokens without details")
	}
	var u Usage
	if err := json.Unmarshal([]byte(`{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,`+
		`"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":64}}`), &u); err != nil {
		t.Fatal(err)
	}
	if u.CachedTokens() != 1920 || u.CompletionTokensDetails.ReasoningTokens != 64 {
		t.Errorf("usage = %+v", u)
	}
}
