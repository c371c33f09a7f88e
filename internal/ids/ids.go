// Package ids makes short random identifiers with a readable prefix.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns prefix + "_" + 16 random base32 characters (80 bits), e.g. "prov_k3m2...".
func New(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + "_" + enc.EncodeToString(b[:])
}

// randLen and timedLen are how many characters New and NewTimed put after the prefix.
const (
	randLen  = 16
	timedLen = 20
)

// Minted reports whether id has a form New or NewTimed gives: a lowercase prefix, "_", then
// 16 (New) or 20 (NewTimed) characters of their alphabet. Ids made by other systems
// (OpenAI's are longer, hexadecimal) do not have it.
func Minted(id string) bool {
	cut := strings.LastIndexByte(id, '_')
	if n := len(id) - cut - 1; cut < 1 || (n != randLen && n != timedLen) {
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
