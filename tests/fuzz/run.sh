#!/usr/bin/env bash
# Builds and runs every libFuzzer target tests/fuzz/fuzz_<name>.c for N
# seconds each (default 30), seeded from tests/fuzz/corpus/<name>/.
#
#   tests/fuzz/run.sh [seconds] [name...]     e.g. tests/fuzz/run.sh 60 http_parser
#
# A target is linked with the library sources listed in a comment line
#   FUZZ_SOURCES: src/a.c src/b.c
# (several such lines add up) or, without one, with src/<x>/<y>.c for each
# #include "<x>/<y>.h" it has.
# Fuzz targets test pure codecs, so no other library is linked unless the
# target lists linker flags in a comment line
#   FUZZ_LIBS: -ljansson -lm
# An input that runs longer than FUZZ_TIMEOUT seconds (default 2) or grows
# past FUZZ_RSS_MB MB (default 2048) is reported like a crash.
# An optional libFuzzer dictionary tests/fuzz/<name>.dict is used when present.
# Binaries, new corpus entries and crash artifacts go to build-fuzz/ (ignored
# by git); the seed directories are only read. Exits non-zero if any target
# finds a crash.
set -euo pipefail

secs=${1:-30}
shift || true
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_BUILD:-$root/build-fuzz}
CC=${CC:-clang}
mkdir -p "$out"

# shellcheck disable=SC2054 # the commas are part of -fsanitize=
flags=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -g -O1 -fno-omit-frame-pointer
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -I"$root/include" -I"$root/src")

status=0
for src in "$root"/tests/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    if [ $# -gt 0 ]; then
        wanted=0
        for w in "$@"; do [ "$w" = "$name" ] && wanted=1; done
        [ $wanted = 1 ] || continue
    fi
    srcs=$(sed -n 's/.*FUZZ_SOURCES:\(.*\)/\1/p' "$src" | tr '\n' ' ')
    libs=$(sed -n 's/.*FUZZ_LIBS:\(.*\)/\1/p' "$src" | head -n1)
    files=()
    if [ -n "$srcs" ]; then
        read -r -a files <<<"$srcs"
        files=("${files[@]/#/$root/}")
    else
        # src/<x>/<y>.c for every #include "<x>/<y>.h" that has one.
        while read -r h; do
            c="$root/src/${h%.h}.c"
            if [ -f "$c" ]; then files+=("$c"); fi
        done < <(sed -n 's/^#include "\(.*\.h\)".*/\1/p' "$src")
    fi
    echo "== fuzz_$name: building"
    # shellcheck disable=SC2046,SC2086 # libs: one word per flag
    "$CC" "${flags[@]}" $(pkg-config --cflags jansson) "$src" "${files[@]}" -o "$out/fuzz_$name" $libs
    seeds="$root/tests/fuzz/corpus/$name"
    work="$out/corpus-$name"
    mkdir -p "$seeds" "$work" "$out/artifacts-$name"
    dict=()
    if [ -f "$root/tests/fuzz/$name.dict" ]; then
        dict=(-dict="$root/tests/fuzz/$name.dict")
    fi
    echo "== fuzz_$name: running ${secs}s"
    if ! "$out/fuzz_$name" "${dict[@]}" -max_total_time="$secs" -print_final_stats=1 \
        -timeout="${FUZZ_TIMEOUT:-2}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
        -artifact_prefix="$out/artifacts-$name/" "$work" "$seeds"; then
        echo "== fuzz_$name: FAILED (artifacts in $out/artifacts-$name/)"
        status=1
    fi
done
exit $status
