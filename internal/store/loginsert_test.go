package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/usage"
)

// Every column round-trips whichever insert statement its row takes: a row with any one
// field set (a lean row when the field is one every request sets, a full row otherwise) reads
// back equal, so no field can be left out of the lean statement by mistake.
func TestInsertLogsEveryField(t *testing.T) { eachEngine(t, testInsertLogsEveryField) }

func testInsertLogsEveryField(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	typ := reflect.TypeFor[usage.Record]()
	var recs []usage.Record
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "ID" || f.Name == "Time" || f.Tag.Get("json") == "-" {
			continue
		}
		r := usage.Record{ID: fmt.Sprintf("req_%02d", i), Time: base}
		v := reflect.ValueOf(&r).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString("v-" + f.Name)
		case reflect.Int:
			v.SetInt(int64(1000 + i))
		case reflect.Float64:
			v.SetFloat(float64(i) + 0.25)
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Slice:
			r.AttemptLog = []usage.Attempt{{DeploymentID: "dep_1", Status: 502, Error: "boom", DurationMS: 3.5}}
		default:
			t.Fatalf("field %s: kind %s not covered by this test", f.Name, v.Kind())
		}
		recs = append(recs, r)
	}
	if err := db.InsertLogs(ctx, recs); err != nil {
		t.Fatal(err)
	}
	for _, want := range recs {
		got, err := db.GetLog(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("read back %+v\nwant %+v", got, want)
		}
	}
}

// Lean rows of one group in runs long enough for the group statements (a run of 100, one of
// exactly groupMinRows, one just short of it) among rows of many small groups, failed rows and
// repeated ids: every row reads back as written, a retried or overlapping batch stores and
// counts nothing twice.
func TestInsertLogsGroups(t *testing.T) { eachEngine(t, testInsertLogsGroups) }

func testInsertLogsGroups(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	var recs []usage.Record
	add := func(n int, key, alias string, status int) {
		for range n {
			i := len(recs)
			recs = append(recs, usage.Record{ID: fmt.Sprintf("req_%04d", 9999-i), // ids against batch order
				Time: base.Add(time.Duration(i%37) * time.Millisecond), KeyID: key,
				Endpoint: "/v1/chat/completions", Alias: alias, ProviderID: "prov_1",
				ProviderModel: "gpt-4o-mini", Status: status, LatencyMS: float64(i) + 0.125,
				TTFBMS: float64(i) / 3, OverheadMS: 0.1 * float64(i), PromptTokens: 100 + i,
				CompletionTokens: 2 * i, Cost: float64(i) * 1e-7, Stream: true, Attempts: 1,
				ClientIP: "10.0.0.9"})
		}
	}
	add(100, "key_a", "bench", 200)
	add(groupMinRows, "key_b", "bench", 200)
	add(groupMinRows-1, "key_c", "bench", 200)
	for i := range 30 {
		add(1, fmt.Sprintf("key_%d", i%9), fmt.Sprintf("alias-%d", i%4), []int{200, 429}[i%2])
	}
	add(40, "key_a", "bench", 500) // a group of its own: another status
	for i := 0; i < len(recs); i += 23 {
		recs[i].ErrorCode, recs[i].ErrorMessage = "upstream_error", "boom" // full rows
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.InsertLogs(cancelled, recs); err == nil {
		t.Fatal("InsertLogs with a cancelled context succeeded")
	}
	// A row twice in one batch is stored and counted once.
	if err := db.InsertLogs(ctx, append(slices.Clone(recs[:150]), recs[0])); err != nil {
		t.Fatal(err)
	}
	if err := db.InsertLogs(ctx, recs); err != nil { // overlaps the first batch
		t.Fatal(err)
	}
	if err := db.InsertLogs(ctx, recs[100:]); err != nil {
		t.Fatal(err)
	}
	for _, want := range recs {
		got, err := db.GetLog(ctx, want.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("GetLog(%s) = %+v, %v\nwant %+v", want.ID, got, err, want)
		}
	}
	var rolled, logged int64
	if err := db.r.QueryRowContext(ctx, `SELECT (SELECT SUM(requests) FROM usage_hourly),
		(SELECT COUNT(*) FROM request_logs)`).Scan(&rolled, &logged); err != nil {
		t.Fatal(err)
	}
	if rolled != int64(len(recs)) || logged != int64(len(recs)) {
		t.Fatalf("rollup counts %d requests, request_logs %d; want %d", rolled, logged, len(recs))
	}
	checkRollupExact(t, db)
}

// The group statement binds the group's values once and each row's after them.
func TestInsertGroupLogsSQL(t *testing.T) {
	got := insertGroupLogsSQL(2)
	want := `INSERT OR IGNORE INTO request_logs (` + groupLogCols + `, ` + groupRowCols + `) VALUES (` +
		strings.Repeat("?, ", leanLogColCount-1) + `?), (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ` +
		strings.Repeat("?, ", groupRowColCount-1) + `?)`
	if got != want {
		t.Errorf("insertGroupLogsSQL(2) =\n%s\nwant\n%s", got, want)
	}
	if n := strings.Count(groupLogCols+", "+groupRowCols, ",") + 1; n != leanLogColCount ||
		strings.Count(groupLogCols, ",")+1 != groupLogColCount {
		t.Errorf("group columns: %d in all, want %d", n, leanLogColCount)
	}
}
