package pricing

import (
	"math"
	"testing"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/llm"
)

func TestLookup(t *testing.T) {
	defaults, err := Defaults()
	if err != nil {
		t.Fatal(err)
	}
	custom := []config.Cost{
		{ID: "c1", ModelPattern: "gpt-4o", InputPerMTok: 1, OutputPerMTok: 2},
		{ID: "c2", ModelPattern: "my-*", InputPerMTok: 3, OutputPerMTok: 4},
		{ID: "c3", ModelPattern: "my-special-*", InputPerMTok: 5, OutputPerMTok: 6},
	}
	tab := NewTable(defaults, custom)
	tests := []struct {
		model   string
		pattern string
		source  string
		ok      bool
	}{
		{"gpt-4o", "gpt-4o", SourceCustom, true},                         // custom beats default at equal specificity
		{"gpt-4o-mini", "gpt-4o-mini", SourceDefault, true},              // exact beats gpt-4o-*
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini-*", SourceDefault, true}, // longer wildcard beats gpt-4o-*
		{"gpt-4o-2024-08-06", "gpt-4o-*", SourceDefault, true},           // wildcard
		{"my-special-model", "my-special-*", SourceCustom, true},         // most specific wildcard
		{"my-model", "my-*", SourceCustom, true},                         //
		{"openai/gpt-4.1-mini", "gpt-4.1-mini", SourceDefault, true},     // vendor prefix stripped
		{"claude-sonnet-4-20250514", "claude-sonnet-4*", SourceDefault, true},
		{"unknown-model", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			r, ok := tab.Lookup(tt.model)
			if ok != tt.ok || r.ModelPattern != tt.pattern || r.Source != tt.source {
				t.Fatalf("Lookup(%q) = %q/%q/%v, want %q/%q/%v", tt.model, r.ModelPattern, r.Source, ok, tt.pattern, tt.source, tt.ok)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"a*", "abc", true}, {"a*", "b", false}, {"*c", "abc", true}, {"a*c", "abc", true},
		{"a*b*c", "axbyc", true}, {"a*b*c", "axc", false}, {"abc", "abc", true}, {"abc", "abcd", false},
		{"*", "", true}, {"a*a", "a", false},
	}
	for _, tt := range tests {
		if got := Match(tt.p, tt.s); got != tt.want {
			t.Errorf("Match(%q,%q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

func TestCost(t *testing.T) {
	c := config.Cost{InputPerMTok: 2, OutputPerMTok: 8, CachedInputPerMTok: new(0.5), PerImage: new(0.04)}
	u := llm.Usage{PromptTokens: 1_000_000, CompletionTokens: 500_000,
		PromptTokensDetails: &llm.PromptTokensDetails{CachedTokens: 200_000}}
	got := Cost(c, u, Units{Images: 2})
	want := 0.8*2 + 0.2*0.5 + 0.5*8 + 2*0.04
	if math.Abs(got-want) > 1e-9 {
		t.Fatalf("Cost = %v, want %v", got, want)
	}
	noCached := config.Cost{InputPerMTok: 2, OutputPerMTok: 8}
	if got := Cost(noCached, u, Units{}); math.Abs(got-(2+4)) > 1e-9 {
		t.Fatalf("Cost without cached price = %v, want 6", got)
	}
}

func TestCostUnits(t *testing.T) {
	audio := config.Cost{PerSecond: new(0.0001), Per1KChars: new(0.015), PerSearchUnit: new(0.002)}
	for _, tt := range []struct {
		name string
		c    config.Cost
		u    llm.Usage
		n    Units
		want float64
	}{
		{"seconds", audio, llm.Usage{}, Units{AudioSeconds: 90.5}, 90.5 * 0.0001},
		{"characters", audio, llm.Usage{}, Units{Chars: 2500}, 2.5 * 0.015},
		{"search units", audio, llm.Usage{}, Units{SearchUnits: 3}, 3 * 0.002},
		{"units and tokens", config.Cost{InputPerMTok: 1, PerSearchUnit: new(0.002)}, llm.Usage{PromptTokens: 1000}, Units{SearchUnits: 1}, 0.001 + 0.002},
		{"unpriced units cost nothing", config.Cost{InputPerMTok: 1}, llm.Usage{}, Units{AudioSeconds: 60, Chars: 100, SearchUnits: 2, Images: 1}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Cost(tt.c, tt.u, tt.n); math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("Cost = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUSD(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "$0.00"},
		{10, "$10.00"},
		{0.01, "$0.01"},
		{1234.5, "$1234.50"},
		{0.005, "$0.005"},
		{0.0001, "$0.0001"},
		{0.000123, "$0.000123"},
		{0.0001234, "$0.000123"},
		{0.00001, "$0.00001"},
		{-0.0002, "$-0.0002"},
	} {
		if got := USD(c.v); got != c.want {
			t.Errorf("USD(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
