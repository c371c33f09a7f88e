// Package wav reads the length of a WAV (RIFF/WAVE) recording from its header and writes
// PCM recordings (tests and examples need short real ones).
package wav

import (
	"bytes"
	"encoding/binary"
	"time"
)

// Duration is the length of the WAV recording in b, from its "fmt " chunk's byte rate and
// its "data" chunk's size (the bytes present when the header leaves the size open). ok is
// false when b is not a WAV file or its header is unusable.
func Duration(b []byte) (d time.Duration, ok bool) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, false
	}
	var byteRate uint32
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), binary.LittleEndian.Uint32(b[p+4:p+8])
		body := p + 8
		switch id {
		case "fmt ":
			if size < 16 || body+16 > len(b) {
				return 0, false
			}
			byteRate = binary.LittleEndian.Uint32(b[body+8 : body+12])
		case "data":
			if byteRate == 0 {
				return 0, false
			}
			n := uint64(size)
			if rest := uint64(len(b) - body); n > rest || size == 0xFFFFFFFF { // streamed or cut short
				n = rest
			}
			return time.Duration(n * uint64(time.Second) / uint64(byteRate)), true
		}
		p = body + int(size) + int(size&1) // chunks are padded to an even size
		if p < body {                      // a size that overflows int
			return 0, false
		}
	}
	return 0, false
}

// PCM16 returns a mono 16-bit PCM WAV file of samples at rate samples per second.
func PCM16(samples []int16, rate int) []byte {
	var b bytes.Buffer
	data := len(samples) * 2
	b.WriteString("RIFF")
	le32(&b, uint32(36+data))
	b.WriteString("WAVEfmt ")
	le32(&b, 16)
	le16(&b, 1) // PCM
	le16(&b, 1) // mono
	le32(&b, uint32(rate))
	le32(&b, uint32(rate*2)) // byte rate
	le16(&b, 2)              // block align
	le16(&b, 16)             // bits per sample
	b.WriteString("data")
	le32(&b, uint32(data))
	for _, s := range samples {
		le16(&b, uint16(s))
	}
	return b.Bytes()
}

func le32(b *bytes.Buffer, v uint32) { _ = binary.Write(b, binary.LittleEndian, v) }
func le16(b *bytes.Buffer, v uint16) { _ = binary.Write(b, binary.LittleEndian, v) }
