package backend

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/anthropicapi"
	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/sse"
)

// messages serves Anthropic's Messages API over any provider. Deployments whose provider
// speaks it (Anthropic) get the client's bytes with only the model rewritten and its
// anthropic-beta header; every other one the request translated to the canonical (OpenAI)
// form, routed like any chat, and the answer translated back.
func (s *Server) messages(c echo.Context) error {
	return serveV1(s, c, "messages", parseMessages,
		func(ctx context.Context, call *gateway.Call, req *gateway.NativeRequest) (*gateway.Result, error) {
			req.Header = c.Request().Header
			sw := newStreamWriter(c, call, &anthropicEvents{t: anthropicapi.NewStreamTranslator(req.Model)})
			res, native, err := s.o.Gateway.Native(ctx, call, req, sw)
			if err == nil && res != nil && !native {
				res.Body, err = anthropicapi.FromChatResponse(res.Body, cmp.Or(call.Fallback, req.Model))
			}
			return res, err
		})
}

// parseMessages reads a Messages request: the model it names, which it must, and its
// translation to the canonical chat request, or why there is none (a deployment that speaks
// the Messages API natively needs none).
func parseMessages(body []byte) (*gateway.NativeRequest, error) {
	model := gjson.GetBytes(body, "model")
	if !llm.ValidJSON(body) || model.Type != gjson.String || model.Str == "" {
		// The translation names what is wrong.
		_, err := anthropicapi.ParseRequest(body)
		if err == nil {
			err = llm.InvalidRequest("model", "model: Field required")
		}
		return nil, err
	}
	req, chatErr := anthropicapi.ParseRequest(body)
	if chatErr == nil {
		chatErr = req.Validate()
	}
	out := &gateway.NativeRequest{API: gateway.APIMessages, Model: model.Str, Stream: gjson.GetBytes(body, "stream").Bool(),
		Raw: body, Translate: translated(req, chatErr), MaxOutputTokens: int(gjson.GetBytes(body, "max_tokens").Int())}
	if chatErr == nil {
		out.Vision, out.Tools = req.HasImages(), req.ToolCount() > 0
	}
	return out, nil
}

// translated is a NativeRequest's Translate for a translation already made: req, or err
// saying why there is none.
func translated(req *llm.ChatRequest, err error) func() (*llm.ChatRequest, error) {
	if err != nil {
		req = nil
	}
	return func() (*llm.ChatRequest, error) { return req, err }
}

// writeAnthropicError writes err in Anthropic's shape with its status and Retry-After.
func writeAnthropicError(c echo.Context, err error) error {
	e, ok := errorToWrite(c, err)
	if !ok {
		return nil
	}
	return c.Blob(e.Status, echo.MIMEApplicationJSON, anthropicapi.ErrorBody(e))
}

// anthropicEvents is the dialect of Anthropic's Messages API: message_start, content
// blocks with their deltas, message_delta and message_stop, each a named event. A native
// upstream's events go out as they come.
type anthropicEvents struct {
	t      *anthropicapi.StreamTranslator
	native bool // the chunks are the upstream's own Messages events
}

// begin notes whether the chunks are native events, and names the fallback alias in a
// translated message when one answers.
func (d *anthropicEvents) begin(m gateway.Meta) {
	d.native = m.Native
	if m.Fallback != "" {
		d.t = anthropicapi.NewStreamTranslator(m.Fallback)
	}
}

// chunk writes the events of one chunk; a chunk that cannot be translated is answered with
// an error event, and the stream goes on.
func (d *anthropicEvents) chunk(out io.Writer, data []byte) error {
	if d.native {
		return writeNamedEvents(out, []anthropicapi.Event{{Name: gjson.GetBytes(data, "type").Str, Data: data}})
	}
	events, err := d.t.Chunk(data)
	if err != nil {
		return writeNamedEvents(out, []anthropicapi.Event{anthropicapi.ErrorEvent(llm.AsError(err))})
	}
	return writeNamedEvents(out, events)
}

// end closes the message, or ends it with an error event (also when the translator could not
// encode the closing events). A native stream's upstream sent its own closing events.
func (d *anthropicEvents) end(out io.Writer, err *llm.Error) error {
	if err == nil && d.native {
		return nil
	}
	if err == nil {
		evs, terr := d.t.End()
		if terr == nil {
			return writeNamedEvents(out, evs)
		}
		err = llm.AsError(terr)
	}
	return writeNamedEvents(out, []anthropicapi.Event{anthropicapi.ErrorEvent(err)})
}

// writeNamedEvents writes events as "event: <name>" and one line of "data: <json>"; data that
// is not JSON is sent as {}.
func writeNamedEvents(out io.Writer, evs []anthropicapi.Event) error {
	for i := range evs {
		if !json.Valid(evs[i].Data) {
			evs[i].Data = []byte(`{}`)
		}
	}
	return sse.WriteNamed(out, evs)
}

// countTokens serves POST /v1/messages/count_tokens: the provider's own count where it has
// one (Anthropic), else the local tokenizer's, marked "estimated" (and x-conduit-estimated).
func (s *Server) countTokens(c echo.Context) error {
	call, err := s.call(c, "messages/count_tokens")
	if err != nil {
		return err
	}
	body, err := s.readBody(c, s.o.MaxBodyBytes)
	if err != nil {
		return s.reject(c, call, body, err)
	}
	model := gjson.GetBytes(body, "model")
	if !llm.ValidJSON(body) || model.Type != gjson.String || model.Str == "" {
		return s.reject(c, call, body, llm.InvalidRequest("model", "model: Field required"))
	}
	// count_tokens bodies carry no max_tokens; the translation wants one.
	withMax := body
	if !gjson.GetBytes(body, "max_tokens").Exists() {
		if b, err := sjson.SetBytes(bytes.Clone(body), "max_tokens", 1); err == nil {
			withMax = b
		}
	}
	n, estimated, err := s.o.Gateway.CountTokens(c.Request().Context(), call,
		&gateway.NativeRequest{API: gateway.APIMessages, Model: model.Str, Raw: body, Header: c.Request().Header,
			Translate: func() (*llm.ChatRequest, error) { return translated(anthropicapi.ParseRequest(withMax))() }})
	c.Response().Header().Set("x-conduit-provider", call.Provider)
	if err != nil {
		return err
	}
	out := map[string]any{"input_tokens": n}
	if estimated {
		out["estimated"] = true
		c.Response().Header().Set("x-conduit-estimated", "true")
	}
	return c.JSON(http.StatusOK, out)
}
