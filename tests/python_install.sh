#!/usr/bin/env bash
# python_install.sh — the Python package installs offline with Debian's pip and setuptools (no
# package index: --no-build-isolation --no-index) and the installed copy works against this
# build's library (YSGRAPH_LIBRARY). The source is copied first so pip builds nothing in-tree.
# usage: python_install.sh PYTHON SOURCE_DIR WORK_DIR
set -euo pipefail
py=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cp -r "$src/python" "$work/src"
rm -rf "$work/src/tests"
"$py" -m pip install --quiet --no-build-isolation --no-index --no-deps --target "$work/site" \
      "$work/src" 2> "$work/pip.log" || { cat "$work/pip.log" >&2; exit 1; }
cd "$work"
PYTHONPATH="$work/site" "$py" - <<'PY'
import numpy as np
import ysgraph
assert ysgraph.__file__.startswith(__import__("os").getcwd()), ysgraph.__file__
with ysgraph.Pipeline(source="canvas { width = 16, height = 16 }\nfill { name = 'f', color = '#336699' }\n") as p:
    p.run(0)
    assert tuple(p.image("f")[0, 0]) == (0x33, 0x66, 0x99, 255)
print(f"python_install: ysgraph {ysgraph.version()} installed at {ysgraph.__file__}, works")
PY
