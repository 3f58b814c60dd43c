#!/usr/bin/env bash
# Every test, against the build directory given (default build-asan):
# unit tests under ctest, then the Node test suites (integration,
# conformance, backplane, frond.js, browser) against real server processes.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
export T4_BUILD=$build
ulimit -n 65536 2>/dev/null || true

echo "== formatting (clang-format, .clang-format)"
clang-format --dry-run --Werror $(git ls-files '*.c' '*.h' 2>/dev/null || find src include cli tests bench examples -name '*.[ch]')

echo "== unit tests (ctest, $build)"
(cd "$build" && ctest --output-on-failure --timeout 300)

echo "== fuzz targets, ${FUZZ_SECONDS:-15} s each (tests/fuzz/run.sh)"
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-15}"

echo "== Frond vs Twig differential"
bash tests/frond/differential.sh

suites=()
for d in tests/integration tests/conformance tests/backplane tests/frondjs tests/browser; do
  compgen -G "$d/*.test.mjs" >/dev/null && suites+=("$d"/*.test.mjs)
done
echo "== ${#suites[@]} node test file(s)"
node --test --test-concurrency=2 --test-timeout=300000 "${suites[@]}"
