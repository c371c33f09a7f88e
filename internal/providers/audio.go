package providers

import (
	"bytes"
	"cmp"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"

	"github.com/conduit-gw/conduit/internal/llm"
)

// AudioForm encodes an audio upload as the multipart form OpenAI's audio endpoints take, with
// model as the model, and returns the body and its Content-Type. The body is bytes, so a
// retried request sends it again.
func AudioForm(req *llm.AudioRequest, model string) (body []byte, contentType string, err error) {
	var b bytes.Buffer
	b.Grow(len(req.File) + 1024)
	w := multipart.NewWriter(&b)
	if err := w.WriteField("model", model); err != nil {
		return nil, "", fmt.Errorf("audio form: %w", err)
	}
	for _, f := range req.Fields {
		if err := w.WriteField(f.Name, f.Value); err != nil {
			return nil, "", fmt.Errorf("audio form: %w", err)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+quoteEscaper.Replace(req.FileName)+`"`)
	h.Set("Content-Type", cmp.Or(req.FileType, "application/octet-stream"))
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", fmt.Errorf("audio form: %w", err)
	}
	if _, err := part.Write(req.File); err != nil {
		return nil, "", fmt.Errorf("audio form: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("audio form: %w", err)
	}
	return b.Bytes(), w.FormDataContentType(), nil
}

// quoteEscaper escapes a file name for a Content-Disposition header, as mime/multipart does.
var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")
