package backend

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/config"
)

// References between admin objects: keys' allowed_models and the router's fallbacks name
// model aliases. A write may only name aliases that exist (a key's trailing-* wildcard may
// match none yet); deleting a provider or a model lists what goes with it and prunes the
// fallbacks that pointed at an alias that no longer has a deployment.

// knownAliases returns every alias with at least one model row, enabled or not.
func (s *Server) knownAliases(ctx context.Context) (map[string]bool, error) {
	deps, err := s.o.Deployments.List(ctx)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(deps))
	for _, d := range deps {
		known[d.Alias] = true
	}
	return known, nil
}

// unknownAlias is the field error for a name that is no alias: it suggests the closest one.
func unknownAlias(field, name string, known map[string]bool) error {
	msg := "no model alias is named " + quote(name)
	best, bestD := "", max(1, len(name)/3)+1 // suggest only a near miss
	for a := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(a)); d < bestD || d == bestD && a < best {
			best, bestD = a, d
		}
	}
	if best != "" {
		msg += "; did you mean " + quote(best) + "?"
	} else if len(known) == 0 {
		msg += " (there are no models yet: add one first)"
	}
	return invalid(field, msg)
}

// aliasChecker checks names against the aliases, read once on the first name it checks.
type aliasChecker struct {
	s     *Server
	ctx   context.Context
	known map[string]bool
}

// check is the field error for a name that is no alias, nil for one that is.
func (a *aliasChecker) check(field, name string) error {
	if a.known == nil {
		known, err := a.s.knownAliases(a.ctx)
		if err != nil {
			return err
		}
		a.known = known
	}
	if a.known[name] {
		return nil
	}
	return unknownAlias(field, name, a.known)
}

// checkAllowedModels refuses an allowed_models entry that names no alias, unless it is a
// wildcard or the key already had it (an alias deleted since stays until removed).
func (s *Server) checkAllowedModels(ctx context.Context, names, had []string) error {
	aliases := aliasChecker{s: s, ctx: ctx}
	for _, m := range names {
		if strings.HasSuffix(m, "*") || slices.Contains(had, m) {
			continue
		}
		if err := aliases.check("allowed_models", m); err != nil {
			return err
		}
	}
	return nil
}

// checkFallbacks refuses a fallback naming no alias, on either side, unless the stored router
// already had that entry.
func (s *Server) checkFallbacks(ctx context.Context, before, after config.Router) error {
	aliases := aliasChecker{s: s, ctx: ctx}
	old := fallbackFields(&before)
	for i, f := range fallbackFields(&after) {
		had := *old[i].m
		for alias, chain := range *f.m {
			for _, name := range append([]string{alias}, chain...) {
				if _, ok := had[alias]; ok && (name == alias || slices.Contains(had[alias], name)) {
					continue
				}
				if err := aliases.check(f.name, name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

type fallbackField struct {
	name string
	m    *map[string][]string
}

// fallbackFields names the router's two fallback maps.
func fallbackFields(r *config.Router) []fallbackField {
	return []fallbackField{{"fallbacks", &r.Fallbacks}, {"context_window_fallbacks", &r.ContextWindowFallbacks}}
}

// dependents is what deleting a provider or a model takes with it.
type dependents struct {
	// Models are the model rows deleted with it.
	Models []modelRef `json:"models"`
	// Aliases lose their last model row: requests for them fail from then on.
	Aliases []string `json:"aliases"`
	// Fallbacks are the router entries removed because they name one of Aliases.
	Fallbacks []fallbackRef `json:"fallbacks"`
	// Keys name one of Aliases in allowed_models; they keep the name, which then matches
	// nothing until an alias of that name is added again.
	Keys []keyRef `json:"keys"`
}

type modelRef struct {
	ID            string `json:"id"`
	Alias         string `json:"alias"`
	ProviderModel string `json:"provider_model"`
}

type fallbackRef struct {
	Field string `json:"field"` // fallbacks or context_window_fallbacks
	Alias string `json:"alias"`
	To    string `json:"to"`
}

type keyRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// deploymentsOf is a collection's cascade: deleting a row takes the deployments hang says
// hang on it.
func deploymentsOf[T any](s *Server, hang func(row T, d config.Deployment) bool) func(context.Context, T) (dependents, error) {
	return func(ctx context.Context, row T) (dependents, error) {
		return s.dependentsOf(ctx, func(d config.Deployment) bool { return hang(row, d) })
	}
}

// dependentsOf works out what deleting the model rows for which gone is true takes with it.
func (s *Server) dependentsOf(ctx context.Context, gone func(config.Deployment) bool) (dependents, error) {
	out := dependents{Models: []modelRef{}, Aliases: []string{}, Fallbacks: []fallbackRef{}, Keys: []keyRef{}}
	deps, err := s.o.Deployments.List(ctx)
	if err != nil {
		return out, err
	}
	remaining := map[string]int{}
	for _, d := range deps {
		if gone(d) {
			out.Models = append(out.Models, modelRef{ID: d.ID, Alias: d.Alias, ProviderModel: d.ProviderModel})
			remaining[d.Alias] += 0
		} else {
			remaining[d.Alias]++
		}
	}
	lost := map[string]bool{}
	for a, n := range remaining {
		if n == 0 {
			lost[a] = true
			out.Aliases = append(out.Aliases, a)
		}
	}
	sort.Strings(out.Aliases)
	if len(lost) == 0 {
		return out, nil
	}
	r, err := s.o.Settings.GetRouter(ctx)
	if err != nil {
		return out, err
	}
	for _, f := range fallbackFields(&r) {
		for alias, chain := range *f.m {
			for _, to := range chain {
				if lost[alias] || lost[to] {
					out.Fallbacks = append(out.Fallbacks, fallbackRef{Field: f.name, Alias: alias, To: to})
				}
			}
		}
	}
	sort.Slice(out.Fallbacks, func(i, j int) bool {
		a, b := out.Fallbacks[i], out.Fallbacks[j]
		return a.Field+"\x00"+a.Alias+"\x00"+a.To < b.Field+"\x00"+b.Alias+"\x00"+b.To
	})
	keys, err := s.o.Keys.List(ctx)
	if err != nil {
		return out, err
	}
	for _, k := range keys {
		if slices.ContainsFunc(k.AllowedModels, func(m string) bool { return lost[m] }) {
			out.Keys = append(out.Keys, keyRef{ID: k.ID, Name: k.Name})
		}
	}
	return out, nil
}

// pruneFallbacks removes the given router entries (an alias left with no fallbacks loses its
// entry) and records the change in the audit trail.
func (s *Server) pruneFallbacks(c echo.Context, refs []fallbackRef) error {
	if len(refs) == 0 {
		return nil
	}
	ctx := c.Request().Context()
	before, err := s.o.Settings.GetRouter(ctx)
	if err != nil {
		return err
	}
	r := copyFallbacks(before)
	for _, f := range fallbackFields(&r) {
		for _, ref := range refs {
			if ref.Field != f.name {
				continue
			}
			chain := slices.DeleteFunc(slices.Clone((*f.m)[ref.Alias]), func(to string) bool { return to == ref.To })
			if len(chain) == 0 {
				delete(*f.m, ref.Alias)
			} else {
				(*f.m)[ref.Alias] = chain
			}
		}
	}
	if err := s.o.Settings.PutRouter(ctx, r); err != nil {
		return err
	}
	s.audit(c, "update", "router", "router", before, r)
	return nil
}

// editDistance is the optimal-string-alignment distance between a and b: insertions,
// deletions, substitutions and swaps of neighbours ("gtp" for "gpt") cost 1.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func quote(s string) string { return `"` + s + `"` }
