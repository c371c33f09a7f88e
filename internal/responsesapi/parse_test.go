package responsesapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// decoded is what encoding/json makes of a request body: ParseRequest reads the same fields
// in one pass and must agree with it.
type decoded struct {
	Model              string          `json:"model"`
	Input              json.RawMessage `json:"input"`
	Instructions       json.RawMessage `json:"instructions"`
	Tools              json.RawMessage `json:"tools"`
	ToolChoice         json.RawMessage `json:"tool_choice"`
	ParallelToolCalls  *bool           `json:"parallel_tool_calls"`
	Text               json.RawMessage `json:"text"`
	Reasoning          json.RawMessage `json:"reasoning"`
	MaxOutputTokens    *int            `json:"max_output_tokens"`
	Temperature        *float64        `json:"temperature"`
	TopP               *float64        `json:"top_p"`
	Metadata           json.RawMessage `json:"metadata"`
	User               string          `json:"user"`
	Truncation         string          `json:"truncation"`
	Store              *bool           `json:"store"`
	Stream             bool            `json:"stream"`
	PreviousResponseID string          `json:"previous_response_id"`
}

// agreeWithEncodingJSON checks ParseRequest's fields against encoding/json's decoding of
// body, and that a type error is reported as encoding/json reports it.
func agreeWithEncodingJSON(t *testing.T, body []byte) {
	t.Helper()
	var want decoded
	jerr := json.Unmarshal(body, &want)
	got, err := ParseRequest(body)
	var te *json.UnmarshalTypeError
	if errors.As(jerr, &te) && te.Field != "" { // a body that is no object is refused before
		var e *llm.Error
		if !errors.As(err, &e) || e.Param != te.Field || e.Message != "invalid type for '"+te.Field+"': expected "+te.Type.String() {
			t.Fatalf("%s: encoding/json: %v; ParseRequest: %v", body, jerr, err)
		}
		return
	}
	if jerr != nil || err != nil {
		if jerr != nil && err == nil {
			t.Fatalf("%s: accepted; encoding/json: %v", body, jerr)
		}
		if e := llm.AsError(err); e.Status != 400 {
			t.Fatalf("%s: %v", body, err)
		}
		return
	}
	have := decoded{Model: got.Model, Input: got.Input, Instructions: got.Instructions, Tools: got.Tools,
		ToolChoice: got.ToolChoice, ParallelToolCalls: got.ParallelToolCalls, Text: got.Text, Reasoning: got.Reasoning,
		MaxOutputTokens: got.MaxOutputTokens, Temperature: got.Temperature, TopP: got.TopP, Metadata: got.Metadata,
		User: got.User, Truncation: got.Truncation, Store: got.Store, Stream: got.Stream, PreviousResponseID: got.PreviousResponseID}
	if !reflect.DeepEqual(have, want) {
		t.Fatalf("%s:\n ParseRequest %+v\n encoding/json %+v", body, have, want)
	}
}

func TestParseRequestAgreesWithEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{"model":"m","input":"hi","instructions":"be brief","temperature":0.2,"top_p":1,"max_output_tokens":64,
		  "stream":true,"store":false,"parallel_tool_calls":true,"user":"u","truncation":"auto","metadata":{"a":"b"},
		  "tools":[{"type":"function","name":"f"}],"tool_choice":"auto","text":{"format":{"type":"text"}},
		  "reasoning":{"effort":"low"},"previous_response_id":"resp_1"}`,
		`{"model":"m","input":[{"role":"user","content":"x"}] , "stream": null, "store": null, "temperature": null, "user": null}`,
		`{"Model":"m","INPUT":"hi","Temperature":1}`,
		`{"model":"m","input":"hi","ſtream":true,"\u212aey":1}`,
		`{"model":"a","model":"b","input":"x","store":true,"store":null}`,
		`{"model":"m","input":"x","max_output_tokens":1.5}`,
		`{"model":"m","input":"x","max_output_tokens":1e3}`,
		`{"model":"m","input":"x","max_output_tokens":"5"}`,
		`{"model":"m","input":"x","temperature":"hot"}`,
		`{"model":"m","input":"x","temperature":1e400}`,
		`{"model":5,"input":"x"}`,
		`{"model":"m","input":"x","stream":"yes"}`,
		`{"model":"m","input":"x","store":{}}`,
		`{"model":"m","input":"x","user":["u"]}`,
		`{"model":"m","input":"x","truncation":1}`,
		`{"model":"m","input":"\u00e9\n\"q\" <b>&amp;</b>"}`,
		`{"model":"m","input":"x","unknown":{"deep":[1,2,{"x":null}]}}`,
	} {
		agreeWithEncodingJSON(t, []byte(body))
	}
}

// TestStringInputItem: a string input becomes the one user message it always was, byte for
// byte, whether it is taken from the body as it is (plain ASCII) or encoded again.
func TestStringInputItem(t *testing.T) {
	for _, input := range []string{
		`"Summarise the benefits of a gateway."`,
		`"<b>\"hi\"</b>\n"`,
		`"<b>&amp;</b> as it is"`,
		`"\u0041\/b"`,
		`"caf\u00e9 café"`,
		`"line\u2028separator  "`,
		`""`,
	} {
		t.Run(input, func(t *testing.T) {
			req, err := ParseRequest([]byte(`{"model":"m","input":` + input + `}`))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := marshal(map[string]any{"type": "message", "role": llm.RoleUser,
				"content": []map[string]string{{"type": "input_text", "text": gjson.Parse(input).Str}}})
			if len(req.Items) != 1 || string(req.Items[0]) != string(want) {
				t.Errorf("item %s, want %s", req.Items, want)
			}
		})
	}
}

// BenchmarkParseRequest parses the bench's ~1 KB Responses request.
func BenchmarkParseRequest(b *testing.B) {
	body, _ := json.Marshal(map[string]any{
		"model":             "m",
		"instructions":      strings.Repeat("You are a concise assistant that answers in plain English. ", 9),
		"input":             strings.Repeat("Summarise the benefits of a gateway. ", 10),
		"temperature":       0.2,
		"max_output_tokens": 64,
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}
