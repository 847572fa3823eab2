#!/usr/bin/env bash
# test.sh — set up (Debian packages), build and run the whole test suite with CTest.
# Usage: scripts/test.sh [BUILD_DIR] [extra cmake -D options...]
# CUDA is built when nvcc is found (/usr/local/cuda); GPU tests skip, saying why, without a device.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
bash scripts/setup.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
