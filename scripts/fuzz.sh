#!/usr/bin/env bash
# Runs every fuzz target of the module for a bounded time each (FUZZTIME, default 10s), on
# top of its committed seed corpus (f.Add seeds and testdata/fuzz/<Target>/). Fails on the
# first target that finds a failing input; the input is saved under testdata/fuzz for a
# regular `go test` to replay.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}
n=0
while IFS=: read -r file _ rest; do
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$rest")
  pkg=$(dirname "$file")
  echo "fuzz: $pkg $name ($FUZZTIME)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"
  n=$((n + 1))
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' --exclude-dir=node_modules . | sort -u)
echo "fuzz: $n targets passed"
