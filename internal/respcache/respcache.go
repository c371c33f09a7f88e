// Package respcache is the response cache: the key of a cached answer, the entry stored under
// it, and the stores that keep entries (in memory with a database behind it, or in Redis).
package respcache

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"time"
)

// Store keeps cached answers. Get returns nil and no error on a miss; Set must not block on
// I/O: a store that writes somewhere slow queues the write (and may drop it when its queue is
// full). Implementations are safe for concurrent use.
type Store interface {
	Get(ctx context.Context, key string) (*Entry, error)
	Set(ctx context.Context, key string, e *Entry, ttl time.Duration)
}

// Entry is one cached answer: a whole body, or the chunks of a stream as the gateway handed
// them to its stream writer.
type Entry struct {
	Stream bool
	Native bool     // the chunks or body are a native API's own, not chat JSON
	Body   []byte   // the answer (not Stream)
	Chunks [][]byte // the stream's chunks (Stream)

	Provider, Fallback        string // who answered: provider name, fallback alias if one did
	ProviderID, ProviderModel string
	PromptTokens              int
	CompletionTokens          int
	Cost                      float64 // what the answer cost when it was made
}

// Size is about how many bytes the entry takes.
func (e *Entry) Size() int {
	n := 128 + len(e.Body) + len(e.Provider) + len(e.Fallback) + len(e.ProviderID) + len(e.ProviderModel)
	for _, c := range e.Chunks {
		n += len(c) + 24
	}
	return n
}

const encodingVersion = 1

// Marshal encodes the entry for a store.
func (e *Entry) Marshal() []byte {
	buf := make([]byte, 0, e.Size())
	var flags byte
	if e.Stream {
		flags |= 1
	}
	if e.Native {
		flags |= 2
	}
	buf = append(buf, encodingVersion, flags)
	for _, s := range []string{e.Provider, e.Fallback, e.ProviderID, e.ProviderModel} {
		buf = appendBytes(buf, []byte(s))
	}
	buf = binary.AppendUvarint(buf, uint64(e.PromptTokens))
	buf = binary.AppendUvarint(buf, uint64(e.CompletionTokens))
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(e.Cost))
	buf = appendBytes(buf, e.Body)
	buf = binary.AppendUvarint(buf, uint64(len(e.Chunks)))
	for _, c := range e.Chunks {
		buf = appendBytes(buf, c)
	}
	return buf
}

func appendBytes(buf, b []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	return append(buf, b...)
}

var errCorrupt = errors.New("respcache: corrupt entry")

// Unmarshal decodes an entry made by Marshal. The entry keeps no reference to b.
func Unmarshal(b []byte) (*Entry, error) {
	if len(b) < 2 || b[0] != encodingVersion {
		return nil, errCorrupt
	}
	d := decoder{b: b[2:]}
	e := &Entry{Stream: b[1]&1 != 0, Native: b[1]&2 != 0}
	e.Provider, e.Fallback = string(d.bytes()), string(d.bytes())
	e.ProviderID, e.ProviderModel = string(d.bytes()), string(d.bytes())
	e.PromptTokens, e.CompletionTokens = int(d.uvarint()), int(d.uvarint())
	e.Cost = math.Float64frombits(d.uint64())
	if body := d.bytes(); len(body) > 0 {
		e.Body = append([]byte(nil), body...)
	}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, errCorrupt
	}
	for range n {
		e.Chunks = append(e.Chunks, append([]byte(nil), d.bytes()...))
	}
	if d.bad || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}

// decoder reads Marshal's encoding; a read past the end sets bad and returns zero values.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint64() uint64 {
	if len(d.b) < 8 {
		d.bad, d.b = true, nil
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
