package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestResponses(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "conduit.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := old.Add(48 * time.Hour)
	rs := []StoredResponse{
		{ID: "resp_1", KeyID: "k1", Model: "gpt", CreatedAt: old, Input: `[{"role":"user","content":"a"}]`, Response: `{"id":"resp_1"}`},
		{ID: "resp_2", KeyID: "k1", PreviousID: "resp_1", Model: "gpt", CreatedAt: now, Input: `[]`, Response: `{"id":"resp_2"}`},
	}
	if err := db.PutResponses(ctx, rs); err != nil {
		t.Fatal(err)
	}
	// A second write of one id replaces its response object (a stream's final state).
	rs[1].Response = `{"id":"resp_2","status":"completed"}`
	if err := db.PutResponses(ctx, rs[1:]); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Kept across a restart.
	if db, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	got, err := db.GetResponse(ctx, "resp_2")
	if err != nil {
		t.Fatal(err)
	}
	if got.KeyID != "k1" || got.PreviousID != "resp_1" || got.Response != rs[1].Response || !got.CreatedAt.Equal(now) || got.Input != `[]` {
		t.Errorf("%+v", got)
	}
	if _, err := db.GetResponse(ctx, "resp_x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	n, err := db.PruneResponses(ctx, old.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	if _, err := db.GetResponse(ctx, "resp_1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("pruned response still there: %v", err)
	}
	if err := db.DeleteResponse(ctx, "resp_2"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteResponse(ctx, "resp_2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

// benchResponses makes n responses of the size a short chat turn keeps: a one-message input
// and a response object of about 1.5 KB.
func benchResponses(n, offset int) []StoredResponse {
	resp := `{"id":"resp_x","object":"response","status":"completed","model":"gpt-4o-mini","output":[{"type":"message","id":"msg_x","status":"completed","role":"assistant","content":[{"type":"output_text","text":"` +
		strings.Repeat("lorem ipsum ", 100) + `","annotations":[]}]}],"usage":{"input_tokens":12,"output_tokens":100,"total_tokens":112}}`
	rs := make([]StoredResponse, n)
	for i := range rs {
		id := fmt.Sprintf("resp_%d", offset+i)
		rs[i] = StoredResponse{ID: id, KeyID: "key_1", Model: "gpt-4o-mini", CreatedAt: base.Add(time.Duration(offset+i) * time.Millisecond),
			Input: `[{"role":"user","content":"Say hello in one short sentence.","id":"msg_1"}]`, Response: resp}
	}
	return rs
}

func BenchmarkPutResponses(b *testing.B) {
	for _, size := range []int{1, 16, 256} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			db := openTest(b)
			off := 0
			for b.Loop() {
				b.StopTimer()
				rs := benchResponses(size, off)
				off += size
				b.StartTimer()
				if err := db.PutResponses(b.Context(), rs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(off), "ns/row")
		})
	}
}
