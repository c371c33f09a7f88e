package ids

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"time"
)

// sorted is base32 with an alphabet in ASCII order, so encoded ids sort like their bytes.
var sorted = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// NewTimed returns prefix + "_" + 20 base32 characters: 48 bits of Unix milliseconds then 48
// random bits. Ids made later sort after earlier ones (to the millisecond), so a database
// index on them is appended to at its end instead of written all over.
func NewTimed(prefix string, now time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails on supported platforms
	var enc [20]byte        // sorted.EncodedLen(12)
	sorted.Encode(enc[:], b[:])
	return prefix + "_" + string(enc[:]) // one allocation: the conversion is only read by the concatenation
}
