package backend

import (
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
)

// A self-hosted upstream behind a private CA is reached once its provider's ca_cert names
// that CA; without it the TLS handshake fails.
func TestProviderCACert(t *testing.T) {
	e := newEnv(t)
	up := httptest.NewTLSServer(fakeopenai.New(testProviderKey))
	defer up.Close()
	bundle := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: up.Certificate().Raw}))
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "selfhosted", "type": "openai_compatible",
		"base_url": up.URL + "/v1", "api_key": testProviderKey})
	id := p["id"].(string)
	if p["ca_cert"] != "" {
		t.Fatalf("ca_cert %v, want empty", p["ca_cert"])
	}
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "m", "provider_id": id, "provider_model": "x"})
	e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"retry_base_ms": 1, "retry_max_ms": 5, "cooldown_after_failures": 100})

	if resp, body := e.v1(testMaster, "/v1/chat/completions", chat("m", nil)); resp.StatusCode == 200 {
		t.Fatalf("a private CA was trusted without ca_cert: %s", body)
	}
	for _, bad := range []any{"not a certificate", 42} {
		if st, m := e.admin("PATCH", "/admin/providers/"+id, map[string]any{"ca_cert": bad}); st != 400 {
			t.Errorf("ca_cert %v = %d %v, want 400", bad, st, m)
		}
	}
	m := e.mustAdmin(200, "PATCH", "/admin/providers/"+id, map[string]any{"ca_cert": bundle})
	if got, _ := m["ca_cert"].(string); strings.TrimSpace(got) != strings.TrimSpace(bundle) {
		t.Fatalf("ca_cert not stored: %v", m["ca_cert"])
	}
	if resp, body := e.v1(testMaster, "/v1/chat/completions", chat("m", nil)); resp.StatusCode != 200 {
		t.Fatalf("with ca_cert: %d %s", resp.StatusCode, body)
	}
	if m := e.mustAdmin(200, "PATCH", "/admin/providers/"+id, map[string]any{"ca_cert": nil}); m["ca_cert"] != "" {
		t.Errorf("ca_cert null did not clear it: %v", m["ca_cert"])
	}
}
