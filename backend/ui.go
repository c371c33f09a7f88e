package backend

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

const uiMissing = `<!doctype html><meta charset="utf-8"><title>Conduit</title>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto">
<h1>Conduit is running</h1><p>The web UI was not built into this binary. Build it with
<code>make build</code> (or <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>
before <code>go build</code>). The API is served at <code>/v1</code> and <code>/admin</code>.</p>`

// uiRoutes serves the single-page app: files as they are, any other GET path as index.html.
func (s *Server) uiRoutes(e *echo.Echo) {
	ui := s.o.UI
	index, err := fs.ReadFile(orEmpty(ui), "index.html")
	hasUI := err == nil
	s.csp = []string{contentSecurityPolicy(index)}
	files := http.FileServer(http.FS(orEmpty(ui)))
	handler := func(c echo.Context) error {
		p := c.Request().URL.Path
		if isV1(p) || strings.HasPrefix(p, "/admin/") {
			return echo.ErrNotFound
		}
		if !hasUI {
			return c.HTML(http.StatusOK, uiMissing)
		}
		name := strings.TrimPrefix(path.Clean(p), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(ui, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(c.Response(), c.Request())
				return nil
			}
		}
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.HTMLBlob(http.StatusOK, index)
	}
	e.GET("/", handler)
	e.GET("/*", handler)
}

type emptyFS struct{}

func (emptyFS) Open(string) (fs.File, error) { return nil, fs.ErrNotExist }

func orEmpty(f fs.FS) fs.FS {
	if f == nil {
		return emptyFS{}
	}
	return f
}

func humanBytes(n int64) string {
	const mib = 1 << 20
	if n >= mib && n%mib == 0 {
		return itoa(int(n/mib)) + " MiB"
	}
	return itoa(int(n)) + " bytes"
}
