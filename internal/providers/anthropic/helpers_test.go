package anthropic

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/providers"
)

// update rewrites the golden files: go test ./internal/providers/anthropic/ -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// testCreated is the "created" stamp of every translated answer in tests.
const testCreated = 1738962000

// newClient builds a client against base whose clock is fixed at testCreated.
func newClient(t testing.TB, base string) *Client {
	t.Helper()
	c, err := New(providers.Config{Type: Type, BaseURL: base, APIKey: "sk-ant-test", Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Unix(testCreated, 0) }
	return c
}

// compact returns JSON without insignificant space ("" for "").
func compact(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// sseType is the Content-Type of the provider's event streams, as the replayed upstream sends it.
const sseType = "text/event-stream; charset=utf-8"
