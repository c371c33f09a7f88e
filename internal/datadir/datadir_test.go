//go:build unix

package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestPrepareMakesEverythingPrivate(t *testing.T) {
	old := syscall.Umask(0) // the most permissive umask: modes must not depend on it
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o777); err != nil { // an existing, open directory
		t.Fatal(err)
	}
	for _, n := range []string{"conduit.db", "conduit.db-wal", "master.key"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Prepare(dir); err != nil {
		t.Fatal(err)
	}
	mode := func(p string) os.FileMode {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if m := mode(dir); m != 0o700 {
		t.Errorf("dir %v, want 0700", m)
	}
	for _, n := range []string{"conduit.db", "conduit.db-wal", "master.key"} {
		if m := mode(filepath.Join(dir, n)); m != 0o600 {
			t.Errorf("%s %v, want 0600", n, m)
		}
	}
	fresh := filepath.Join(dir, "new.db")
	if err := CreatePrivate(fresh); err != nil {
		t.Fatal(err)
	}
	if m := mode(fresh); m != 0o600 {
		t.Errorf("CreatePrivate: %v", m)
	}
	if err := Prepare(""); err == nil {
		t.Error("empty dir accepted")
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if inUse, err := InUse(dir); err != nil || !inUse {
		t.Fatalf("InUse while held = %v %v", inUse, err)
	}
	if _, err := Acquire(dir); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Acquire = %v, want ErrInUse", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if inUse, err := InUse(dir); err != nil || inUse {
		t.Fatalf("InUse after release = %v %v", inUse, err)
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	l2.Release()
}
