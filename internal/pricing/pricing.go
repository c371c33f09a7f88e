// Package pricing finds the price of a provider model: the shipped default table plus the
// admin's overrides, the most specific pattern winning.
package pricing

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/llm"
)

//go:embed defaults.json
var defaultsJSON []byte

// Source tells where a price row comes from.
const (
	SourceDefault = "default"
	SourceCustom  = "custom"
)

// Row is a price row with its origin.
type Row struct {
	config.Cost
	Source string `json:"source"`
}

// Defaults returns the shipped price table. Their ids are "default:<pattern>".
func Defaults() ([]Row, error) {
	var costs []config.Cost
	if err := json.Unmarshal(defaultsJSON, &costs); err != nil {
		return nil, fmt.Errorf("pricing: embedded defaults: %w", err)
	}
	rows := make([]Row, len(costs))
	for i, c := range costs {
		c.ID = "default:" + c.ModelPattern
		rows[i] = Row{Cost: c, Source: SourceDefault}
	}
	return rows, nil
}

// Table resolves provider models to prices.
type Table struct {
	exact    map[string]Row
	wildcard []Row // most specific first
}

// NewTable builds a table from default rows and custom rows; at equal specificity a custom
// row wins.
func NewTable(defaults []Row, custom []config.Cost) *Table {
	t := &Table{exact: map[string]Row{}}
	add := func(r Row) {
		p := strings.ToLower(r.ModelPattern)
		if !strings.Contains(p, "*") {
			if old, ok := t.exact[p]; ok && old.Source == SourceCustom && r.Source == SourceDefault {
				return
			}
			t.exact[p] = r
			return
		}
		t.wildcard = append(t.wildcard, r)
	}
	for _, r := range defaults {
		add(r)
	}
	for _, c := range custom {
		add(Row{Cost: c, Source: SourceCustom})
	}
	sort.SliceStable(t.wildcard, func(i, j int) bool {
		a, b := specificity(t.wildcard[i].ModelPattern), specificity(t.wildcard[j].ModelPattern)
		if a != b {
			return a > b
		}
		return t.wildcard[i].Source == SourceCustom && t.wildcard[j].Source != SourceCustom
	})
	return t
}

// Lookup returns the price of a provider model. A model with a vendor prefix
// ("openai/gpt-4o") is also tried without it.
func (t *Table) Lookup(model string) (Row, bool) {
	m := strings.ToLower(model)
	if r, ok := t.lookup(m); ok {
		return r, true
	}
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		return t.lookup(m[i+1:])
	}
	return Row{}, false
}

func (t *Table) lookup(m string) (Row, bool) {
	if r, ok := t.exact[m]; ok {
		return r, true
	}
	for _, r := range t.wildcard {
		if Match(strings.ToLower(r.ModelPattern), m) {
			return r, true
		}
	}
	return Row{}, false
}

func specificity(p string) int { return len(p) - strings.Count(p, "*") }

// Match reports whether s matches pattern, where '*' matches any run of characters.
func Match(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

// Units are what a request is priced by besides tokens.
type Units struct {
	Images       int     // generated images (per_image)
	AudioSeconds float64 // seconds of transcribed or translated audio (per_second)
	Chars        int     // characters of text turned into speech (per_1k_chars)
	SearchUnits  int     // rerank search units (per_search_unit)
}

// Cost prices a usage: uncached prompt tokens at the input price, cached ones at the cached
// price (the input price when none is set), completion tokens at the output price, plus the
// units at their prices (a unit without a price costs nothing).
func Cost(c config.Cost, u llm.Usage, n Units) float64 {
	cached := u.CachedTokens()
	if cached > u.PromptTokens {
		cached = u.PromptTokens
	}
	cachedPrice := c.InputPerMTok
	if c.CachedInputPerMTok != nil {
		cachedPrice = *c.CachedInputPerMTok
	}
	cost := (float64(u.PromptTokens-cached)*c.InputPerMTok +
		float64(cached)*cachedPrice +
		float64(u.CompletionTokens)*c.OutputPerMTok) / 1e6
	for _, p := range []struct {
		price *float64
		n     float64
	}{
		{c.PerImage, float64(n.Images)},
		{c.PerSecond, n.AudioSeconds},
		{c.Per1KChars, float64(n.Chars) / 1000},
		{c.PerSearchUnit, float64(n.SearchUnits)},
	} {
		if p.price != nil && p.n > 0 {
			cost += p.n * *p.price
		}
	}
	return cost
}

// USD formats dollars for messages: cents for amounts of a cent or more, and as many decimals
// as three significant digits need below that ($0.0001, $0.000123), so a small budget
// never reads as $0.00.
func USD(v float64) string {
	a := math.Abs(v)
	if a == 0 || a >= 0.01 {
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	decimals := min(int(math.Floor(-math.Log10(a)))+3, 12)
	s := strings.TrimRight(strconv.FormatFloat(v, 'f', decimals, 64), "0")
	return "$" + s
}
