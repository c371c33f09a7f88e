package openai

import (
	"context"
	"mime"
	"net/http"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// Transcribe uploads audio to /audio/transcriptions or /audio/translations. A JSON answer
// (json, verbose_json) is checked and its token usage read (gpt-4o-transcribe reports
// usage.input_tokens/output_tokens); text, srt and vtt answers pass on with their type.
func (c *Client) Transcribe(ctx context.Context, req *llm.AudioRequest, model string) (*llm.Response, error) {
	op := "audio/transcriptions"
	if req.Translate {
		op = "audio/translations"
	}
	if !c.v.Audio {
		return nil, providers.Unsupported(c.v.Name, op)
	}
	body, ctype, err := providers.AudioForm(req, model)
	if err != nil {
		return nil, err
	}
	hreq, err := c.http.NewRequest(ctx, http.MethodPost, c.endpoint(op, model), body)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", ctype)
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" {
		out, err := providers.ReadObject(c.v.Name, resp, providers.MaxResponseBytes)
		if err != nil {
			return nil, err
		}
		return &llm.Response{Body: out, Usage: llm.ParseResponsesUsage(gjson.GetBytes(out, "usage"))}, nil
	}
	out, err := providers.ReadBody(resp, providers.MaxResponseBytes)
	if err != nil {
		return nil, providers.TransportError(c.v.Name, err)
	}
	return &llm.Response{Body: out, ContentType: resp.Header.Get("Content-Type")}, nil
}

// Speech sends a text-to-speech request and returns the audio as it arrives.
func (c *Client) Speech(ctx context.Context, req *llm.SpeechRequest, model string) (*llm.Binary, error) {
	if !c.v.Audio {
		return nil, providers.Unsupported(c.v.Name, "audio/speech")
	}
	body, err := withModel(req.Raw, model)
	if err != nil {
		return nil, err
	}
	hreq, err := c.http.NewRequest(ctx, http.MethodPost, c.endpoint("audio/speech", model), body)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, err
	}
	return &llm.Binary{Body: resp.Body, ContentType: resp.Header.Get("Content-Type")}, nil
}

var _ providers.AudioAPI = (*Client)(nil)
