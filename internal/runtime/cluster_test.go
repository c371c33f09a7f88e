package runtime

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/notify"
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
		o.SecretKey = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s", 32)))
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
	// A provider secret set through one instance is read by the other.
	if err := a.Secrets.Set(ctx, "provider:"+p.ID, "sk-shared"); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Secrets.Get(ctx, "provider:"+p.ID); err != nil || v != "sk-shared" {
		t.Fatalf("secret through the other instance: %q, %v", v, err)
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
	// Events published on one instance reach the other's /admin/events; the live request
	// feed stays local.
	_, events, cancel := b.Bus.Subscribe(b.Bus.LastID())
	defer cancel()
	a.Bus.Publish(notify.KindRequest, map[string]string{"id": "req_local"})
	a.Bus.Publish(notify.KindKeySpend, map[string]string{"key_id": k.ID})
	select {
	case ev := <-events:
		if ev.Kind != notify.KindKeySpend || !strings.Contains(string(ev.Data), k.ID) {
			t.Fatalf("relayed event %s %s, want the key_spend one", ev.Kind, ev.Data)
		}
	case <-time.After(time.Second):
		t.Fatal("an event published on one instance did not reach the other within a second")
	}
	// A deployment benched on one instance is benched on the other.
	dep := b.Config.Load().Aliases["m"].Deployments[0]
	cfg := a.Config.Load().Router
	for range cfg.CooldownAfterFailures {
		a.Router.Failure(a.Config.Load().Aliases["m"].Deployments[0], cfg, errors.New("upstream down"))
	}
	for deadline := time.Now().Add(time.Second); b.Router.Health(dep.ID).CooldownUntil.IsZero(); {
		if time.Now().After(deadline) {
			t.Fatal("a deployment benched on one instance is not benched on the other after a second")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := a.Limits.Admit(t.Context(), k, 1, 0); err != nil {
		t.Fatalf("first request: %v", err)
	}
	if _, err := b.Limits.Admit(t.Context(), k, 1, 0); err == nil {
		t.Fatal("rpm 1: the other instance admitted a second request in the minute")
	}
}

// TestSharedStoreNeedsKeys: instances on one database must be given the shared master and
// secret keys; a generated one would differ per instance.
func TestSharedStoreNeedsKeys(t *testing.T) {
	o := testOptions(t)
	o.DatabaseURL = "postgres://127.0.0.1:1/none"
	_, err := Build(context.Background(), o)
	var se *StartupError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "CONDUIT_SECRET_KEY") {
		t.Fatalf("Build = %v, want a startup error naming CONDUIT_SECRET_KEY", err)
	}
}
