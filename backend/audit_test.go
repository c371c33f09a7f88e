package backend

import (
	"strings"
	"testing"
)

// TestEveryAdminChangeIsAudited: each mutating admin route leaves exactly one audit row with
// the right action and resource, and no secret.
func TestEveryAdminChangeIsAudited(t *testing.T) {
	e := newEnv(t)
	// Rows are compared by id: two rows written in one millisecond have no defined order.
	ids := func() map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, r := range e.mustAdmin(200, "GET", "/admin/audit?limit=1000", nil)["data"].([]any) {
			m := r.(map[string]any)
			out[m["id"].(string)] = m
		}
		return out
	}
	var pid, did, kid, cid string
	steps := []struct {
		name, action, resource string
		do                     func() string // returns the resource id
	}{
		{"create provider", "create", "provider", func() string {
			pid = e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "p", "type": "openai", "api_key": "sk-AUDIT-SECRET-1"})["id"].(string)
			return pid
		}},
		{"update provider", "update", "provider", func() string {
			e.mustAdmin(200, "PATCH", "/admin/providers/"+pid, map[string]any{"api_key": "sk-AUDIT-SECRET-2", "timeout_ms": 1000})
			return pid
		}},
		{"create model", "create", "model", func() string {
			did = e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "a", "provider_id": pid, "provider_model": "m"})["id"].(string)
			return did
		}},
		{"update model", "update", "model", func() string {
			e.mustAdmin(200, "PATCH", "/admin/models/"+did, map[string]any{"weight": 3})
			return did
		}},
		{"router", "update", "router", func() string {
			e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"strategy": "weighted"})
			return "router"
		}},
		{"create key", "create", "key", func() string {
			kid = e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "k"})["id"].(string)
			return kid
		}},
		{"update key", "update", "key", func() string {
			e.mustAdmin(200, "PATCH", "/admin/keys/"+kid, map[string]any{"rpm": 5})
			return kid
		}},
		{"create cost", "create", "cost", func() string {
			cid = e.mustAdmin(201, "POST", "/admin/costs", map[string]any{"model_pattern": "m", "input_per_mtok": 1, "output_per_mtok": 1})["id"].(string)
			return cid
		}},
		{"update cost", "update", "cost", func() string {
			e.mustAdmin(200, "PATCH", "/admin/costs/"+cid, map[string]any{"input_per_mtok": 2})
			return cid
		}},
		{"settings", "update", "settings", func() string {
			e.mustAdmin(200, "PATCH", "/admin/settings", map[string]any{"log_bodies": true})
			return "settings"
		}},
		{"delete cost", "delete", "cost", func() string { e.mustAdmin(204, "DELETE", "/admin/costs/"+cid, nil); return cid }},
		{"delete key", "delete", "key", func() string { e.mustAdmin(204, "DELETE", "/admin/keys/"+kid, nil); return kid }},
		{"delete model", "delete", "model", func() string { e.mustAdmin(204, "DELETE", "/admin/models/"+did, nil); return did }},
		{"delete provider", "delete", "provider", func() string { e.mustAdmin(204, "DELETE", "/admin/providers/"+pid, nil); return pid }},
	}
	for _, st := range steps {
		before := ids()
		id := st.do()
		var added []map[string]any
		for k, r := range ids() {
			if before[k] == nil {
				added = append(added, r)
			}
		}
		if len(added) != 1 {
			t.Fatalf("%s: %d audit rows added, want 1", st.name, len(added))
		}
		row := added[0]
		if row["action"] != st.action || row["resource"] != st.resource || row["resource_id"] != id ||
			row["actor"] != "master_key" || row["client_ip"] == "" || row["time"] == "" {
			t.Fatalf("%s: audit row %v", st.name, row)
		}
		if st.action != "delete" && row["changes"] == nil {
			t.Fatalf("%s: no changes recorded", st.name)
		}
	}
	all := jsonString(e.mustAdmin(200, "GET", "/admin/audit?limit=1000", nil))
	if strings.Contains(all, "AUDIT-SECRET") {
		t.Fatal("a provider API key is in the audit trail")
	}
	if !strings.Contains(all, "[redacted]") {
		t.Fatal("the key replacement is not noted as redacted")
	}
	// A refused change leaves no row.
	before := len(ids())
	e.admin("POST", "/admin/providers", map[string]any{"type": "nope"})
	if len(ids()) != before {
		t.Fatal("a refused change was audited")
	}
	// Filter by resource.
	for _, r := range e.mustAdmin(200, "GET", "/admin/audit?resource=key", nil)["data"].([]any) {
		if r.(map[string]any)["resource"] != "key" {
			t.Fatalf("resource filter: %v", r)
		}
	}
}
