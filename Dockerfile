# syntax=docker/dockerfile:1
# Conduit server image: the pure-Go headless build (no cgo, no Wails) on distroless, as a
# non-root user, data in the /data volume. Build: docker build -t conduit .
# See README.md, "Running a team server".

FROM node:20-bookworm-slim AS ui
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=ui /src/frontend/dist ./frontend/dist
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -tags headless -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/conduit . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/conduit /usr/local/bin/conduit
COPY --from=build --chown=65532:65532 /out/data /data
# Listen on every interface inside the container; secrets in the data dir (no keychain here).
ENV CONDUIT_HEADLESS=1 \
    CONDUIT_ADDR=0.0.0.0:8800 \
    CONDUIT_DATA_DIR=/data \
    CONDUIT_SECRETS=file
VOLUME ["/data"]
EXPOSE 8800
USER nonroot:nonroot
# No shell or curl in distroless: the binary checks its own /ready.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/conduit", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/conduit"]
