package runtime

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/testsvc"
)

func TestMain(m *testing.M) { os.Exit(testsvc.Main(m)) }

// TestClusterSharesStoreLimitsAndConfig: two runtimes on one PostgreSQL and one Redis share
// the store and the limits, and a configuration change made through one reaches the other's
// snapshot within a second.
func TestClusterSharesStoreLimitsAndConfig(t *testing.T) {
	dsn, rds := testsvc.Postgres(t), testsvc.StartRedis(t)
	build := func() *Runtime {
		o := testOptions(t)
		o.DatabaseURL, o.RedisURL = dsn, rds.URL
		rt, err := Build(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rt.Close(context.Background()) })
		return rt
	}
	a, b := build(), build()
	if !a.DB.Postgres() || a.SharedLimits == nil || b.SharedLimits == nil {
		t.Fatalf("Postgres() = %v, shared limits %v / %v", a.DB.Postgres(), a.SharedLimits, b.SharedLimits)
	}
	ctx := t.Context()
	p := config.Provider{Name: "up", Type: "openai", BaseURL: "http://127.0.0.1:1", Enabled: true}
	if err := a.DB.CreateProvider(ctx, &p); err != nil {
		t.Fatal(err)
	}
	d := config.Deployment{Alias: "m", ProviderID: p.ID, ProviderModel: "m", Weight: 1, Enabled: true}
	if err := a.DB.CreateDeployment(ctx, &d); err != nil {
		t.Fatal(err)
	}
	k := config.Key{Name: "k", KeyHash: strings.Repeat("ab", 32), BudgetDuration: config.BudgetTotal, Enabled: true, RPM: new(1)}
	if err := a.DB.CreateKey(ctx, &k); err != nil {
		t.Fatal(err)
	}
	if err := a.AdminConfig().Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if a.Config.Load().KeysByID[k.ID] == nil {
		t.Fatalf("own snapshot lacks the key: %v", a.Config.Load().KeysByID)
	}
	deadline := time.Now().Add(time.Second)
	for b.Config.Load().KeysByID[k.ID] == nil {
		if time.Now().After(deadline) {
			t.Fatal("the other instance's snapshot lacks the new key after a second")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := a.Limits.Admit(k, 1, 0); err != nil {
		t.Fatalf("first request: %v", err)
	}
	if _, err := b.Limits.Admit(k, 1, 0); err == nil {
		t.Fatal("rpm 1: the other instance admitted a second request in the minute")
	}
}
