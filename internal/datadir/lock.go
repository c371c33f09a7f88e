package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockName is the lock file a running server holds in its data directory.
const LockName = "conduit.lock"

// ErrInUse is returned by Acquire when another process holds the data directory's lock.
var ErrInUse = errors.New("data directory is in use by a running Conduit")

// Lock is a held data directory lock.
type Lock struct{ f *os.File }

// Acquire takes dir's lock for this process (an advisory lock the OS drops when the process
// ends, however it ends). It fails with ErrInUse, naming the holder's process id, when a
// running server holds it.
func Acquire(dir string) (*Lock, error) {
	p := filepath.Join(dir, LockName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock %s: %w", p, err)
	}
	if err := lockFile(f); err != nil {
		b, _ := os.ReadFile(p)
		f.Close()
		if pid := strings.TrimSpace(string(b)); pid != "" {
			return nil, fmt.Errorf("%w (process %s)", ErrInUse, pid)
		}
		return nil, ErrInUse
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &Lock{f: f}, nil
}

// Release gives the lock back.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = unlockFile(l.f)
	err := l.f.Close()
	l.f = nil
	return err
}

// InUse reports whether a running server holds dir's lock.
func InUse(dir string) (bool, error) {
	l, err := Acquire(dir)
	if errors.Is(err, ErrInUse) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, l.Release()
}
