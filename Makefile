# Conduit: `make run` serves the gateway and web UI; `make test` runs every test.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# `make run ADDR=127.0.0.1:9000` (or CONDUIT_ADDR in the environment) serves on another port.
ADDR      ?= $(or $(CONDUIT_ADDR),127.0.0.1:8800)
NFPM      := github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
ARCH      ?= $(shell $(GO) env GOARCH)
# Package version from git: 1.2.3 for tag v1.2.3, 1.2.3+4.gabc1234 after it, else
# 0.0.0+git<commit date>.<hash>; ".dirty" for uncommitted changes. Debian wants a leading digit.
PKG_VERSION ?= $(shell v=$$(git describe --tags --match 'v[0-9]*' --dirty=.dirty 2>/dev/null) \
  && echo "$${v\#v}" | sed -e 's/-\([0-9]*\)-g/+\1.g/' \
  || echo "0.0.0+git$$(git log -1 --format=%cd.%h --date=format:%Y%m%d 2>/dev/null || echo 0)$$(git diff --quiet HEAD 2>/dev/null || echo .dirty)")

.PHONY: fuzz run build ui examples test test-go test-ui e2e lint desktop package test-desktop bench bench-streams bench-soak bench-go tools clean

## run: build and start the headless gateway with the web UI on $(ADDR)
run: build
	./bin/conduit --headless --addr $(ADDR)

## build: the pure-Go server binary bin/conduit (no Wails, no cgo)
build: ui
	CGO_ENABLED=0 $(GO) build -tags headless -trimpath -ldflags "$(LDFLAGS)" -o bin/conduit .

## ui: build the web UI into frontend/dist (embedded by go build)
ui: frontend/node_modules/.package-lock.json
	cd frontend && npm run build

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

## test: vet, staticcheck, Go tests with -race, UI type check + unit tests, browser end-to-end
test: lint test-go test-ui e2e test-desktop

lint: ui
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './frontend/node_modules/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags headless ./...
	$(GO) run $(STATICCHECK) ./...

test-go: ui
	$(GO) test -race -count=1 ./...

test-ui: frontend/node_modules/.package-lock.json
	cd frontend && npm run check && npm test

## examples: run every example in examples/ through bin/conduit and a fake upstream
examples:
	$(GO) test -count=1 -v -run TestExamples ./examples/

## e2e: drive the real UI in Chromium against bin/conduit and a fake upstream
e2e: build tools
	./scripts/e2e.sh

## fuzz: every fuzz target for FUZZTIME (default 10s) each, on its committed seed corpus
fuzz:
	./scripts/fuzz.sh

## tools: the fake upstream and the floor proxy used by e2e and bench
tools:
	$(GO) build -o bin/fakeopenai ./cmd/fakeopenai
	$(GO) build -o bin/floorproxy ./cmd/floorproxy

## bench: Conduit vs a bare ReverseProxy vs direct, on loopback (about 5 minutes)
bench: build tools
	$(GO) run ./bench -bin bin -out bench/results/latest.json

## bench-streams: the two stream rows alone, 8 runs on fresh processes, with the medians of the ratios (about 17 minutes)
bench-streams: build tools
	$(GO) run ./bench -bin bin -only streams -duration 16s -repeat 8 -out bench/results/streams.json

## bench-soak: Conduit held at 1,000 req/s for 10 minutes; reports the RSS slope
bench-soak: build tools
	$(GO) run ./bench -bin bin -only soak -soak 10m -out bench/results/soak.json

## bench-go: micro-benchmarks of the hot path pieces
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/... ./backend/...

## desktop: the Wails desktop app (needs: apt-get install libgtk-3-dev libwebkit2gtk-4.1-dev build-essential pkg-config)
desktop: ui
	$(GO) build -tags desktop,production,webkit2_41 -ldflags "$(LDFLAGS)" -o bin/conduit-desktop .

## test-desktop: make package, install the .deb and smoke-test the installed app under Xvfb
## (scripts/desktop-smoke.sh; screenshots in bin/smoke); skipped without the WebKit dev packages
test-desktop:
	@if pkg-config --exists webkit2gtk-4.1 2>/dev/null; then \
	  $(MAKE) package tools && ./scripts/desktop-smoke.sh; \
	else echo "test-desktop: skipped (apt-get install libgtk-3-dev libwebkit2gtk-4.1-dev; .ci/run does)"; fi

## package: bin/conduit_<version>_<arch>.deb (the desktop app: /usr/bin/conduit, menu entry,
## icons) and bin/conduit-server_<version>_linux_<arch>.tar.gz (the static headless server)
package: build desktop
	VERSION=$(PKG_VERSION) ARCH=$(ARCH) $(GO) run $(NFPM) package --config build/linux/nfpm.yaml --packager deb --target bin/
	rm -rf bin/conduit-server_$(PKG_VERSION)_linux_$(ARCH)
	mkdir -p bin/conduit-server_$(PKG_VERSION)_linux_$(ARCH)
	cp bin/conduit README.md bin/conduit-server_$(PKG_VERSION)_linux_$(ARCH)/
	tar -C bin -czf bin/conduit-server_$(PKG_VERSION)_linux_$(ARCH).tar.gz --owner=0 --group=0 conduit-server_$(PKG_VERSION)_linux_$(ARCH)
	rm -rf bin/conduit-server_$(PKG_VERSION)_linux_$(ARCH)
	@ls -l bin/*.deb bin/*.tar.gz

clean:
	rm -rf bin frontend/dist/assets frontend/dist/index.html
