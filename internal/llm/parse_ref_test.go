package llm

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/tidwall/gjson"
)

// The gjson-based reader that ParseChatRequest replaced, kept as its specification: every
// body must get the same answer from both (FuzzParseChatRequestReference).

func parseChatRequestRef(body []byte) (*ChatRequest, error) {
	if !ValidJSON(body) {
		var v any
		err := json.Unmarshal(body, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, InvalidRequest("", "We could not parse the JSON body of your request: "+se.Error())
		}
		return nil, InvalidRequest("", "We could not parse the JSON body of your request.")
	}
	// In place: the values kept (model) point into body, which is Raw and never changed.
	root := InPlace(body)
	if !root.IsObject() {
		return nil, InvalidRequest("", "the request body must be a JSON object")
	}
	r := &ChatRequest{Raw: body}
	var err error
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			if v.Type != gjson.String {
				err = wrongType("model", "a string")
			}
			r.Model = CloneString(v.Str) // outlives the body in log rows: not a view of it
			r.modelDup = r.model.Exists()
			r.model = v
		case "messages":
			err = r.scanMessagesRef(v)
		case "stream":
			err = boolean("stream", v, &r.Stream)
		case "stream_options":
			r.streamOptsKey = true
			if v.Type == gjson.Null {
				break
			}
			if !v.IsObject() {
				err = wrongType("stream_options", "an object")
				break
			}
			var inc bool
			if err = boolean("stream_options.include_usage", v.Get("include_usage"), &inc); err == nil {
				r.StreamOptions = &StreamOptions{IncludeUsage: inc}
			}
		case "n":
			r.N, err = optInt("n", v)
		case "max_tokens":
			r.MaxTokens, err = optInt("max_tokens", v)
		case "max_completion_tokens":
			r.MaxCompletionTokens, err = optInt("max_completion_tokens", v)
		case "tools":
			err = r.scanToolsRef(v)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if r.Model == "" {
		return nil, InvalidRequest("model", "you must provide a model parameter")
	}
	if !r.scanned {
		return nil, InvalidRequest("messages", "messages must be a non-empty array")
	}
	if r.N != nil && *r.N < 1 {
		return nil, InvalidRequest("n", "n must be at least 1")
	}
	return r, nil
}

func (r *ChatRequest) scanMessagesRef(v gjson.Result) error {
	if !v.IsArray() {
		return InvalidRequest("messages", "invalid type for 'messages': expected an array of messages")
	}
	n := 0
	var err error
	v.ForEach(func(_, m gjson.Result) bool {
		n++
		if !m.IsObject() {
			err = InvalidRequest("messages", "each message must be an object")
			return false
		}
		role := m.Get("role")
		switch role.Str {
		case RoleSystem, RoleDeveloper, RoleUser, RoleAssistant, RoleTool, "function":
		case "":
			err = InvalidRequest("messages", "each message needs a role")
			return false
		default:
			err = InvalidRequest("messages", "unknown message role "+quote(role.Str))
			return false
		}
		content := m.Get("content")
		switch {
		case !content.Exists(), content.Type == gjson.Null, content.Type == gjson.String:
		case content.IsArray():
			content.ForEach(func(_, p gjson.Result) bool {
				if !p.IsObject() || p.Get("type").Type != gjson.String {
					err = InvalidRequest("messages", "each content part needs a type")
					return false
				}
				if p.Get("type").Str == PartImageURL {
					if u := p.Get("image_url.url"); u.Type != gjson.String || u.Str == "" {
						err = InvalidRequest("messages", "image_url content parts need an image_url.url")
						return false
					}
					r.images = true
				}
				return true
			})
		default:
			err = InvalidRequest("messages", "content must be a string or an array of content parts")
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return InvalidRequest("messages", "messages must be a non-empty array")
	}
	r.scanned = true
	return nil
}

func (r *ChatRequest) scanToolsRef(v gjson.Result) error {
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsArray() {
		return wrongType("tools", "an array")
	}
	var err error
	v.ForEach(func(_, t gjson.Result) bool {
		if t.Get("type").Str != "function" || t.Get("function.name").Type != gjson.String || t.Get("function.name").Str == "" {
			err = InvalidRequest("tools", "each tool needs type \"function\" and a function.name")
			return false
		}
		r.tools++
		return true
	})
	return err
}

// FuzzParseChatRequestReference checks ParseChatRequest against the reader it replaced:
// the same error for every refused body, the same fields for every accepted one; and Member
// against gjson's Get, and Members on any bytes.
//
//	go test -fuzz=FuzzParseChatRequestReference ./internal/llm/
func FuzzParseChatRequestReference(f *testing.F) {
	for _, s := range referenceSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		compareWithReference(t, body)
	})
}

// referenceSeeds cover each branch of both readers: escaped keys, duplicate keys, nested
// lookups that miss in a first object and hit in a later one, every refusal.
var referenceSeeds = []string{
	`{"model":"gpt","messages":[{"role":"user","content":"hi"}]}`,
	` {"model" : "gpt" , "messages" : [ { "role" : "user" , "content" : "hi" } ] } `,
	`{"model":"gpt","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`,
	`{"model":"gpt","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"auto","n":2,"stop":["\n"],"max_tokens":5}`,
	`{"model":"gpt","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"1"}]}`,
	`{"model":"a","model":"b","messages":[]}`,
	`{"model":1}`, `[]`, `null`, `{"messages":"\u0000"}`, `{"model":"m","messages":[{"role":"user","content":null}]}`,
	`{"mod\u0065l":"g\"p\\t","messages":[{"r\u006fle":"us\u0065r","content":"a\"b"}],"max_completion_tokens":7}`,
	`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":"x","image_url":{"url":"u"}}]}]}`,
	`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"u":1},"image_url":{"url":"u"}}]}]}`,
	`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":[{"url":"u"}]}]}]}`,
	`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":""}}]}]}`,
	`{"model":"m","messages":[{"role":"user","content":[{"type":1}]}]}`,
	`{"model":"m","messages":[{"role":"user","content":[1]}]}`,
	`{"model":"m","messages":[{"role":"user","content":7}]}`,
	`{"model":"m","messages":[{"role":"robot","content":"x"}]}`,
	`{"model":"m","messages":[{"role":2}]}`,
	`{"model":"m","messages":[3]}`,
	`{"model":"m","messages":{}}`,
	`{"model":"m","messages":[{"role":"user"}],"tools":null}`,
	`{"model":"m","messages":[{"role":"user"}],"tools":{}}`,
	`{"model":"m","messages":[{"role":"user"}],"tools":[1]}`,
	`{"model":"m","messages":[{"role":"user"}],"tools":[{"type":"function","function":{"name":""}}]}`,
	`{"model":"m","messages":[{"role":"user"}],"tools":[{"type":"function","function":[],"function":{"name":"g"}}],"tools":[{"type":"function","function":{"name":"h"}}]}`,
	`{"model":"m","messages":[{"role":"user"}],"stream":"yes"}`,
	`{"model":"m","messages":[{"role":"user"}],"stream":null,"stream_options":null}`,
	`{"model":"m","messages":[{"role":"user"}],"stream_options":[]}`,
	`{"model":"m","messages":[{"role":"user"}],"stream_options":{"include_usage":1}}`,
	`{"model":"m","messages":[{"role":"user"}],"n":0}`,
	`{"model":"m","messages":[{"role":"user"}],"n":1.5}`,
	`{"model":"m","messages":[{"role":"user"}],"max_tokens":-1e2}`,
	`{"model":"m","messages":[{"role":"user"}],"extra":{"a":[1,{"b":"]}"}],"c":"\\"}}`,
	`{"model":"","messages":[{"role":"user"}]}`,
	`{}`, `{"model":"m"}`, `{"choices":[],"model":"m","choices":[1]}`, `{"model":"m",}`, `"x"`, ``,
}

func compareWithReference(t *testing.T, body []byte) {
	t.Helper()
	Members(body, func(keyAt int, key []byte, v, end int) bool { // any bytes: never past them
		if body[keyAt] != '"' || v > end || end > len(body) {
			t.Fatalf("%q: member %q at %d, value %d:%d", body, key, keyAt, v, end)
		}
		return true
	})
	if ValidObject(body) {
		var got, want []string
		Members(body, func(keyAt int, key []byte, v, end int) bool {
			r := ValueAt(body, v, end)
			got = append(got, fmt.Sprintf("%d %q %d %q %v", keyAt, Key(key), r.Index, r.Raw, r.Type))
			return true
		})
		InPlace(body).ForEach(func(k, v gjson.Result) bool {
			want = append(want, fmt.Sprintf("%d %q %d %q %v", k.Index, k.Str, v.Index, v.Raw, v.Type))
			return true
		})
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: Members\n%q\ngjson's ForEach\n%q", body, got, want)
		}
		for _, name := range []string{"model", "messages", "choices"} {
			v, end, ok := Member(body, name)
			g := gjson.GetBytes(body, name)
			if ok != g.Exists() || ok && (v != g.Index || string(body[v:end]) != g.Raw) {
				t.Fatalf("%q: Member(%s) = %d:%d %v, gjson %d %q", body, name, v, end, ok, g.Index, g.Raw)
			}
		}
	}
	got, gotErr := ParseChatRequest(body)
	want, wantErr := parseChatRequestRef(body)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("%q: error %v, the reference's %v", body, gotErr, wantErr)
	}
	if gotErr != nil {
		return
	}
	type fields struct {
		Model                 string
		ModelType             gjson.Type
		ModelRaw, ModelStr    string
		ModelIndex            int
		Dup, OptsKey, Stream  bool
		Opts                  *StreamOptions
		N, Max, MaxCompletion *int
		Scanned, Images       bool
		Tools                 int
	}
	of := func(r *ChatRequest) fields {
		return fields{r.Model, r.model.Type, r.model.Raw, r.model.Str, r.model.Index, r.modelDup,
			r.streamOptsKey, r.Stream, r.StreamOptions, r.N, r.MaxTokens, r.MaxCompletionTokens,
			r.scanned, r.images, r.tools}
	}
	if g, w := of(got), of(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%q:\n got %+v\nwant %+v", body, g, w)
	}
}

func TestParseChatRequestMatchesReference(t *testing.T) {
	for _, s := range referenceSeeds {
		compareWithReference(t, []byte(s))
	}
}

// parseUsageResultRef is the gjson reader ParseUsageResult replaced.
func parseUsageResultRef(u gjson.Result) Usage {
	if !u.IsObject() {
		return Usage{}
	}
	var out Usage
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "prompt_tokens":
			out.PromptTokens = int(v.Int())
		case "completion_tokens":
			out.CompletionTokens = int(v.Int())
		case "total_tokens":
			out.TotalTokens = int(v.Int())
		case "prompt_tokens_details":
			if ct := v.Get("cached_tokens"); ct.Exists() && ct.Type != gjson.Null {
				out.PromptTokensDetails = &PromptTokensDetails{CachedTokens: int(ct.Int())}
			}
		case "completion_tokens_details":
			if rt := v.Get("reasoning_tokens"); rt.Exists() && rt.Type != gjson.Null {
				out.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: int(rt.Int())}
			}
		}
		return true
	})
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	return out
}

// FuzzParseUsageReference checks ParseUsageResult against the gjson reader it replaced, on
// the usage objects of valid chunks.
//
//	go test -fuzz=FuzzParseUsageReference ./internal/llm/
func FuzzParseUsageReference(f *testing.F) {
	for _, s := range []string{
		`{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}`,
		`{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2}}`,
		` { "prompt_tokens" : "7" , "completion_tokens" : 2.9 , "prompt_tokens_details" : null , "completion_tokens_details" : { "reasoning_tokens" : null } } `,
		`{"prompt_tokens":1,"prompt_tokens":2,"completion_tokens":-3,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":1,"cached_tokens":9}}`,
		`{"prompt_t\u006fkens":true,"completion_tokens":1e3,"total_tokens":[1],"prompt_tokens_details":[{"cached_tokens":1}]}`,
		`{}`, `[]`, `null`, `3`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !ValidJSON(b) {
			return // usage comes from chunks the stream reader checked
		}
		u := InPlace(b)
		if got, want := ParseUsageResult(u), parseUsageResultRef(u); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %+v, the reference's %+v", b, got, want)
		}
	})
}
