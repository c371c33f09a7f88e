package store

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/usage"
)

// A backup taken while rows are being written is a whole, consistent database with every row
// committed before it started.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "conduit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	write := func(n int) {
		recs := make([]usage.Record, n)
		for i := range recs {
			recs[i] = usage.Record{ID: ids.New("req"), Time: time.Now().UTC(), Alias: "a", Status: 200}
		}
		if err := db.InsertLogs(ctx, recs); err != nil {
			t.Error(err)
		}
	}
	write(100)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // keep writing during the backup
		defer wg.Done()
		for !stop.Load() {
			write(10)
		}
	}()
	dest := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	stop.Store(true)
	wg.Wait()
	n, err := CheckFile(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("backup holds %d log rows, want at least the 100 written before it", n)
	}
	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v %v, want 0600", fi.Mode(), err)
	}
	if err := db.Backup(ctx, dest); err == nil {
		t.Error("backup over an existing file succeeded")
	}
	// The copy opens as a store.
	cp, err := Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	cp.Close()
}

func TestCheckFileRefuses(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("this is not a database at all, not even close......................................................."), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckFile(context.Background(), junk); err == nil {
		t.Error("junk accepted")
	}
	if _, err := CheckFile(context.Background(), filepath.Join(dir, "missing.db")); err == nil {
		t.Error("missing file accepted")
	}
}
