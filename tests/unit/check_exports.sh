#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libtina4.so exports the public API only: every dynamic symbol starts with
# t4_ (internals are t4__ and hidden), and every function declared T4_API in
# tina4.h is exported.
set -euo pipefail
lib=$1
header=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBR]/ {print $3}' | sort)
bad=$(printf '%s\n' "$exported" | grep -v '^t4_' | grep -v '^_' || true)
internal=$(printf '%s\n' "$exported" | grep '^t4__' || true)
if [ -n "$bad$internal" ]; then
  echo "unexpected exported symbols:"; printf '%s\n' $bad $internal; exit 1
fi
declared=$(grep -oE 'T4_API [^(]*\b(t4_[a-z0-9_]+)\(' "$header" | grep -oE 't4_[a-z0-9_]+\($' | tr -d '(' | sort -u)
missing=$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported"))
if [ -n "$missing" ]; then
  echo "declared in tina4.h but not exported:"; printf '%s\n' "$missing"; exit 1
fi
echo "exports ok: $(printf '%s\n' "$declared" | wc -l) public functions, nothing else"
