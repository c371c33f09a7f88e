package backend

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/conversation"
	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/responsesapi"
	"github.com/conduit-gw/conduit/internal/sse"
)

// Conversations keeps Responses API responses for previous_response_id, scoped to the key
// that created them.
type Conversations interface {
	Save(conversation.Record)
	Get(ctx context.Context, keyID, id string) (*conversation.Record, error)
	Delete(ctx context.Context, keyID, id string) error
	History(ctx context.Context, keyID, id string, output func([]byte) ([]json.RawMessage, error)) ([]json.RawMessage, error)
}

// responses serves OpenAI's Responses API: natively to deployments that speak it, through the
// chat translation to every other one.
func (s *Server) responses(c echo.Context) error {
	call, req, err := admitRequest(s, c, "responses", responsesapi.ParseRequest)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var history []json.RawMessage
	if req.PreviousResponseID != "" {
		if history, err = s.history(ctx, call, req.PreviousResponseID); err != nil {
			return s.o.Gateway.Reject(ctx, call, req.Model, err)
		}
	}
	// The gateway's request, the stream writer and its dialect in one allocation.
	rr := &struct {
		greq gateway.NativeRequest
		w    streamWriter
		d    responsesEvents
	}{}
	greq, dialect := &rr.greq, &rr.d
	*greq = gateway.NativeRequest{API: gateway.APIResponses, Model: req.Model, Stream: req.Stream, Raw: req.Raw,
		Translate: func() (*llm.ChatRequest, error) { return req.ToChat(history) }, Stateful: req.PreviousResponseID != ""}
	inlined := ids.Minted(req.PreviousResponseID)
	if inlined {
		// Conduit answered the previous response (translated): an upstream serving this one
		// natively has never seen it, so it gets the whole conversation.
		if greq.Raw, err = req.Inline(history); err != nil {
			return s.o.Gateway.Reject(ctx, call, req.Model, err)
		}
	}
	greq.Vision, greq.Tools = req.Needs(history)
	if req.MaxOutputTokens != nil {
		greq.MaxOutputTokens = *req.MaxOutputTokens
	}
	*dialect = responsesEvents{req: req, call: call, pool: &s.eventBufs, inlined: inlined}
	defer dialect.release()
	rr.w = streamWriter{c: c, call: call, dialect: dialect}
	res, native, err := s.o.Gateway.Native(ctx, call, greq, &rr.w)
	if err == nil && res != nil && native && inlined {
		res.Body = continuing(res.Body, "previous_response_id", req.PreviousResponseID)
	}
	switch {
	case err == nil && res != nil && !native:
		skel := dialect.skeleton()
		if err = responsesapi.FromChatResponse(res.Body, skel); err == nil {
			res.Body, err = skel.Marshal()
		}
		if err == nil {
			s.keep(call, req, res.Body)
		}
	case err == nil && res != nil:
		s.keep(call, req, res.Body)
	case c.Response().Committed: // streamed, to its end or to an error event
		s.keep(call, req, dialect.final())
	}
	return reply(c, call, res, err)
}

// history is the conversation before previous_response_id, or a 404 when the key has no such
// response.
func (s *Server) history(ctx context.Context, call *gateway.Call, id string) ([]json.RawMessage, error) {
	return withStored(s, "previous_response_id", id, "read the previous response", func(cs Conversations) ([]json.RawMessage, error) {
		return cs.History(ctx, call.Principal.KeyID(), id, responsesapi.OutputItemsOf)
	})
}

// withStored runs op on the key's stored response id: no store or no such response is a 404
// naming param; any other failure is logged and answered as a 500 saying what could not be
// done.
func withStored[T any](s *Server, param, id, what string, op func(Conversations) (T, error)) (T, error) {
	var zero T
	if s.o.Conversations == nil {
		return zero, responseNotFound(param, id)
	}
	v, err := op(s.o.Conversations)
	if errors.Is(err, conversation.ErrNotFound) {
		return zero, responseNotFound(param, id)
	}
	if err != nil {
		s.log.Error("a stored response failed", "id", id, "op", what, "err", err)
		return zero, llm.Errorf(http.StatusInternalServerError, "server_error", "server_error", "could not %s", what)
	}
	return v, nil
}

func responseNotFound(param, id string) *llm.Error {
	e := llm.Errorf(http.StatusNotFound, "invalid_request_error", "response_not_found", "Response with id %q not found.", id)
	e.Param = param
	return e
}

// keep stores a response for later turns when the request asked for it (store defaults to
// true). Failed responses are not kept.
func (s *Server) keep(call *gateway.Call, req *responsesapi.Request, response []byte) {
	if s.o.Conversations == nil || !req.Stores() || len(response) == 0 {
		return
	}
	r := llm.InPlace(response)
	id := r.Get("id").Str
	if id == "" || r.Get("status").Str == responsesapi.StatusFailed {
		return
	}
	s.o.Conversations.Save(conversation.Record{ID: strings.Clone(id), KeyID: call.Principal.KeyID(), PreviousID: req.PreviousResponseID,
		Model: req.Model, CreatedAt: call.Start, Input: req.ItemsWithIDs(), Response: response})
}

func (s *Server) getResponse(c echo.Context) error {
	r, err := s.storedResponse(c)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, r.Response)
}

func (s *Server) deleteResponse(c echo.Context) error {
	call, err := s.call(c, "responses")
	if err != nil {
		return err
	}
	id := c.Param("id")
	_, err = withStored(s, "", id, "delete the response", func(cs Conversations) (struct{}, error) {
		return struct{}{}, cs.Delete(c.Request().Context(), call.Principal.KeyID(), id)
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": id, "object": "response.deleted", "deleted": true})
}

// listInputItems lists a stored response's input items: newest first unless order=asc, at
// most limit (1–100, default 20), after the item named by after.
func (s *Server) listInputItems(c echo.Context) error {
	r, err := s.storedResponse(c)
	if err != nil {
		return err
	}
	limit := 20
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return llm.InvalidRequest("limit", "limit must be an integer from 1 to 100")
		}
		limit = n
	}
	items := append([]json.RawMessage(nil), r.Input...)
	switch c.QueryParam("order") {
	case "", "desc":
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	case "asc":
	default:
		return llm.InvalidRequest("order", `order must be "asc" or "desc"`)
	}
	if after := c.QueryParam("after"); after != "" {
		for i, it := range items {
			if gjson.GetBytes(it, "id").Str == after {
				items = items[i+1:]
				break
			}
		}
	}
	more := len(items) > limit
	if more {
		items = items[:limit]
	}
	out := struct {
		Object  string            `json:"object"`
		Data    []json.RawMessage `json:"data"`
		FirstID *string           `json:"first_id"`
		LastID  *string           `json:"last_id"`
		HasMore bool              `json:"has_more"`
	}{Object: "list", Data: items, HasMore: more}
	if out.Data == nil {
		out.Data = []json.RawMessage{}
	}
	if len(items) > 0 {
		first, last := gjson.GetBytes(items[0], "id").Str, gjson.GetBytes(items[len(items)-1], "id").Str
		out.FirstID, out.LastID = &first, &last
	}
	return c.JSON(http.StatusOK, out)
}

// storedResponse authenticates the request and reads the key's stored response named in the
// path.
func (s *Server) storedResponse(c echo.Context) (*conversation.Record, error) {
	call, err := s.call(c, "responses")
	if err != nil {
		return nil, err
	}
	id := c.Param("id")
	return withStored(s, "", id, "read the response", func(cs Conversations) (*conversation.Record, error) {
		return cs.Get(c.Request().Context(), call.Principal.KeyID(), id)
	})
}

// responsesEvents is the dialect of the Responses API: an upstream's own events as they come
// (native), or chat chunks translated.
type responsesEvents struct {
	req      *responsesapi.Request
	call     *gateway.Call
	t        *responsesapi.StreamTranslator // translates chat chunks; nil for a native stream
	native   bool
	inlined  bool   // the native upstream got the conversation inlined, not previous_response_id
	terminal []byte // the native stream's terminal event, whose response is the final one
	created  []byte // the native stream's first event, whose response a failure ends
	seq      int64  // the native stream's last sequence number
	buf      []byte // the events of one chunk, reused

	pool *sync.Pool // *eventBufs: where buf and created come from, and go back to (release)
	bufs *eventBufs // taken from pool by begin
}

// eventBufs are the buffers a stream writes its events with, kept from one stream to the next.
type eventBufs struct{ events, created []byte }

// maxKeptEvents bounds a buffer kept for the next stream.
const maxKeptEvents = 64 << 10

// skeleton is the response object a translated answer is built on, naming the alias that
// answered (the one asked for, or the fallback); a native answer is the upstream's own.
func (d *responsesEvents) skeleton() *responsesapi.Response {
	return d.req.Skeleton(responsesapi.NewID(), cmp.Or(d.call.Fallback, d.req.Model), d.call.Start.Unix())
}

func (d *responsesEvents) begin(m gateway.Meta) {
	d.native = m.Native
	if d.pool != nil {
		d.bufs, _ = d.pool.Get().(*eventBufs)
		if d.bufs == nil {
			d.bufs = &eventBufs{}
		}
		d.buf, d.created = d.bufs.events[:0], d.bufs.created[:0]
	}
	if !m.Native {
		d.t = responsesapi.NewStreamTranslator(d.skeleton())
	}
}

func (d *responsesEvents) chunk(out io.Writer, data []byte) error {
	if !d.native {
		events, err := d.t.Chunk(data)
		if err != nil {
			return d.write(out, d.t.Fail(llm.AsError(err))...)
		}
		return d.write(out, events...)
	}
	// The event's head names it; the first and the terminal events are kept (copies: data is
	// the stream's buffer) for the response they carry, read only when it is needed.
	h := responsesapi.EventHead(data)
	if h.Seq >= 0 {
		d.seq = h.Seq
	}
	if d.inlined && responseOf(data) != nil { // response.created, .completed…
		data = continuing(data, "response.previous_response_id", d.req.PreviousResponseID)
	}
	switch {
	case h.Type == "response.created":
		d.created = append(d.created[:0], data...)
	case responsesapi.Terminal(h.Type):
		d.terminal = append(d.terminal[:0], data...)
	}
	return d.write(out, responsesapi.Event{Name: h.Type, Data: data})
}

// continuing returns a native upstream's response (or an event carrying one, key naming the
// field within it) naming id as the response it continues. The upstream was sent the
// conversation inlined instead of id (Conduit answered id; the upstream never saw it), so its
// response names none.
func continuing(b []byte, key, id string) []byte {
	if out, err := sjson.SetBytes(b, key, id); err == nil {
		return out
	}
	return b
}

// responseOf is the response object event carries, in place (nil when it has none).
func responseOf(event []byte) []byte {
	v := llm.InPlace(event).Get("response")
	if !v.Exists() {
		return nil
	}
	if end := v.Index + len(v.Raw); v.Index > 0 && end <= len(event) {
		return event[v.Index:end]
	}
	return []byte(v.Raw)
}

func (d *responsesEvents) end(out io.Writer, err *llm.Error) error {
	var evs []responsesapi.Event
	switch {
	case d.native && err != nil:
		evs = []responsesapi.Event{responsesapi.FailedEvent(responseOf(d.created), err, int(d.seq)+1)}
	case err != nil:
		evs = d.t.Fail(err)
	case !d.native:
		evs = d.t.End()
	}
	return d.write(out, evs...)
}

// release gives the buffers back to the pool once the stream is written (final stays valid:
// the terminal event is not pooled).
func (d *responsesEvents) release() {
	if d.bufs == nil || cap(d.buf) > maxKeptEvents || cap(d.created) > maxKeptEvents {
		return
	}
	d.bufs.events, d.bufs.created = d.buf[:0], d.created[:0]
	d.pool.Put(d.bufs)
	d.bufs, d.buf, d.created = nil, nil, nil
}

// final is the response object the stream ended with (nil when there is none).
func (d *responsesEvents) final() []byte {
	if d.native {
		return responseOf(d.terminal)
	}
	if b := d.t.Final(); b != nil {
		return b
	}
	b, err := d.t.Response().Marshal()
	if err != nil {
		return nil
	}
	return b
}

// write writes events to out in one write (buffered by the server until it flushes).
func (d *responsesEvents) write(out io.Writer, evs ...responsesapi.Event) error {
	d.buf = sse.AppendNamed(d.buf[:0], evs...)
	_, err := out.Write(d.buf)
	return err
}
