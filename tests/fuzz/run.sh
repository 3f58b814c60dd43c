#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds and runs the libFuzzer targets tests/fuzz/fuzz_<name>.c, seeded from
# tests/fuzz/corpus/<name>/ (docs/FUZZING.md explains each target).
#
#   tests/fuzz/run.sh [seconds] [name...]        every (or the named) target for
#                                                seconds each (default
#                                                $FUZZ_SECONDS, else 15): CI
#   tests/fuzz/run.sh --grow seconds [name...]   run longer, then merge the inputs
#                                                that add coverage into
#                                                tests/fuzz/corpus/<name>/
#   tests/fuzz/run.sh --build [name...]          only build build-fuzz/fuzz_<name>
#   tests/fuzz/run.sh --list                     target names, one a line
#
# Verdicts. A crash, sanitizer report, leak, failed check or out-of-memory
# fails the run. An input that runs longer than FUZZ_TIMEOUT seconds (default
# 15) is run again alone FUZZ_RERUNS times (default 3): if it times out again,
# or takes more than half the timeout alone, it is a real hang and fails; if
# it finishes quickly every time, the first timeout was the machine's load: it
# is reported loudly (LOAD TIMEOUT) and the target fuzzes on for the rest of
# its time. Memory: FUZZ_RSS_MB (default 2048) per process.
#
# Building: a target is linked with the library sources listed in comment
# lines "FUZZ_SOURCES: src/a.c src/b.c" (several add up) or, without any,
# with src/<x>/<y>.c for each #include "<x>/<y>.h" it has; linker flags come
# from one "FUZZ_LIBS: -ljansson -lm" line. tests/fuzz/<name>.dict is used as
# the libFuzzer dictionary when present.
#
# Output goes to $FUZZ_BUILD (default build-fuzz/, ignored by git): binaries,
# logs, the working corpora corpus-<name>/ (CI) and grow-<name>/ (--grow),
# and artifacts-<name>/ (crash-*, timeout-*, oom-*, leak-* inputs). Only
# --grow writes to tests/fuzz/corpus/. Exits non-zero if any target fails.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_BUILD:-$root/build-fuzz}
CC=${CC:-clang}
timeout_s=${FUZZ_TIMEOUT:-15}
rss_mb=${FUZZ_RSS_MB:-2048}
reruns=${FUZZ_RERUNS:-3}
timeout_rc=70 # libFuzzer's exit code for a timeout (-timeout_exitcode)
error_rc=77   # ... for a crash it reports itself (-error_exitcode)
corpus_warn_kb=2048

mode=fuzz
case ${1:-} in
--grow)
    mode=grow
    secs=${2:?--grow needs a number of seconds}
    shift 2
    ;;
--build)
    mode=build
    shift
    ;;
--list)
    mode=list
    shift
    ;;
-h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
    ;;
*)
    secs=${FUZZ_SECONDS:-15}
    if [[ ${1:-} =~ ^[0-9]+$ ]]; then
        secs=$1
        shift
    fi
    ;;
esac

targets=()
for src in "$root"/tests/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    targets+=("${name#fuzz_}")
done
if [ $# -gt 0 ]; then
    for w in "$@"; do
        [ -f "$root/tests/fuzz/fuzz_$w.c" ] || {
            echo "run.sh: no target $w (tests/fuzz/fuzz_$w.c); targets: ${targets[*]}" >&2
            exit 2
        }
    done
    targets=("$@")
fi
if [ $mode = list ]; then
    printf '%s\n' "${targets[@]}"
    exit 0
fi
mkdir -p "$out"

# shellcheck disable=SC2054 # the commas are part of -fsanitize=
flags=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -g -O1
    -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -I"$root/include" -I"$root/src")

build() { # name -> $out/fuzz_<name>
    local name=$1 src="$root/tests/fuzz/fuzz_$1.c" srcs libs files=() h c
    srcs=$(sed -n 's/.*FUZZ_SOURCES:\(.*\)/\1/p' "$src" | tr '\n' ' ')
    libs=$(sed -n 's/.*FUZZ_LIBS:\(.*\)/\1/p' "$src" | head -n1)
    if [ -n "${srcs// /}" ]; then
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
}

# The figures of a finished run, from its log: "execs E (R/s), cov C, ft F".
figures() {
    local log=$1 execs rate cov ft
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
    echo "${execs:-?} execs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}"
}

# Runs a saved timeout input alone, $reruns times. Returns 0 when every run
# finished in under half the timeout (the timeout was load), 1 otherwise.
judge_timeout() {
    local name=$1 input=$2 i rc t0 t1 ms times=() verdict=0 cap=$((timeout_s * 2 + 30))
    for ((i = 1; i <= reruns; i++)); do
        t0=$EPOCHREALTIME
        if timeout -k 5 "$cap" "$out/fuzz_$name" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
            "$input" >"$out/rerun-$name.log" 2>&1; then
            rc=0
        else
            rc=$?
        fi
        t1=$EPOCHREALTIME
        ms=$(((${t1/./} - ${t0/./}) / 1000))
        times+=("$((ms / 1000)).$(printf '%03d' $((ms % 1000)))s")
        if [ $rc = $timeout_rc ] || [ $rc = 124 ] || [ $rc = 137 ]; then
            echo "== fuzz_$name: the input times out again when run alone (run $i): a real hang"
            verdict=1
            break
        elif [ $rc != 0 ]; then
            echo "== fuzz_$name: the input fails when run alone (run $i, exit $rc):"
            tail -n 40 "$out/rerun-$name.log"
            verdict=1
            break
        elif [ $((ms * 2)) -ge $((timeout_s * 1000)) ]; then
            echo "== fuzz_$name: the input takes ${times[-1]} alone, over half the ${timeout_s}s timeout: too slow"
            verdict=1
            break
        fi
    done
    echo "== fuzz_$name: alone it ran in ${times[*]}"
    return $verdict
}

# One fuzzing session of a target: run_target name seconds workdir.
# Returns 0 (passed, possibly after load timeouts) or 1 (failed).
run_target() {
    local name=$1 budget=$2 work=$3 seeds="$root/tests/fuzz/corpus/$1" dict=() log rc start now left
    local artifacts="$out/artifacts-$name" marker attempt=0 t
    mkdir -p "$seeds" "$work" "$artifacts"
    if [ -f "$root/tests/fuzz/$name.dict" ]; then
        dict=(-dict="$root/tests/fuzz/$name.dict")
    fi
    log="$out/log-$name.txt"
    : >"$log"
    start=$SECONDS
    left=$budget
    while :; do
        attempt=$((attempt + 1))
        marker="$out/.start-$name"
        touch "$marker"
        echo "== fuzz_$name: running ${left}s (per-input timeout ${timeout_s}s; log $log)"
        # A hard stop well past the budget: libFuzzer bounds each input, so
        # this only fires if the process itself wedges.
        if timeout -k 10 $((left + 4 * timeout_s + 300)) "$out/fuzz_$name" "${dict[@]}" \
            -max_total_time="$left" -print_final_stats=1 -timeout="$timeout_s" \
            -timeout_exitcode=$timeout_rc -error_exitcode=$error_rc -rss_limit_mb="$rss_mb" \
            -artifact_prefix="$artifacts/" "$work" "$seeds" >>"$log" 2>&1; then
            rc=0
        else
            rc=$?
        fi
        grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | tail -n 2 || true
        if [ $rc = 0 ]; then
            echo "== fuzz_$name: ok: $(figures "$log")"
            return 0
        fi
        t=$(find "$artifacts" -maxdepth 1 -name 'timeout-*' -newer "$marker" | head -n1)
        if [ $rc = $timeout_rc ] && [ -n "$t" ] && grep -q 'ERROR: libFuzzer: timeout after' "$log"; then
            echo "== fuzz_$name: an input ran over ${timeout_s}s: $t; judging it alone"
            if ! judge_timeout "$name" "$t"; then
                echo "== fuzz_$name: FAILED: hang (input $t)"
                return 1
            fi
            echo "################################################################"
            echo "## LOAD TIMEOUT in fuzz_$name: an input ran over ${timeout_s}s while fuzzing"
            echo "## but finishes quickly alone, every time: the machine was busy."
            echo "## Not a failure. Input kept at $t"
            echo "################################################################"
            now=$SECONDS
            left=$((budget - (now - start)))
            if [ $left -lt 1 ] || [ $attempt -ge 3 ]; then
                echo "== fuzz_$name: ok (after load timeouts): $(figures "$log")"
                return 0
            fi
            continue # fuzz on for the rest of the budget, from the corpus so far
        fi
        if [ $rc = 124 ] || [ $rc = 137 ]; then
            echo "== fuzz_$name: FAILED: the fuzzer did not stop (killed after $((SECONDS - start))s)"
        else
            echo "== fuzz_$name: FAILED (exit $rc); last lines of $log:"
            tail -n 60 "$log"
            echo "== fuzz_$name: inputs in $artifacts/ (reproduce: $out/fuzz_$name FILE)"
        fi
        return 1
    done
}

corpus_size() { # dir -> "N files, K KiB"
    local n kb
    n=$(find "$1" -type f | wc -l)
    kb=$(du -sk --apparent-size "$1" | cut -f1)
    echo "$n files, $kb KiB"
}

status=0
failed=()
for name in "${targets[@]}"; do
    if ! build "$name"; then
        echo "== fuzz_$name: FAILED to build"
        status=1
        failed+=("$name")
        continue
    fi
    case $mode in
    build) ;;
    fuzz)
        if ! run_target "$name" "$secs" "$out/corpus-$name"; then
            status=1
            failed+=("$name")
        fi
        ;;
    grow)
        seeds="$root/tests/fuzz/corpus/$name"
        before=$(corpus_size "$seeds")
        if ! run_target "$name" "$secs" "$out/grow-$name"; then
            echo "== fuzz_$name: not merging (fix the failure first)"
            status=1
            failed+=("$name")
            continue
        fi
        # Only inputs that add coverage to what the repository corpus already
        # has are copied in (named by their SHA-1).
        echo "== fuzz_$name: merging $out/grow-$name into tests/fuzz/corpus/$name"
        if ! "$out/fuzz_$name" -merge=1 -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
            -merge_control_file="$out/merge-$name.ctl" "$seeds" "$out/grow-$name" \
            >"$out/merge-$name.log" 2>&1; then
            echo "== fuzz_$name: FAILED to merge; see $out/merge-$name.log"
            status=1
            failed+=("$name")
            continue
        fi
        grep -E '^MERGE-OUTER: [0-9]+ new files' "$out/merge-$name.log" || true
        echo "== fuzz_$name: corpus $before -> $(corpus_size "$seeds")"
        if [ "$(du -sk --apparent-size "$seeds" | cut -f1)" -gt $corpus_warn_kb ]; then
            echo "== fuzz_$name: WARNING: corpus over $corpus_warn_kb KiB; minimise it (docs/FUZZING.md)"
        fi
        ;;
    esac
done
if [ $status != 0 ]; then
    echo "== fuzz: FAILED: ${failed[*]}"
fi
exit $status
