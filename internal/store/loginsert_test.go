package store

import (
	"fmt"
	"reflect"
	"testing"

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
