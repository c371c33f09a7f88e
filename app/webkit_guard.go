//go:build linux && (desktop || dev) && !webkit2_41

package app

// Wails' Linux window without the webkit2_41 tag is its legacy WebKitGTK 4.0 path, on which
// every request reaches the gateway as a body-less GET. Refuse to build it: build with
// `make desktop`, or `wails build -tags webkit2_41` / `wails dev -tags webkit2_41`.
var _ = build_the_desktop_app_with_the_tag_webkit2_41
