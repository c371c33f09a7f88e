package anthropicapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/providers/anthropic"
)

// These tests run Anthropic → canonical → Anthropic: a Messages client talking through the
// gateway to an Anthropic deployment must see what it would have seen talking to Anthropic.

func adapter(t *testing.T, h http.HandlerFunc) *anthropic.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := anthropic.New(providers.Config{Type: anthropic.Type, BaseURL: srv.URL, APIKey: "k", Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoundTripRequest(t *testing.T) {
	cases, _ := filepath.Glob("testdata/requests/*.json")
	for _, in := range cases {
		// Claude Code's system messages inside the conversation cannot keep their place in a
		// translation to Anthropic (they join the system prompt); natively they reach
		// Anthropic unchanged.
		if strings.HasSuffix(in, ".golden.json") || strings.HasSuffix(in, "claude_code.json") {
			continue
		}
		body := readFile(t, in)
		var sent []byte
		c := adapter(t, func(w http.ResponseWriter, r *http.Request) {
			sent, _ = io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"msg_1","type":"message","content":[],"stop_reason":"end_turn","usage":{}}`))
		})
		req, err := ParseRequest(body)
		if err != nil {
			t.Fatal(err)
		}
		req.Stream = false // the body is what matters here
		if _, err := c.Chat(context.Background(), req, "claude-x"); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		orig, got := gjson.ParseBytes(body), gjson.ParseBytes(sent)
		for _, p := range []string{"max_tokens", "stop_sequences", "temperature", "top_p", "metadata",
			"tools.#.name", "tools.#.description", "tools.#.input_schema", "tool_choice.type", "tool_choice.name",
			"tool_choice.disable_parallel_tool_use"} {
			if a, b := compact(orig.Get(p).Raw), compact(got.Get(p).Raw); a != b {
				t.Errorf("%s: %s went %s, came back %s", in, p, a, b)
			}
		}
		if a, b := expectedSystem(orig.Get("system")), got.Get("system.0.text").Str; a != b {
			t.Errorf("%s: system went %q, came back %q", in, a, b)
		}
		if a, b := expectedTurns(orig.Get("messages")), turns(got.Get("messages")); a != b {
			t.Errorf("%s: messages went\n%s\ncame back\n%s", in, a, b)
		}
	}
}

// expectedSystem is the system prompt as one text: blocks are joined by a blank line.
func expectedSystem(s gjson.Result) string {
	if s.Type == gjson.String {
		return s.Str
	}
	var parts []string
	for _, b := range s.Array() {
		parts = append(parts, b.Get("text").Str)
	}
	return strings.Join(parts, "\n\n")
}

// expectedTurns renders the turns an Anthropic upstream should receive for msgs, applying
// the documented changes: thinking dropped, tool results first in their turn with their text
// joined by newlines (and "Error: " for is_error) and their images after them, text documents
// as text, empty turns dropped and same-role turns merged.
func expectedTurns(msgs gjson.Result) string {
	var out []turn
	for _, m := range msgs.Array() {
		var results, rest []string
		blocks := m.Get("content").Array()
		if m.Get("content").Type == gjson.String {
			blocks = []gjson.Result{gjson.Parse(`{"type":"text","text":` + m.Get("content").Raw + `}`)}
		}
		for _, b := range blocks {
			switch b.Get("type").Str {
			case "thinking", "redacted_thinking":
			case "tool_result":
				var texts []string
				c := b.Get("content")
				if c.Type == gjson.String {
					texts = append(texts, c.Str)
				}
				for _, ib := range c.Array() {
					if ib.Get("type").Str == "text" {
						texts = append(texts, ib.Get("text").Str)
					} else if c.IsArray() {
						rest = append(rest, blockKey(ib))
					}
				}
				text := strings.Join(texts, "\n")
				if b.Get("is_error").Bool() {
					text = "Error: " + text
				}
				results = append(results, "tool_result "+b.Get("tool_use_id").Str+" "+quote(text))
			case "document":
				if b.Get("source.type").Str == "text" {
					rest = append(rest, "text "+quote(b.Get("source.data").Str))
					continue
				}
				rest = append(rest, blockKey(b))
			default:
				rest = append(rest, blockKey(b))
			}
		}
		out = appendTurn(out, m.Get("role").Str, append(results, rest...))
	}
	return renderTurns(out)
}

// turns renders what the upstream received.
func turns(msgs gjson.Result) string {
	var out []turn
	for _, m := range msgs.Array() {
		var keys []string
		for _, b := range m.Get("content").Array() {
			if b.Get("type").Str == "tool_result" {
				keys = append(keys, "tool_result "+b.Get("tool_use_id").Str+" "+quote(b.Get("content").Str))
				if c := b.Get("content"); c.IsArray() {
					for _, ib := range c.Array() {
						keys = append(keys, blockKey(ib))
					}
				}
				continue
			}
			keys = append(keys, blockKey(b))
		}
		out = appendTurn(out, m.Get("role").Str, keys)
	}
	return renderTurns(out)
}

type turn struct {
	role   string
	blocks []string
}

func appendTurn(out []turn, role string, blocks []string) []turn {
	switch {
	case len(blocks) == 0:
	case len(out) > 0 && out[len(out)-1].role == role:
		out[len(out)-1].blocks = append(out[len(out)-1].blocks, blocks...)
	default:
		out = append(out, turn{role, blocks})
	}
	return out
}

func renderTurns(ts []turn) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(t.role + ":\n")
		for _, k := range t.blocks {
			b.WriteString("  " + k + "\n")
		}
	}
	return b.String()
}

// blockKey is what must survive of a block (cache_control and titles need not).
func blockKey(b gjson.Result) string {
	switch typ := b.Get("type").Str; typ {
	case "text":
		return "text " + quote(b.Get("text").Str)
	case "image", "document":
		return typ + " " + compact(b.Get("source").Raw)
	case "tool_use":
		return "tool_use " + b.Get("id").Str + " " + b.Get("name").Str + " " + compact(b.Get("input").Raw)
	default:
		return typ
	}
}

func TestRoundTripResponse(t *testing.T) {
	upstream := `{"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"thinking","thinking":"x","signature":"s"},{"type":"text","text":"I'll check."},{"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"location":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":1000,"output_tokens":91}}`
	c := adapter(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(upstream))
	})
	req, err := ParseRequest([]byte(`{"model":"alias","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Chat(context.Background(), req, "claude")
	if err != nil {
		t.Fatal(err)
	}
	out, err := FromChatResponse(resp.Body, "alias")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"alias","content":[{"type":"text","text":"I'll check."},{"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"location":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":1000,"output_tokens":91}}`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// TestRoundTripStream replays the adapter's recorded Anthropic transcripts through the adapter
// and the StreamTranslator: the client gets the same blocks, stop reason and token counts.
func TestRoundTripStream(t *testing.T) {
	for _, name := range []string{"text", "tool_use", "parallel_tools", "thinking_cache"} {
		transcript, err := os.ReadFile(filepath.Join("../providers/anthropic/testdata/streams", name+".sse"))
		if err != nil {
			t.Fatal(err)
		}
		c := adapter(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = w.Write(transcript)
		})
		req, err := ParseRequest([]byte(`{"model":"alias","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.ChatStream(context.Background(), req, "claude")
		if err != nil {
			t.Fatal(err)
		}
		tr := NewStreamTranslator("alias")
		var got []Event
		for {
			chunk, err := st.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			ev, err := tr.Chunk(chunk)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ev...)
		}
		_ = st.Close()
		end, err := tr.End()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, end...)
		if err := checkEvents(got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Compare the non-thinking blocks, the stop reason and the usage with the original.
		var want []Event
		skip := map[int64]bool{}
		for _, l := range lines(transcript) {
			data, ok := cutPrefix(l, "data: ")
			if !ok {
				continue
			}
			d := gjson.ParseBytes(data)
			typ := d.Get("type").Str
			if typ == "content_block_start" && d.Get("content_block.type").Str == "thinking" {
				skip[d.Get("index").Int()] = true
			}
			if typ == "ping" || typ == "some_future_event" || skip[d.Get("index").Int()] && d.Get("index").Exists() {
				continue
			}
			if typ == "content_block_delta" && d.Get("delta.partial_json").Exists() && d.Get("delta.partial_json").Str == "" {
				continue // empty deltas are not relayed
			}
			want = append(want, Event{Name: typ, Data: data})
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, want %d\n%s", name, len(got), len(want), render(got))
		}
		for i := range want {
			g, w := gjson.ParseBytes(got[i].Data), gjson.ParseBytes(want[i].Data)
			for _, p := range []string{"type", "content_block.type", "content_block.id", "content_block.name",
				"delta.type", "delta.text", "delta.partial_json", "delta.stop_reason", "usage.output_tokens"} {
				if g.Get(p).Raw != w.Get(p).Raw && !(p == "content_block.type" && g.Get(p).Str == w.Get(p).Str) {
					t.Errorf("%s: event %d %s = %s, want %s", name, i, p, g.Get(p).Raw, w.Get(p).Raw)
				}
			}
		}
	}
}

func cutPrefix(b []byte, p string) ([]byte, bool) {
	if len(b) < len(p) || string(b[:len(p)]) != p {
		return nil, false
	}
	return b[len(p):], true
}
