package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"
)

const secretsFileName = "secrets.json"

// ErrDecrypt is returned by the file backend when a secret cannot be decrypted, usually
// because CONDUIT_SECRET_KEY (or secret.key) is not the key the secret was written with.
var ErrDecrypt = errors.New("cannot decrypt secret")

// fileStore keeps secrets in <DataDir>/secrets.json: a JSON object mapping each name to
// base64(nonce ‖ AES-256-GCM ciphertext), with the name as additional data so blobs cannot
// be swapped between names. The file is 0600 and replaced atomically on every change.
type fileStore struct {
	path string
	s    sealer

	mu    sync.RWMutex
	blobs map[string]string
}

func openFileStore(ctx context.Context, dataDir, secretKey string) (*fileStore, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	if dataDir == "" {
		return nil, errors.New("secrets: file backend needs a data directory")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("secrets: create data directory: %w", err)
	}
	key, err := fileKey(dataDir, secretKey)
	if err != nil {
		return nil, err
	}
	sl, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	s := &fileStore{path: filepath.Join(dataDir, secretsFileName), s: sl, blobs: map[string]string{}}
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("secrets: read %s: %w", s.path, err)
	default:
		if err := json.Unmarshal(b, &s.blobs); err != nil {
			return nil, fmt.Errorf("secrets: %s is corrupt: %w", s.path, err)
		}
		if s.blobs == nil {
			s.blobs = map[string]string{}
		}
	}
	return s, nil
}

func (s *fileStore) Backend() string { return BackendFile }

func (s *fileStore) Get(ctx context.Context, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("secrets: %w", err)
	}
	s.mu.RLock()
	blob, ok := s.blobs[name]
	s.mu.RUnlock()
	if !ok {
		return "", fmt.Errorf("secrets: %q: %w", name, ErrNotFound)
	}
	return s.s.open(name, blob, s.path)
}

func (s *fileStore) Set(ctx context.Context, name, value string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	blob := s.s.seal(name, value)

	s.mu.Lock()
	defer s.mu.Unlock()
	next := maps.Clone(s.blobs)
	next[name] = blob
	if err := s.write(next); err != nil {
		return err
	}
	s.blobs = next
	return nil
}

func (s *fileStore) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.blobs[name]; !ok {
		return nil
	}
	next := maps.Clone(s.blobs)
	delete(next, name)
	if err := s.write(next); err != nil {
		return err
	}
	s.blobs = next
	return nil
}

// write replaces secrets.json atomically: a 0600 temp file in the same directory, synced,
// then renamed over the old one. Callers hold s.mu.
func (s *fileStore) write(blobs map[string]string) (err error) {
	b, err := json.MarshalIndent(blobs, "", "  ")
	if err != nil {
		return fmt.Errorf("secrets: encode: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(s.path), ".secrets-*.tmp")
	if err != nil {
		return fmt.Errorf("secrets: write %s: %w", s.path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	_, werr := f.Write(append(b, '\n'))
	err = errors.Join(werr, f.Chmod(0o600), f.Sync())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), s.path)
	}
	if err != nil {
		return fmt.Errorf("secrets: write %s: %w", s.path, err)
	}
	return nil
}
