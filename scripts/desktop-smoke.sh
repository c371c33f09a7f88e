#!/usr/bin/env bash
# Desktop smoke test of the installed package. Installs bin/conduit_*.deb (`make package`),
# then launches the installed app with its menu entry's Exec command under Xvfb, inside
# dbus-run-session with an unlocked gnome-keyring and dunst, with a temporary HOME, once with
# LANG=C.UTF-8 and once with a real locale, and checks:
#   - the window shows the UI (screenshot kept in $SMOKE_OUT; a blank web view fails),
#   - an OpenAI-wire client answers through 127.0.0.1:<port> with a fake upstream,
#   - the master key and the provider's API key are in the keychain, not in the data dir,
#   - a desktop notification reaches dunst,
#   - the autostart setting writes and removes ~/.config/autostart/conduit.desktop,
#   - a second launch (plain and --start-hidden) exits 0 and the first keeps serving,
#   - Quit (the menu's Ctrl+Q accelerator typed with xdotool; SIGTERM without xdotool) exits 0
#     with every usage row written.
# Needs root for dpkg -i (without it the package is unpacked into a temporary root instead).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SELF=$ROOT/scripts/desktop-smoke.sh
OUT=${SMOKE_OUT:-$ROOT/bin/smoke}
FAKE=$ROOT/bin/fakeopenai
UPSTREAM_KEY=sk-smoke-upstream-7f3a9c
PROVIDER_KEY=$UPSTREAM_KEY

say() { printf '[smoke %s] %s\n' "${SMOKE_LANG:-}" "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

main() {
  local missing=()
  for c in dpkg-deb xvfb-run dbus-run-session gnome-keyring-daemon dunst dunstctl import convert secret-tool curl jq; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [ ${#missing[@]} -eq 0 ] || fail "missing commands: ${missing[*]} (.ci/run installs them)"
  local deb
  deb=$(ls -t bin/conduit_*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || fail "no bin/conduit_*.deb: run make package"
  [ -x "$FAKE" ] || fail "no $FAKE: run make tools"
  mkdir -p "$OUT"
  rm -f "$OUT"/*.png "$OUT"/*.log

  local prefix=""
  if [ "$(id -u)" = 0 ]; then
    say "installing $deb"
    dpkg -i "$deb" >/dev/null
  else
    prefix=$(mktemp -d)
    say "not root: unpacking $deb into $prefix instead of installing it"
    dpkg-deb -x "$deb" "$prefix"
  fi
  local entry=$prefix/usr/share/applications/conduit.desktop
  [ -f "$entry" ] || fail "the package has no $entry"
  for s in 16 32 48 128 256 512; do
    [ -f "$prefix/usr/share/icons/hicolor/${s}x${s}/apps/conduit.png" ] || fail "no ${s}x${s} icon"
  done
  local exec
  exec=$(sed -n 's/^Exec=//p' "$entry")
  [ -n "$exec" ] || fail "$entry has no Exec line"
  export SMOKE_EXEC=$exec SMOKE_PATH=$prefix/usr/bin:$PATH
  say "menu entry runs: $exec"

  local real
  real=$(real_locale) || fail "no real locale available (apt-get install locales)"
  for l in C.UTF-8 "$real"; do
    SMOKE_LANG=$l
    local home
    home=$(mktemp -d)
    say "run with LANG=$l, HOME=$home"
    if ! env -u DBUS_SESSION_BUS_ADDRESS -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_RUNTIME_DIR -u DISPLAY \
      -u LC_ALL -u LANGUAGE -u LC_MESSAGES HOME="$home" LANG="$l" NO_AT_BRIDGE=1 SMOKE_LANG="$l" \
      timeout 150 dbus-run-session -- "$SELF" session >"$OUT/run-$l.log" 2>&1; then
      tail -n 40 "$OUT/run-$l.log" >&2
      fail "run with LANG=$l failed (log: $OUT/run-$l.log)"
    fi
    grep '^\[smoke' "$OUT/run-$l.log" >&2 || true
    rm -rf "$home"
  done
  say "passed; screenshots in $OUT"
}

# real_locale prints a generated UTF-8 locale other than C, generating en_US.UTF-8 if it can.
real_locale() {
  local l
  l=$(locale -a 2>/dev/null | grep -iE '^[a-z]{2}_[A-Z]{2}\.utf-?8$' | head -1 || true)
  if [ -z "$l" ] && [ "$(id -u)" = 0 ] && command -v localedef >/dev/null; then
    localedef -i en_US -f UTF-8 en_US.UTF-8 >/dev/null 2>&1 || true
    l=$(locale -a 2>/dev/null | grep -iE '^en_US\.utf-?8$' | head -1 || true)
  fi
  [ -n "$l" ] && echo "$l"
}

# session runs inside dbus-run-session: unlock a keyring, then the display part under Xvfb.
session() {
  eval "$(printf 'smoke' | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$SELF" display
}

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/" || { echo "$p"; return; }
  done
  return 1
}

wait_health() { # url seconds
  for _ in $(seq $(($2 * 5))); do
    curl -sf --max-time 1 "$1/health" >/dev/null && return 0
    sleep 0.2
  done
  return 1
}

admin() { # method path [json]
  curl -sS --fail-with-body --max-time 10 -X "$1" "$BASE$2" -H "Authorization: Bearer $MK" \
    -H 'Content-Type: application/json' ${3:+-d "$3"}
}

# ask sends one chat completion (streamed with "stream") and sets ANSWER to its text.
ask() {
  ANSWER=$(chat "${1:-}")
  REQUESTS=$((REQUESTS + 1))
}

chat() { # [stream] -> prints the answer text
  local body='{"model":"smoke","messages":[{"role":"user","content":"Say hi"}]}'
  if [ "${1:-}" = stream ]; then
    body='{"model":"smoke","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Say hi"}]}'
    curl -sS --fail-with-body --max-time 20 "$BASE/v1/chat/completions" -H "Authorization: Bearer $VK" \
      -H 'Content-Type: application/json' -d "$body" |
      sed -n 's/^data: //p' | grep -v '^\[DONE\]$' | jq -rj '.choices[0].delta.content // empty'
  else
    curl -sS --fail-with-body --max-time 20 "$BASE/v1/chat/completions" -H "Authorization: Bearer $VK" \
      -H 'Content-Type: application/json' -d "$body" | jq -r '.choices[0].message.content'
  fi
}

# shot saves the screen and prints the standard deviation of the web view's area (0 = blank).
shot() { # name: screenshot; prints the spread of the navigation column's pixels
  import -window root "$OUT/$1.png"
  # The app's navigation (left column, below the menu bar) is drawn only once the UI has
  # rendered: blank while the view is empty or still "Loading…", and never covered by a
  # notification popup (those appear top right).
  convert "$OUT/$1.png" -crop 220x700+0+20 +repage -colorspace gray -format '%[fx:standard_deviation]' info:
}

# display runs inside Xvfb: the checks themselves.
display() {
  local tag=$SMOKE_LANG work=$HOME/smoke
  mkdir -p "$work"
  PIDS=()
  trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT # a failed check leaves nothing running
  export PATH=$SMOKE_PATH
  dunst >"$work/dunst.log" 2>&1 &
  local dunst=$!
  PIDS+=("$dunst")
  for _ in $(seq 50); do dunstctl is-paused >/dev/null 2>&1 && break; sleep 0.1; done

  local fport port
  fport=$(free_port) && port=$(free_port) || fail "no free port"
  "$FAKE" -addr "127.0.0.1:$fport" -api-key "$UPSTREAM_KEY" -reply "hello from the fake upstream" >"$work/fake.log" 2>&1 &
  local fake=$!
  PIDS+=("$fake")
  export CONDUIT_ADDR=127.0.0.1:$port
  BASE=http://127.0.0.1:$port
  REQUESTS=0

  # The app exactly as the menu entry starts it (the address comes from CONDUIT_ADDR).
  $SMOKE_EXEC >"$OUT/app-$tag.log" 2>&1 &
  local app=$!
  PIDS+=("$app")
  wait_health "$BASE" 20 || fail "the app did not serve $BASE/health"
  say "app serving on $BASE (pid $app)"

  local sd=0
  for _ in $(seq 30); do
    sd=$(shot "window-$tag")
    awk -v s="$sd" 'BEGIN { exit !(s > 0.02) }' && break
    sleep 1
  done
  awk -v s="$sd" 'BEGIN { exit !(s > 0.02) }' || fail "the web view never showed the app (navigation column standard deviation $sd, $OUT/window-$tag.png)"
  sleep 2 # let the dashboard's data arrive before the kept screenshot
  sd=$(shot "window-$tag")
  say "window shows the app (navigation column standard deviation $sd): $OUT/window-$tag.png"
  ! grep -q 'window script error' "$OUT/app-$tag.log" || fail "the window reported script errors: $(grep 'window script error' "$OUT/app-$tag.log")"

  MK=$(grep -o 'condt_master_[A-Za-z0-9_-]*' "$OUT/app-$tag.log" | head -1)
  [ -n "$MK" ] || fail "no generated master key announced on stderr"
  local sys
  sys=$(admin GET /admin/system)
  [ "$(jq -r .secrets_backend <<<"$sys")" = keyring ] || fail "secrets backend is not the keychain: $sys"
  [ "$(jq -r .mode <<<"$sys")" = desktop ] || fail "mode is not desktop"

  local pid
  pid=$(admin POST /admin/providers "{\"name\":\"fake\",\"type\":\"openai_compatible\",\"base_url\":\"http://127.0.0.1:$fport/v1\",\"api_key\":\"$PROVIDER_KEY\"}" | jq -r .id)
  admin POST /admin/models "{\"alias\":\"smoke\",\"provider_id\":\"$pid\",\"provider_model\":\"gpt-4o-mini\"}" >/dev/null
  VK=$(admin POST /admin/keys '{"name":"smoke"}' | jq -r .key)
  ask
  [ "$ANSWER" = "hello from the fake upstream" ] || fail "chat completion through $BASE did not answer: $ANSWER"
  ask stream
  [ "$ANSWER" = "hello from the fake upstream" ] || fail "streamed chat completion through $BASE did not answer: $ANSWER"
  say "OpenAI wire answers through $BASE/v1 (non-stream and stream)"

  [ "$(secret-tool lookup service conduit username master_key)" = "$MK" ] || fail "the master key is not in the keychain"
  [ "$(secret-tool lookup service conduit username "provider/$pid")" = "$PROVIDER_KEY" ] || fail "the provider key is not in the keychain"
  local data=$HOME/.config/conduit
  [ -d "$data" ] || fail "no data dir at $data"
  if grep -rlaF -e "$MK" -e "$PROVIDER_KEY" "$data" >/dev/null 2>&1; then
    fail "a secret is in a data dir file: $(grep -rlaF -e "$MK" -e "$PROVIDER_KEY" "$data")"
  fi
  say "master key and provider key in the keychain, in no file of $data ($(ls "$data" | tr '\n' ' '))"

  local notes=""
  for _ in $(seq 30); do
    notes=$(dunstctl history | jq -r '.data[0][] | .summary.data' 2>/dev/null || true)
    grep -q 'Conduit' <<<"$notes" && break
    sleep 0.2
  done
  grep -q 'Conduit' <<<"$notes" || fail "no notification reached dunst (history: $notes)"
  say "dunst shows: $(head -1 <<<"$notes")"

  local entry=$HOME/.config/autostart/conduit.desktop
  admin PATCH /admin/settings '{"autostart":true}' >/dev/null
  [ -f "$entry" ] || fail "autostart on wrote no $entry"
  grep -q -- '--start-hidden' "$entry" || fail "the login entry does not start hidden: $(cat "$entry")"
  admin PATCH /admin/settings '{"autostart":false}' >/dev/null
  [ ! -e "$entry" ] || fail "autostart off left $entry"
  say "autostart wrote and removed $entry"

  local rc
  for args in "" "--start-hidden"; do
    rc=0
    # shellcheck disable=SC2086
    timeout 30 $SMOKE_EXEC $args >"$work/second.log" 2>&1 || rc=$?
    [ "$rc" = 0 ] || fail "second launch ($SMOKE_EXEC $args) exited $rc: $(cat "$work/second.log")"
  done
  kill -0 "$app" 2>/dev/null || fail "the first instance died after a second launch"
  ask
  [ "$ANSWER" = "hello from the fake upstream" ] || fail "the first instance stopped answering after a second launch"
  sd=$(shot "after-second-launch-$tag")
  say "second launches exited 0; the first keeps serving"

  for _ in 1 2 3; do ask; ask stream; done
  # Quit: the menu's "Quit Conduit" accelerator (Ctrl+Q) typed into the window, or SIGTERM
  # where xdotool is missing (a menu cannot be clicked under Xvfb).
  local how=SIGTERM win
  if command -v xdotool >/dev/null && win=$(xdotool search --onlyvisible --name '^Conduit$' | tail -1) &&
    [ -n "$win" ] && xdotool windowfocus --sync "$win" key --clearmodifiers ctrl+q 2>"$work/xdotool.log"; then
    how="menu Quit, Ctrl+Q"
    for _ in $(seq 40); do kill -0 "$app" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$app" 2>/dev/null; then fail "Ctrl+Q did not quit the app"; fi
  else
    say "typing Ctrl+Q failed ($(cat "$work/xdotool.log" 2>/dev/null)); quitting with SIGTERM"
    kill -TERM "$app"
  fi
  rc=0
  wait "$app" || rc=$?
  [ "$rc" = 0 ] || fail "Quit ($how) exited $rc"
  if [ "$how" != SIGTERM ] && grep -q 'Ctrl+C detected' "$OUT/app-$tag.log"; then
    fail "the app was stopped by a signal, not by its menu"
  fi
  grep -q "usage_rows_written=$REQUESTS usage_rows_dropped=0" "$OUT/app-$tag.log" ||
    fail "not every usage row was written ($REQUESTS requests): $(grep 'stopped' "$OUT/app-$tag.log")"
  # Read them back from the database with the same binary, headless.
  local hport
  hport=$(free_port)
  CONDUIT_ADDR=127.0.0.1:$hport $SMOKE_EXEC --headless >"$work/headless.log" 2>&1 &
  local headless=$!
  PIDS+=("$headless")
  BASE=http://127.0.0.1:$hport
  wait_health "$BASE" 20 || fail "headless restart did not serve"
  local logged
  logged=$(admin GET '/admin/logs?limit=1000' | jq '.data | length')
  kill -TERM "$headless"
  wait "$headless" || true
  [ "$logged" = "$REQUESTS" ] || fail "$REQUESTS requests sent, $logged request log rows after Quit"
  say "Quit ($how) exited 0 with all $REQUESTS usage rows written"

  kill "$fake" "$dunst" 2>/dev/null || true
  wait "$fake" "$dunst" 2>/dev/null || true
}

case "${1:-main}" in
  main) main ;;
  session) session ;;
  display) display ;;
  *) echo "usage: $0" >&2; exit 2 ;;
esac
