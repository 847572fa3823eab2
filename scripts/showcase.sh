#!/usr/bin/env bash
# showcase.sh — set up (Debian packages), build, and render the showcase pipeline on its embedded
# demo data into out/showcase/ (PNG frames), printing where the frames went.
# Usage: scripts/showcase.sh [extra `ysgraph run` flags, e.g. --frames 0:10]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target ysgraph_cli
./build/ysgraph run pipelines/showcase.lua -o out/showcase --stats out/showcase/stats.json "$@"
echo "showcase: frames in out/showcase/frames/, timings in out/showcase/stats.json"
