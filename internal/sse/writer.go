package sse

import (
	"bytes"
	"io"
)

// Named is one server-sent event to send, with its type: written as "event: Name" and one
// line "data: Data".
type Named struct {
	Name string
	Data []byte
}

// WriteNamed writes evs to w in one write.
func WriteNamed(w io.Writer, evs []Named) error {
	var b bytes.Buffer
	for _, ev := range evs {
		b.WriteString("event: ")
		b.WriteString(ev.Name)
		b.WriteString("\ndata: ")
		b.Write(ev.Data)
		b.WriteString("\n\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}
