package main

import (
	"bytes"
	"flag"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want options
		err  bool
	}{
		{"defaults", nil, nil, options{headless: defaultHeadless, addr: "127.0.0.1:8800", dataDir: defaultDataDir(), secrets: "auto", logLevel: "info", redisFail: "open"}, false},
		{"env", nil, map[string]string{"CONDUIT_HEADLESS": "1", "CONDUIT_ADDR": ":9", "CONDUIT_DATA_DIR": "/d", "CONDUIT_SECRETS": "file",
			"CONDUIT_MASTER_KEY": "mk", "CONDUIT_SECRET_KEY": "sk"},
			options{headless: true, addr: ":9", dataDir: "/d", secrets: "file", masterKey: "mk", secretKey: "sk", logLevel: "info", redisFail: "open"}, false},
		{"flags beat env", []string{"--addr", ":10", "--data-dir", "/f", "--secrets", "keyring", "--headless"},
			map[string]string{"CONDUIT_ADDR": ":9", "CONDUIT_DATA_DIR": "/d"},
			options{headless: true, addr: ":10", dataDir: "/f", secrets: "keyring", logLevel: "info", redisFail: "open"}, false},
		{"shared engines from env", nil, map[string]string{"CONDUIT_DATABASE_URL": "postgres://db/c", "CONDUIT_REDIS_URL": "redis://r:6379/0",
			"CONDUIT_REDIS_FAIL": "closed"},
			options{headless: defaultHeadless, addr: "127.0.0.1:8800", dataDir: defaultDataDir(), secrets: "auto", logLevel: "info",
				databaseURL: "postgres://db/c", redisURL: "redis://r:6379/0", redisFail: "closed"}, false},
		{"shared engines from flags", []string{"--database-url", "postgres://f/c", "--redis-url", "redis://f", "--redis-fail", "open"},
			map[string]string{"CONDUIT_DATABASE_URL": "postgres://db/c", "CONDUIT_REDIS_FAIL": "closed"},
			options{headless: defaultHeadless, addr: "127.0.0.1:8800", dataDir: defaultDataDir(), secrets: "auto", logLevel: "info",
				databaseURL: "postgres://f/c", redisURL: "redis://f", redisFail: "open"}, false},
		{"trace url from env", nil, map[string]string{"CONDUIT_TRACE_URL": "http://jaeger:16686/trace/{trace_id}"},
			options{headless: defaultHeadless, addr: "127.0.0.1:8800", dataDir: defaultDataDir(), secrets: "auto", logLevel: "info",
				redisFail: "open", traceURL: "http://jaeger:16686/trace/{trace_id}"}, false},
		{"trace url without trace id", []string{"--trace-url", "http://jaeger:16686/search"}, nil, options{}, true},
		{"trace url not http", []string{"--trace-url", "jaeger/{trace_id}"}, nil, options{}, true},
		{"bad redis-fail", []string{"--redis-fail", "maybe"}, nil, options{}, true},
		{"bad secrets", []string{"--secrets", "vault"}, nil, options{}, true},
		{"stray argument", []string{"serve"}, nil, options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(tt.args, env(tt.env), &bytes.Buffer{})
			if (err != nil) != tt.err {
				t.Fatalf("err = %v", err)
			}
			if !tt.err && got != tt.want {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestStartupFailures: one clear line on stderr and a non-zero exit.
func TestStartupFailures(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, "conduit.db"), bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	// A data dir below a regular file cannot be created, even by root.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, addr, dir, want string
	}{
		{"port in use", busy.Addr().String(), t.TempDir(), "already in use"},
		{"corrupt db", "127.0.0.1:0", corrupt, "not a"},
		{"unwritable data dir", "127.0.0.1:0", filepath.Join(file, "sub"), "data directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run([]string{"--headless", "--addr", tt.addr, "--data-dir", tt.dir, "--secrets", "file", "--log-level", "error"},
				env(map[string]string{"CONDUIT_MASTER_KEY": "mk"}), &stderr)
			if code == 0 {
				t.Fatal("exit code 0")
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "conduit: ") || !strings.Contains(last, tt.want) {
				t.Fatalf("stderr %q, want a line containing %q", stderr.String(), tt.want)
			}
		})
	}
}

// TestFindSubcommand: subcommands are found first or after the command line's global flags;
// the server's own flags are never taken for one.
func TestFindSubcommand(t *testing.T) {
	cases := []struct {
		args []string
		name string
		rest []string
	}{
		{[]string{"keys", "list"}, "keys", []string{"list"}},
		{[]string{"--url", "http://h:1", "--json", "status"}, "status", []string{"--url", "http://h:1", "--json"}},
		{[]string{"--data-dir=/d", "logs", "-f"}, "logs", []string{"--data-dir=/d", "-f"}},
		{[]string{"healthcheck", "--addr", "h:1"}, "healthcheck", []string{"--addr", "h:1"}},
		{[]string{"--headless", "--addr", "127.0.0.1:0"}, "", nil},
		{[]string{"--data-dir", "keys"}, "", nil}, // a data dir named keys: the server
		{nil, "", nil},
	}
	for _, c := range cases {
		name, rest, ok := findSubcommand(c.args)
		if name != c.name || ok != (c.name != "") || strings.Join(rest, " ") != strings.Join(c.rest, " ") {
			t.Errorf("findSubcommand(%q) = %q %q %v, want %q %q", c.args, name, rest, ok, c.name, c.rest)
		}
	}
}

// TestReadmeRunningIt: the README's "Running it" table names every server flag with the
// environment variable its --help names, no flag the server lacks, and every variable read
// from the environment alone is in --help.
func TestReadmeRunningIt(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n## Running it\n")
	section, _, _ = strings.Cut(section, "\n\n")
	code := regexp.MustCompile("`([^`]+)`")
	envOf := func(s string) []string { // the CONDUIT_/OTEL_ names in s, without "=1"
		return regexp.MustCompile(`\b(?:CONDUIT|OTEL)_[A-Z_]+[A-Z]\b`).FindAllString(s, -1)
	}
	documented := map[string]string{} // flag → env ("" for none)
	var envOnlyRows []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.Contains(cells[1]+cells[2], "`") {
			continue
		}
		flags, envs := code.FindAllStringSubmatch(cells[1], -1), envOf(cells[2])
		if len(flags) == 0 {
			envOnlyRows = append(envOnlyRows, envs...)
		}
		for i, f := range flags {
			documented[strings.TrimPrefix(f[1], "--")] = ""
			if i < len(envs) {
				documented[strings.TrimPrefix(f[1], "--")] = envs[i]
			}
		}
	}
	if len(documented) == 0 {
		t.Fatal(`no flags found in the README's "Running it" table`)
	}
	var o options
	var help bytes.Buffer
	fs := serverFlags(&o, env(nil), &help)
	fs.VisitAll(func(f *flag.Flag) {
		want, ok := documented[f.Name]
		if !ok {
			t.Errorf("--%s is not in the README's \"Running it\" table", f.Name)
			return
		}
		delete(documented, f.Name)
		if got := strings.Join(envOf(f.Usage), " "); got != want {
			t.Errorf("--%s: --help names env %q, the README %q", f.Name, got, want)
		}
	})
	for name := range documented {
		t.Errorf("the README's \"Running it\" table lists --%s, which the server does not have", name)
	}
	fs.Usage()
	for _, e := range envOnlyRows {
		if !strings.Contains(help.String(), e) {
			t.Errorf("%s (README: environment only) is not in --help", e)
		}
	}
}

// TestSubcommandHelp: `conduit NAME --help` prints NAME's usage and exits 0, like the server's
// own --help and the admin commands'.
func TestSubcommandHelp(t *testing.T) {
	for _, name := range []string{"backup", "restore", "healthcheck"} {
		for _, help := range []string{"--help", "-h"} {
			var stderr bytes.Buffer
			code := run([]string{name, help}, env(nil), &stderr)
			if code != 0 || !strings.Contains(stderr.String(), "usage: conduit "+name) {
				t.Errorf("conduit %s %s: exit %d, stderr %q", name, help, code, stderr.String())
			}
		}
	}
}

// TestPortInUseFirstStart: on an empty data dir, a busy port is the one line on stderr; no
// master key is generated (and shown) for a server that never served, no database created.
func TestPortInUseFirstStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := filepath.Join(t.TempDir(), "data")
	var stderr bytes.Buffer
	code := run([]string{"--headless", "--addr", busy.Addr().String(), "--data-dir", dir, "--secrets", "file"}, env(nil), &stderr)
	if code == 0 {
		t.Fatal("exit code 0")
	}
	if got := strings.TrimSpace(stderr.String()); strings.Contains(got, "\n") || !strings.Contains(got, "already in use") {
		t.Errorf("stderr is not one line naming the busy port:\n%s", got)
	}
	for _, f := range []string{"master.key", "conduit.db", "secret.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was created by a start that failed on a busy port", f)
		}
	}
}
