package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) usageCmd() *cobra.Command {
	var by, since, until string
	cmd := &cobra.Command{
		Use:   "usage [--by key|model|provider|day] [--since 7d] [--until DATE]",
		Short: "Requests, tokens, cost, errors and latency, grouped",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"group_by": {by}}
			now := time.Now()
			for name, v := range map[string]string{"from": since, "to": until} {
				if v == "" {
					continue
				}
				t, err := parseWhen(v, now, -1)
				if err != nil {
					return invalid(name, err.Error())
				}
				q.Set(name, t.Format(time.RFC3339))
			}
			var ans struct {
				listAnswer
				From    string `json:"from"`
				To      string `json:"to"`
				GroupBy string `json:"group_by"`
			}
			if err := a.call(cmd.Context(), http.MethodGet, "/admin/usage?"+q.Encode(), nil, &ans); err != nil {
				return err
			}
			return a.show(ans, func(w io.Writer) error {
				groups, err := a.groupColumns(cmd.Context(), ans.GroupBy)
				if err != nil {
					return err
				}
				cols := append(groups, field("REQUESTS", "requests"),
					field("PROMPT_TOKENS", "prompt_tokens"), field("COMPLETION_TOKENS", "completion_tokens"),
					column{"COST", func(o obj) string { return money(o["cost"]) }}, field("ERRORS", "errors"),
					ms("P50_MS", "p50_ms"), ms("P95_MS", "p95_ms"))
				return table(w, cols, ans.Data)
			})
		},
	}
	cmd.Flags().StringVar(&by, "by", "day", "group by key, model, provider or day")
	cmd.Flags().StringVar(&since, "since", "", "from: a span back from now (7d, 12h), a date or an RFC 3339 time (default 30d)")
	cmd.Flags().StringVar(&until, "until", "", "to: like --since (default now)")
	_ = cmd.RegisterFlagCompletionFunc("by", cobra.FixedCompletions([]string{"key", "model", "provider", "day"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// groupColumns are a usage table's first columns: the group, and when it is a key or a
// provider (an id), that row's name too ("-" for one deleted since).
func (a *app) groupColumns(ctx context.Context, groupBy string) ([]column, error) {
	group := field(strings.ToUpper(groupBy), "key")
	r, ok := map[string]resource{"key": keysRes, "provider": providersRes}[groupBy]
	if !ok {
		return []column{group}, nil
	}
	name, err := a.nameColumn(ctx, idName{head: "NAME", field: "key", path: r.path})
	if err != nil {
		return nil, err
	}
	return []column{group, name}, nil
}

var logCols = []column{
	when("TIME", "time"), field("ID", "id"), field("KEY", "key_id"), field("MODEL", "alias"),
	field("PROVIDER_MODEL", "provider_model"), field("STATUS", "status"), field("ERROR", "error_code"),
	{"TOKENS", func(o obj) string { return text(o["prompt_tokens"]) + "/" + text(o["completion_tokens"]) }},
	{"COST", func(o obj) string { return money(o["cost"]) }}, ms("LATENCY_MS", "latency_ms"),
}

// logKeyName names each request's key beside its id.
var logKeyName = idName{after: "KEY", head: "KEY_NAME", field: "key_id", path: "keys"}

func (a *app) logsCmd() *cobra.Command {
	var limit int
	var follow bool
	var every time.Duration
	var keyID, model, status string
	cmd := &cobra.Command{
		Use:   "logs [--limit N] [--follow] [--key ID] [--model ALIAS] [--status CODE]",
		Short: "Recent requests, newest last; --follow keeps printing new ones",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			for k, v := range map[string]string{"key_id": keyID, "model": model, "status": status} {
				if v != "" {
					q.Set(k, v)
				}
			}
			rows, err := a.logs(cmd.Context(), q)
			if err != nil {
				return err
			}
			if !follow {
				return a.show(listAnswer{Data: rows}, func(w io.Writer) error {
					cols, err := a.withNames(cmd.Context(), logCols, logKeyName)
					if err != nil {
						return err
					}
					return table(w, cols, rows)
				})
			}
			return a.follow(cmd.Context(), q, rows, every)
		},
	}
	f := cmd.Flags()
	f.IntVar(&limit, "limit", 20, "how many recent requests (1-1000)")
	f.BoolVarP(&follow, "follow", "f", false, "keep printing new requests until interrupted (one JSON object per line with --json)")
	f.DurationVar(&every, "interval", time.Second, "with --follow: how often to ask for new requests")
	f.StringVar(&keyID, "key", "", "only this key id")
	f.StringVar(&model, "model", "", "only this model alias")
	f.StringVar(&status, "status", "", "only this HTTP status")
	return cmd
}

// logs fetches one page of request logs, oldest first.
func (a *app) logs(ctx context.Context, q url.Values) ([]obj, error) {
	var ans listAnswer
	if err := a.call(ctx, http.MethodGet, "/admin/logs?"+q.Encode(), nil, &ans); err != nil {
		return nil, err
	}
	slices.Reverse(ans.Data)
	return ans.Data, nil
}

// follow prints rows, then polls for requests not seen yet until ctx ends. Ids already printed
// are remembered (a page is the newest requests, so a row is new when it is not among them).
func (a *app) follow(ctx context.Context, q url.Values, rows []obj, every time.Duration) error {
	seen := map[string]bool{}
	var tab followTable
	if !a.json {
		cols, err := a.withNames(ctx, logCols, logKeyName)
		if err != nil {
			return err
		}
		tab.cols = cols
	}
	print := func(rows []obj, head bool) error {
		var fresh []obj
		for _, r := range rows {
			if id := text(r["id"]); !seen[id] {
				seen[id] = true
				fresh = append(fresh, r)
			}
		}
		if a.json {
			for _, r := range fresh {
				if err := a.printJSONLine(r); err != nil {
					return err
				}
			}
			return nil
		}
		if !head && len(fresh) == 0 {
			return nil
		}
		return tab.print(a.env.Stdout, fresh)
	}
	if err := print(rows, true); err != nil {
		return err
	}
	tick := time.NewTicker(max(every, 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		rows, err := a.logs(ctx, q)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if err := print(rows, false); err != nil {
			return err
		}
	}
}

// followTable prints `logs --follow` rows as they come: the header with the first batch, and
// later batches lined up under it. Columns start at least as wide as followWidths, so that a
// later key id or error code longer than the first batch's still lines up.
type followTable struct {
	cols   []column // logCols with the key's name
	widths []int
}

// followWidths are the least widths of logCols' columns: a key id ("key_" and 16 characters),
// the longest error code, room for common model names.
var followWidths = map[string]int{"KEY": len("key_") + 16, "KEY_NAME": 12, "MODEL": 16, "PROVIDER_MODEL": 16,
	"ERROR": len("no_healthy_deployment")}

func (f *followTable) print(w io.Writer, rows []obj) error {
	head := f.widths == nil
	if head {
		f.widths = make([]int, len(f.cols))
		for i, c := range f.cols {
			f.widths[i] = followWidths[c.head]
		}
	}
	var err error
	f.widths, err = aligned(w, f.widths, cells(f.cols, rows, head))
	return err
}

func (a *app) printJSONLine(v any) error {
	b, err := jsonLine(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(a.env.Stdout, string(b))
	return err
}

func (a *app) statusCmd() *cobra.Command {
	return &cobra.Command{
		Use: "status", Short: "The server: version, mode, uptime, database, counts, provider health", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var s obj
			if err := a.call(cmd.Context(), http.MethodGet, "/admin/system", nil, &s); err != nil {
				return err
			}
			return a.show(s, func(w io.Writer) error { return statusTable(w, s) })
		},
	}
}

func statusTable(w io.Writer, s obj) error {
	kv := [][2]string{
		{"version", text(s["version"])}, {"mode", text(s["mode"])}, {"uptime_s", text(s["uptime_s"])},
		{"base_url", text(s["base_url"])}, {"db_path", text(s["db_path"])}, {"db_bytes", text(s["db_bytes"])},
		{"secrets_backend", text(s["secrets_backend"])},
	}
	if counts, ok := s["counts"].(obj); ok {
		names := make([]string, 0, len(counts))
		for k := range counts {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			kv = append(kv, [2]string{"count " + k, text(counts[k])})
		}
	}
	if err := pairs(w, kv); err != nil {
		return err
	}
	ps, _ := s["providers"].([]any)
	if len(ps) == 0 {
		return nil
	}
	rows := make([]obj, 0, len(ps))
	for _, p := range ps {
		if o, ok := p.(obj); ok {
			rows = append(rows, o)
		}
	}
	fmt.Fprintln(w)
	return table(w, []column{field("PROVIDER", "name"), field("TYPE", "type"), field("ENABLED", "enabled"),
		field("STATUS", "status"), field("LAST_ERROR", "last_error")}, rows)
}
