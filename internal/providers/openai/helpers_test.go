package openai

import (
	"flag"
	"net/http"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers"
)

// update rewrites the golden files: go test ./internal/providers/openai/ -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// variantNamed returns the family member of that provider type.
func variantNamed(t testing.TB, name string) Variant {
	t.Helper()
	for _, v := range variants() {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no variant %q", name)
	return Variant{}
}

// newClient builds a client of the named variant against base with key.
func newClient(t testing.TB, variant, base, key string) *Client {
	t.Helper()
	c, err := New(variantNamed(t, variant), providers.Config{Type: variant, BaseURL: base, APIKey: key, Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sseType is the Content-Type of the provider's event streams, as the replayed upstream sends it.
const sseType = "text/event-stream; charset=utf-8"
