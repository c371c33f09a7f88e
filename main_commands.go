package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/conduit-gw/conduit/internal/backup"
)

// commandUsage lists the subcommands for --help.
func commandUsage(w io.Writer) {
	names := make([]string, 0)
	for n := range subcommands() {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "\nSubcommands: conduit "+strings.Join(names, "|")+" … (conduit NAME --help)")
}

// commandFlags are the flags every data subcommand takes, and its one FILE argument (before or
// after the flags).
type commandFlags struct {
	addr, url, dataDir string
	file               string
}

func parseCommand(name string, args []string, getenv func(string) string, stderr io.Writer) (commandFlags, error) {
	var f commandFlags
	fs := flag.NewFlagSet("conduit "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", envOr(getenv("CONDUIT_ADDR"), "127.0.0.1:8800"), "the running server's listen address (env CONDUIT_ADDR)")
	fs.StringVar(&f.url, "url", "", "the running server: a URL (https://conduit.example.com) or host:port; env CONDUIT_URL, as for the admin commands, beats CONDUIT_ADDR")
	fs.StringVar(&f.dataDir, "data-dir", envOr(getenv("CONDUIT_DATA_DIR"), defaultDataDir()), "the data directory (env CONDUIT_DATA_DIR)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: conduit %s FILE [flags]\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	rest := fs.Args()
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		f.file = rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return f, err
		}
		rest = fs.Args()
	}
	if f.file == "" || len(rest) > 0 {
		err := fmt.Errorf("conduit %s takes one FILE", name)
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return f, err
	}
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	if !given["url"] && !given["addr"] {
		f.url = getenv("CONDUIT_URL")
	}
	if f.url != "" && !strings.Contains(f.url, "://") {
		f.addr, f.url = f.url, ""
	}
	if f.url == "" {
		host, port, err := net.SplitHostPort(f.addr)
		if err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
			f.addr = net.JoinHostPort("127.0.0.1", port)
		}
		f.url = "http://" + f.addr
	}
	return f, nil
}

// usageExit is the exit code of a command line parseCommand refused (it said why): 0 when it
// asked for --help, else 2.
func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// runBackup is `conduit backup FILE`: a consistent copy of the database, online through the
// running server's GET /admin/backup, or from the data dir when no server runs.
func runBackup(args []string, getenv func(string) string, stderr io.Writer) int {
	return backupTo(args, getenv, os.Stdout, stderr)
}

// runRestore is `conduit restore FILE`: refused while a server holds the data dir.
func runRestore(args []string, getenv func(string) string, stderr io.Writer) int {
	return restoreTo(args, getenv, os.Stdout, stderr)
}

func backupTo(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f, err := parseCommand("backup", args, getenv, stderr)
	if err != nil {
		return usageExit(err)
	}
	rows, how, err := backup.Backup(ctx, backup.BackupOptions{URL: f.url, MasterKey: getenv("CONDUIT_MASTER_KEY"), DataDir: f.dataDir}, f.file)
	if err != nil {
		fmt.Fprintln(stderr, "conduit backup:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backed up %s (%s) to %s\n", how, rowsText(rows), f.file)
	return 0
}

func restoreTo(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f, err := parseCommand("restore", args, getenv, stderr)
	if err != nil {
		return usageExit(err)
	}
	rows, kept, err := backup.Restore(ctx, f.dataDir, f.file)
	if err != nil {
		fmt.Fprintln(stderr, "conduit restore:", err)
		return 1
	}
	fmt.Fprintf(stdout, "restored %s (%s) into %s\n", f.file, rowsText(rows), f.dataDir)
	if kept != "" {
		fmt.Fprintf(stdout, "the previous database is kept as %s\n", kept)
	}
	return 0
}

// rowsText is "1 request log row" or "N request log rows".
func rowsText(n int64) string {
	if n == 1 {
		return "1 request log row"
	}
	return fmt.Sprintf("%d request log rows", n)
}
