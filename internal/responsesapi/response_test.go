package responsesapi

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

func skeleton(t testing.TB) *Response {
	t.Helper()
	req, err := ParseRequest([]byte(`{"model":"gpt","input":"hi","tools":[{"type":"function","name":"get_weather"}],"store":false,"metadata":{"k":"v"}}`))
	if err != nil {
		t.Fatal(err)
	}
	return req.Skeleton("resp_test", "my-alias", 1700000000)
}

// TestFromChatResponseGoldens turns testdata/responses/<case>.json (chat completions) into
// the Response objects pinned in <case>.golden.json.
func TestFromChatResponseGoldens(t *testing.T) {
	files, _ := filepath.Glob("testdata/responses/*.json")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			resp := skeleton(t)
			if err := FromChatResponse(readFile(t, f), resp); err != nil {
				t.Fatal(err)
			}
			b, err := resp.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(f, ".json")+".golden.json", indent(t, b))
		})
	}
	if n < 4 {
		t.Fatalf("only %d cases", n)
	}
}

func TestFromChatResponseSemantics(t *testing.T) {
	resp := skeleton(t)
	if err := FromChatResponse(readFile(t, "testdata/responses/tool_calls.json"), resp); err != nil {
		t.Fatal(err)
	}
	b, _ := resp.Marshal()
	checkPaths(t, "tool_calls", b, map[string]string{
		"model":                   `"my-alias"`,
		"status":                  `"completed"`,
		"output.#.type":           `["message","function_call","function_call"]`,
		"output.1.call_id":        `"call_a"`,
		"output.1.arguments":      `"{\"city\":\"Paris\"}"`,
		"output.0.content.0.text": `"Let me check."`,
		"usage.input_tokens":      `20`,
		"usage.total_tokens":      `29`,
		"store":                   `false`,
		"metadata":                `{"k":"v"}`,
	})
	items, err := resp.OutputItems()
	if err != nil || len(items) != 3 {
		t.Fatalf("%v %d", err, len(items))
	}
	// The output items are valid input of the next turn.
	next, _ := ParseRequest([]byte(`{"model":"m","input":[{"type":"function_call_output","call_id":"call_a","output":"18C"}]}`))
	chat, err := next.ToChat(items)
	if err != nil {
		t.Fatal(err)
	}
	checkPaths(t, "next turn", chat.Raw, map[string]string{
		"messages.#.role":            `["assistant","tool"]`,
		"messages.0.tool_calls.#.id": `["call_a","call_b"]`,
		"messages.0.content":         `"Let me check."`,
	})

	for _, bad := range []string{`not json`, `[]`, `{"choices":[]}`} {
		if err := FromChatResponse([]byte(bad), skeleton(t)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestWithIDs: items without an id get one, as sjson would add it; items with one keep it.
func TestWithIDs(t *testing.T) {
	items := []json.RawMessage{
		json.RawMessage(`{"type":"message","role":"user","content":"hi"}`),
		json.RawMessage(` { "type" : "function_call_output", "call_id":"c","output":"x" } `),
		json.RawMessage(`{"role":"user","content":"no type"}`),
		json.RawMessage(`{"type":"message","id":"msg_mine","content":"kept"}`),
		json.RawMessage(`{"type":"reasoning","id":"","summary":[]}`),
		json.RawMessage(`{}`),
	}
	out := WithIDs(items)
	for i, it := range out {
		id := gjson.GetBytes(it, "id").Str
		switch {
		case i == 3:
			if string(it) != string(items[3]) {
				t.Errorf("item with an id changed: %s", it)
			}
			continue
		case !gjson.ValidBytes(it) || gjson.GetBytes(it, "id").Type != gjson.String:
			t.Errorf("item %d: %s", i, it)
		}
		prefix := "item_"
		if typ := gjson.GetBytes(items[i], "type").Str; typ == "message" || typ == "" {
			prefix = "msg_"
		}
		if !strings.HasPrefix(id, prefix) {
			t.Errorf("item %d: id %q, want prefix %s", i, id, prefix)
		}
		want, _ := sjson.SetBytes(bytes.Clone(items[i]), "id", id)
		if string(it) != string(want) {
			t.Errorf("item %d:\n got %s\nwant %s", i, it, want)
		}
	}
}

// TestItemsWithIDs: the message built from a string input gets its id as WithIDs would give
// it; items sent as a list are WithIDs' to name.
func TestItemsWithIDs(t *testing.T) {
	for _, body := range []string{
		`{"model":"m","input":"Summarise the benefits of a gateway."}`,
		`{"model":"m","input":"caf\u00e9 \"q\""}`,
		`{"model":"m","input":[{"type":"message","role":"user","content":"hi"},{"type":"message","id":"msg_mine","content":"kept"}]}`,
	} {
		req, err := ParseRequest([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		got := req.ItemsWithIDs()
		if len(got) != len(req.Items) {
			t.Fatalf("%s: %d items, want %d", body, len(got), len(req.Items))
		}
		for i, it := range got {
			id := gjson.GetBytes(it, "id").Str
			if gjson.GetBytes(req.Items[i], "id").Exists() {
				if string(it) != string(req.Items[i]) {
					t.Errorf("%s: item with an id changed: %s", body, it)
				}
				continue
			}
			want, _ := sjson.SetBytes(bytes.Clone(req.Items[i]), "id", id)
			if !strings.HasPrefix(id, "msg_") || string(it) != string(want) {
				t.Errorf("%s: item %d:\n got %s\nwant %s", body, i, it, want)
			}
		}
	}
}
