#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Mutation check: does the test suite catch a broken limit or guard?
#
#   scripts/mutate.sh [--list FILE] [--worktree] [--keep] [--check] [NAME...]
#
# Each entry of the list (default scripts/mutations.txt; format described
# there) is one minimal wrong edit to one source file and the tests that
# should notice it. The script copies the source into a temporary directory
# (the committed HEAD by default; --worktree copies the working tree instead,
# uncommitted files included), builds it once (Debug, ASan + UBSan, like
# make test), checks that every named test passes unmutated, then for each
# mutation: applies it to the copy, rebuilds, runs its tests, and restores the
# file. The repository's own files are never touched.
#
# A mutation the tests miss SURVIVED. The run exits 1 if any survived, or if
# an entry is broken (its original text is not found exactly once, or the
# mutant does not compile: fix the entry), 0 when every mutant was killed.
# NAME... runs only the entries with those names. --check only checks that
# every entry's original text is found exactly once (no build, no tests).
#
# Environment: MUTATE_SANITIZE=OFF builds without sanitizers (faster, but a
# mutant that only corrupts memory may then survive); MUTATE_JOBS (default 2);
# MUTATE_TEST_TIMEOUT seconds per test file (default 180).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

list=scripts/mutations.txt
from=head
keep=0
check=0
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --list) list=$2; shift 2 ;;
    --worktree) from=worktree; shift ;;
    --keep) keep=1; shift ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) only+=("$1"); shift ;;
  esac
done
[ -f "$list" ] || { echo "mutate: no list $list" >&2; exit 2; }
jobs=${MUTATE_JOBS:-2}
per_test=${MUTATE_TEST_TIMEOUT:-180}

# ---- parse the list: name, file, tests, original, replacement --------------
names=() files=() tests=() origs=() repls=()
flush() {
  [ -n "${cur_name:-}" ] || return 0
  names+=("$cur_name") files+=("$cur_file") tests+=("$cur_tests") origs+=("$cur_orig") repls+=("$cur_repl")
  cur_name=''
}
cur_name=''
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    '@ '*) flush; cur_name=${line#@ }; cur_name=${cur_name%%:*}; cur_file='' cur_tests='' cur_orig='' cur_repl='' o_n=0 r_n=0 ;;
    'file '*) cur_file=${line#file } ;;
    'tests '*) cur_tests=${line#tests } ;;
    '-'|'- '*) l=${line#-}; l=${l# }; if [ $o_n -eq 0 ]; then cur_orig=$l; else cur_orig+=$'\n'$l; fi; o_n=$((o_n + 1)) ;;
    '+'|'+ '*) l=${line#+}; l=${l# }; if [ $r_n -eq 0 ]; then cur_repl=$l; else cur_repl+=$'\n'$l; fi; r_n=$((r_n + 1)) ;;
    '#'*|'') ;;
    *) echo "mutate: $list: cannot read line: $line" >&2; exit 2 ;;
  esac
done <"$list"
flush

sel=()
for i in "${!names[@]}"; do
  if [ ${#only[@]} -eq 0 ]; then sel+=("$i"); continue; fi
  for n in "${only[@]}"; do [ "$n" = "${names[$i]}" ] && sel+=("$i"); done
done
[ ${#sel[@]} -gt 0 ] || { echo "mutate: no mutation selected" >&2; exit 2; }
echo "== ${#sel[@]} mutation(s) from $list"

# Applies entry $1 to the copy (keeping the file as .orig); with $2 = check,
# only counts. Exactly one occurrence, replaced literally (in node: no shell
# quoting games).
apply() {
  MUT_O=${origs[$1]} MUT_R=${repls[$1]} MUT_CHECK=${2:-} node -e '
    const fs = require("fs"); const f = process.argv[1];
    if (!fs.existsSync(f)) { console.error("no such file"); process.exit(1); }
    const s = fs.readFileSync(f, "utf8"), o = process.env.MUT_O, r = process.env.MUT_R;
    const n = o ? s.split(o).length - 1 : 0;
    if (n !== 1) { console.error(`original text found ${n} times`); process.exit(1); }
    if (o === r) { console.error("replacement equals the original"); process.exit(1); }
    if (process.env.MUT_CHECK) process.exit(0);
    fs.copyFileSync(f, f + ".orig");
    fs.writeFileSync(f, s.replace(o, () => r));' "$src/${files[$1]}" 2>"$tmp/apply.log"
}

# ---- a private copy of the tree -------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t4-mutate.XXXXXX")
cleanup() { if [ $keep -eq 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
src=$tmp/src-tree
mkdir -p "$src"
if [ $from = head ]; then
  git archive HEAD | tar -x -C "$src"
  echo "== copied HEAD ($(git rev-parse --short HEAD)) to $src"
else
  git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
    [ -e "$f" ] || continue
    mkdir -p "$src/$(dirname "$f")" && cp -p "$f" "$src/$f"
  done
  echo "== copied the working tree to $src"
fi
[ -d node_modules ] && ln -s "$ROOT/node_modules" "$src/node_modules"

if [ $check -eq 1 ]; then
  bad=0
  for i in "${sel[@]}"; do
    if apply "$i" check; then echo "ok      ${names[$i]}"; else echo "BROKEN  ${names[$i]}: $(cat "$tmp/apply.log") in ${files[$i]}"; bad=1; fi
  done
  exit $bad
fi
bld=$src/build-mutate
san=${MUTATE_SANITIZE:-ON}

build() { cmake --build "$bld" -j"$jobs" >"$tmp/build.log" 2>&1; }
echo "== building (T4_SANITIZE=$san)"
if ! cmake -S "$src" -B "$bld" -DCMAKE_BUILD_TYPE=Debug -DT4_SANITIZE="$san" >"$tmp/build.log" 2>&1 || ! build; then
  tail -30 "$tmp/build.log"
  echo "mutate: the unmutated tree does not build" >&2
  exit 2
fi

# Runs one test spec (node:FILE or ctest:REGEX) in the copy; 0 = passed.
run_test() {
  local spec=$1 log=$2
  case "$spec" in
    node:*)
      (cd "$src" && T4_BUILD="$bld" CI= timeout -k 10 "$per_test" \
        node --test --test-concurrency=1 --test-timeout=$((per_test * 1000)) "${spec#node:}") >"$log" 2>&1 ;;
    ctest:*)
      (cd "$bld" && timeout -k 10 "$per_test" ctest -R "${spec#ctest:}" --timeout 60 --no-tests=error) >"$log" 2>&1 ;;
    *) echo "unknown test spec $spec" >"$log"; return 2 ;;
  esac
}

# ---- baseline: every named test passes before any mutation ----------------
declare -A base_ok=()
for i in "${sel[@]}"; do
  for spec in ${tests[$i]}; do
    [ -n "${base_ok[$spec]:-}" ] && continue
    if run_test "$spec" "$tmp/baseline.log"; then base_ok[$spec]=1; else
      base_ok[$spec]=0
      echo "   baseline FAILS: $spec (mutations relying on it are not judged)"
      tail -20 "$tmp/baseline.log" | sed 's/^/     | /'
    fi
  done
done
echo "== baseline done"

survived=() broken=() killed=0 unjudged=()
for i in "${sel[@]}"; do
  name=${names[$i]} file=${files[$i]}
  target=$src/$file
  if ! apply "$i"; then
    broken+=("$name ($(cat "$tmp/apply.log") in $file)")
    echo "-- $name: BROKEN ($(cat "$tmp/apply.log") in $file)"
    continue
  fi
  verdict=''
  if ! build; then
    verdict=BROKEN
    broken+=("$name (the mutant does not compile)")
    tail -5 "$tmp/build.log" | sed 's/^/     | /'
  else
    judged=0 caught=''
    for spec in ${tests[$i]}; do
      [ "${base_ok[$spec]}" = 1 ] || continue
      judged=1
      if ! run_test "$spec" "$tmp/run.log"; then caught=$spec; break; fi
    done
    if [ $judged -eq 0 ]; then verdict=UNJUDGED; unjudged+=("$name")
    elif [ -n "$caught" ]; then verdict="killed by $caught"; killed=$((killed + 1))
    else verdict=SURVIVED; survived+=("$name: ${file} (tests: ${tests[$i]})")
    fi
  fi
  mv "$target.orig" "$target" && touch "$target"
  echo "-- $name: $verdict"
done
build || { echo "mutate: the restored tree does not build" >&2; }

echo
echo "== $killed killed, ${#survived[@]} survived, ${#broken[@]} broken, ${#unjudged[@]} not judged (baseline failing)"
for s in "${survived[@]}"; do echo "SURVIVED  $s"; done
for s in "${broken[@]}"; do echo "BROKEN    $s"; done
for s in "${unjudged[@]}"; do echo "UNJUDGED  $s"; done
[ ${#survived[@]} -eq 0 ] && [ ${#broken[@]} -eq 0 ] && [ ${#unjudged[@]} -eq 0 ]
