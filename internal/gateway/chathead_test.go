package gateway

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// taken is what take made of one chunk.
type taken struct {
	out      string
	ok       bool
	usage    llm.Usage
	gotUsage bool
	finished bool
}

// takeAll relays chunks through a chat stream naming alias. inFull reads every chunk in full
// (the head is forgotten before each), as the relay did before it learnt heads.
func takeAll(chunks []string, alias string, wantsUsage, inFull bool) []taken {
	req := &llm.ChatRequest{Model: alias}
	if wantsUsage {
		req.StreamOptions = &llm.StreamOptions{IncludeUsage: true}
	}
	f := (&Gateway{}).newChatStream(req)
	f.name(alias)
	var sent delivered
	var got []taken
	for _, c := range chunks {
		if inFull {
			f.head = chunkHead{}
		}
		out, ok := f.take([]byte(c), &sent)
		got = append(got, taken{string(out), ok, sent.usage, sent.gotUsage, f.finished})
	}
	return got
}

// headStreams are chunk sequences as upstreams send them, and some they might.
var headStreams = map[string][]string{
	"openai order": {
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","system_fingerprint":"fp","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"a [\"}] \\\\"},"logprobs":null,"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","system_fingerprint":"fp","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","system_fingerprint":"fp","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}`,
	},
	"sorted keys": {
		`{"choices":[{"delta":{"content":"","role":"assistant"},"finish_reason":null,"index":0}],"created":1,"id":"c1","model":"gpt-4o-mini","object":"chat.completion.chunk"}`,
		`{"choices":[{"delta":{"content":"Hel"},"finish_reason":null,"index":0}],"created":1,"id":"c1","model":"gpt-4o-mini","object":"chat.completion.chunk"}`,
		`{"choices":[{"delta":{},"finish_reason":"length","index":0}],"created":1,"id":"c1","model":"gpt-4o-mini","object":"chat.completion.chunk"}`,
		`{"choices":[],"created":1,"id":"c1","model":"gpt-4o-mini","object":"chat.completion.chunk","usage":{"completion_tokens":1,"prompt_tokens":2,"total_tokens":3}}`,
	},
	"usage null and obfuscation after the choices": {
		`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}],"usage":null,"obfuscation":"a1"}`,
		`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"y"},"finish_reason":null}],"usage":null,"obfuscation":"b22"}`,
		`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2},"obfuscation":"c"}`,
	},
	"model is the alias": {
		`{"id":"c","model":"bench","choices":[{"delta":{"content":"x"}}]}`,
		`{"id":"c","model":"bench","choices":[{"delta":{"content":"y"}}]}`,
		`{"choices":[{"delta":{"content":"y"}}],"model":"bench"}`,
		`{"choices":[{"delta":{"content":"z"}}],"model":"bench"}`,
	},
	"no model": {
		`{"id":"c","choices":[{"delta":{"content":"x"}}]}`,
		`{"id":"c","choices":[{"delta":{"content":"y"}}]}`,
	},
	"a second model, usage or choices": {
		`{"id":"c","model":"m","choices":[{"delta":{"content":"x"}}]}`,
		`{"id":"c","model":"m","choices":[{"delta":{"content":"y"}}],"model":"n"}`,
		`{"id":"c","model":"m","choices":[{"delta":{"content":"y"}}],"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":2}}`,
		`{"id":"c","model":"m","choices":[{"delta":{"content":"y"}}],"choices":[]}`,
		`{"id":"c","model":"m","choices":[],"choices":[{"delta":{"content":"y"}}]}`,
		`{"id":"c","model":"m","choices":[{"delta":{"content":"y"}}],"usage":7}`,
		`{"id":"c","model":"m","choices":[{"delta":{"content":"y"}}],"us\u0061ge":{"prompt_tokens":5}}`,
	},
	"choices not an array": {
		`{"id":"c","model":"m","choices":[{"delta":{"content":"x"}}]}`,
		`{"id":"c","model":"m","choices":null,"usage":{"prompt_tokens":1,"completion_tokens":1}}`,
		`{"id":"c","model":"m","choices":{"a":1}}`,
		`{"id":"c","model":"m","choices": [ ] }`,
		`{"id":"c","model":"m","choices":[ {"delta":{"content":"x"}} , null ] , "n" : -1.5e3 , "t":true }` + "\n",
	},
	"head with a usage or finish reason": {
		`{"usage":null,"model":"m","choices":[{"delta":{"content":"x"}}]}`,
		`{"usage":null,"model":"m","choices":[{"delta":{"content":"y"}}]}`,
		`{"meta":{"finish_reason":"x"},"model":"m","choices":[{"delta":{"content":"y"}}]}`,
		`{"meta":{"finish_reason":"x"},"model":"m","choices":[{"delta":{"content":"z"}}]}`,
	},
	"model escaped or odd": {
		`{"model":"a\"b","choices":[{"delta":{"content":"x"}}]}`,
		`{"model":"a\"b","choices":[{"delta":{"content":"y"}}]}`,
		`{"choices":[{"delta":{"content":"y"}}],"model":"a\"b"}`,
		`{"choices":[{"delta":{"content":"y"}}],"model":null}`,
		`{"model":null,"choices":[{"delta":{"content":"y"}}]}`,
		`{"model":null,"choices":[{"delta":{"content":"y"}}]}`,
	},
	"azure prompt filter first": {
		`{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0}]}`,
		`{"choices":[{"delta":{"content":"x"},"finish_reason":null,"index":0}],"created":1,"id":"c","model":"gpt-4o","object":"chat.completion.chunk"}`,
		`{"choices":[{"delta":{"content":"y"},"finish_reason":null,"index":0}],"created":1,"id":"c","model":"gpt-4o","object":"chat.completion.chunk"}`,
	},
}

// TestChunkHeadReadsAsInFull: a stream read from its learnt head gives the client what reading
// every chunk in full gives, chunk by chunk: the same bytes, usage and finish.
func TestChunkHeadReadsAsInFull(t *testing.T) {
	for name, chunks := range headStreams {
		for _, wants := range []bool{false, true} {
			for _, alias := range []string{"bench", "gpt-4o-mini", "m", `al"ias`} {
				fast, full := takeAll(chunks, alias, wants, false), takeAll(chunks, alias, wants, true)
				for i := range fast {
					if fast[i] != full[i] {
						t.Errorf("%s (alias %s, usage asked %v), chunk %d:\nhead:    %+v\nin full: %+v", name, alias, wants, i, fast[i], full[i])
					}
				}
			}
		}
	}
}

// TestChunkHeadIsUsed: the common shapes are read from the head, not in full.
func TestChunkHeadIsUsed(t *testing.T) {
	for _, name := range []string{"openai order", "sorted keys", "usage null and obfuscation after the choices"} {
		chunks := headStreams[name]
		var h chunkHead
		h.learn([]byte(chunks[0]), inspectChunk([]byte(chunks[0])), "bench")
		for _, c := range chunks[1:] {
			if _, ok := h.read([]byte(c)); !ok {
				t.Errorf("%s: read in full: %s", name, c)
			}
		}
	}
}

// FuzzChunkHead: whatever chunk the head was learnt from, a chunk read from it reads as in
// full.
func FuzzChunkHead(f *testing.F) {
	for _, chunks := range headStreams {
		for i := 1; i < len(chunks); i++ {
			f.Add(chunks[i-1], chunks[i])
		}
	}
	f.Fuzz(func(t *testing.T, first, next string) {
		for _, c := range []string{first, next} {
			if !strings.HasPrefix(c, "{") || !gjson.Valid(c) {
				return // the stream reader passes on JSON objects only
			}
		}
		for _, wants := range []bool{true, false} {
			fast, full := takeAll([]string{first, next}, "bench", wants, false), takeAll([]string{first, next}, "bench", wants, true)
			if fast[1] != full[1] {
				t.Fatalf("usage asked %v: after %s\nread %s\nhead:    %+v\nin full: %+v", wants, first, next, fast[1], full[1])
			}
			if out := fast[1].out; fast[1].ok && !gjson.Valid(out) {
				t.Fatalf("usage asked %v: %s was relayed as %s, not JSON", wants, next, out)
			}
			if out := fast[1].out; fast[1].ok && !wants && topLevel(next, "usage") == 1 && gjson.Get(next, "usage").Type == gjson.Null &&
				topLevel(out, "usage") != 0 {
				t.Fatalf("%s was relayed with its usage null to a client that did not ask: %s", next, out)
			}
		}
	})
}

// topLevel counts the members of the object s named key.
func topLevel(s, key string) int {
	n := 0
	gjson.Parse(s).ForEach(func(k, _ gjson.Result) bool {
		if k.Str == key {
			n++
		}
		return true
	})
	return n
}

// TestNullUsageDropped: Conduit asks the upstream for usage, so OpenAI puts "usage": null in
// every chunk; a client that did not ask gets the chunks without it, as from OpenAI.
func TestNullUsageDropped(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"openai order",
			`{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}],"usage":null}`,
			`{"id":"c","object":"chat.completion.chunk","created":1,"model":"bench","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}`},
		{"then more keys",
			`{"id":"c","model":"m","choices":[{"delta":{"content":"x"}}] , "usage" : null , "obfuscation":"ab"}`,
			`{"id":"c","model":"bench","choices":[{"delta":{"content":"x"}}]  , "obfuscation":"ab"}`},
		{"model after it",
			`{"choices":[{"delta":{"content":"x"}}],"usage":null,"model":"gpt-4o-mini","id":"c"}`,
			`{"choices":[{"delta":{"content":"x"}}],"model":"bench","id":"c"}`},
		{"first",
			`{"usage":null, "model":"m","choices":[{"delta":{"content":"x"}}]}`,
			`{"model":"bench","choices":[{"delta":{"content":"x"}}]}`},
		{"a usage object stays for the relay to read",
			`{"id":"c","model":"m","choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`,
			`{"id":"c","model":"bench","choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`},
		{"a usage null inside the choices stays",
			`{"id":"c","model":"m","choices":[{"delta":{"content":"x"},"usage":null}]}`,
			`{"id":"c","model":"bench","choices":[{"delta":{"content":"x"},"usage":null}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The same chunk three times: read in full, then from the learnt head.
			chunks := []string{tt.in, tt.in, tt.in}
			for i, got := range takeAll(chunks, "bench", false, false) {
				if !got.ok || got.out != tt.want {
					t.Errorf("usage not asked, chunk %d: %s, want %s", i, got.out, tt.want)
				}
			}
			want := string(setModel([]byte(tt.in), "bench")) // a client that asked gets the usage null too
			for i, got := range takeAll(chunks, "bench", true, false) {
				if !got.ok || got.out != want {
					t.Errorf("usage asked, chunk %d: %s, want %s", i, got.out, want)
				}
			}
		})
	}
}

func TestSkipValue(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{
		{`"a\"b"x`, 6}, {`"a\\"x`, 5}, {`[1,[2],{"a":"]"}]x`, 17}, {`-1.5e+3,`, 7}, {`null}`, 4},
		{`"abc`, -1}, {`[1,2`, -1}, {`,`, -1}, {``, -1}, {`"\`, -1},
	} {
		if got := skipValue([]byte(tt.in), 0); got != tt.want {
			t.Errorf("skipValue(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestHasFinish(t *testing.T) {
	for chunk, want := range map[string]bool{
		`{"choices":[{"finish_reason":"stop"}]}`:                 true,
		`{"choices":[{"finish_reason":null}]}`:                   false,
		`{"choices":[{"stop_reason":"x","finish_reason":null}]}`: false,
		`{"a":"_reason\":\"","finish_reason":"length"}`:          true,
		`_reason":"`: false,
		``:           false,
	} {
		if got := hasFinish([]byte(chunk)); got != want {
			t.Errorf("hasFinish(%s) = %v", chunk, got)
		}
		if got := hasFinish([]byte(chunk)); got != bytes.Contains([]byte(chunk), finishMarker) {
			t.Errorf("hasFinish(%s) differs from a plain search", chunk)
		}
	}
}
