package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/conduit-gw/conduit/internal/datadir"
	"github.com/conduit-gw/conduit/internal/store"
)

// Restore replaces the data directory's database with the backup in file. It refuses while a
// server holds the data directory, and checks the backup (integrity, a Conduit database)
// before touching anything. The database it replaces is kept beside it as
// conduit.db.pre-restore-<time> (with its WAL). It returns the request log rows restored and
// where the previous database went ("" when there was none).
func Restore(ctx context.Context, dataDir, file string) (rows int64, kept string, err error) {
	if err := datadir.Prepare(dataDir); err != nil {
		return 0, "", err
	}
	lock, err := datadir.Acquire(dataDir)
	if errors.Is(err, datadir.ErrInUse) {
		return 0, "", fmt.Errorf("%w: stop the server using %s before restoring", err, dataDir)
	}
	if err != nil {
		return 0, "", err
	}
	defer lock.Release()
	if rows, err = store.CheckFile(ctx, file); err != nil {
		return 0, "", fmt.Errorf("%s cannot be restored: %w", file, err)
	}
	db := filepath.Join(dataDir, DBName)
	tmp := db + ".restoring"
	if err := copyPrivate(file, tmp); err != nil {
		os.Remove(tmp)
		return 0, "", err
	}
	if _, err := os.Stat(db); err == nil {
		kept = db + ".pre-restore-" + time.Now().UTC().Format("20060102T150405Z")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(db+suffix, kept+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				os.Remove(tmp)
				return 0, "", fmt.Errorf("keeping the current database: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, db); err != nil {
		return 0, kept, err
	}
	return rows, kept, nil
}

// copyPrivate copies src to a new file dst, 0600, synced to disk.
func copyPrivate(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
