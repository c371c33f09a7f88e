package backend

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/store"
)

// backuper is a store that can write a consistent copy of itself while serving (SQLite).
type backuper interface {
	Backup(ctx context.Context, dest string) error
}

// backup streams a consistent copy of the database (GET /admin/backup): written beside the
// database with VACUUM INTO while Conduit keeps serving, sent as an attachment, then deleted.
// PostgreSQL is backed up with pg_dump instead (501).
func (s *Server) backup(c echo.Context) error {
	b, ok := s.o.Database.(backuper)
	if !ok {
		return &statusError{Status: http.StatusNotImplemented, Message: "this store cannot be backed up from Conduit"}
	}
	ctx := c.Request().Context()
	tmp, err := os.MkdirTemp(filepath.Dir(s.o.Database.Path()), ".backup-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dest := filepath.Join(tmp, "conduit.db")
	if err := b.Backup(ctx, dest); err != nil {
		if errors.Is(err, store.ErrBackupPostgres) {
			return &statusError{Status: http.StatusNotImplemented, Message: "the database is PostgreSQL: back it up with pg_dump"}
		}
		return err
	}
	f, err := os.Open(dest)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	s.audit(c, "create", "backup", "", nil, map[string]any{"bytes": fi.Size()})
	name := "conduit-backup-" + time.Now().UTC().Format("20060102T150405Z") + ".db"
	h := c.Response().Header()
	h.Set("Content-Type", "application/vnd.sqlite3")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	_, err = io.Copy(c.Response(), f)
	return err
}
