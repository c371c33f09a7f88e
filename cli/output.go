package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
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

// ms is a column showing a duration field in milliseconds.
func ms(head, name string) column {
	return column{head, func(o obj) string { return millis(o[name]) }}
}

// when is a column showing a time field as "2006-01-02 15:04:05" UTC ("-" when empty).
func when(head, name string) column {
	return column{head, func(o obj) string { return shortTime(o[name]) }}
}

func table(w io.Writer, cols []column, rows []obj) error {
	_, err := aligned(w, nil, cells(cols, rows, true))
	return err
}

// cells are rows' table cells, after a line of the column heads when head is set.
func cells(cols []column, rows []obj, head bool) [][]string {
	lines := make([][]string, 0, len(rows)+1)
	if head {
		heads := make([]string, len(cols))
		for i, c := range cols {
			heads[i] = c.head
		}
		lines = append(lines, heads)
	}
	for _, r := range rows {
		line := make([]string, len(cols))
		for i, c := range cols {
			line[i] = c.cell(r)
		}
		lines = append(lines, line)
	}
	return lines
}

// aligned writes lines with each cell padded to its column's width plus two spaces (the last
// cell unpadded). widths are the columns' widths so far, grown to fit lines and returned, so
// that lines written later line up under earlier ones.
func aligned(w io.Writer, widths []int, lines [][]string) ([]int, error) {
	for _, line := range lines {
		for i, c := range line {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, line := range lines {
		for i, c := range line {
			b.WriteString(c)
			if i < len(line)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return widths, err
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

// money renders a USD amount with up to 6 decimals, at least 2 ($5.00, $0.00001; "-" for null).
func money(v any) string {
	f, ok := number(v)
	if !ok {
		return text(v)
	}
	s := strings.TrimRight(strconv.FormatFloat(f, 'f', 6, 64), "0")
	if dot := strings.IndexByte(s, '.'); len(s)-dot < 3 {
		s += strings.Repeat("0", 3-(len(s)-dot))
	}
	return "$" + s
}

// millis renders a duration in milliseconds with 2 decimals ("-" for null).
func millis(v any) string {
	f, ok := number(v)
	if !ok {
		return text(v)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// number is v as a float when it is a JSON number.
func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// jsonLine is v as one line of JSON.
func jsonLine(v any) ([]byte, error) { return json.Marshal(v) }
