// Package sse reads and writes Server-Sent Events as LLM providers send them.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxEventBytes bounds one event's data so a broken upstream cannot exhaust memory.
const MaxEventBytes = 16 << 20

// Event is one server-sent event. Its slices are valid until the next call to Next.
type Event struct {
	Name []byte // the "event:" field, empty when absent
	Data []byte // the "data:" lines joined by '\n'
	ID   []byte
}

// Reader parses an event stream. The zero value is not usable; use NewReader.
type Reader struct {
	r    *bufio.Reader
	data []byte
	name []byte
	id   []byte
	line []byte
}

// NewReader reads events from r. Its 4 KiB buffer (one per stream, so kept small) holds any
// number of typical chunks; longer lines are assembled across reads.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 4<<10)}
}

// Reset makes s read events from r, keeping its buffers: a caller that pools readers across
// streams allocates nothing per stream. Buffers grown past a typical event are let go.
func (s *Reader) Reset(r io.Reader) {
	s.r.Reset(r)
	s.data, s.name, s.id, s.line = keep(s.data), keep(s.name), keep(s.id), keep(s.line)
}

// keepMax bounds a buffer Reset keeps.
const keepMax = 64 << 10

func keep(b []byte) []byte {
	if cap(b) > keepMax {
		return nil
	}
	return b[:0]
}

// ErrTooLarge is returned when an event exceeds MaxEventBytes.
var ErrTooLarge = errors.New("sse: event too large")

// Next returns the next event with data or a name. It returns io.EOF when the stream ends
// cleanly between events, and io.ErrUnexpectedEOF when it ends inside an event.
func (s *Reader) Next() (Event, error) {
	s.data, s.name, s.id = s.data[:0], s.name[:0], s.id[:0]
	hasData := false
	for {
		line, err := s.readLine()
		if err != nil {
			if err == io.EOF && (hasData || len(s.name) > 0) {
				// A final event without its blank line: deliver it; many servers end so.
				return Event{Name: s.name, Data: s.data, ID: s.id}, nil
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if hasData || len(s.name) > 0 {
				return Event{Name: s.name, Data: s.data, ID: s.id}, nil
			}
			continue
		}
		if line[0] == ':' { // comment / keep-alive
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if hasData {
				s.data = append(s.data, '\n')
			}
			if len(s.data)+len(value) > MaxEventBytes {
				return Event{}, ErrTooLarge
			}
			s.data = append(s.data, value...)
			hasData = true
		case "event":
			s.name = append(s.name, value...)
		case "id":
			s.id = append(s.id, value...)
		}
	}
}

// readLine returns one line without its terminator (\n, \r\n or \r-less). It keeps a buffer
// across calls, so the returned slice is only valid until the next call.
func (s *Reader) readLine() ([]byte, error) {
	s.line = s.line[:0]
	for {
		chunk, err := s.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(s.line)+len(chunk) > MaxEventBytes {
				return nil, ErrTooLarge
			}
			s.line = append(s.line, chunk...)
			continue
		}
		if err != nil {
			if err == io.EOF && (len(chunk) > 0 || len(s.line) > 0) {
				s.line = append(s.line, chunk...)
				return trimCR(s.line), nil
			}
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("sse: read: %w", err)
		}
		if len(s.line) == 0 {
			return trimCR(chunk[:len(chunk)-1]), nil
		}
		s.line = append(s.line, chunk[:len(chunk)-1]...)
		return trimCR(s.line), nil
	}
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
