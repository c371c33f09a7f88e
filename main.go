// Command conduit is a self-hosted, OpenAI-compatible gateway to many LLM providers: a desktop
// app (Wails window, gateway in-process) or a headless server with the same web UI.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"
	"time"

	"github.com/conduit-gw/conduit/backend"
	"github.com/conduit-gw/conduit/cli"
	"github.com/conduit-gw/conduit/frontend"
	"github.com/conduit-gw/conduit/internal/gctune"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// gcHeadroomMin, Max and Per: how far the heap grows between two garbage collections
// (internal/gctune): what Conduit allocates in a quarter second, from 4 MB to 32 MB. The live
// heap is a few megabytes; Go's default (grow by the live heap) would collect up to ten times
// as often at peak for the same work. At low load the heap stays small (4 MB of headroom: one
// collection per 4 MB allocated, cheap on so small a heap); at peak collections stay about
// four a second.
const (
	gcHeadroomMin = 4 << 20
	gcHeadroomMax = 32 << 20
	gcHeadroomPer = 250 * time.Millisecond
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// options are the command line flags and their environment variables (README, "Running it").
type options struct {
	headless     bool
	addr         string
	dataDir      string
	secrets      string
	masterKey    string
	secretKey    string
	showVersion  bool
	logLevel     string
	startHidden  bool
	databaseURL  string
	redisURL     string
	redisFail    string
	allowedHosts string
	tlsCert      string
	tlsKey       string
	traceURL     string
}

// envOnly are the settings read from the environment alone, for --help (README, "Running it").
const envOnly = `
Environment only:
  CONDUIT_MASTER_KEY           the admin key (default: generated on first run, stored, printed once)
  CONDUIT_SECRET_KEY           base64 32-byte AES-GCM key of the file secrets backend (default: generated secret.key)
  OTEL_EXPORTER_OTLP_ENDPOINT  an OTLP collector: every /v1 request becomes a trace (default: off)
  CONDUIT_PPROF_ADDR           serve Go's profiler (/debug/pprof/) on this address (default: off)
  GOGC                         Go's garbage collector pacing (default: the heap grows 4-32 MB between collections)`

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := serverFlags(&o, getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.redisFail != "open" && o.redisFail != "closed" {
		return o, fmt.Errorf("--redis-fail must be open or closed, not %q", o.redisFail)
	}
	if o.traceURL != "" && !validTraceURL(o.traceURL) {
		return o, fmt.Errorf("--trace-url must be an http(s) URL containing {trace_id}, not %q", o.traceURL)
	}
	switch o.secrets {
	case "auto", "keyring", "file":
	default:
		return o, fmt.Errorf("--secrets must be keyring, file or auto, not %q", o.secrets)
	}
	o.masterKey = getenv("CONDUIT_MASTER_KEY")
	o.secretKey = getenv("CONDUIT_SECRET_KEY")
	return o, nil
}

// serverFlags defines the server's flags on a new FlagSet, each defaulting to its environment
// variable; parsing fills o.
func serverFlags(o *options, getenv func(string) string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("conduit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: conduit [flags]   (serve the gateway and web UI)")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, envOnly)
		commandUsage(stderr)
	}
	fs.BoolVar(&o.headless, "headless", envBool(getenv("CONDUIT_HEADLESS")) || defaultHeadless,
		"run the gateway and web UI without a window (env CONDUIT_HEADLESS=1)")
	fs.StringVar(&o.addr, "addr", envOr(getenv("CONDUIT_ADDR"), "127.0.0.1:8800"),
		"listen address for the client API, admin API and web UI (env CONDUIT_ADDR)")
	fs.StringVar(&o.dataDir, "data-dir", envOr(getenv("CONDUIT_DATA_DIR"), defaultDataDir()),
		"directory for the SQLite database, key files and logs (env CONDUIT_DATA_DIR)")
	fs.StringVar(&o.secrets, "secrets", envOr(getenv("CONDUIT_SECRETS"), "auto"),
		"where provider secrets live: keyring, file or auto (env CONDUIT_SECRETS)")
	fs.StringVar(&o.databaseURL, "database-url", getenv("CONDUIT_DATABASE_URL"),
		"postgres://… : the store on PostgreSQL, shared by several instances (env CONDUIT_DATABASE_URL; default SQLite in the data dir)")
	fs.StringVar(&o.redisURL, "redis-url", getenv("CONDUIT_REDIS_URL"),
		"redis://… : limits, budgets and config changes shared across instances (env CONDUIT_REDIS_URL)")
	fs.StringVar(&o.redisFail, "redis-fail", envOr(getenv("CONDUIT_REDIS_FAIL"), "open"),
		"while Redis is unreachable: open (limits of this instance alone, /ready degraded) or closed (503) (env CONDUIT_REDIS_FAIL)")
	fs.StringVar(&o.logLevel, "log-level", envOr(getenv("CONDUIT_LOG_LEVEL"), "info"), "debug, info, warn or error (env CONDUIT_LOG_LEVEL)")
	fs.StringVar(&o.allowedHosts, "allowed-hosts", getenv("CONDUIT_ALLOWED_HOSTS"),
		"comma-separated Host names served besides localhost, 127.0.0.1, [::1] and the listen address; *.domain or * (env CONDUIT_ALLOWED_HOSTS)")
	fs.StringVar(&o.tlsCert, "tls-cert", getenv("CONDUIT_TLS_CERT"), "PEM certificate (chain) to serve HTTPS with; needs --tls-key (env CONDUIT_TLS_CERT)")
	fs.StringVar(&o.tlsKey, "tls-key", getenv("CONDUIT_TLS_KEY"), "PEM private key of --tls-cert (env CONDUIT_TLS_KEY)")
	fs.StringVar(&o.traceURL, "trace-url", getenv("CONDUIT_TRACE_URL"),
		"link from a request log to its trace in your tracing UI: a URL with {trace_id}, e.g. http://jaeger:16686/trace/{trace_id} (env CONDUIT_TRACE_URL)")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	fs.BoolVar(&o.startHidden, "start-hidden", false, "desktop: start with the window hidden (used by start at login)")
	return fs
}

// validTraceURL reports whether u is an http(s) URL template naming {trace_id}.
func validTraceURL(u string) bool {
	p, err := url.Parse(strings.ReplaceAll(u, "{trace_id}", "0"))
	return err == nil && strings.Contains(u, "{trace_id}") && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// subcommand is `conduit NAME …`: its arguments after NAME, the environment, and where its
// errors go; it returns the exit code.
type subcommand func(args []string, getenv func(string) string, stderr io.Writer) int

// subcommands are every `conduit NAME …` that is not the server itself; any other first
// argument is a server flag (`conduit --headless --addr …`).
func subcommands() map[string]subcommand {
	m := map[string]subcommand{"healthcheck": healthcheck, "backup": runBackup, "restore": runRestore}
	for _, name := range cli.Commands {
		m[name] = func(args []string, getenv func(string) string, stderr io.Writer) int {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return cli.Run(ctx, append([]string{name}, args...), cli.Env{Getenv: getenv, Stdout: os.Stdout,
				Stderr: stderr, DefaultDataDir: defaultDataDir()})
		}
	}
	return m
}

// findSubcommand finds the subcommand args name: the first argument, or the first after the
// command line's global flags (`conduit --url U --json keys list`). args name none when they
// are the server's flags.
func findSubcommand(args []string) (name string, rest []string, ok bool) {
	var globals []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--json" || strings.HasPrefix(a, "--url=") || strings.HasPrefix(a, "--data-dir="):
			globals = append(globals, a)
		case (a == "--url" || a == "--data-dir") && i+1 < len(args):
			globals = append(globals, a, args[i+1])
			i++
		default:
			if _, ok := subcommands()[a]; ok {
				return a, append(globals, args[i+1:]...), true
			}
			return "", nil, false
		}
	}
	return "", nil, false
}

func run(args []string, getenv func(string) string, stderr io.Writer) int {
	if name, rest, ok := findSubcommand(args); ok {
		return subcommands()[name](rest, getenv, stderr)
	}
	o, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "conduit:", err)
		return 2
	}
	if o.showVersion {
		fmt.Fprintln(os.Stdout, "conduit", version)
		return 0
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		fmt.Fprintln(stderr, "conduit: --log-level must be debug, info, warn or error")
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ui := frontend.Dist()
	if dir := getenv("CONDUIT_UI_DIR"); dir != "" { // UI development: serve a build folder
		ui = os.DirFS(dir)
	}
	so := runtime.Options{
		Addr: o.addr, DataDir: o.dataDir, SecretsMode: o.secrets, MasterKey: o.masterKey,
		SecretKey: o.secretKey, Mode: "headless", Version: version, Logger: log, Stderr: stderr,
		DatabaseURL: o.databaseURL, RedisURL: o.redisURL, RedisFailClosed: o.redisFail == "closed",
		AllowedHosts: splitList(o.allowedHosts), TLSCert: o.tlsCert, TLSKey: o.tlsKey, TraceURL: o.traceURL,
	}
	web := backend.Web{UI: ui}
	if addr := getenv("CONDUIT_PPROF_ADDR"); addr != "" {
		go servePprof(ctx, addr, log)
	} else {
		// Nothing serves a heap profile: no allocation sampling, and no profile buckets (about
		// 1 MB resident).
		goruntime.MemProfileRate = 0
	}
	gctune.Start(gctune.Headroom{Min: gcHeadroomMin, Max: gcHeadroomMax, Per: gcHeadroomPer}, getenv)
	if o.headless {
		err = runtime.Serve(ctx, so, web.Face)
	} else {
		err = runDesktop(ctx, so, web, o.startHidden)
	}
	if err != nil {
		fmt.Fprintln(stderr, "conduit:", err)
		return 1
	}
	return 0
}

func envOr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// splitList splits a comma- or space-separated list, dropping empty items.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
}

func envBool(v string) bool {
	switch v {
	case "1", "true", "TRUE", "True", "yes", "on":
		return true
	}
	return false
}

func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "conduit-data"
	}
	return filepath.Join(dir, "conduit")
}
