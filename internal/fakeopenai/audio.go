package fakeopenai

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"

	"github.com/conduit-gw/conduit/internal/wav"
)

// Transcript is what the fake hears in every recording; Translation is its English.
const (
	Transcript  = "Bonjour depuis le faux serveur."
	Translation = "Hello from the fake server."
)

// transcribe answers /audio/transcriptions and /audio/translations like OpenAI: a multipart
// form with a file and a model, answered in its response_format (json by default; verbose_json
// reports the duration of a WAV file).
func (s *Server) transcribe(w http.ResponseWriter, r *http.Request, raw []byte, translate bool) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "expected multipart/form-data")
		return
	}
	form := map[string]string{}
	var file []byte
	mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "malformed multipart body")
			return
		}
		b, _ := io.ReadAll(p)
		if p.FormName() == "file" {
			file = b
		} else {
			form[p.FormName()] = string(b)
		}
	}
	if form["model"] == "" || len(file) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "you must provide a model and a file")
		return
	}
	text, task, lang := Transcript, "transcribe", "french"
	if translate {
		text, task, lang = Translation, "translate", "english"
	}
	secs := 0.0
	if d, ok := wav.Duration(file); ok {
		secs = d.Seconds()
	}
	switch form["response_format"] {
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, text)
	case "srt", "vtt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if form["response_format"] == "vtt" {
			fmt.Fprint(w, "WEBVTT\n\n")
		}
		fmt.Fprintf(w, "1\n00:00:00,000 --> 00:00:%06.3f\n%s\n", secs, text)
	case "verbose_json":
		writeJSON(w, map[string]any{"task": task, "language": lang, "duration": secs, "text": text,
			"segments": []map[string]any{{"id": 0, "start": 0, "end": secs, "text": text}}})
	default:
		writeJSON(w, map[string]any{"text": text})
	}
}

// SpeechAudio is the audio the fake answers a speech request for input with: deterministic
// bytes, long enough to arrive in several pieces.
func SpeechAudio(input string) []byte {
	return bytes.Repeat([]byte("ID3 fake audio of: "+input+"\n"), 4096)
}

// speechType is the media type of a speech response_format (mp3 by default).
func speechType(format string) string {
	switch format {
	case "opus":
		return "audio/ogg"
	case "aac", "flac", "wav", "pcm":
		return "audio/" + format
	}
	return "audio/mpeg"
}

// speech answers /audio/speech with SpeechAudio, written in pieces of 16 KiB and flushed; a
// script's CutAfter hangs up after that many pieces.
func (s *Server) speech(w http.ResponseWriter, body map[string]any, sc Script) {
	model, _ := body["model"].(string)
	input, _ := body["input"].(string)
	voice, _ := body["voice"].(string)
	if model == "" || input == "" || voice == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "model, input and voice are required")
		return
	}
	format, _ := body["response_format"].(string)
	w.Header().Set("Content-Type", speechType(format))
	audio := SpeechAudio(input)
	rc := http.NewResponseController(w)
	i := 0
	for piece := range slices.Chunk(audio, 16<<10) {
		if sc.CutAfter > 0 && i == sc.CutAfter {
			hangUp(w, false)
			return
		}
		i++
		if _, err := w.Write(piece); err != nil {
			return
		}
		_ = rc.Flush()
	}
}
