#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The installed tree, as a user gets it:
#   1. cmake --install into a temporary prefix, then MOVE the prefix;
#   2. build the README's first example (between its readme-example markers)
#      with pkg-config alone (PKG_CONFIG_PATH=<moved prefix>/lib/pkgconfig),
#      against libtina4.so (tina4.pc) and libtina4.a (tina4-static.pc);
#   3. run each without LD_LIBRARY_PATH: it must start, answer one HTTP
#      request and exit 0 on SIGTERM;
#   4. the moved bin/tina4 must find its own header: `tina4 init` + `tina4
#      serve` of the new project serves the welcome page at /;
#   5. the .deb of `make package` (cpack) unpacked with dpkg -x: runtime
#      Depends declared, the example builds with its pkg-config data alone
#      and runs, its tina4 finds its header.
#
# usage: tests/install/run.sh [BUILD_DIR]   (default build-install)
# BUILD_DIR is configured here without sanitizers (a program linked with an
# ASan libtina4 would need ASan too), and only the installed targets are built.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=${1:-build-install}
if grep -qs '^T4_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "tests/install/run.sh: $build is a sanitizer build; give a build directory without T4_SANITIZE" >&2
  exit 2
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

echo "== install: build ($build), install into a prefix, move the prefix"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DT4_SANITIZE=OFF -DT4_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target tina4_static tina4_shared tina4 >/dev/null
cmake --install "$build" --prefix "$tmp/staging" >/dev/null
mkdir -p "$tmp/elsewhere"
mv "$tmp/staging" "$tmp/elsewhere/prefix"
prefix=$tmp/elsewhere/prefix
[ ! -e "$tmp/staging" ] || fail "the prefix was not moved"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
unset LD_LIBRARY_PATH TINA4_INCLUDE_DIR
export TINA4_WORKERS=${TINA4_WORKERS:-1} # the checks read one process's log and exit
grep -q '^prefix=${pcfiledir}/' "$prefix/lib/pkgconfig/tina4.pc" || fail "tina4.pc is not relative to its folder"
if grep -q "$tmp/staging" -r "$prefix/lib/pkgconfig"; then fail "a .pc file names the old prefix"; fi

# Waits (up to 60 s) for "HTTP server running at http://H:P" in log $1 while
# pid $2 runs; prints the URL.
server_url() {
  local log=$1 pid=$2 url=
  for _ in $(seq 600); do
    url=$(grep -o 'HTTP server running at http://[^ ]*' "$log" | head -1 | sed 's/.* at //') || true
    [ -n "$url" ] && {
      echo "$url"
      return 0
    }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  return 1
}

# Stops pid $1 with SIGTERM; fails unless it exits 0 within 20 s.
stop_ok() {
  local pid=$1 what=$2 rc=0
  kill -TERM "$pid"
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && fail "$what did not exit within 20 s of SIGTERM"
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ] || fail "$what exited $rc after SIGTERM"
}

echo "== the README example, from README.md"
sed -n '/^<!-- readme-example:begin/,/^<!-- readme-example:end/p' README.md | sed '1,2d;$d' | sed '$d' >"$tmp/app.c"
grep -q 'int main(void)' "$tmp/app.c" || fail "no example between the readme-example markers"
grep -q '/ws/notifications/{user_id}' "$tmp/app.c" || fail "the example pushes to a route it does not define"

for kind in shared static; do
  pc=tina4
  [ $kind = static ] && pc=tina4-static
  # shellcheck disable=SC2046 # pkg-config output is a list of flags
  cc -std=c11 -Wall -Werror -o "$tmp/app-$kind" "$tmp/app.c" $(pkg-config --cflags --libs $pc)
  # (Outputs are captured before grep: grep -q in a pipe could SIGPIPE the
  # writer and fail the pipeline under pipefail.)
  libs=$(ldd "$tmp/app-$kind")
  if [ $kind = shared ]; then
    [[ $libs == *"libtina4.so.0 => $prefix/"* ]] || fail "app-shared does not load libtina4 from the moved prefix: $libs"
  else
    [[ $libs != *libtina4* ]] || fail "app-static loads libtina4.so: $libs"
  fi
  if [ $kind = static ]; then
    # A tree with only libtina4.a (no .so): `pkg-config --static tina4` must
    # bring the private libraries (libm's pow, libdl, pthread, hiredis...).
    cp -a "$prefix" "$tmp/static-only"
    rm -f "$tmp"/static-only/lib/libtina4.so*
    # shellcheck disable=SC2046
    PKG_CONFIG_PATH=$tmp/static-only/lib/pkgconfig cc -std=c11 -o "$tmp/app-static-only" "$tmp/app.c" \
      $(PKG_CONFIG_PATH=$tmp/static-only/lib/pkgconfig pkg-config --static --cflags --libs tina4) ||
      fail "pkg-config --static --libs tina4 does not link libtina4.a"
  fi
  (cd "$tmp" && exec env TINA4_HOST=127.0.0.1 TINA4_PORT=0 "$tmp/app-$kind" >"$tmp/app-$kind.log" 2>&1) &
  pid=$!
  pids+=("$pid")
  url=$(server_url "$tmp/app-$kind.log" "$pid") || fail "app-$kind did not start"
  body=$(curl -sS --max-time 10 -X POST "$url/api/orders/7/ship/42") || fail "app-$kind: request failed"
  [[ $body == *'Order shipped, user notified'* ]] || fail "app-$kind answered: $body"
  stop_ok "$pid" "app-$kind"
  echo "ok: app-$kind (pkg-config $pc) built, answered $url, exited 0 on SIGTERM"
done

echo "== the moved tina4: init + serve a project"
tina4=$prefix/bin/tina4
[[ $("$tina4" --version) == "tina4 "* ]] || fail "tina4 --version"
help=$("$tina4" --help)
[[ $help == *"header:  $prefix/include"$'\n'* ]] || fail "tina4 does not find the header of the moved prefix: $help"
(cd "$tmp" && "$tina4" init site >/dev/null)
(cd "$tmp/site" && exec env TINA4_HOST=127.0.0.1 TINA4_PORT=0 "$tina4" serve >"$tmp/serve.log" 2>&1) &
pid=$!
pids+=("$pid")
url=$(server_url "$tmp/serve.log" "$pid") || fail "tina4 serve did not start"
page=$(curl -sS --max-time 10 "$url/") || fail "tina4 serve: request failed"
[[ $page == *'Welcome to Tina4 C'* ]] || fail "tina4 serve: / answered: $page"
[[ $url != *:7145 ]] || fail "tina4 serve ignored TINA4_PORT=0"
stop_ok "$pid" "tina4 serve"
echo "ok: the moved tina4 found $prefix/include/tina4.h, served the welcome page at $url/, exited 0"
echo "== the .deb (make package): unpacked with dpkg -x, the example built against it"
# (A clean chroot would need debootstrap and a mirror; dpkg -x into a
# temporary root checks the same files, paths and pkg-config data.)
rm -f "$build"/tina4_*.deb
(cd "$build" && cpack -G DEB >/dev/null) || fail "cpack could not build the .deb"
deb=$(ls "$build"/tina4_*.deb)
info=$(dpkg-deb -I "$deb")
[[ $info == *"Depends: "*libuv1* ]] || fail "the .deb declares no runtime dependencies: $info"
dpkg -x "$deb" "$tmp/debroot"
debpc=$(find "$tmp/debroot" -name tina4.pc)
[ -n "$debpc" ] || fail "the .deb has no tina4.pc"
# shellcheck disable=SC2046 # pkg-config output is a list of flags
cc -std=c11 -Wall -Werror -o "$tmp/app-deb" "$tmp/app.c" \
  $(PKG_CONFIG_PATH=$(dirname "$debpc") pkg-config --cflags --libs tina4) || fail "the example does not build against the .deb"
libs=$(ldd "$tmp/app-deb")
[[ $libs == *"libtina4.so.0 => $tmp/debroot/"* ]] || fail "app-deb does not load libtina4 from the unpacked .deb: $libs"
(cd "$tmp" && exec env TINA4_HOST=127.0.0.1 TINA4_PORT=0 "$tmp/app-deb" >"$tmp/app-deb.log" 2>&1) &
pid=$!
pids+=("$pid")
url=$(server_url "$tmp/app-deb.log" "$pid") || fail "app-deb did not start"
body=$(curl -sS --max-time 10 -X POST "$url/api/orders/7/ship/42") || fail "app-deb: request failed"
[[ $body == *'Order shipped, user notified'* ]] || fail "app-deb answered: $body"
stop_ok "$pid" "app-deb"
help=$("$tmp/debroot/usr/bin/tina4" --help)
[[ $help == *"header:  $tmp/debroot/usr/include"$'\n'* ]] || fail "the .deb's tina4 does not find its header: $help"
echo "ok: $(basename "$deb") unpacked, the example built with its pkg-config data and answered $url"
echo "install: all checks passed"
