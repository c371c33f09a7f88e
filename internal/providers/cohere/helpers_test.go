package cohere

import (
	"flag"
	"net/http"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/providers"
)

// update rewrites the golden files: go test ./internal/providers/cohere/ -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// testKey is the API key the tests configure.
const testKey = "co-test-0123456789"

// newClient builds a deterministic client against base: a fixed clock and id.
func newClient(t testing.TB, base string) *Client {
	t.Helper()
	c, err := New(providers.Config{Type: Type, BaseURL: base, APIKey: testKey, Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Unix(1700000000, 0) }
	c.newID = func() string { return "test" }
	return c
}

// sseType is the Content-Type of the provider's event streams, as the replayed upstream sends it.
const sseType = "text/event-stream"
