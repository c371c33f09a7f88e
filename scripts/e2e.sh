#!/usr/bin/env bash
# End-to-end: start a fake OpenAI upstream and bin/conduit on loopback, then drive the web UI
# in Chromium (frontend/e2e/run.mjs). Screenshots land in frontend/e2e/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

CONDUIT_PORT=${CONDUIT_PORT:-18800}
UPSTREAM_PORT=${UPSTREAM_PORT:-18900}
export CONDUIT_MASTER_KEY=${CONDUIT_MASTER_KEY:-e2e-master-key-0123456789}
export CONDUIT_URL="http://127.0.0.1:${CONDUIT_PORT}"
export FAKE_UPSTREAM_URL="http://127.0.0.1:${UPSTREAM_PORT}/v1"
data=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

./bin/fakeopenai --addr "127.0.0.1:${UPSTREAM_PORT}" >"$data/upstream.log" 2>&1 &
pids+=($!)
CONDUIT_SECRETS=file ./bin/conduit --headless --addr "127.0.0.1:${CONDUIT_PORT}" --data-dir "$data/conduit" >"$data/conduit.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  if curl -fsS "${CONDUIT_URL}/health" >/dev/null 2>&1 && curl -fsS "${FAKE_UPSTREAM_URL}/models" >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done
curl -fsS "${CONDUIT_URL}/health" >/dev/null || { echo "conduit did not start:"; cat "$data/conduit.log"; exit 1; }

if ! node frontend/e2e/run.mjs; then
  echo "--- conduit log ---"; tail -50 "$data/conduit.log"
  exit 1
fi
