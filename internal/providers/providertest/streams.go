package providertest

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
)

// StreamCase is a recorded upstream stream (testdata/streams/<Name>.sse) and how an adapter's
// stream over it must end.
type StreamCase struct {
	Name   string
	Chunks int    // chunks returned before the end
	End    string // prefix of Describe(end)
	Msg    string // in Describe(end)
	Check  func(t *testing.T, chunks [][]byte)
	// Skipped is how many malformed events the stream passed over (checked when it counts them).
	Skipped int
}

// RunStreamCases drains, for each case, the stream open makes of its transcript, and checks
// the number of chunks, the end (io.EOF itself for a clean end) and Check.
func RunStreamCases(t *testing.T, cases []StreamCase, open func(name string, body io.ReadCloser) llm.ChunkStream) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			st := open(tt.Name, io.NopCloser(bytes.NewReader(ReadFile(t, "testdata/streams/"+tt.Name+".sse"))))
			chunks, _, end := Drain(t, st)
			if len(chunks) != tt.Chunks {
				t.Errorf("%d chunks, want %d", len(chunks), tt.Chunks)
			}
			if d := Describe(end); !strings.HasPrefix(d, tt.End) || !strings.Contains(d, tt.Msg) {
				t.Errorf("end = %s\nwant %s… with %q", d, tt.End, tt.Msg)
			}
			if tt.End == "io.EOF" && end != io.EOF {
				t.Errorf("clean end is %#v, want io.EOF itself", end)
			}
			if tt.Check != nil && len(chunks) == tt.Chunks {
				tt.Check(t, chunks)
			}
			if sc, ok := st.(interface{ Skipped() int }); ok && sc.Skipped() != tt.Skipped {
				t.Errorf("%d malformed events skipped, want %d", sc.Skipped(), tt.Skipped)
			}
		})
	}
}

// CutStream is an upstream handler that answers 200 with an event stream holding body, in a
// chunked response whose last chunk never comes: the connection closes mid-stream.
func CutStream(t testing.TB, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
		_, _ = buf.WriteString(strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n")
		_ = buf.Flush()
	}
}

// BenchStream drains, b.N times, the stream open makes of the recorded transcript
// testdata/streams/<name>.sse, reporting allocations: the per-chunk cost of an adapter's
// translation.
func BenchStream(b *testing.B, name string, open func(body io.ReadCloser) llm.ChunkStream) {
	data := ReadFile(b, "testdata/streams/"+name+".sse")
	b.ReportAllocs()
	for b.Loop() {
		st := open(io.NopCloser(bytes.NewReader(data)))
		for {
			if _, err := st.Next(); err != nil {
				break
			}
		}
	}
}
