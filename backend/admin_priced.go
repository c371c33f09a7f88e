package backend

import (
	"sort"

	"github.com/conduit-gw/conduit/internal/usage"
)

// A model with no matching price row is charged nothing: the admin API marks such rows
// `priced: false` (model rows, request logs, usage groups) so the UI can say so, not guess.

// priced reports whether a price row matches providerModel, the most specific pattern
// winning as when charging; a request that reached no provider model has nothing to price.
func (s *Server) priced(providerModel string) bool {
	prices := s.o.Config.Load().Prices
	if providerModel == "" || prices == nil {
		return true
	}
	_, ok := prices.Lookup(providerModel)
	return ok
}

// logView is a request log row with its priced flag.
type logView struct {
	usage.Record
	Priced bool `json:"priced"`
}

func (s *Server) logViews(rows []usage.Record) []logView {
	out := make([]logView, len(rows))
	for i, r := range rows {
		out[i] = logView{Record: r, Priced: s.priced(r.ProviderModel)}
	}
	return out
}

// unpricedModel is an enabled model row that no price row matches.
type unpricedModel struct {
	ID            string `json:"id"`
	Alias         string `json:"alias"`
	ProviderID    string `json:"provider_id"`
	ProviderModel string `json:"provider_model"`
}

// unpricedModels lists the enabled model rows without a price, by alias.
func (s *Server) unpricedModels() []unpricedModel {
	out := []unpricedModel{}
	for _, a := range s.o.Config.Load().Aliases {
		for _, d := range a.Deployments {
			if !s.priced(d.ProviderModel) {
				out = append(out, unpricedModel{ID: d.ID, Alias: d.Alias, ProviderID: d.ProviderID, ProviderModel: d.ProviderModel})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Alias+"\x00"+out[i].ID < out[j].Alias+"\x00"+out[j].ID })
	return out
}

// groupView is a usage group with its priced flag: false for a model or provider group
// that has an enabled model row without a price (key and day groups are always true).
type groupView struct {
	usage.Group
	Priced bool `json:"priced"`
}

func groupViews(groupBy string, rows []usage.Group, unpriced []unpricedModel) []groupView {
	bad := map[string]bool{}
	for _, u := range unpriced {
		switch groupBy {
		case usage.GroupByModel:
			bad[u.Alias] = true
		case usage.GroupByProvider:
			bad[u.ProviderID] = true
		}
	}
	out := make([]groupView, len(rows))
	for i, g := range rows {
		out[i] = groupView{Group: g, Priced: !bad[g.Key]}
	}
	return out
}
