#!/usr/bin/env bash
# End-to-end: start a fake OpenAI upstream and bin/conduit on loopback, then drive the web UI
# in Chromium: frontend/e2e/first-run.mjs (what a new admin does on an empty server), then
# frontend/e2e/run.mjs, each against a fresh data dir (E2E_ONLY_FIRST_RUN=1: the first only).
# Screenshots land in frontend/e2e/screenshots/.
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

conduit_pid=
# start_conduit DIR: bin/conduit on a data dir of its own, waited for until it answers.
start_conduit() {
  CONDUIT_SECRETS=file ./bin/conduit --headless --addr "127.0.0.1:${CONDUIT_PORT}" --data-dir "$data/$1" >"$data/$1.log" 2>&1 &
  conduit_pid=$!
  pids+=($conduit_pid)
  for _ in $(seq 1 100); do
    if curl -fsS "${CONDUIT_URL}/health" >/dev/null 2>&1 && curl -fsS "${FAKE_UPSTREAM_URL}/models" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  curl -fsS "${CONDUIT_URL}/health" >/dev/null || { echo "conduit did not start:"; cat "$data/$1.log"; exit 1; }
}
stop_conduit() {
  kill "$conduit_pid" 2>/dev/null || true
  wait "$conduit_pid" 2>/dev/null || true
}
# journey SCRIPT DIR: one browser journey against a fresh server on its own data dir.
journey() {
  start_conduit "$2"
  if ! node "frontend/e2e/$1"; then
    echo "--- conduit log ($2) ---"; tail -50 "$data/$2.log"
    exit 1
  fi
  stop_conduit
}

rm -f frontend/e2e/screenshots/*.png
journey first-run.mjs first-run
[ -n "${E2E_ONLY_FIRST_RUN:-}" ] || journey run.mjs conduit
