package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/notify"
	"github.com/conduit-gw/conduit/internal/testsvc"
	"github.com/conduit-gw/conduit/internal/usage"
)

// TestPostgresOpenConcurrentlyAndAgain: instances starting together on one empty database
// migrate it once between them (advisory lock); reopening changes nothing.
func TestPostgresOpenConcurrentlyAndAgain(t *testing.T) {
	ctx := t.Context()
	url := testsvc.Postgres(t)
	dbs := make([]*DB, 3)
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = OpenPostgres(ctx, url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("OpenPostgres %d: %v", i, err)
		}
		t.Cleanup(func() { _ = dbs[i].Close() })
	}
	files, _ := fs.Glob(migrationFiles, "migrations_postgres/*.sql")
	var applied int
	if err := dbs[0].r.QueryRowContext(ctx, `SELECT COUNT(*) FROM goose_db_version
		WHERE version_id > 0`).Scan(&applied); err != nil || applied != len(files) {
		t.Fatalf("%d migrations applied (%v), want %d", applied, err, len(files))
	}
	if !dbs[0].Postgres() || strings.Contains(dbs[0].Path(), "password") || dbs[0].SizeBytes() <= 0 {
		t.Errorf("Postgres() = %v, Path() = %q, SizeBytes() = %d", dbs[0].Postgres(), dbs[0].Path(),
			dbs[0].SizeBytes())
	}
	if err := dbs[1].Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestPostgresOpenErrors: a bad URL or an unreachable server is one clear error, and the
// password is never in it.
func TestPostgresOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for _, dsn := range []string{
		"postgres://u:s3cret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"postgres://u:s3cret@[bad",
	} {
		db, err := OpenPostgres(ctx, dsn)
		if err == nil {
			_ = db.Close()
			t.Fatalf("OpenPostgres(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

// TestPostgresConcurrentWriters: several instances (store handles) write overlapping batches
// (same hours, keys, aliases) at once; the rollup equals a rebuild from the log rows, and
// summaries match the raw rows.
func TestPostgresConcurrentWriters(t *testing.T) {
	ctx := t.Context()
	url := testsvc.Postgres(t)
	const writers, batches = 4, 6
	dbs := make([]*DB, writers)
	for i := range dbs {
		db, err := OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches)
	for w, db := range dbs {
		wg.Go(func() {
			for b := range batches {
				recs := rollupLogs(fmt.Sprintf("w%d_%d_", w, b), 300, start, 3*time.Hour, uint64(w*100+b))
				if err := db.InsertLogs(ctx, recs); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("InsertLogs: %v", err)
	}
	db := dbs[0]
	counts, err := db.Counts(ctx)
	if err != nil || counts["request_logs"] != writers*batches*300 {
		t.Fatalf("Counts = %v, %v; want %d request_logs", counts, err, writers*batches*300)
	}
	checkRollupExact(t, db)
	raw := readRaw(t, db)
	for _, g := range []string{usage.GroupByKey, usage.GroupByModel, usage.GroupByDay} {
		checkSummary(t, db, raw, time.Time{}, time.Time{}, g)
		checkSummary(t, db, raw, start.Add(20*time.Minute), start.Add(150*time.Minute), g)
	}
}

// TestPostgresResponses: stored responses on PostgreSQL (the SQLite test also reopens the file).
func TestPostgresResponses(t *testing.T) {
	db, ctx := openPostgresTest(t), t.Context()
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rs := []StoredResponse{
		{ID: "resp_1", KeyID: "k1", Model: "gpt", CreatedAt: old, Input: `[]`, Response: `{"id":"resp_1"}`},
		{ID: "resp_2", KeyID: "k1", PreviousID: "resp_1", Model: "gpt", CreatedAt: old.Add(48 * time.Hour),
			Input: `[]`, Response: `{"id":"resp_2"}`},
	}
	if err := db.PutResponses(ctx, rs); err != nil {
		t.Fatal(err)
	}
	rs[1].Response = `{"id":"resp_2","status":"completed"}`
	if err := db.PutResponses(ctx, rs[1:]); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetResponse(ctx, "resp_2")
	if err != nil || got.PreviousID != "resp_1" || got.Response != rs[1].Response || !got.CreatedAt.Equal(rs[1].CreatedAt) {
		t.Fatalf("GetResponse = %+v, %v", got, err)
	}
	if n, err := db.PruneResponses(ctx, old.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("PruneResponses = %d, %v; want 1", n, err)
	}
	if err := db.DeleteResponse(ctx, "resp_2"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetResponse(ctx, "resp_2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted response: %v", err)
	}
}

// TestSecretBlobs: the rows of the database secrets backend, on both engines.
func TestSecretBlobs(t *testing.T) { eachEngine(t, testSecretBlobs) }

func testSecretBlobs(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	if _, ok, err := db.SecretBlob(ctx, "p"); ok || err != nil {
		t.Fatalf("missing secret: ok %v, %v", ok, err)
	}
	for _, v := range []string{"one", "two"} {
		if err := db.PutSecretBlob(ctx, "p", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := db.SecretBlob(ctx, "p"); got != v || !ok || err != nil {
			t.Fatalf("SecretBlob = %q, %v, %v; want %q", got, ok, err, v)
		}
	}
	if err := db.DeleteSecretBlob(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.SecretBlob(ctx, "p"); ok {
		t.Fatal("secret still there after delete")
	}
	if r, err := db.GetRouter(ctx); err != nil || r.MaxRetries < 0 {
		t.Fatalf("router settings disturbed: %v", err)
	}
}

// TestSessions: web UI logins kept in the database, on both engines.
func TestSessions(t *testing.T) { eachEngine(t, testSessions) }

func testSessions(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	now := time.Now()
	if err := db.CreateSession(ctx, "h1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSession(ctx, "old", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		hash string
		at   time.Time
		want bool
	}{
		{"h1", now, true}, {"h1", now.Add(2 * time.Hour), false}, {"old", now, false}, {"none", now, false},
	} {
		if ok, err := db.SessionValid(ctx, tt.hash, tt.at); ok != tt.want || err != nil {
			t.Errorf("SessionValid(%s, %v) = %v, %v; want %v", tt.hash, tt.at, ok, err, tt.want)
		}
	}
	if err := db.DeleteSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.SessionValid(ctx, "h1", now); ok {
		t.Error("deleted session still valid")
	}
}

// TestClaimNotification: of two claims of one condition (dedupe key), one wins; the batch
// insert skips a notification whose condition is stored.
func TestClaimNotification(t *testing.T) { eachEngine(t, testClaimNotification) }

func testClaimNotification(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	n := notify.Notification{Type: "budget", Title: "50%", Dedupe: "budget:k:1:50"}
	won, err := db.ClaimNotification(ctx, n)
	if err != nil || !won {
		t.Fatalf("first claim = %v, %v", won, err)
	}
	if won, err := db.ClaimNotification(ctx, n); err != nil || won {
		t.Fatalf("second claim = %v, %v; want lost", won, err)
	}
	if err := db.InsertNotifications(ctx, []notify.Notification{n, {Type: "system", Title: "x"},
		{Type: "system", Title: "y"}}); err != nil {
		t.Fatal(err)
	}
	list, err := db.ListNotifications(ctx, 10, false)
	if err != nil || len(list) != 3 {
		t.Fatalf("%d notifications (%v), want 3: one per condition, and both without one", len(list), err)
	}
}
