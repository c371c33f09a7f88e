package backend

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/llm"
)

// A streamDialect renders the canonical chunks of a streamed answer (OpenAI
// chat.completion.chunk objects) as one client API's server-sent events. One is built per
// request.
type streamDialect interface {
	// chunk writes the events of one chunk.
	chunk(out io.Writer, data []byte) error
	// end writes the events that close the stream: its clean end when err is nil, otherwise
	// an error event and never the clean end, so the client cannot take a broken stream as
	// complete.
	end(out io.Writer, err *llm.Error) error
}

// A dialect that depends on how the gateway answers (a native upstream stream, say) is told
// at Begin.
type streamBeginner interface {
	begin(gateway.Meta)
}

// streamWriter writes a gateway stream to the client as server-sent events in its dialect.
type streamWriter struct {
	c       echo.Context
	call    *gateway.Call
	dialect streamDialect
	rc      http.ResponseController
}

var _ gateway.StreamWriter = (*streamWriter)(nil)

func newStreamWriter(c echo.Context, call *gateway.Call, d streamDialect) *streamWriter {
	return &streamWriter{c: c, call: call, dialect: d}
}

// chatEventBuf is the room an OpenAI-dialect writer starts with for one event: a chunk of a
// usual answer fits.
const chatEventBuf = 512

// newChatWriter is a stream writer in the dialect of Chat Completions (openAIEvents): the
// writer, its dialect and room for an event in one allocation.
func newChatWriter(c echo.Context, call *gateway.Call) *streamWriter {
	cw := &struct {
		w   streamWriter
		d   openAIEvents
		buf [chatEventBuf]byte
	}{}
	cw.d.buf = cw.buf[:0]
	cw.w = streamWriter{c: c, call: call, dialect: &cw.d}
	return &cw.w
}

// Begin sends the status line and headers: those of an event stream, or of a body of
// m.ContentType. X-Accel-Buffering: no keeps a reverse proxy such as nginx from holding the
// stream back until it ends. No Cache-Control: a stream answers a POST, which HTTP caches do
// not store, and with a limited key's three x-ratelimit headers a ninth header would take
// net/http's header map (copied when the status goes out) past its small size.
func (w *streamWriter) Begin(m gateway.Meta) error {
	hv := newHeaderValues(w.c.Response().Header(), 4)
	if m.ContentType != "" {
		hv.set("Content-Type", m.ContentType)
	} else {
		hv.set("Content-Type", "text/event-stream")
	}
	hv.set("X-Accel-Buffering", "no")
	hv.answer(w.call, m.Provider, m.Fallback, formatMS(m.OverheadMS))
	w.c.Response().WriteHeader(http.StatusOK)
	w.rc = *http.NewResponseController(w.c.Response().Writer)
	if b, ok := w.dialect.(streamBeginner); ok {
		b.begin(m)
	}
	return nil
}

// Chunk writes one chunk's events; Flush sends them.
func (w *streamWriter) Chunk(data []byte) error { return w.dialect.chunk(w.c.Response(), data) }

// Flush pushes what was written to the client now. Writers without a Flusher (the desktop
// asset server) stream anyway, so ErrNotSupported is fine.
func (w *streamWriter) Flush() error {
	if err := w.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// End writes the closing events. A clean end is not flushed here: the handler returns right
// after, and net/http then sends it together with the end of the chunked response in one
// write. An error event is flushed at once.
func (w *streamWriter) End(err error) error {
	var e *llm.Error
	if err != nil {
		e = llm.AsError(err)
	}
	if werr := w.dialect.end(w.c.Response(), e); werr != nil || e == nil {
		return werr
	}
	return w.Flush()
}

// openAIEvents is the dialect of Chat Completions: each chunk is one "data:" event, and the
// stream ends with "data: [DONE]".
type openAIEvents struct {
	buf []byte // an event, written in one Write
}

var doneEvent = []byte("data: [DONE]\n\n")

func (d *openAIEvents) chunk(out io.Writer, data []byte) error {
	d.buf = append(append(append(d.buf[:0], "data: "...), data...), "\n\n"...)
	_, err := out.Write(d.buf)
	return err
}

func (d *openAIEvents) end(out io.Writer, err *llm.Error) error {
	if err == nil {
		_, werr := out.Write(doneEvent)
		return werr
	}
	b, _ := json.Marshal(toOpenAIError(err))
	return d.chunk(out, b)
}
