//go:build (desktop || dev) && !headless && !bindings

package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	goruntime "runtime"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/conduit-gw/conduit/backend"
	conduit "github.com/conduit-gw/conduit/internal/runtime"
)

// runWindow opens the Wails window on the admin UI. Its requests reach the gateway's handler
// in process; closing the window hides it (the gateway keeps serving local tools) until Quit.
// Each value on shown (another launch) brings the window to the front.
func runWindow(ctx context.Context, srv *conduit.Running, web backend.Web, ao Options, shown <-chan struct{}, log *slog.Logger) error {
	var wctx context.Context
	ready := make(chan struct{})
	quit := func() {
		<-ready
		runtime.Quit(wctx)
	}
	show := func() {
		runtime.WindowUnminimise(wctx)
		runtime.WindowShow(wctx)
	}
	go func() {
		<-ready
		for range shown {
			log.Info("another launch asked for the window")
			show()
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			quit()
		case err := <-srv.Failed():
			log.Error("gateway stopped serving", "err", err)
			quit()
		}
	}()
	m := menu.NewMenu()
	file := m.AddSubmenu("Conduit")
	file.AddText("Show Window", keys.CmdOrCtrl("0"), func(*menu.CallbackData) { runtime.WindowShow(wctx) })
	file.AddText("Reload", keys.CmdOrCtrl("r"), func(*menu.CallbackData) { runtime.WindowReloadApp(wctx) })
	file.AddText("Open in Browser", nil, func(*menu.CallbackData) { runtime.BrowserOpenURL(wctx, srv.URL) })
	file.AddSeparator()
	file.AddText("Hide Window", keys.CmdOrCtrl("w"), func(*menu.CallbackData) { runtime.WindowHide(wctx) })
	file.AddText("Quit Conduit", keys.CmdOrCtrl("q"), func(*menu.CallbackData) { runtime.Quit(wctx) })
	if goruntime.GOOS == "darwin" { // a role menu: on Linux it has no items and Wails trips on it
		m.Append(menu.EditMenu())
	}

	return wails.Run(&options.App{
		Title:             "Conduit",
		Width:             1280,
		Height:            820,
		MinWidth:          1024,
		MinHeight:         640,
		StartHidden:       ao.StartHidden,
		HideWindowOnClose: true,
		Menu:              m,
		AssetServer: &assetserver.Options{
			Assets:  web.UI,
			Handler: logRequests(log, backend.DesktopHandler(srv.Handler)),
			// index.html comes from Assets, past the server's handler: it gets the same
			// security headers here.
			Middleware: backend.UISecurityHeaders(web.UI),
		},
		// On Linux claimInstance has already made sure this is the only instance; elsewhere
		// Wails' lock brings a second launch here.
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               "dev.conduit.gateway",
			OnSecondInstanceLaunch: func(options.SecondInstanceData) { show() },
		},
		OnStartup: func(c context.Context) {
			wctx = c
			close(ready)
		},
		Linux: &linux.Options{ProgramName: "conduit"},
	})
}

// scriptErrorPath receives the window's script errors (index.html reports them there: the
// web view has no console).
const scriptErrorPath = "/_desktop/error"

// logRequests logs the window's API requests at debug level and its script errors as
// warnings.
func logRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == scriptErrorPath && r.Method == http.MethodPost {
			msg, _ := io.ReadAll(io.LimitReader(r.Body, 4<<10))
			log.Warn("window script error", "error", string(msg))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		log.Debug("window request", "method", r.Method, "url", r.URL.String())
		h.ServeHTTP(w, r)
	})
}
