package store

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
)

// checkTimes asserts that created/updated are set, UTC and millisecond-precise.
func checkTimes(t *testing.T, what string, created, updated time.Time) {
	t.Helper()
	for _, tm := range []time.Time{created, updated} {
		if tm.IsZero() || tm.Location() != time.UTC || tm.Nanosecond()%int(time.Millisecond) != 0 {
			t.Errorf("%s: time %v must be set, UTC and millisecond-precise", what, tm)
		}
	}
	if updated.Before(created) {
		t.Errorf("%s: updated %v before created %v", what, updated, created)
	}
}

func TestProvidersCRUD(t *testing.T) { eachEngine(t, testProvidersCRUD) }

func testProvidersCRUD(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	p := config.Provider{Name: "openai", Type: "openai", BaseURL: "https://api.openai.com/v1",
		Enabled: true, TimeoutMS: 60000, APIKeySet: true}
	if err := db.CreateProvider(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.ID) < 6 || p.ID[:5] != "prov_" {
		t.Errorf("ID = %q, want prov_…", p.ID)
	}
	checkTimes(t, "create", p.CreatedAt, p.UpdatedAt)
	got, err := db.GetProvider(ctx, p.ID)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("GetProvider = %+v, %v; want %+v", got, err, p)
	}

	q := config.Provider{ID: "prov_fixed", Name: "azure", Type: "azure", APIVersion: "2024-10-21"}
	if err := db.CreateProvider(ctx, &q); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateProvider(ctx, &config.Provider{Name: "openai", Type: "openai"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate name: err = %v, want ErrConflict", err)
	}

	time.Sleep(2 * time.Millisecond)
	upd := p
	upd.CreatedAt = time.Time{} // must be read back from the DB
	upd.Enabled, upd.APIKeySet, upd.TimeoutMS = false, false, 5000
	if err := db.UpdateProvider(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	if !upd.CreatedAt.Equal(p.CreatedAt) || !upd.UpdatedAt.After(p.UpdatedAt) {
		t.Errorf("update times: created %v updated %v (before: %v %v)", upd.CreatedAt, upd.UpdatedAt,
			p.CreatedAt, p.UpdatedAt)
	}
	got, _ = db.GetProvider(ctx, p.ID)
	if !reflect.DeepEqual(got, upd) {
		t.Errorf("after update got %+v, want %+v", got, upd)
	}
	upd.Name = "azure"
	if err := db.UpdateProvider(ctx, &upd); !errors.Is(err, ErrConflict) {
		t.Errorf("update to duplicate name: err = %v, want ErrConflict", err)
	}

	list, err := db.ListProviders(ctx)
	// Ordered by created_at, then id (both may share a millisecond).
	first, second := p.ID, q.ID
	if q.CreatedAt.Before(p.CreatedAt) || (q.CreatedAt.Equal(p.CreatedAt) && q.ID < p.ID) {
		first, second = q.ID, p.ID
	}
	if err != nil || len(list) != 2 || list[0].ID != first || list[1].ID != second {
		t.Fatalf("ListProviders = %+v, %v", list, err)
	}
	if err := db.DeleteProvider(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := db.ListProviders(ctx); len(list) != 1 {
		t.Errorf("after delete: %d providers, want 1", len(list))
	}
}

func TestDeploymentsCRUDAndCascade(t *testing.T) { eachEngine(t, testDeploymentsCRUDAndCascade) }

func testDeploymentsCRUDAndCascade(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	p := config.Provider{Name: "p", Type: "openai"}
	if err := db.CreateProvider(ctx, &p); err != nil {
		t.Fatal(err)
	}
	m := config.Deployment{Alias: "gpt", ProviderID: p.ID, ProviderModel: "gpt-4o", Weight: 1,
		SupportsVision: true, SupportsTools: true, SupportsStreaming: true, ContextWindow: 128000, Enabled: true}
	if err := db.CreateDeployment(ctx, &m); err != nil {
		t.Fatal(err)
	}
	checkTimes(t, "create", m.CreatedAt, m.UpdatedAt)
	if got, err := db.GetDeployment(ctx, m.ID); err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("GetDeployment = %+v, %v; want %+v", got, err, m)
	}
	m.Weight, m.Priority, m.SupportsEmbeddings, m.Enabled = 3, 1, true, false
	firstToken, idle := 2500, 0
	m.SupportsPrefill, m.FirstTokenTimeoutMS, m.StreamIdleTimeoutMS = true, &firstToken, &idle
	if err := db.UpdateDeployment(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.GetDeployment(ctx, m.ID); !reflect.DeepEqual(got, m) {
		t.Errorf("after update got %+v, want %+v", got, m)
	}
	bad := config.Deployment{Alias: "x", ProviderID: "prov_missing", ProviderModel: "m"}
	if err := db.CreateDeployment(ctx, &bad); !errors.Is(err, ErrForeignKey) {
		t.Errorf("unknown provider: err = %v, want ErrForeignKey", err)
	}
	m2 := config.Deployment{Alias: "gpt", ProviderID: p.ID, ProviderModel: "gpt-4o-mini", Weight: 1}
	if err := db.CreateDeployment(ctx, &m2); err != nil {
		t.Fatal(err)
	}
	if list, err := db.ListDeployments(ctx); err != nil || len(list) != 2 {
		t.Fatalf("ListDeployments = %d, %v; want 2", len(list), err)
	}
	if err := db.DeleteProvider(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := db.ListDeployments(ctx); err != nil || len(list) != 0 {
		t.Errorf("after provider delete: %d deployments, %v; want cascade to 0", len(list), err)
	}
}

func TestKeysCRUD(t *testing.T) { eachEngine(t, testKeysCRUD) }

func testKeysCRUD(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	exp := time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	tests := []struct {
		name string
		in   config.Key
		// expected values read back where they differ from in
		wantModels []string
		wantMeta   string
	}{
		{"nil pointers", config.Key{Name: "a", KeyHash: "h1", KeyPrefix: "condt_ab", Enabled: true},
			[]string{}, `{}`},
		{"all set", config.Key{Name: "b", KeyHash: "h2", MaxBudget: new(12.5), BudgetDuration: config.BudgetMonthly,
			RPM: new(60), RPD: new(0), TPM: new(100000), AllowedModels: []string{"gpt-*", "claude"},
			ExpiresAt: &exp, Metadata: json.RawMessage(`{ "team": "x" }`)},
			[]string{"gpt-*", "claude"}, `{"team":"x"}`},
		{"limits past 32 bits", config.Key{Name: "c", KeyHash: "h3", Enabled: true,
			RPM: new(5_000_000_000), RPD: new(6_000_000_000), TPM: new(1_000_000_000_000)},
			[]string{}, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.in
			if err := db.CreateKey(ctx, &k); err != nil {
				t.Fatal(err)
			}
			checkTimes(t, "create", k.CreatedAt, k.UpdatedAt)
			if known, err := db.KeyHashKnown(ctx, k.KeyHash); err != nil || !known {
				t.Fatalf("KeyHashKnown(%q) = %v, %v; want true", k.KeyHash, known, err)
			}
			if known, err := db.KeyHashKnown(ctx, k.KeyHash+"x"); err != nil || known {
				t.Fatalf("KeyHashKnown of an unknown hash = %v, %v; want false", known, err)
			}
			got, err := db.GetKey(ctx, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.KeyHash != tt.in.KeyHash || got.Name != tt.in.Name || got.KeyPrefix != tt.in.KeyPrefix ||
				got.Enabled != tt.in.Enabled || !got.CreatedAt.Equal(k.CreatedAt) {
				t.Errorf("got %+v, want %+v", got, k)
			}
			if !reflect.DeepEqual(got.MaxBudget, tt.in.MaxBudget) || !reflect.DeepEqual(got.RPM, tt.in.RPM) ||
				!reflect.DeepEqual(got.RPD, tt.in.RPD) || !reflect.DeepEqual(got.TPM, tt.in.TPM) {
				t.Errorf("pointer fields: got %v %v %v %v", got.MaxBudget, got.RPM, got.RPD, got.TPM)
			}
			if !reflect.DeepEqual(got.AllowedModels, tt.wantModels) || string(got.Metadata) != tt.wantMeta {
				t.Errorf("json fields: got %#v %s, want %#v %s", got.AllowedModels, got.Metadata, tt.wantModels, tt.wantMeta)
			}
			switch {
			case tt.in.ExpiresAt == nil && got.ExpiresAt != nil:
				t.Errorf("ExpiresAt = %v, want nil", got.ExpiresAt)
			case tt.in.ExpiresAt != nil:
				want := tt.in.ExpiresAt.Truncate(time.Millisecond)
				if got.ExpiresAt == nil || !got.ExpiresAt.Equal(want) || got.ExpiresAt.Location() != time.UTC {
					t.Errorf("ExpiresAt = %v, want %v in UTC", got.ExpiresAt, want)
				}
			}
			if got.BudgetDuration == "" {
				t.Error("BudgetDuration empty")
			}

			// Update with no hash keeps the stored one; nil pointers clear the columns.
			got.KeyHash, got.KeyPrefix = "", ""
			got.MaxBudget, got.RPM, got.ExpiresAt, got.Metadata, got.AllowedModels = nil, nil, nil, nil, nil
			got.Name = got.Name + "2"
			if err := db.UpdateKey(ctx, &got); err != nil {
				t.Fatal(err)
			}
			again, _ := db.GetKey(ctx, k.ID)
			if again.KeyHash != tt.in.KeyHash || again.KeyPrefix != tt.in.KeyPrefix || again.Name != tt.in.Name+"2" ||
				again.MaxBudget != nil || again.RPM != nil || again.ExpiresAt != nil ||
				string(again.Metadata) != `{}` || len(again.AllowedModels) != 0 {
				t.Errorf("after update: %+v", again)
			}
		})
	}
	if err := db.CreateKey(ctx, &config.Key{Name: "dup", KeyHash: "h1"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate hash: err = %v, want ErrConflict", err)
	}
	if err := db.CreateKey(ctx, &config.Key{Name: "nohash"}); err == nil {
		t.Error("empty hash accepted")
	}
	if err := db.CreateKey(ctx, &config.Key{Name: "badmeta", KeyHash: "h9", Metadata: json.RawMessage(`{x`)}); err == nil {
		t.Error("invalid metadata accepted")
	}
	if list, err := db.ListKeys(ctx); err != nil || len(list) != len(tests) {
		t.Errorf("ListKeys = %d, %v; want %d", len(list), err, len(tests))
	}
}

func TestCostsCRUD(t *testing.T) { eachEngine(t, testCostsCRUD) }

func testCostsCRUD(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	c := config.Cost{ModelPattern: "gpt-4o*", InputPerMTok: 2.5, OutputPerMTok: 10, CachedInputPerMTok: new(1.25)}
	if err := db.CreateCost(ctx, &c); err != nil {
		t.Fatal(err)
	}
	checkTimes(t, "create", c.CreatedAt, c.UpdatedAt)
	if got, err := db.GetCost(ctx, c.ID); err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("GetCost = %+v, %v; want %+v", got, err, c)
	}
	c.CachedInputPerMTok, c.PerImage = nil, new(0.04)
	c.PerSecond, c.Per1KChars, c.PerSearchUnit = new(0.0001), new(0.015), new(0.002)
	if err := db.UpdateCost(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.GetCost(ctx, c.ID); !reflect.DeepEqual(got, c) {
		t.Errorf("after update got %+v, want %+v", got, c)
	}
	if err := db.CreateCost(ctx, &config.Cost{ModelPattern: "gpt-4o*"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate pattern: err = %v, want ErrConflict", err)
	}
	if list, err := db.ListCosts(ctx); err != nil || len(list) != 1 {
		t.Errorf("ListCosts = %d, %v; want 1", len(list), err)
	}
	if err := db.DeleteCost(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownIDs(t *testing.T) { eachEngine(t, testUnknownIDs) }

func testUnknownIDs(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	const id = "nope"
	tests := []struct {
		name string
		call func() error
	}{
		{"GetProvider", func() error { _, err := db.GetProvider(ctx, id); return err }},
		{"UpdateProvider", func() error { return db.UpdateProvider(ctx, &config.Provider{ID: id, Name: "n"}) }},
		{"DeleteProvider", func() error { return db.DeleteProvider(ctx, id) }},
		{"GetDeployment", func() error { _, err := db.GetDeployment(ctx, id); return err }},
		{"UpdateDeployment", func() error { return db.UpdateDeployment(ctx, &config.Deployment{ID: id}) }},
		{"DeleteDeployment", func() error { return db.DeleteDeployment(ctx, id) }},
		{"GetKey", func() error { _, err := db.GetKey(ctx, id); return err }},
		{"UpdateKey", func() error { return db.UpdateKey(ctx, &config.Key{ID: id}) }},
		{"DeleteKey", func() error { return db.DeleteKey(ctx, id) }},
		{"GetCost", func() error { _, err := db.GetCost(ctx, id); return err }},
		{"UpdateCost", func() error { return db.UpdateCost(ctx, &config.Cost{ID: id}) }},
		{"DeleteCost", func() error { return db.DeleteCost(ctx, id) }},
		{"GetLog", func() error { _, err := db.GetLog(ctx, id); return err }},
		{"GetBody", func() error { _, err := db.GetBody(ctx, id); return err }},
		{"MarkNotificationRead", func() error { return db.MarkNotificationRead(ctx, id) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestEmptyListsAreNonNil(t *testing.T) { eachEngine(t, testEmptyListsAreNonNil) }

func testEmptyListsAreNonNil(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	ps, err1 := db.ListProviders(ctx)
	ds, err2 := db.ListDeployments(ctx)
	ks, err3 := db.ListKeys(ctx)
	cs, err4 := db.ListCosts(ctx)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	if ps == nil || ds == nil || ks == nil || cs == nil {
		t.Error("empty list returned nil; want [] for JSON")
	}
}

func TestRouterAndSettings(t *testing.T) { eachEngine(t, testRouterAndSettings) }

func testRouterAndSettings(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	r, err := db.GetRouter(ctx)
	if err != nil || !reflect.DeepEqual(r, config.DefaultRouter()) {
		t.Fatalf("GetRouter default = %+v, %v", r, err)
	}
	r.Strategy, r.MaxRetries = config.StrategyWeighted, 5
	r.Fallbacks = map[string][]string{"gpt": {"claude", "llama"}}
	r.ContextWindowFallbacks = map[string][]string{"gpt": {"gpt-long"}}
	r.FirstTokenTimeoutMS, r.StreamIdleTimeoutMS = 5000, 30000
	if err := db.PutRouter(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err := db.GetRouter(ctx); err != nil || !reflect.DeepEqual(got, r) {
		t.Errorf("GetRouter = %+v, %v; want %+v", got, err, r)
	}
	r.Fallbacks, r.ContextWindowFallbacks = nil, nil
	if err := db.PutRouter(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.GetRouter(ctx); got.Fallbacks == nil || got.ContextWindowFallbacks == nil {
		t.Error("nil fallbacks read back as nil map; want empty map")
	}

	s, err := db.GetSettings(ctx)
	if err != nil || !reflect.DeepEqual(s, config.DefaultSettings()) {
		t.Fatalf("GetSettings default = %+v, %v", s, err)
	}
	s.LogBodies, s.NotifyWebhookURL, s.BudgetAlertPercents = true, "https://hook", []int{90}
	if err := db.PutSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got, err := db.GetSettings(ctx); err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("GetSettings = %+v, %v; want %+v", got, err, s)
	}
}
