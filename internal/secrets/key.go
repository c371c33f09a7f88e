package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	keySize     = 32 // AES-256
	keyFileName = "secret.key"
)

// decodeKey parses a base64 key (standard or URL alphabet, padded or raw) of exactly 32 bytes.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != keySize {
			return nil, fmt.Errorf("decodes to %d bytes, want %d", len(b), keySize)
		}
		return b, nil
	}
	return nil, errors.New("is not valid base64")
}

// fileKey returns the encryption key: CONDUIT_SECRET_KEY when given, else the key in
// <dataDir>/secret.key, created (0600) on first use.
func fileKey(dataDir, secretKey string) ([]byte, error) {
	if secretKey != "" {
		k, err := decodeKey(secretKey)
		if err != nil {
			return nil, fmt.Errorf("secrets: CONDUIT_SECRET_KEY %v: it must be the base64 of %d random bytes (e.g. `openssl rand -base64 32`)", err, keySize)
		}
		return k, nil
	}
	path := filepath.Join(dataDir, keyFileName)
	if k, err := readKeyFile(path); !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k := make([]byte, keySize)
	_, _ = rand.Read(k) // crypto/rand.Read never fails on supported platforms
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path) // created concurrently
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: create %s: %w", path, err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("secrets: write %s: %w", path, err)
	}
	return k, nil
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: read %s: %w", path, err)
	}
	k, err := decodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("secrets: %s %v", path, err)
	}
	return k, nil
}
