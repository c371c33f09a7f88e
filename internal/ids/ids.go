// Package ids makes short random identifiers with a readable prefix.
package ids

import (
	"crypto/rand"
	"encoding/base32"
)

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns prefix + "_" + 16 random base32 characters (80 bits), e.g. "prov_k3m2...".
func New(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + "_" + enc.EncodeToString(b[:])
}

// randLen is how many characters New puts after the prefix.
const randLen = 16

// Minted reports whether id has the form New gives: a lowercase prefix, "_", then 16
// characters of New's alphabet. Ids made by other systems (OpenAI's are longer, hexadecimal)
// do not have it.
func Minted(id string) bool {
	cut := len(id) - randLen - 1
	if cut < 1 || id[cut] != '_' {
		return false
	}
	for i := range len(id) {
		c := id[i]
		switch {
		case i == cut:
		case c >= 'a' && c <= 'z':
		case c >= '2' && c <= '7' && i > cut:
		default:
			return false
		}
	}
	return true
}
