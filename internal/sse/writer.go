package sse

import (
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
	_, err := w.Write(AppendNamed(nil, evs...))
	return err
}

// AppendNamed appends evs to dst as they are written: a writer of many chunks reuses one
// buffer.
func AppendNamed(dst []byte, evs ...Named) []byte {
	for _, ev := range evs {
		dst = append(dst, "event: "...)
		dst = append(dst, ev.Name...)
		dst = append(dst, "\ndata: "...)
		dst = append(dst, ev.Data...)
		dst = append(dst, "\n\n"...)
	}
	return dst
}
