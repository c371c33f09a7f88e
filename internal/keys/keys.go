// Package keys makes virtual keys and the hashes they are stored and looked up by.
package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Prefix starts every virtual key.
const Prefix = "condt_"

// Generate returns a new virtual key: "condt_" + base64url (no padding) of 32 random bytes.
func Generate() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return Prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Hash is the SHA-256 of a key, the only form in which keys are stored.
func Hash(key string) [32]byte { return sha256.Sum256([]byte(key)) }

// HashHex is Hash in lowercase hex.
func HashHex(key string) string {
	h := Hash(key)
	return hex.EncodeToString(h[:])
}

// ParseHashHex decodes a stored hash; ok is false for anything that is not 64 hex digits.
func ParseHashHex(s string) (h [32]byte, ok bool) {
	if len(s) != 64 {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, false
	}
	return h, true
}

// DisplayPrefix is the part of a key shown in lists: "condt_" and the next 6 characters.
func DisplayPrefix(key string) string {
	n := len(Prefix) + 6
	if len(key) < n {
		return key
	}
	return key[:n]
}

// LooksValid reports whether s has the shape of a virtual key.
func LooksValid(s string) bool {
	if !strings.HasPrefix(s, Prefix) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s[len(Prefix):])
	return err == nil && len(b) == 32
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
