package backend

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

func (s *Server) transcriptions(c echo.Context) error { return s.transcribe(c, false) }

func (s *Server) translations(c echo.Context) error { return s.transcribe(c, true) }

// transcribe serves an audio upload (multipart/form-data, within MaxAudioBytes).
func (s *Server) transcribe(c echo.Context, translate bool) error {
	endpoint := "audio/transcriptions"
	if translate {
		endpoint = "audio/translations"
	}
	ctype := c.Request().Header.Get("Content-Type")
	return serveWithin(s, c, endpoint, s.o.MaxAudioBytes, func(body []byte) (*llm.AudioRequest, error) {
		req, err := parseAudioForm(ctype, body)
		if req != nil {
			req.Translate = translate
		}
		return req, err
	}, s.o.Gateway.Transcribe)
}

// parseAudioForm reads OpenAI's transcription form: a file part, a model, and optional text
// fields (language, prompt, response_format, temperature, timestamp_granularities[], ...),
// which are passed on as they are once the ones Conduit knows are checked.
func parseAudioForm(ctype string, body []byte) (*llm.AudioRequest, error) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, llm.InvalidRequest("", "the request must be multipart/form-data with a file and a model")
	}
	req := &llm.AudioRequest{}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, llm.InvalidRequest("", "malformed multipart body: "+err.Error())
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, llm.InvalidRequest("", "malformed multipart body: "+err.Error())
		}
		switch name := p.FormName(); {
		case name == "file":
			req.File, req.FileName, req.FileType = b, p.FileName(), p.Header.Get("Content-Type")
		case name == "model":
			req.Model = string(b)
		case name != "":
			req.Fields = append(req.Fields, llm.FormField{Name: name, Value: string(b)})
		}
	}
	return req, checkAudioRequest(req)
}

func checkAudioRequest(req *llm.AudioRequest) error {
	if req.Model == "" {
		return llm.InvalidRequest("model", "you must provide a model parameter")
	}
	if len(req.File) == 0 {
		return llm.InvalidRequest("file", "you must provide a non-empty file")
	}
	if req.FileName == "" {
		req.FileName = "audio"
	}
	if f := req.Field("response_format"); f != "" && !slices.Contains(llm.AudioResponseFormats, f) {
		return llm.InvalidRequest("response_format", "response_format must be one of json, text, srt, verbose_json, vtt")
	}
	if t := req.Field("temperature"); t != "" {
		if v, err := strconv.ParseFloat(t, 64); err != nil || v < 0 || v > 1 {
			return llm.InvalidRequest("temperature", "temperature must be a number between 0 and 1")
		}
	}
	return nil
}

// maxSpeechInput is the longest speech input, in characters (OpenAI's limit).
const maxSpeechInput = 4096

// parseSpeechRequest checks a text-to-speech request; the body goes upstream as it is.
func parseSpeechRequest(body []byte) (*llm.SpeechRequest, error) {
	if !llm.ValidObject(body) {
		return nil, llm.InvalidRequest("", "We could not parse the JSON body of your request.")
	}
	model, input := gjson.GetBytes(body, "model"), gjson.GetBytes(body, "input")
	if model.Type != gjson.String || model.Str == "" {
		return nil, llm.InvalidRequest("model", "you must provide a model parameter")
	}
	if input.Type != gjson.String || input.Str == "" {
		return nil, llm.InvalidRequest("input", "you must provide an input text")
	}
	req := &llm.SpeechRequest{Model: model.Str, Input: input.Str, Raw: body}
	if req.Chars() > maxSpeechInput {
		return nil, llm.InvalidRequest("input", "input must be at most "+strconv.Itoa(maxSpeechInput)+" characters")
	}
	return req, nil
}

// speech serves POST /v1/audio/speech: the audio is streamed back as it arrives. A failure
// after the first bytes cannot be told in an audio body: the connection is cut, so the client
// never takes a truncated answer as whole.
func (s *Server) speech(c echo.Context) error {
	call, req, err := admitRequest(s, c, "audio/speech", parseSpeechRequest)
	if err != nil {
		return err
	}
	body := &audioBody{}
	err = s.o.Gateway.Speech(c.Request().Context(), call, req, newStreamWriter(c, call, body))
	if body.broken {
		panic(http.ErrAbortHandler)
	}
	return reply(c, call, nil, err)
}

// audioBody is the stream dialect of a binary answer: chunks are written as they are.
type audioBody struct{ broken bool }

func (*audioBody) chunk(out io.Writer, data []byte) error {
	_, err := out.Write(data)
	return err
}

func (a *audioBody) end(_ io.Writer, err *llm.Error) error {
	a.broken = err != nil
	return nil
}

var _ streamDialect = (*audioBody)(nil)
