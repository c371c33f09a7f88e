package gateway

import (
	"context"
	"errors"
	"io"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/wav"
)

// guessedBytesPerSecond is the bitrate a recording of unknown length is assumed to have
// (128 kbit/s, a common MP3 rate) when neither the upstream nor a WAV header says how long it is.
const guessedBytesPerSecond = 16_000

// Transcribe serves an audio transcription, or a translation when req.Translate. It is priced
// per second of audio: the length the upstream reports (verbose_json's duration, or a usage of
// type "duration"), else the length a WAV file's header gives, else a guess from the file's
// size at 128 kbit/s, which marks the row as estimated. Tokens the upstream reports are
// charged at the token prices too.
func (g *Gateway) Transcribe(ctx context.Context, c *Call, req *llm.AudioRequest) (*Result, error) {
	what := "audio transcriptions"
	if req.Translate {
		what = "audio translations"
	}
	secs, measured := audioSeconds(req.File)
	return g.oneShot(ctx, c, oneShot{alias: req.Model, body: audioSummary(req), what: what,
		units: pricing.Units{AudioSeconds: secs},
		call: adapterCall(func(ctx context.Context, a providers.AudioAPI, model string) (*llm.Response, error) {
			return a.Transcribe(ctx, req, model)
		}),
		settle: func(resp *llm.Response, n *pricing.Units) bool {
			if s, ok := reportedSeconds(resp); ok {
				n.AudioSeconds = s
				return false
			}
			return !measured
		}})
}

// audioSeconds is the length of a recording: from its WAV header, else guessed from its size.
func audioSeconds(file []byte) (secs float64, measured bool) {
	if d, ok := wav.Duration(file); ok {
		return d.Seconds(), true
	}
	return float64(len(file)) / guessedBytesPerSecond, false
}

// reportedSeconds is the audio length a transcription answer reports.
func reportedSeconds(resp *llm.Response) (float64, bool) {
	if resp.ContentType != "" {
		return 0, false
	}
	if d := gjson.GetBytes(resp.Body, "duration"); d.Type == gjson.Number {
		return d.Float(), true
	}
	if u := gjson.GetBytes(resp.Body, "usage"); u.Get("type").Str == "duration" {
		return u.Get("seconds").Float(), true
	}
	return 0, false
}

// audioSummary is what the request log keeps of an upload: its fields and the file's name,
// type and size, not the audio.
func audioSummary(req *llm.AudioRequest) []byte {
	fields := make(map[string]string, len(req.Fields))
	for _, f := range req.Fields {
		fields[f.Name] = f.Value
	}
	b, _ := llm.Encode(map[string]any{"model": req.Model, "fields": fields,
		"file": map[string]any{"name": req.FileName, "type": req.FileType, "bytes": len(req.File)}})
	return b
}

// Speech serves a text-to-speech request: the audio is relayed to w as it arrives (failover
// before its first bytes is invisible; a cut after them breaks the answer). It is priced per
// character of input.
func (g *Gateway) Speech(ctx context.Context, c *Call, req *llm.SpeechRequest, w StreamWriter) error {
	s := g.cfg.Load()
	rec := g.newRecord(c, req.Model, s)
	rec.Stream = true
	rec.keepRequest(req.Raw)
	rec.keepBodies = false // the answer is audio
	defer g.finish(ctx, c, rec)
	rt := route{alias: req.Model}
	units := pricing.Units{Chars: req.Chars()}
	plan, err := g.plan(ctx, s, c, rt, len(req.Raw), 0, units)
	if err != nil {
		return rec.fail(err)
	}
	r := &relay{g: g, c: c, w: w, rec: rec, format: &speechStream{req: req}, units: units}
	return r.run(ctx, s, rt, plan)
}

// speechStream is the relay's format for speech: the chunks are the audio's bytes.
type speechStream struct {
	req   *llm.SpeechRequest
	ctype string // of the stream opened last
}

func (f *speechStream) open(ctx context.Context, d *snapshot.Deployment) (llm.ChunkStream, error) {
	return via(ctx, d, "audio/speech", func(ctx context.Context, a providers.AudioAPI, model string) (llm.ChunkStream, error) {
		b, err := a.Speech(ctx, f.req, model)
		if err != nil {
			return nil, err
		}
		f.ctype = b.ContentType
		if f.ctype == "" {
			f.ctype = "application/octet-stream"
		}
		return &byteStream{body: b.Body, buf: make([]byte, 32<<10)}, nil
	})
}

func (f *speechStream) take(chunk []byte, _ *delivered) ([]byte, bool) { return chunk, true }

func (f *speechStream) estimate(*snapshot.Deployment, *delivered) (llm.Usage, bool) {
	return llm.Usage{}, false // priced by characters, not tokens
}

func (f *speechStream) name(string) {}

func (f *speechStream) contentType() string { return f.ctype }

// byteStream yields a body's bytes as they arrive, each chunk valid until the next.
type byteStream struct {
	body io.ReadCloser
	buf  []byte
	err  error // met with bytes still to yield
}

func (s *byteStream) Next() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	n, err := s.body.Read(s.buf)
	for n == 0 && err == nil {
		n, err = s.body.Read(s.buf)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.EOF
		}
		if n > 0 {
			s.err = err
			return s.buf[:n], nil
		}
		return nil, err
	}
	return s.buf[:n], nil
}

func (s *byteStream) Close() error { return s.body.Close() }
