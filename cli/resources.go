package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// resource is an admin collection the CLI lists, creates and deletes (/admin/<path>).
type resource struct {
	path  string   // "providers"
	noun  string   // "provider"
	names []string // fields an argument may match besides id ("name", "alias")
	cols  []column
	refs  []idName // ids of other rows in cols, named by `list` beside them
}

// idName is a column naming the row an id field points at: the name of the row of /admin/<path>
// with that id, "-" for one deleted since.
type idName struct {
	after string // the head of the id's column, which it follows
	head  string // "PROVIDER_NAME"
	field string // "provider_id"
	path  string // "providers"
}

// nameColumn lists ref's collection and returns the column naming its rows.
func (a *app) nameColumn(ctx context.Context, ref idName) (column, error) {
	rows, err := a.list(ctx, resource{path: ref.path})
	if err != nil {
		return column{}, err
	}
	names := make(map[string]string, len(rows))
	for _, row := range rows {
		names[text(row["id"])] = text(row["name"])
	}
	return column{ref.head, func(o obj) string { return text(names[text(o[ref.field])]) }}, nil
}

// withNames returns cols with each ref's name column after its id's column.
func (a *app) withNames(ctx context.Context, cols []column, refs ...idName) ([]column, error) {
	out := slices.Clone(cols)
	for _, ref := range refs {
		c, err := a.nameColumn(ctx, ref)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(out, func(c column) bool { return c.head == ref.after })
		out = slices.Insert(out, i+1, c)
	}
	return out, nil
}

func (a *app) list(ctx context.Context, r resource) ([]obj, error) {
	var ans listAnswer
	if err := a.call(ctx, http.MethodGet, "/admin/"+r.path, nil, &ans); err != nil {
		return nil, err
	}
	return ans.Data, nil
}

// resolve finds the row an argument names: its id, or a unique name field.
func (a *app) resolve(ctx context.Context, r resource, arg string) (obj, error) {
	rows, err := a.list(ctx, r)
	if err != nil {
		return nil, err
	}
	var found []obj
	for _, row := range rows {
		if row["id"] == arg {
			return row, nil
		}
		for _, n := range r.names {
			if row[n] == arg {
				found = append(found, row)
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, &APIError{Status: http.StatusNotFound, Message: fmt.Sprintf("no %s %q", r.noun, arg), Field: "id"}
	case 1:
		return found[0], nil
	}
	return nil, &APIError{Status: http.StatusConflict, Message: fmt.Sprintf("%d %ss are named %q: give the id", len(found), r.noun, arg), Field: "id"}
}

// listCmd is `<resource> list`.
func (a *app) listCmd(r resource) *cobra.Command {
	return &cobra.Command{
		Use: "list", Aliases: []string{"ls"}, Short: "List " + r.noun + "s", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rows, err := a.list(cmd.Context(), r)
			if err != nil {
				return err
			}
			return a.show(listAnswer{Data: rows}, func(w io.Writer) error {
				cols, err := a.withNames(cmd.Context(), r.cols, r.refs...)
				if err != nil {
					return err
				}
				return table(w, cols, rows)
			})
		},
	}
}

// rmCmd is `<resource> rm ID|NAME`.
func (a *app) rmCmd(r resource) *cobra.Command {
	return &cobra.Command{
		Use: "rm ID|" + strings.ToUpper(r.names[0]), Aliases: []string{"delete"}, Short: "Delete a " + r.noun,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			row, err := a.resolve(cmd.Context(), r, args[0])
			if err != nil {
				return err
			}
			id := text(row["id"])
			if err := a.call(cmd.Context(), http.MethodDelete, "/admin/"+r.path+"/"+url.PathEscape(id), nil, nil); err != nil {
				return err
			}
			return a.show(obj{"id": id, "deleted": true}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "deleted %s %s\n", r.noun, id)
				return err
			})
		},
	}
}

// addCmd is `<resource> add`: build turns the arguments and cmd's flags into the new row's
// fields, which are POSTed to /admin/<path> with the optional fields given and "enabled"
// (--disabled adds it disabled); the created row is shown. The command's optional fields
// are declared on the optionalFields returned.
func (a *app) addCmd(r resource, cmd *cobra.Command, build func(cmd *cobra.Command, args []string) (obj, error)) (*cobra.Command, *optionalFields) {
	var disabled bool
	opt := &optionalFields{cmd: cmd}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		body, err := build(cmd, args)
		if err != nil {
			return err
		}
		opt.fill(body)
		body["enabled"] = !disabled
		return a.send(cmd.Context(), r, http.MethodPost, "/admin/"+r.path, body)
	}
	cmd.Flags().BoolVar(&disabled, "disabled", false, "add it disabled")
	return cmd, opt
}

// optionalFields declares the flags of a command's optional fields: each is sent under its
// key only when given a value other than its zero (a negative number counts as none).
type optionalFields struct {
	cmd  *cobra.Command
	sets []func(obj)
}

func (o *optionalFields) flag(key, name, usage string) {
	v := o.cmd.Flags().Bool(name, false, usage)
	o.sets = append(o.sets, func(body obj) { setIf(body, key, *v) })
}

func (o *optionalFields) number(key, name, usage string) {
	v := o.cmd.Flags().Int(name, 0, usage)
	o.sets = append(o.sets, func(body obj) { setIf(body, key, max(*v, 0)) })
}

func (o *optionalFields) text(key, name, usage string) {
	v := o.cmd.Flags().String(name, "", usage)
	o.sets = append(o.sets, func(body obj) { setIf(body, key, *v) })
}

// fill sets the fields given in body.
func (o *optionalFields) fill(body obj) {
	for _, set := range o.sets {
		set(body)
	}
}

// created prints a created or updated row: its JSON, or a one-row table.
func (a *app) created(r resource, row obj) error {
	return a.show(row, func(w io.Writer) error { return table(w, r.cols, []obj{row}) })
}

// send sends body to path with method and shows the row of r it answers with.
func (a *app) send(ctx context.Context, r resource, method, path string, body obj) error {
	var row obj
	if err := a.call(ctx, method, path, body, &row); err != nil {
		return err
	}
	return a.created(r, row)
}

// readSecret returns v, or a line of stdin when v is "-" (keeps a secret out of `ps`).
func readSecret(v string, stdin io.Reader) (string, error) {
	if v != "-" {
		return v, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the secret from stdin: %w", err)
	}
	return strings.TrimSpace(line), nil
}
