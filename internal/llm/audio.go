package llm

import (
	"io"
	"unicode/utf8"
)

// AudioResponseFormats are the response_format values of a transcription or translation.
var AudioResponseFormats = []string{"json", "text", "srt", "verbose_json", "vtt"}

// AudioRequest is an audio upload to transcribe or translate: OpenAI's multipart form.
type AudioRequest struct {
	Model     string
	Translate bool // /audio/translations: into English
	File      []byte
	FileName  string
	FileType  string // the file part's Content-Type
	// Fields are the form's other fields in their order (language, prompt, response_format,
	// temperature, ...), passed on as they came.
	Fields []FormField
}

// FormField is one text field of a multipart form.
type FormField struct{ Name, Value string }

// Field returns the value of the named field ("" when absent).
func (r *AudioRequest) Field(name string) string {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// SpeechRequest is a text-to-speech request (OpenAI's /audio/speech JSON).
type SpeechRequest struct {
	Model string
	Input string
	Raw   []byte // the client's JSON, passed on with the model replaced
}

// Chars is the length of the input in characters, as speech is priced.
func (r *SpeechRequest) Chars() int { return utf8.RuneCountInString(r.Input) }

// Binary is an answer that is not JSON, read as it arrives (speech audio).
type Binary struct {
	Body        io.ReadCloser
	ContentType string
}
