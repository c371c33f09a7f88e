package backend

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/llm"
)

// Native Responses streams one after another share their event buffers: each writes its own
// events, a failure ends with its own response, and a finished stream's final response stays
// as it was while the next one writes.
func TestResponsesEventsReuseBuffers(t *testing.T) {
	var pool sync.Pool
	created := func(id string) string {
		return `{"type":"response.created","sequence_number":0,"response":{"id":"` + id + `","status":"in_progress","model":"m"}}`
	}
	stream := func(id string, events []string, fail *llm.Error) (string, *responsesEvents) {
		t.Helper()
		d := &responsesEvents{pool: &pool}
		d.begin(gateway.Meta{Native: true})
		var out bytes.Buffer
		for _, ev := range events {
			if err := d.chunk(&out, []byte(ev)); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.end(&out, fail); err != nil {
			t.Fatal(err)
		}
		return out.String(), d
	}
	long := strings.Repeat("x", 3000)
	completed := `{"type":"response.completed","sequence_number":2,"response":{"id":"resp_a","status":"completed","output_text":"` + long + `"}}`
	outA, a := stream("resp_a", []string{created("resp_a" + long), `{"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}`, completed}, nil)
	finalA := a.final()
	a.release()
	if !strings.Contains(outA, "event: response.completed\ndata: "+completed+"\n\n") || gjson.GetBytes(finalA, "id").Str != "resp_a" {
		t.Fatalf("first stream %q, final %s", outA, finalA)
	}
	outB, b := stream("resp_b", []string{created("resp_b")}, llm.Upstream("cut", nil))
	b.release()
	failed := outB[strings.LastIndex(outB, "data: ")+len("data: "):]
	if r := gjson.Get(failed, "response"); gjson.Get(failed, "type").Str != "response.failed" || r.Get("id").Str != "resp_b" ||
		r.Get("status").Str != "failed" || gjson.Get(failed, "sequence_number").Int() != 1 {
		t.Fatalf("second stream %q", outB)
	}
	if strings.Contains(outB, "resp_a") || !bytes.Equal(finalA, []byte(gjson.Get(completed, "response").Raw)) {
		t.Fatalf("the second stream saw the first's events: %q, final %s", outB, finalA)
	}
}
