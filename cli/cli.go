// Package cli is Conduit's command line for scripts and terminals: `conduit providers|models|
// keys|usage|logs|status …`, a thin client of a running server's admin API (it never opens the
// database itself). Every command prints a table, or the API's JSON with --json.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"
)

// Env is what a command reads and writes besides its arguments.
type Env struct {
	Getenv         func(string) string
	Stdout, Stderr io.Writer
	// DefaultDataDir is the server's default data directory (where master.key is read from).
	DefaultDataDir string
}

// Commands are the first arguments Run answers; main dispatches them here.
var Commands = []string{"providers", "models", "keys", "usage", "logs", "status", "completion", "help"}

// app is one invocation: global flags and the client they configure.
type app struct {
	env     Env
	url     string
	dataDir string
	json    bool
	c       *client
}

// Run executes the command line args (without the program name) and returns the exit code:
// 0 done, 1 the server refused or could not be reached, 2 bad usage.
func Run(ctx context.Context, args []string, env Env) int {
	a := &app{env: env}
	root := a.root()
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(env.Stderr, "conduit:", err)
	if ae := (*APIError)(nil); errors.As(err, &ae) && ae.Status == 0 {
		return 2
	}
	if a.c != nil {
		return 1
	}
	return 2
}

func (a *app) root() *cobra.Command {
	getenv := a.env.Getenv
	root := &cobra.Command{
		Use:   "conduit",
		Short: "Conduit's command line: manage a running gateway over its admin API",
		Long: "Conduit's command line: manage a running gateway over its admin API.\n" +
			"Start the server itself with `conduit --headless [--addr host:port]`.\n" +
			"Also: conduit backup FILE, conduit restore FILE, conduit healthcheck (each with --help).",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.url, "url", envOr(getenv("CONDUIT_URL"), envOr(getenv("CONDUIT_ADDR"), "127.0.0.1:8800")),
		"the running Conduit: a URL or host:port (env CONDUIT_URL, else CONDUIT_ADDR)")
	pf.StringVar(&a.dataDir, "data-dir", envOr(getenv("CONDUIT_DATA_DIR"), a.env.DefaultDataDir),
		"the server's data directory, where master.key is read unless CONDUIT_MASTER_KEY is set (env CONDUIT_DATA_DIR)")
	pf.BoolVar(&a.json, "json", false, "print the admin API's JSON instead of a table")
	root.AddCommand(a.providersCmd(), a.modelsCmd(), a.keysCmd(), a.usageCmd(), a.logsCmd(), a.statusCmd())
	return root
}

// connect builds the client from the global flags; commands call it before their first request.
func (a *app) connect() (*client, error) {
	base, err := baseURL(a.url)
	if err != nil {
		return nil, err
	}
	key, err := masterKey(a.env.Getenv, filepath.Clean(a.dataDir))
	if err != nil {
		return nil, err
	}
	a.c = &client{base: base, key: key, http: newHTTP()}
	return a.c, nil
}

// call connects and performs one admin request, decoding the answer into out.
func (a *app) call(ctx context.Context, method, path string, body, out any) error {
	c := a.c
	if c == nil {
		var err error
		if c, err = a.connect(); err != nil {
			return err
		}
	}
	return c.do(ctx, method, path, body, out)
}

// printJSON writes v indented, the form --json prints.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// show prints one answer: its JSON with --json, else what table renders.
func (a *app) show(v any, table func(w io.Writer) error) error {
	if a.json {
		return a.printJSON(v)
	}
	return table(a.env.Stdout)
}

func envOr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
