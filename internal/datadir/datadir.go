// Package datadir keeps Conduit's data directory private and says whether a server is using
// it: the directory is 0700 and every file in it 0600 whatever the umask, and a running
// server holds a lock file in it.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Prepare creates dir if needed, makes it 0700 and every regular file in it 0600 (also when it
// already existed), and checks that it is writable.
func Prepare(dir string) error {
	if dir == "" {
		return errors.New("no data directory: set --data-dir or CONDUIT_DATA_DIR")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory %s cannot be created: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data directory %s: cannot make it private: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return Secure(dir)
}

// Secure makes every regular file directly in dir 0600.
func Secure(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if fi, err := e.Info(); err == nil && fi.Mode().Perm() == 0o600 {
			continue
		}
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("data directory: cannot make %s private: %w", p, err)
		}
	}
	return nil
}

// CreatePrivate creates path empty and 0600 if it does not exist. SQLite gives the WAL and
// shared-memory files it creates beside a database the database file's permissions, so a
// database file created this way keeps all three private.
func CreatePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return os.Chmod(path, 0o600)
	}
	if err != nil {
		return err
	}
	return f.Close()
}
