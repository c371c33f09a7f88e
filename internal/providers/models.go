package providers

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/tidwall/gjson"
)

// maxModelPages bounds the pages ListModels follows.
const maxModelPages = 20

// ModelPages describes how an upstream lists its models, page by page.
type ModelPages struct {
	URL   string // the first page, with its query
	List  string // gjson path of a page's array of models
	ID    string // gjson path of a model's id in an item of List
	Param string // query parameter asking for the page after a cursor
	// Next returns the cursor of the page after this one, "" after the last; nil: one page.
	Next func(page []byte, cursor string) string
	// Missing, Null: a page without the list, or with a null one, holds no models.
	Missing, Null bool
}

// ListModels returns the non-empty string ids of the models on every page.
func (h *HTTP) ListModels(ctx context.Context, l ModelPages) ([]string, error) {
	ids := []string{}
	cursor := ""
	for range maxModelPages {
		u := l.URL
		if cursor != "" {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + l.Param + "=" + url.QueryEscape(cursor)
		}
		page, err := h.GetJSON(ctx, u)
		if err != nil {
			return nil, err
		}
		list := gjson.GetBytes(page, l.List)
		ok := list.IsArray() || (!list.Exists() && l.Missing) || (list.Exists() && list.Type == gjson.Null && l.Null)
		if !ok {
			return nil, Malformed(h.Name, fmt.Errorf("%s: models list is not {%q:[...]}: %.200s", h.Name, l.List, page))
		}
		list.ForEach(func(_, m gjson.Result) bool {
			if id := m.Get(l.ID); id.Type == gjson.String && id.Str != "" {
				ids = append(ids, id.Str)
			}
			return true
		})
		if l.Next == nil {
			break
		}
		if cursor = l.Next(page, cursor); cursor == "" {
			break
		}
	}
	return ids, nil
}
