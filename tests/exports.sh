#!/usr/bin/env bash
# exports.sh — the shared library exports exactly the public API: every dynamic symbol it defines
# is a ysg_/YSG_ name (no internal ysg__, FAISS, LAPACK, CUDA runtime or libcu++ symbol), and every
# function the public headers declare with YSG_API is among them.
# usage: exports.sh LIBYSGRAPH.so INCLUDE_DIR
set -euo pipefail
lib=$1 inc=$2
[ -f "$lib" ] || { echo "exports: no library at $lib" >&2; exit 1; }
defined=$(nm -D --defined-only "$lib" | awk '$2 != "A" {sub(/@.*/, "", $3); print $3}' | sort -u)
bad=$(printf '%s\n' "$defined" | grep -Ev '^(ysg_|YSG_)' | grep -v '^$' || true)
internal=$(printf '%s\n' "$defined" | grep -E '^ysg__' || true)
declared=$(grep -rhoE 'YSG_API[^;(]*\bysg_[a-z0-9_]+[[:space:]]*\(' "$inc" |
           grep -oE 'ysg_[a-z0-9_]+[[:space:]]*\($' | tr -d '( ' | sort -u)
missing=$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$defined"))
extra=$(comm -13 <(printf '%s\n' "$declared") <(printf '%s\n' "$defined"))
status=0
if [ -n "$bad$internal" ]; then
  echo "exports: non-API symbols exported from $lib:" >&2
  printf '  %s\n' $bad $internal | head -40 >&2
  status=1
fi
if [ -n "$missing" ]; then
  echo "exports: declared with YSG_API but not exported:" >&2
  printf '  %s\n' $missing >&2
  status=1
fi
if [ -n "$extra" ]; then
  echo "exports: exported but not declared in the public headers:" >&2
  printf '  %s\n' $extra >&2
  status=1
fi
n=$(printf '%s\n' "$defined" | grep -c . || true)
[ $status -eq 0 ] && echo "exports: $n symbols, all public API ($(printf '%s\n' "$declared" | wc -l) declared)"
exit $status
