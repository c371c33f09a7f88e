package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// With tracing off (no span on the call) an upstream attempt and the per-chunk and
// per-request record keeping allocate nothing: tracing costs the hot path nothing.
func TestUntracedPathAllocatesNothing(t *testing.T) {
	g := New(Options{Router: router.New(time.Now, 1)})
	s := &snapshot.Snapshot{}
	d := &snapshot.Deployment{Provider: &snapshot.Provider{}}
	d.ID, d.Alias, d.ProviderModel = "dep_1", "gpt", "gpt-4o-mini"
	c := &Call{Endpoint: "chat/completions"}
	rec := &record{}
	ok := func(context.Context, *snapshot.Deployment) error { return nil }
	body := []byte(`{"model":"gpt","max_tokens":5,"choices":[{"index":0,"finish_reason":"stop"}]}`)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(200, func() {
		if err := g.attempt(ctx, s, c, d, ok); err != nil {
			t.Fatal(err)
		}
		rec.keepRequest(body)
		rec.keepChunk(body)
		rec.keepResponse(body)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per untraced attempt and record keeping, want 0", allocs)
	}
}
