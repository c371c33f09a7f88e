#!/usr/bin/env bash
# Runs every fuzz target of the module for a bounded time each (FUZZTIME, default 10s), on
# top of its committed seed corpus (f.Add seeds and testdata/fuzz/<Target>/). Fails on the
# first target that finds a failing input; the input is saved under testdata/fuzz for a
# regular `go test` to replay.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
n=0
while IFS=: read -r file _ rest; do
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$rest")
  pkg=$(dirname "$file")
  echo "fuzz: $pkg $name ($FUZZTIME)"
  # Go's fuzzer can end a run with "context deadline exceeded" when -fuzztime runs out while
  # its workers are between inputs, with no failing input found; such a run is tried once
  # more. A failing input (written under testdata/fuzz) or a second such ending fails.
  for try in 1 2; do
    if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1 | tee "$log"; then
      break
    fi
    if [ "$try" = 2 ] || grep -q 'Failing input written' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
      exit 1
    fi
    echo "fuzz: $pkg $name ended at its deadline with no failing input; trying once more"
  done
  n=$((n + 1))
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' --exclude-dir=node_modules . | sort -u)
echo "fuzz: $n targets passed"
