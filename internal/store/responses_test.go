package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/ids"
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

// BenchmarkPutResponsesIDs writes batches of 256 responses into a table holding 50,000, with
// ids as Conduit mints them: random (ids.New), or in time order (ids.NewTimed), whose index
// grows at its end.
func BenchmarkPutResponsesIDs(b *testing.B) {
	t0 := time.Now()
	for _, tc := range []struct {
		name string
		id   func(i int) string
	}{
		{"random", func(int) string { return ids.New("resp") }},
		{"timed", func(i int) string { return ids.NewTimed("resp", t0.Add(time.Duration(i)*time.Millisecond)) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			db := openTest(b)
			off := 0
			put := func() {
				rs := benchResponses(256, off)
				for i := range rs {
					rs[i].ID = tc.id(off + i)
				}
				off += len(rs)
				if err := db.PutResponses(b.Context(), rs); err != nil {
					b.Fatal(err)
				}
			}
			for off < 50_000 {
				put()
			}
			n0 := off
			for b.Loop() {
				put()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(off-n0), "ns/row")
		})
	}
}

// TestPutResponsesBatch: a batch larger than one statement, with ids repeated inside it and
// one already stored, keeps each id once with the first write's row and its key's last
// response object, on both engines; writes of an id from another key change nothing.
func TestPutResponsesBatch(t *testing.T) { eachEngine(t, testPutResponsesBatch) }

func testPutResponsesBatch(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	stored := StoredResponse{ID: "resp_old", KeyID: "k0", Model: "m0", CreatedAt: base, Input: `["old"]`, Response: `{"v":"old"}`}
	if err := db.PutResponses(ctx, []StoredResponse{stored}); err != nil {
		t.Fatal(err)
	}
	rs := benchResponses(150, 0)
	for i := range rs {
		rs[i].Response = fmt.Sprintf(`{"v":%d}`, i)
	}
	// resp_3 again within its statement and at the end of the batch, resp_149 right after itself,
	// resp_old again: neither the key, the input nor created_at change. The same ids from
	// another key change nothing.
	dupOf := func(key string) func(id, resp string) StoredResponse {
		return func(id, resp string) StoredResponse {
			return StoredResponse{ID: id, KeyID: key, Model: "m9", CreatedAt: base.Add(time.Hour), Input: `["dup"]`, Response: resp}
		}
	}
	same := func(i int) func(id, resp string) StoredResponse { return dupOf(rs[i].KeyID) }
	dup, other := dupOf(stored.KeyID), dupOf("k-other")
	rs = append(rs[:10], append([]StoredResponse{same(3)("resp_3", `{"v":"mid"}`), other("resp_4", `{"v":"x"}`)}, rs[10:]...)...)
	rs = append(rs[:70], append([]StoredResponse{dup("resp_old", `{"v":"new"}`), other("resp_old", `{"v":"x"}`)}, rs[70:]...)...)
	rs = append(rs, same(149)("resp_149", `{"v":"149b"}`), same(3)("resp_3", `{"v":"last"}`), other("resp_3", `{"v":"x"}`))
	before := append([]StoredResponse(nil), rs...)
	if err := db.PutResponses(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rs) != fmt.Sprint(before) {
		t.Error("PutResponses modified its argument")
	}
	want := benchResponses(150, 0)
	for i := range want {
		want[i].Response = fmt.Sprintf(`{"v":%d}`, i)
	}
	want[3].Response, want[149].Response = `{"v":"last"}`, `{"v":"149b"}`
	stored.Response = `{"v":"new"}`
	for _, w := range append(want, stored) {
		got, err := db.GetResponse(ctx, w.ID)
		if err != nil {
			t.Fatalf("%s: %v", w.ID, err)
		}
		got.CreatedAt, w.CreatedAt = got.CreatedAt.UTC(), w.CreatedAt.UTC()
		if got != w {
			t.Errorf("%s = %+v\nwant %+v", w.ID, got, w)
		}
	}
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM responses`).Scan(&n); err != nil || n != 151 {
		t.Errorf("%d rows, %v; want 151", n, err)
	}
}

func TestMergeResponses(t *testing.T) {
	// r is a write of id by the key named after the id; o is one by another key.
	r := func(id, resp string) StoredResponse { return StoredResponse{ID: id, KeyID: "k" + id, Response: resp} }
	o := func(id, resp string) StoredResponse { return StoredResponse{ID: id, KeyID: "other", Response: resp} }
	for _, tc := range []struct {
		name     string
		in, want []StoredResponse
	}{
		{"empty", nil, nil},
		{"distinct", []StoredResponse{r("a", "1"), r("b", "2")}, []StoredResponse{r("a", "1"), r("b", "2")}},
		{"adjacent", []StoredResponse{r("a", "1"), r("a", "2"), r("b", "3")}, []StoredResponse{r("a", "2"), r("b", "3")}},
		{"apart", []StoredResponse{r("a", "1"), r("b", "2"), r("c", "3"), r("a", "4"), r("b", "5"), r("a", "6")},
			[]StoredResponse{r("a", "6"), r("b", "5"), r("c", "3")}},
		{"another key", []StoredResponse{r("a", "1"), o("a", "2"), r("b", "3"), o("b", "4"), r("b", "5")},
			[]StoredResponse{r("a", "1"), r("b", "5")}},
		{"another key first", []StoredResponse{o("a", "1"), r("a", "2")}, []StoredResponse{o("a", "1")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mergeResponses(tc.in); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
