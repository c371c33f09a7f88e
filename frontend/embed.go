// Package frontend embeds the built admin web UI (Svelte SPA in this folder; `npm run build`
// writes it to dist/).
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built web UI rooted at dist/ (index.html at its top). Before the first
// `npm run build` it holds only .keep.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // cannot happen: "dist" is a valid path embedded above
	}
	return sub
}
