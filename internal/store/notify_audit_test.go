package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/audit"
	"github.com/conduit-gw/conduit/internal/notify"
)

func TestNotifications(t *testing.T) { eachEngine(t, testNotifications) }

func testNotifications(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	ns := []notify.Notification{
		{Time: base, Type: "budget", Severity: "warning", Title: "80%", Body: "key a", KeyID: "key_a"},
		{Time: base.Add(time.Second), Type: "provider_health", Severity: "error", Title: "down", ProviderID: "prov_1"},
		{Type: "system", Severity: "info", Title: "first start"}, // zero time: now
	}
	if err := db.InsertNotifications(ctx, ns); err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if !strings.HasPrefix(n.ID, "ntf_") || n.Time.IsZero() {
			t.Fatalf("id/time not filled in: %+v", n)
		}
	}
	if n, err := db.UnreadNotifications(ctx); err != nil || n != 3 {
		t.Fatalf("Unread = %d, %v; want 3", n, err)
	}
	list, err := db.ListNotifications(ctx, 0, false)
	if err != nil || len(list) != 3 || list[0].ID != ns[2].ID || list[2].ID != ns[0].ID {
		t.Fatalf("List newest first = %+v, %v", list, err)
	}
	if list[2] != ns[0] || list[2].Time.Location() != time.UTC {
		t.Errorf("round trip: got %+v, want %+v", list[2], ns[0])
	}
	if err := db.MarkNotificationRead(ctx, ns[1].ID); err != nil {
		t.Fatal(err)
	}
	unread, _ := db.ListNotifications(ctx, 10, true)
	if len(unread) != 2 {
		t.Errorf("unread list = %d, want 2", len(unread))
	}
	if n, err := db.MarkAllNotificationsRead(ctx); err != nil || n != 2 {
		t.Errorf("MarkAll = %d, %v; want 2", n, err)
	}
	if n, _ := db.UnreadNotifications(ctx); n != 0 {
		t.Errorf("Unread after MarkAll = %d", n)
	}
	if list, _ := db.ListNotifications(ctx, 1, false); len(list) != 1 {
		t.Errorf("limit 1 gave %d", len(list))
	}
}

func TestAudit(t *testing.T) { eachEngine(t, testAudit) }

func testAudit(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	var es []audit.Entry
	for i := range 30 {
		res := "providers"
		if i%3 == 0 {
			res = "keys"
		}
		es = append(es, audit.Entry{Time: base.Add(time.Duration(i/2) * time.Second), Actor: "master_key",
			ClientIP: "::1", Action: "update", Resource: res, ResourceID: fmt.Sprint(i),
			Changes: json.RawMessage(`{"before": {"enabled": true}, "after": {"enabled": false}}`)})
	}
	es = append(es, audit.Entry{Action: "login", Actor: "session"}) // nil changes, zero time
	if err := db.InsertAudit(ctx, es); err != nil {
		t.Fatal(err)
	}
	var all []audit.Entry
	before := ""
	for {
		page, err := db.ListAudit(ctx, 7, before, "")
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 7 {
			break
		}
		before = page[len(page)-1].ID
	}
	if len(all) != 31 || all[0].Action != "login" || all[0].Changes != nil {
		t.Fatalf("paged %d entries, first %+v", len(all), all[0])
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.Time.Before(b.Time) || a.Time.Equal(b.Time) && a.ID < b.ID {
			t.Fatalf("not newest first at %d: %v %s then %v %s", i, a.Time, a.ID, b.Time, b.ID)
		}
	}
	if got := string(all[1].Changes); got != `{"before":{"enabled":true},"after":{"enabled":false}}` {
		t.Errorf("changes = %s", got)
	}
	keys, err := db.ListAudit(ctx, 100, "", "keys")
	if err != nil || len(keys) != 10 {
		t.Errorf("resource filter = %d, %v; want 10", len(keys), err)
	}
	if _, err := db.ListAudit(ctx, 10, "aud_missing", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown cursor: err = %v, want ErrNotFound", err)
	}
	bad := []audit.Entry{{Action: "x", Changes: json.RawMessage(`{oops`)}}
	if err := db.InsertAudit(ctx, bad); err == nil {
		t.Error("invalid changes JSON accepted")
	}
}

func TestFlipProviderHealth(t *testing.T) { eachEngine(t, testFlipProviderHealth) }

func testFlipProviderHealth(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	steps := []struct {
		name     string
		provider string
		up       bool
		at       time.Duration // after base
		minAge   time.Duration
		want     bool
	}{
		{"up without a row is no change", "p1", true, 0, 0, false},
		{"first down flips", "p1", false, time.Second, 0, true},
		{"second down (another instance) does not", "p1", false, 2 * time.Second, 0, false},
		{"another provider is apart", "p2", false, 2 * time.Second, 0, true},
		{"a reconciliation too early does not", "p1", true, 3 * time.Second, 5 * time.Second, false},
		{"a reconciliation late enough does", "p1", true, 7 * time.Second, 5 * time.Second, true},
		{"second up does not", "p1", true, 8 * time.Second, 0, false},
		{"down again flips", "p1", false, 9 * time.Second, 0, true},
		{"up flips", "p1", true, 10 * time.Second, 0, true},
	}
	for _, s := range steps {
		got, err := db.FlipProviderHealth(ctx, s.provider, s.up, base.Add(s.at), s.minAge)
		if err != nil || got != s.want {
			t.Fatalf("%s: FlipProviderHealth = %v, %v; want %v", s.name, got, err, s.want)
		}
	}
}
