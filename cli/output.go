package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// obj is one JSON object of an answer, numbers kept as json.Number.
type obj = map[string]any

// setIf sets o[key] to v unless v is its type's zero value (a flag left unset).
func setIf[V comparable](o obj, key string, v V) {
	var zero V
	if v != zero {
		o[key] = v
	}
}

// listAnswer is a {"data":[…]} answer (plus whatever else the route adds).
type listAnswer struct {
	Data []obj `json:"data"`
}

// column is one table column: its header and how a row's cell is written.
type column struct {
	head string
	cell func(obj) string
}

// field is a column showing one field as text.
func field(head, name string) column {
	return column{head, func(o obj) string { return text(o[name]) }}
}

// when is a column showing a time field as "2006-01-02 15:04:05" UTC ("-" when empty).
func when(head, name string) column {
	return column{head, func(o obj) string { return shortTime(o[name]) }}
}

func table(w io.Writer, cols []column, rows []obj) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	fmt.Fprintln(tw, strings.Join(heads, "\t"))
	for _, r := range rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = c.cell(r)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// pairs prints "name: value" lines aligned, for one object.
func pairs(w io.Writer, kv [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, p := range kv {
		fmt.Fprintf(tw, "%s:\t%s\n", p[0], p[1])
	}
	return tw.Flush()
}

// text renders a JSON value for a table cell: "-" for null and empty, lists joined by commas.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		if len(x) == 0 {
			return "-"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = text(e)
		}
		return strings.Join(parts, ",")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func shortTime(v any) string {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return text(v)
	}
	return t.UTC().Format(time.DateTime)
}

// money renders a USD amount with 6 decimals ("-" for null).
func money(v any) string {
	n, ok := v.(json.Number)
	if !ok {
		return text(v)
	}
	f, err := n.Float64()
	if err != nil {
		return n.String()
	}
	return "$" + strconv.FormatFloat(f, 'f', 6, 64)
}

// jsonLine is v as one line of JSON.
func jsonLine(v any) ([]byte, error) { return json.Marshal(v) }
