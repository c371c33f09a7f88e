package backend

import (
	"strings"
	"testing"
)

// field400 asserts a 400 naming field, with a message containing want.
func field400(t *testing.T, e *env, method, path string, body any, field, want string) {
	t.Helper()
	status, m := e.admin(method, path, body)
	errObj, _ := m["error"].(map[string]any)
	if status != 400 || errObj == nil || errObj["field"] != field || !strings.Contains(errObj["message"].(string), want) {
		t.Fatalf("%s %s %v = %d %v, want 400 on %s saying %q", method, path, body, status, m, field, want)
	}
}

func TestReferencesMustNameAliases(t *testing.T) {
	e := newEnv(t)
	pid, _ := e.setup() // alias "gpt"
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "claude", "provider_id": pid, "provider_model": "gpt-4o"})

	field400(t, e, "POST", "/admin/keys", map[string]any{"allowed_models": []string{"gtp"}}, "allowed_models", `"gtp"; did you mean "gpt"?`)
	field400(t, e, "POST", "/admin/keys", map[string]any{"allowed_models": []string{"gpt", "zzzzzz"}}, "allowed_models", `no model alias is named "zzzzzz"`)
	// A wildcard may match nothing yet.
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"allowed_models": []string{"gpt", "mistral-*"}})
	kid := k["id"].(string)
	field400(t, e, "PATCH", "/admin/keys/"+kid, map[string]any{"allowed_models": []string{"gpt", "claud"}}, "allowed_models", `did you mean "claude"?`)
	e.mustAdmin(200, "PATCH", "/admin/keys/"+kid, map[string]any{"allowed_models": []string{"claude", "mistral-*"}})

	field400(t, e, "PUT", "/admin/router", map[string]any{"fallbacks": map[string]any{"gpt": []string{"nope"}}}, "fallbacks", `"nope"`)
	field400(t, e, "PUT", "/admin/router", map[string]any{"fallbacks": map[string]any{"nope": []string{"gpt"}}}, "fallbacks", `"nope"`)
	field400(t, e, "PUT", "/admin/router", map[string]any{"context_window_fallbacks": map[string]any{"gpt": []string{"gpt-*"}}}, "context_window_fallbacks", `"gpt-*"`)
	r := e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"fallbacks": map[string]any{"gpt": []string{"claude"}}})
	if jsonString(r["fallbacks"]) != `{"gpt":["claude"]}` {
		t.Fatalf("fallbacks = %v", r["fallbacks"])
	}
	if r := e.mustAdmin(200, "GET", "/admin/router", nil); jsonString(r["fallbacks"]) != `{"gpt":["claude"]}` {
		t.Fatalf("a refused PUT changed the router: %v", r["fallbacks"])
	}
}

func TestDeleteListsAndPrunesDependents(t *testing.T) {
	e := newEnv(t)
	p1, _ := e.setup() // alias "gpt" on p1 only
	p2 := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "two", "type": "openai", "base_url": e.fakeURL, "api_key": testProviderKey})["id"].(string)
	model := func(alias, pid string) string {
		return e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": alias, "provider_id": pid, "provider_model": "gpt-4o"})["id"].(string)
	}
	model("shared", p1)
	model("shared", p2)
	other := model("other", p2)
	e.mustAdmin(200, "PUT", "/admin/router", map[string]any{
		"fallbacks":                map[string]any{"other": []string{"gpt", "shared"}, "gpt": []string{"other"}},
		"context_window_fallbacks": map[string]any{"shared": []string{"gpt"}},
	})
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "uses-gpt", "allowed_models": []string{"gpt", "shared"}})
	e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "uses-shared", "allowed_models": []string{"shared"}})

	d := e.mustAdmin(200, "GET", "/admin/providers/"+p1+"/dependents", nil)
	if got := jsonString(d["aliases"]); got != `["gpt"]` {
		t.Errorf("aliases = %s, want only gpt (shared keeps a deployment on two)", got)
	}
	if n := len(d["models"].([]any)); n != 2 {
		t.Errorf("models = %v, want gpt and shared on p1", d["models"])
	}
	wantFallbacks := `[{"alias":"shared","field":"context_window_fallbacks","to":"gpt"},{"alias":"gpt","field":"fallbacks","to":"other"},{"alias":"other","field":"fallbacks","to":"gpt"}]`
	if got := jsonString(d["fallbacks"]); got != wantFallbacks {
		t.Errorf("fallbacks = %s\nwant %s", got, wantFallbacks)
	}
	if got := jsonString(d["keys"]); got != `[{"id":"`+k["id"].(string)+`","name":"uses-gpt"}]` {
		t.Errorf("keys = %s", got)
	}

	e.mustAdmin(204, "DELETE", "/admin/providers/"+p1, nil)
	r := e.mustAdmin(200, "GET", "/admin/router", nil)
	if got := jsonString(r["fallbacks"]); got != `{"other":["shared"]}` {
		t.Errorf("fallbacks after the delete = %s", got)
	}
	if got := jsonString(r["context_window_fallbacks"]); got != `{}` {
		t.Errorf("context_window_fallbacks after the delete = %s", got)
	}
	models := e.mustAdmin(200, "GET", "/admin/models", nil)["data"].([]any)
	if len(models) != 2 {
		t.Errorf("models after the delete: %v", models)
	}
	// The key keeps its entry, which may be sent back unchanged.
	e.mustAdmin(200, "PATCH", "/admin/keys/"+k["id"].(string), map[string]any{"allowed_models": []string{"gpt", "shared"}})

	// Deleting the last deployment of an alias prunes its fallbacks too.
	d = e.mustAdmin(200, "GET", "/admin/models/"+other+"/dependents", nil)
	if jsonString(d["aliases"]) != `["other"]` || len(d["fallbacks"].([]any)) != 1 {
		t.Fatalf("model dependents: %v", d)
	}
	e.mustAdmin(204, "DELETE", "/admin/models/"+other, nil)
	if r := e.mustAdmin(200, "GET", "/admin/router", nil); jsonString(r["fallbacks"]) != `{}` {
		t.Errorf("fallbacks after deleting other: %v", r["fallbacks"])
	}
	audit := e.mustAdmin(200, "GET", "/admin/audit?resource=router", nil)["data"].([]any)
	if len(audit) < 3 { // the PUT and two prunes
		t.Errorf("router audit entries: %d", len(audit))
	}
	e.mustAdmin(404, "GET", "/admin/providers/"+p1+"/dependents", nil)
}

func TestUnpricedModelsAreFlagged(t *testing.T) {
	e := newEnv(t)
	pid, key := e.setup() // gpt → gpt-4o-mini: in the default price table
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "local", "provider_id": pid, "provider_model": "house-model-7b"})

	pricedOf := func(rows []any, field, value string) any {
		for _, r := range rows {
			if m := r.(map[string]any); m[field] == value {
				return m["priced"]
			}
		}
		t.Fatalf("no row with %s=%s in %v", field, value, rows)
		return nil
	}
	models := e.mustAdmin(200, "GET", "/admin/models", nil)["data"].([]any)
	if pricedOf(models, "alias", "gpt") != true || pricedOf(models, "alias", "local") != false {
		t.Fatalf("models: %v", models)
	}
	for _, m := range []string{"gpt", "local"} {
		if resp, body := e.v1(key, "/v1/chat/completions", chat(m, nil)); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", m, resp.StatusCode, body)
		}
	}
	logs := e.requestLogs(2)
	rows := make([]any, len(logs))
	for i, l := range logs {
		rows[i] = l
	}
	if pricedOf(rows, "alias", "gpt") != true || pricedOf(rows, "alias", "local") != false {
		t.Fatalf("logs: %v", rows)
	}
	one := e.mustAdmin(200, "GET", "/admin/logs/"+logs[0]["id"].(string), nil)
	if _, ok := one["priced"]; !ok {
		t.Fatalf("a log row lacks priced: %v", one)
	}
	u := e.mustAdmin(200, "GET", "/admin/usage?group_by=model", nil)
	if pricedOf(u["data"].([]any), "key", "gpt") != true || pricedOf(u["data"].([]any), "key", "local") != false {
		t.Fatalf("usage: %v", u["data"])
	}
	if got := u["unpriced"].([]any); len(got) != 1 || got[0].(map[string]any)["provider_model"] != "house-model-7b" {
		t.Fatalf("unpriced = %v", got)
	}

	// A price row, most specific pattern first, prices it everywhere at once.
	e.mustAdmin(201, "POST", "/admin/costs", map[string]any{"model_pattern": "house-*", "input_per_mtok": 1, "output_per_mtok": 2})
	models = e.mustAdmin(200, "GET", "/admin/models", nil)["data"].([]any)
	if pricedOf(models, "alias", "local") != true {
		t.Fatalf("after pricing: %v", models)
	}
	if u := e.mustAdmin(200, "GET", "/admin/usage?group_by=model", nil); len(u["unpriced"].([]any)) != 0 {
		t.Fatalf("unpriced after pricing = %v", u["unpriced"])
	}
}
