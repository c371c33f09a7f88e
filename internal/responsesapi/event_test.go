package responsesapi

import "testing"

func TestEventHead(t *testing.T) {
	tests := []struct {
		name, data string
		want       Head
	}{
		{"openai order", `{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","delta":"Hi"}`,
			Head{"response.output_text.delta", 4}},
		{"only head", `{"type":"response.in_progress","sequence_number":12}`, Head{"response.in_progress", 12}},
		{"no sequence number", `{"type":"error"}`, Head{"error", -1}},
		{"sequence number later", `{"type":"error","code":"x","sequence_number":7}`, Head{"error", 7}},
		{"sorted keys", `{"delta":"Hi","item_id":"m","sequence_number":3,"type":"response.output_text.delta"}`,
			Head{"response.output_text.delta", 3}},
		{"whitespace", `{ "type" : "response.created", "sequence_number" : 0, "response": {} }`, Head{"response.created", 0}},
		{"escaped type", `{"type":"a\"b","sequence_number":1}`, Head{`a"b`, 1}},
		{"fractional number", `{"type":"x","sequence_number":1.5}`, Head{"x", 1}},
		{"negative number", `{"type":"x","sequence_number":-2}`, Head{"x", -2}},
		{"no type", `{"sequence_number":5}`, Head{"", 5}},
		{"cut", `{"type":"x","sequence_number":5`, Head{"x", 5}},
		{"not an object", `[1,2]`, Head{"", -1}},
		{"empty", ``, Head{"", -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EventHead([]byte(tt.data)); got != tt.want {
				t.Errorf("EventHead(%s) = %+v, want %+v", tt.data, got, tt.want)
			}
		})
	}
}

func TestTerminal(t *testing.T) {
	for typ, want := range map[string]bool{"response.completed": true, "response.incomplete": true, "response.failed": true,
		"response.created": false, "response.output_item.done": false, "error": false, "": false} {
		if Terminal(typ) != want {
			t.Errorf("Terminal(%q) = %v", typ, !want)
		}
	}
}

func BenchmarkEventHead(b *testing.B) {
	for _, bc := range []struct{ name, data string }{
		{"openai order", `{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hello ","logprobs":[]}`},
		{"sorted keys", `{"content_index":0,"delta":"Hello ","item_id":"msg_1","logprobs":[],"output_index":0,"sequence_number":4,"type":"response.output_text.delta"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.data)
			b.ReportAllocs()
			for b.Loop() {
				if h := EventHead(data); h.Seq != 4 {
					b.Fatal(h)
				}
			}
		})
	}
}
