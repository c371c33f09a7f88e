package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

var keysRes = resource{
	path: "keys", noun: "key", names: []string{"name"},
	cols: []column{
		field("ID", "id"), field("NAME", "name"), field("PREFIX", "key_prefix"), field("MODELS", "allowed_models"),
		{"SPEND", func(o obj) string { return money(o["spend"]) }},
		{"BUDGET", func(o obj) string { return money(o["max_budget"]) }},
		field("ENABLED", "enabled"), when("EXPIRES", "expires_at"),
	},
}

func (a *app) keysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Virtual keys for clients: list, create, disable, enable, rm"}
	cmd.AddCommand(a.listCmd(keysRes), a.keyCreateCmd(), a.keyEnableCmd(false), a.keyEnableCmd(true), a.rmCmd(keysRes))
	return cmd
}

// keyFlags are the limits `keys create` sets.
type keyFlags struct {
	models         []string
	budget         float64
	budgetDuration string
	rpm, rpd, tpm  int
	expires        string
}

func (k keyFlags) body(name string, now time.Time) (obj, error) {
	body := obj{"name": name}
	if len(k.models) > 0 {
		body["allowed_models"] = k.models
	}
	setIf(body, "max_budget", max(k.budget, 0))
	setIf(body, "budget_duration", k.budgetDuration)
	setIf(body, "rpm", max(k.rpm, 0))
	setIf(body, "rpd", max(k.rpd, 0))
	setIf(body, "tpm", max(k.tpm, 0))
	if k.expires != "" {
		t, err := parseWhen(k.expires, now, 1)
		if err != nil {
			return nil, invalid("expires_at", err.Error())
		}
		body["expires_at"] = t.Format(time.RFC3339)
	}
	return body, nil
}

func (a *app) keyCreateCmd() *cobra.Command {
	var k keyFlags
	cmd := &cobra.Command{
		Use:   "create NAME [--models 'gpt*,claude*'] [--budget USD] [--rpm N] [--expires 30d]",
		Short: "Create a virtual key; prints the key once, with the two export lines for OpenAI SDKs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := k.body(args[0], time.Now())
			if err != nil {
				return err
			}
			var row obj
			if err := a.call(cmd.Context(), http.MethodPost, "/admin/keys", body, &row); err != nil {
				return err
			}
			return a.show(row, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Created key %s (%s). It is shown only this once:\n\n    %s\n\n"+
					"export OPENAI_BASE_URL=%s/v1\nexport OPENAI_API_KEY=%s\n",
					text(row["name"]), text(row["id"]), text(row["key"]), a.c.base, text(row["key"]))
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&k.models, "models", nil, "model aliases it may use (trailing * wildcard; comma-separated or repeated; default all)")
	f.Float64Var(&k.budget, "budget", 0, "spending limit in USD")
	f.StringVar(&k.budgetDuration, "budget-duration", "", "when the budget resets: total, daily, weekly or monthly")
	f.IntVar(&k.rpm, "rpm", 0, "requests per minute")
	f.IntVar(&k.rpd, "rpd", 0, "requests per day")
	f.IntVar(&k.tpm, "tpm", 0, "tokens per minute")
	f.StringVar(&k.expires, "expires", "", "expiry: a duration from now (30d, 12h) or an RFC 3339 time")
	return cmd
}

// keyEnableCmd is `keys disable` (or `keys enable`): PATCH enabled.
func (a *app) keyEnableCmd(enable bool) *cobra.Command {
	verb := "disable"
	if enable {
		verb = "enable"
	}
	return &cobra.Command{
		Use: verb + " ID|NAME", Short: strings.ToUpper(verb[:1]) + verb[1:] + " a key", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			row, err := a.resolve(cmd.Context(), keysRes, args[0])
			if err != nil {
				return err
			}
			return a.send(cmd.Context(), keysRes, http.MethodPatch,
				"/admin/keys/"+url.PathEscape(text(row["id"])), obj{"enabled": enable})
		},
	}
}

// parseWhen reads "7d", "12h", "30m" (a span from now: sign -1 back, +1 ahead), a date or an
// RFC 3339 time.
func parseWhen(v string, now time.Time, sign int) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.UTC(), nil
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(v, "d")); err == nil && strings.HasSuffix(v, "d") && n >= 0 {
		return now.UTC().AddDate(0, 0, sign*n), nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.UTC().Add(time.Duration(sign) * d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a span (7d, 12h) nor a date or RFC 3339 time", v)
}
