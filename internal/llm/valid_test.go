package llm

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

var validCases = []struct {
	in   string
	want bool
}{
	{`{}`, true}, {` { } `, true}, {`[]`, true}, {`""`, true}, {`0`, true}, {`-0.5e+3`, true}, {`true`, true},
	{`null`, true}, {`{"a":[1,{"b":null}],"c":"d\"e\\f\/\b\f\n\r\t\u00e9"}`, true},
	{`{"long":"` + strings.Repeat("plain text, é and more ", 20) + `"}`, true},
	{``, false}, {` `, false}, {`{`, false}, {`{"a"}`, false}, {`{"a":}`, false}, {`{"a":1,}`, false},
	{`[1,]`, false}, {`[1 2]`, false}, {`01`, false}, {`-`, false}, {`1.`, false}, {`1e`, false}, {`.5`, false},
	{`tru`, false}, {`nulll`, false}, {`{} {}`, false}, {`"a` + "\x01" + `"`, false}, {`"\x"`, false},
	{`"\u12G4"`, false}, {`"\u123"`, false}, {`"abc`, false}, {`"abcdefghijklmnop\`, false},
	{`{"a":"` + strings.Repeat("x", 15) + "\n" + `"}`, false}, {`{'a':1}`, false},
}

// TestValidObject checks ValidObject against what the request and event checks it replaced
// computed: gjson's validity and a first non-blank byte of '{'.
func TestValidObject(t *testing.T) {
	for _, tt := range validCases {
		want := gjson.Valid(tt.in) && gjson.Parse(tt.in).IsObject()
		if got := ValidObject([]byte(tt.in)); got != want {
			t.Errorf("ValidObject(%q) = %v, want %v", tt.in, got, want)
		}
	}
}

func TestValidJSON(t *testing.T) {
	for _, tt := range validCases {
		if got := ValidJSON([]byte(tt.in)); got != tt.want {
			t.Errorf("ValidJSON(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if ref := gjson.Valid(tt.in); ref != tt.want {
			t.Errorf("the case %q is wrong: gjson says %v", tt.in, ref)
		}
	}
}

// FuzzValidJSON: ValidJSON accepts exactly what gjson.ValidBytes accepts.
func FuzzValidJSON(f *testing.F) {
	for _, tt := range validCases {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := ValidJSON(b), gjson.ValidBytes(b); got != want {
			t.Fatalf("ValidJSON(%q) = %v, gjson.ValidBytes %v", b, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	body := []byte(`{"model":"bench","messages":[{"role":"system","content":"You are a concise assistant that answers in plain English. You are a concise assistant that answers in plain English."},{"role":"user","content":"Summarise the benefits of a gateway. Summarise the benefits of a gateway."}],"temperature":0.2,"max_tokens":64}`)
	for _, v := range []struct {
		name  string
		valid func([]byte) bool
	}{{"llm", ValidJSON}, {"gjson", gjson.ValidBytes}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !v.valid(body) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
