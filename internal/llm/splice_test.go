package llm

import (
	"encoding/json"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

func TestRawWithModel(t *testing.T) {
	tests := []struct {
		name, body, model string
		ok                bool
	}{
		{"first key", `{"model":"gpt","messages":[{"role":"user","content":"hi"}]}`, "gpt-4o-mini", true},
		{"after messages, spaced", `{"messages":[{"role":"user","content":"model"}] , "model" : "a" ,"n":1}`, "bb", true},
		{"escaped input", `{"model":"g\"p\\t","messages":[{"role":"user","content":"x"}]}`, "x", true},
		{"needs escaping", `{"model":"a","messages":[{"role":"user","content":"x"}]}`, "we\"ird\\m\u00e9\n", true},
		{"nested model keys untouched", `{"messages":[{"role":"user","content":"x","model":"inner"}],"model":"outer"}`, "new", true},
		{"duplicate model", `{"model":"a","model":"b","messages":[{"role":"user","content":"x"}]}`, "c", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := ParseChatRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := req.RawWithModel(tt.model)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			// The same document as sjson gives, and the client's bytes are left alone.
			want, _ := sjson.SetBytes([]byte(tt.body), "model", tt.model)
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("%s: %v", got, err)
			}
			_ = json.Unmarshal(want, &w)
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			if string(gj) != string(wj) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
			if string(req.Raw) != tt.body {
				t.Fatalf("Raw changed: %s", req.Raw)
			}
			if m := gjson.GetBytes(got, "model").Str; m != tt.model {
				t.Fatalf("model = %q", m)
			}
		})
	}
	if _, ok := (&ChatRequest{Model: "x"}).RawWithModel("y"); ok {
		t.Error("a request built in code has no raw body to splice")
	}
}

func TestSpliceStringRefusesForeignResult(t *testing.T) {
	b := []byte(`{"model":"abc"}`)
	if _, ok := SpliceString(b, gjson.Parse(`{"model":"abc"}`).Get("nothing"), "x"); ok {
		t.Error("spliced a value that does not exist")
	}
	other := gjson.Parse(`{"zz":1,"model":"abc"}`).Get("model") // offset of another document
	if _, ok := SpliceString(b, other, "x"); ok {
		t.Error("spliced at an offset from another document")
	}
	if out, ok := SpliceString(b, gjson.GetBytes(b, "model"), "d"); !ok || string(out) != `{"model":"d"}` {
		t.Errorf("SpliceString = %s, %v", out, ok)
	}
}

func TestWithUsageOption(t *testing.T) {
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"plain", `{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}`, true},
		{"leading space", " \n{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", true},
		{"has stream_options", `{"model":"m","stream_options":{"include_usage":false},"messages":[{"role":"user","content":"x"}]}`, false},
		{"stream_options null", `{"model":"m","stream_options":null,"messages":[{"role":"user","content":"x"}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := ParseChatRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			out, ok := req.WithUsageOption(req.Raw)
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			if !gjson.ValidBytes(out) || !gjson.GetBytes(out, "stream_options.include_usage").Bool() ||
				gjson.GetBytes(out, "model").Str != "m" || !gjson.GetBytes(out, "messages.0").Exists() {
				t.Fatalf("out %s", out)
			}
		})
	}
	if _, ok := (&ChatRequest{Model: "m"}).WithUsageOption([]byte(`{"model":"m"}`)); ok {
		t.Error("a request built in code was edited in place")
	}
}

// checkModelAndUsage: RawWithModelAndUsage gives what RawWithModel then WithUsageOption give,
// whenever both can.
func checkModelAndUsage(t *testing.T, r *ChatRequest, model string) {
	t.Helper()
	got, ok := r.RawWithModelAndUsage(model)
	var want []byte
	withModel, wantOK := r.RawWithModel(model)
	if wantOK {
		want, wantOK = r.WithUsageOption(withModel)
	}
	if ok != wantOK || string(got) != string(want) {
		t.Fatalf("%s: RawWithModelAndUsage = %s, %v; want %s, %v", r.Raw, got, ok, want, wantOK)
	}
}

func TestRawWithModelAndUsage(t *testing.T) {
	for _, body := range []string{
		`{"model":"gpt","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		" \n{\"messages\":[{\"role\":\"user\",\"content\":\"model\"}] , \"model\" : \"a\" ,\"stream\":true}",
		`{"model":"a","stream_options":{"include_usage":false},"messages":[{"role":"user","content":"x"}]}`,
		`{"model":"a","model":"b","messages":[{"role":"user","content":"x"}]}`,
	} {
		req, err := ParseChatRequest([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, model := range []string{"gpt-4o-mini", "we\"ird\\m\u00e9\n"} {
			checkModelAndUsage(t, req, model)
		}
		if string(req.Raw) != body {
			t.Fatalf("Raw changed: %s", req.Raw)
		}
	}
	if _, ok := (&ChatRequest{Model: "x"}).RawWithModelAndUsage("y"); ok {
		t.Error("a request built in code has no raw body to splice")
	}
}

// TestWithModel: the same bytes as sjson.SetBytes gives, and the client's body left alone.
func TestWithModel(t *testing.T) {
	for _, body := range []string{
		`{"model":"gpt","input":"hi"}`,
		`{"input":[{"role":"user","content":"model"}] , "model" : "a" ,"n":1}`,
		`{"model":"g\"p\\t","input":"x"}`,
		`{"input":[{"model":"inner"}],"model":"outer"}`,
		`{"model":"a","model":"b"}`,
		`{"model":5,"input":"x"}`,
		`{"input":"no model"}`,
		`{}`,
	} {
		for _, model := range []string{"gpt-4o-mini", "we\"ird\\m\u00e9\n"} {
			in := []byte(body)
			got, err := WithModel(in, model)
			if err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			want, _ := sjson.SetBytes([]byte(body), "model", model)
			if string(got) != string(want) {
				t.Errorf("%s with %q:\n got %s\nwant %s", body, model, got, want)
			}
			if string(in) != body {
				t.Errorf("the body was changed: %s", in)
			}
		}
	}
}
