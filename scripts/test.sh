#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every test, against the build directory given (default build-asan):
# unit tests under ctest, then the Node test suites (integration,
# conformance, backplane, frond.js, browser) against real server processes.
#
# A skipped check (php-twig, nginx, python3-websockets... missing) fails the
# run in CI (CI=true in the environment); elsewhere it is reported loudly at
# the end and the run goes on.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
export T4_BUILD=$build
ulimit -n 65536 2>/dev/null || true

skips=()
skipped() {
  skips+=("$1")
  echo "!! SKIPPED: $1" >&2
}

echo "== formatting (clang-format, .clang-format)"
clang-format --dry-run --Werror $(git ls-files '*.c' '*.h' 2>/dev/null || find src include cli tests bench examples -name '*.[ch]')

echo "== API reference up to date with tina4.h (scripts/api_docs.py --check; make docs rewrites it)"
python3 scripts/api_docs.py --check

# Timeouts: a hang should cost little, yet a loaded 2-core machine running
# ASan must pass. Each is about 3 times the slowest item seen there.
echo "== unit tests (ctest, $build)"
(cd "$build" && ctest --output-on-failure --timeout 120)

echo "== fuzz targets, ${FUZZ_SECONDS:-15} s each (tests/fuzz/run.sh)"
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-15}"

echo "== Frond vs Twig differential"
diff_out=$(bash tests/frond/differential.sh) || { echo "$diff_out"; exit 1; }
echo "$diff_out"
if grep -q '^skipped' <<<"$diff_out"; then skipped "Frond vs Twig differential ($(grep '^skipped' <<<"$diff_out"))"; fi

# Per directory: node's --test-timeout bounds each test file as a whole (and
# each test in it), so it must cover the slowest file of the directory. Every
# server runs one process (tests/lib/server.mjs pins TINA4_WORKERS=1) except
# in the tests of workers; the integration directory then runs a second time
# with 2 workers per server (T4_WORKERS=2), skipping the tests of one
# process's own state (oneProcess() in tests/lib/server.mjs).
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
failed=0
# Each spec: directory[@tls]:seconds per file:TINA4_WORKERS per server.
# conformance@tls: the conformance suite again, every server and client over
# TLS (T4_CONFORMANCE_TLS=1, tests/conformance/lib). integration twice: with
# one process, then with 2 workers per server.
for spec in integration:240:1 integration:240:2 conformance:90:1 conformance@tls:90:1 tls:120:1 backplane:120:1 frondjs:60:1 browser:150:1; do
  IFS=: read -r name secs workers <<<"$spec"
  d=tests/${name%%@*}
  if [ "$name" != "${name%@tls}" ]; then export T4_CONFORMANCE_TLS=1; else unset T4_CONFORMANCE_TLS; fi
  [ -d "$d" ] || continue
  mapfile -t files < <(find "$d" -name '*.test.mjs' | sort) # subfolders too
  [ ${#files[@]} -gt 0 ] || continue
  echo "== $name: ${#files[@]} node test file(s), ${secs} s per file, TINA4_WORKERS=$workers"
  # spec output for the log, TAP on the side to count skipped tests
  if ! T4_WORKERS=$workers node --test --test-concurrency=2 --test-timeout=$((secs * 1000)) \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}"; then
    failed=1
  fi
  while IFS= read -r line; do
    skipped "$d: ${line#*ok * - }"
  done < <(grep -E '^ *ok [0-9]+ - .* # SKIP' "$tap" | grep -v '# SKIP one process only' || true)
  todo=$(grep -cE '^ *(not )?ok [0-9]+ - .* # TODO' "$tap" || true)
  if [ "$todo" -gt 0 ]; then
    echo "!! $d: $todo test(s) marked TODO (known bugs, not counted as failures):" >&2
    grep -E '^ *(not )?ok [0-9]+ - .* # TODO' "$tap" | sed 's/^ */!!   /' >&2
  fi
done

echo "== install: moved prefix, pkg-config, the README example (tests/install/run.sh)"
bash tests/install/run.sh || failed=1

# Every kind of load at once; fails on RSS drift, an fd leak or a stalled
# canary (bench/soak/README.md). SOAK_SECONDS: how long (at least 10).
echo "== soak, ${SOAK_SECONDS:-120} s of mixed load (bench/soak/run.sh)"
bash bench/soak/run.sh "$build" "${SOAK_SECONDS:-120}" || failed=1

if [ ${#skips[@]} -gt 0 ]; then
  echo "!! ${#skips[@]} check(s) SKIPPED: install what they need (scripts/setup.sh)" >&2
  for x in "${skips[@]}"; do echo "!!   $x" >&2; done
  if [ "${CI:-}" = true ]; then
    echo "!! CI=true: a skipped check fails the run" >&2
    failed=1
  fi
fi
exit $failed
