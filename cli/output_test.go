package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestNumberCells: amounts and latencies as table cells.
func TestNumberCells(t *testing.T) {
	tests := []struct {
		cell func(any) string
		in   any
		want string
	}{
		{money, json.Number("5"), "$5.00"},
		{money, json.Number("0"), "$0.00"},
		{money, json.Number("12.5"), "$12.50"},
		{money, json.Number("0.00000975"), "$0.00001"},
		{money, json.Number("0.000004"), "$0.000004"},
		{money, json.Number("0.0000001"), "$0.00"},
		{money, json.Number("1234.567891"), "$1234.567891"},
		{money, nil, "-"},
		{millis, json.Number("0.4761024527174739"), "0.48"},
		{millis, json.Number("6.59073958214503"), "6.59"},
		{millis, json.Number("53.418874"), "53.42"},
		{millis, json.Number("1200"), "1200.00"},
		{millis, nil, "-"},
	}
	for _, tt := range tests {
		if got := tt.cell(tt.in); got != tt.want {
			t.Errorf("%v → %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Rows printed by `logs --follow` after the first batch line up under its header, also with
// a longer key id and a shorter model name.
func TestFollowRowsAlign(t *testing.T) {
	row := func(id, keyID, alias string) obj {
		return obj{"time": "2026-12-07T01:00:17Z", "id": id, "key_id": keyID, "alias": alias,
			"provider_model": alias, "status": json.Number("200"), "prompt_tokens": json.Number("9"),
			"completion_tokens": json.Number("5"), "cost": json.Number("0.000004"), "latency_ms": json.Number("53.4")}
	}
	var out bytes.Buffer
	f := &followTable{cols: logCols}
	if err := f.print(&out, []obj{row("req_1", "key_playground", "fake-local-7b")}); err != nil {
		t.Fatal(err)
	}
	if err := f.print(&out, []obj{row("req_2", "key_oohr2j2luxc7im26", "gpt")}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and two rows:\n%s", out.String())
	}
	head := lines[0]
	for _, line := range lines[1:] {
		for _, col := range []string{"STATUS", "COST", "LATENCY_MS"} {
			at := strings.Index(head, col)
			if at == 0 || line[at-1] != ' ' || line[at] == ' ' {
				t.Errorf("column %s does not start at %d in\n%s\n%s", col, at, head, line)
			}
		}
	}
}
