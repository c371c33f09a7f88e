package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// TestComposeFile: deploy/compose.yaml is a valid Compose file (the Compose specification's
// own loader and schema) with PostgreSQL, Redis, two Conduit instances sharing them and a load
// balancer; it refuses to start without the shared master and secret keys.
func TestComposeFile(t *testing.T) {
	abs, err := filepath.Abs("deploy")
	if err != nil {
		t.Fatal(err)
	}
	details := func(env map[string]string) types.ConfigDetails {
		return types.ConfigDetails{WorkingDir: abs, Environment: env,
			ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(abs, "compose.yaml")}}}
	}
	keys := map[string]string{"CONDUIT_MASTER_KEY": "mk", "CONDUIT_SECRET_KEY": "sk"}
	p, err := loader.LoadWithContext(t.Context(), details(keys), func(o *loader.Options) {
		o.SetProjectName("conduit", true)
	})
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"postgres", "redis", "conduit1", "conduit2", "caddy"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("no service %q", name)
		}
	}
	for _, name := range []string{"conduit1", "conduit2"} {
		s := p.Services[name]
		env := s.Environment
		for _, k := range []string{"CONDUIT_DATABASE_URL", "CONDUIT_REDIS_URL", "CONDUIT_MASTER_KEY", "CONDUIT_SECRET_KEY"} {
			if v := env[k]; v == nil || *v == "" {
				t.Errorf("%s: %s not set", name, k)
			}
		}
		if v := env["CONDUIT_DATABASE_URL"]; v != nil && !strings.Contains(*v, "@postgres:5432/") {
			t.Errorf("%s: database URL %q is not the postgres service", name, *v)
		}
		if len(s.Volumes) != 1 || s.Volumes[0].Target != "/data" {
			t.Errorf("%s: volumes %+v, want one on /data", name, s.Volumes)
		}
		if _, ok := s.DependsOn["postgres"]; !ok {
			t.Errorf("%s does not wait for postgres", name)
		}
	}
	caddy, err := os.ReadFile(filepath.Join("deploy", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"conduit1:8800", "conduit2:8800", "health_uri /ready"} {
		if !strings.Contains(string(caddy), want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}
	if _, err := loader.LoadWithContext(t.Context(), details(map[string]string{}), func(o *loader.Options) {
		o.SetProjectName("conduit", true)
	}); err == nil || !strings.Contains(err.Error(), "CONDUIT_MASTER_KEY") {
		t.Errorf("without CONDUIT_MASTER_KEY: %v, want an error naming it", err)
	}
}

// TestDockerfile checks what the image promises (docker cannot run here): a static headless
// build, a distroless non-root final stage, the data volume and a HEALTHCHECK the binary
// answers itself.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	stages := regexp.MustCompile(`(?m)^FROM `).FindAllStringIndex(df, -1)
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a final one", len(stages))
	}
	final := df[stages[len(stages)-1][0]:]
	for _, want := range []string{
		"FROM gcr.io/distroless/static", "USER nonroot", `VOLUME ["/data"]`,
		`HEALTHCHECK`, `"healthcheck"`, "CONDUIT_DATA_DIR=/data", "ENTRYPOINT",
	} {
		if !strings.Contains(final, want) {
			t.Errorf("final stage lacks %q", want)
		}
	}
	if !strings.Contains(df, "CGO_ENABLED=0 go build -tags headless") {
		t.Error("the binary is not the static headless build")
	}
	// Every line continues or starts an instruction (a cheap syntax check).
	instr := regexp.MustCompile(`^(FROM|WORKDIR|COPY|RUN|ARG|ENV|VOLUME|EXPOSE|USER|HEALTHCHECK|ENTRYPOINT|CMD|LABEL)\b`)
	cont := false
	for i, line := range strings.Split(df, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case !cont && !instr.MatchString(line):
			t.Errorf("Dockerfile line %d is not an instruction: %q", i+1, line)
		}
		if trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			cont = strings.HasSuffix(trimmed, `\`)
		}
	}
}

// TestSystemdUnit: the single-server unit runs the headless server hardened, its data in a
// state directory.
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("deploy", "conduit.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{"ExecStart=/usr/local/bin/conduit --headless", "DynamicUser=yes",
		"StateDirectory=conduit", "ProtectSystem=strict", "CONDUIT_DATA_DIR=/var/lib/conduit",
		"NoNewPrivileges=yes"} {
		if !strings.Contains(unit, want) {
			t.Errorf("conduit.service lacks %q", want)
		}
	}
}
