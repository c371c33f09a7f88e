package gemini

import (
	"flag"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/providers"
)

// update rewrites the golden files: go test ./internal/providers/gemini/ -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// testKey is the API key the tests configure.
const testKey = "AIzaSy-test-0123456789"

// newClient builds a deterministic client against base: a fixed clock and id, and image
// fetches allowed to reach the loopback test servers.
func newClient(t testing.TB, base string) *Client {
	t.Helper()
	c, err := New(providers.Config{Type: Type, BaseURL: base, APIKey: testKey, Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Unix(1700000000, 0) }
	c.newID = func() string { return "test" }
	c.media.allow = func(netip.Addr) bool { return true }
	return c
}

// cfgForTest is a config for a client with the default (public-only) fetch guard.
func (c *Client) cfgForTest() providers.Config {
	return providers.Config{Type: Type, APIKey: "k", Client: &http.Client{}}
}

// sseType is the Content-Type of the provider's event streams, as the replayed upstream sends it.
const sseType = "text/event-stream"
