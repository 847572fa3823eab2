#!/usr/bin/env bash
# gpu-check.sh — everything a session with a GPU runs on the device machine, in one call: the
# device's facts (nvidia-smi -L, NVDEC/NVENC, driver libraries), a Release build with CUDA (FFmpeg
# and FAISS off), the whole test suite, compute-sanitizer memcheck and racecheck over the test
# programs that launch CUDA work, and the benchmarks bench_seed, bench_render, bench_pipeline,
# bench_matte and bench_primitives.
# Logs go to $OUT/gpu-check/ when $OUT is set (else ./gpu-check-logs/): env.txt, build.log,
# ctest.log, sanitizer.log, bench.log, bench.jsonl (each benchmark's JSON line), summary.txt — seven
# files, within what a device call brings back.
#
# Usage (from the repository root): scripts/gpu-check.sh [STAGE...]
#   STAGE: env build test sanitize bench, or all (the default). A warm machine keeps the build dir,
#   so a session short of time can run `build test` in one call and `sanitize bench` in the next.
# Dependencies: on a machine without Debian packages, bundle them first on the development machine
# (../shared/gpu/bundle-deps.sh .devdeps, see ../shared/gpu/README.md) and carry .devdeps; this
# script points pkg-config, CMake and the loader at it when it is there.
# Environment: YSG_BUILD_DIR (build-gpu), YSG_CUDA_ARCHS (default: the device's compute
# capability, e.g. 90), YSG_SANITIZE_TESTS (test program names; default: the tests whose source
# launches CUDA work), YSG_TEST_LONG_FRAMES (frames of test_cuda_exec's 1000-frame memory test
# under the sanitizers; default 20), YSG_JOBS (build and ctest parallelism; default nproc).
# Exit status: 0 when every stage run passed, 1 otherwise (summary.txt says which failed).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
build=${YSG_BUILD_DIR:-build-gpu}
logs=${OUT:+$OUT/gpu-check}
logs=${logs:-$root/gpu-check-logs}
mkdir -p "$logs"
jobs=${YSG_JOBS:-$(nproc)}
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(all)
want() {
  local s
  for s in "${stages[@]}"; do [ "$s" = all ] || [ "$s" = "$1" ] && return 0; done
  return 1
}

export PATH=/usr/local/cuda/bin:$PATH
if [ -d "$root/.devdeps" ]; then
  export PKG_CONFIG_PATH=$root/.devdeps/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
  export LD_LIBRARY_PATH=$root/.devdeps/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export CMAKE_PREFIX_PATH=$root/.devdeps${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}
fi

summary=$logs/summary.txt
: >"$summary"
failed=0
note() { echo "$*" | tee -a "$summary"; }
result() { # STAGE RC [DETAIL]
  if [ "$2" -eq 0 ]; then note "PASS $1${3:+: $3}"; else
    note "FAIL $1 (exit $2)${3:+: $3}"
    failed=1
  fi
}
note "gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) stages: ${stages[*]} build: $build"

# ---- env: what the machine has -------------------------------------------------------------
if want env; then
  {
    echo "== nvidia-smi -L"
    nvidia-smi -L 2>&1 || echo "nvidia-smi failed"
    echo "== encoder / decoder"
    nvidia-smi -q 2>&1 | grep -iA2 -E 'encoder|decoder' || echo "(none listed)"
    echo "== driver libraries (NVDEC: nvcuvid, NVENC: nvidia-encode)"
    ldconfig -p 2>&1 | grep -E 'nvcuvid|nvidia-encode' || echo "(neither found by ldconfig)"
    echo "== tools"
    nvcc --version 2>&1 | tail -2 || echo "nvcc not found"
    command -v compute-sanitizer || echo "compute-sanitizer not on PATH"
    cmake --version | head -1
    echo "== bundle: ${PKG_CONFIG_PATH:-no .devdeps (system packages only)}"
    for m in lua5.4 libpng criterion qhull_r ffnvcodec; do
      printf '%s: %s\n' "$m" "$(pkg-config --modversion "$m" 2>/dev/null || echo missing)"
    done
    echo "== cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cores"
  } 2>&1 | tee "$logs/env.txt"
  note "device: $(nvidia-smi -L 2>/dev/null | head -1 || echo unavailable)"
fi

# ---- build ---------------------------------------------------------------------------------
if want build; then
  archs=${YSG_CUDA_ARCHS:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null |
    head -1 | tr -d ' .')}
  cfg=(-DCMAKE_BUILD_TYPE=Release -DYSG_WITH_CUDA=ON -DYSG_WITH_FFMPEG=OFF -DYSG_WITH_FAISS=OFF)
  [ -n "$archs" ] && cfg+=("-DCMAKE_CUDA_ARCHITECTURES=$archs")
  {
    echo "== cmake ${cfg[*]}"
    cmake -S . -B "$build" "${cfg[@]}" && cmake --build "$build" -j"$jobs"
  } >"$logs/build.log" 2>&1
  rc=$?
  tail -n 30 "$logs/build.log"
  cuda_on=$(grep -c 'ysgraph: CUDA=ON' "$logs/build.log")
  [ "$rc" -eq 0 ] && [ "$cuda_on" -eq 0 ] && rc=2 # a build without CUDA checks nothing here
  result build "$rc" "CUDA archs ${archs:-CMake default}, $(grep -m1 'ysgraph: CUDA=' "$logs/build.log")"
fi

# ---- test: the whole suite -----------------------------------------------------------------
if want test; then
  ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 600 >"$logs/ctest.log" 2>&1
  rc=$?
  tail -n 40 "$logs/ctest.log"
  result test "$rc" "$(grep -E 'tests passed' "$logs/ctest.log" | tail -1)"
  # every GPU test skips quietly when the probe finds no usable device: make sure it found one
  probe=$("$build/tests/test_cuda" --verbose --filter 'cuda/probe_explains_itself' 2>&1 |
    grep -o 'ysg__cuda_probe: .*')
  echo "$probe" | tee -a "$logs/ctest.log"
  case "$probe" in "ysg__cuda_probe: 1,"*) rc=0 ;; *) rc=1 ;; esac
  result probe "$rc" "${probe:-test_cuda printed no probe line}"
fi

# ---- sanitize: compute-sanitizer memcheck and racecheck -----------------------------------
if want sanitize; then
  san=$(command -v compute-sanitizer || echo /usr/local/cuda/compute-sanitizer/compute-sanitizer)
  if [ -n "${YSG_SANITIZE_TESTS:-}" ]; then
    read -r -a progs <<<"$YSG_SANITIZE_TESTS"
  else # the tests whose source launches CUDA work itself or loads pipelines on the CUDA backend
    mapfile -t progs < <(grep -lE 'ysgt_require_cuda|ysgt_backends_match|YSG_BACKEND_CUDA|ysg__cuda_(malloc|upload|sync|mem_info)' tests/test_*.c |
      xargs -n1 basename | sed 's/\.c$//' | sort)
  fi
  export YSG_TEST_LONG_FRAMES=${YSG_TEST_LONG_FRAMES:-20}
  : >"$logs/sanitizer.log"
  for tool in memcheck racecheck; do
    bad=()
    extra=()
    [ "$tool" = memcheck ] && extra=(--leak-check full)
    for t in "${progs[@]}"; do
      exe=$build/tests/$t
      [ -x "$exe" ] || { echo "== $tool $t: not built" >>"$logs/sanitizer.log"; bad+=("$t(missing)"); continue; }
      echo "== $tool $t" >>"$logs/sanitizer.log"
      (cd "$build/tests" && timeout 300 "$san" --tool "$tool" "${extra[@]}" --target-processes all \
        --error-exitcode 97 "./$t" --jobs 1) >>"$logs/sanitizer.log" 2>&1
      rc=$?
      echo "== $tool $t: exit $rc" >>"$logs/sanitizer.log"
      [ "$rc" -ne 0 ] && bad+=("$t(exit $rc)")
    done
    result "$tool" "${#bad[@]}" "${#progs[@]} programs${bad[*]:+; failing: ${bad[*]}}"
  done
  grep -E '^== .*: exit|ERROR SUMMARY|RACECHECK SUMMARY|LEAK SUMMARY' "$logs/sanitizer.log" | tail -n 60
fi

# ---- bench ---------------------------------------------------------------------------------
if want bench; then
  : >"$logs/bench.log"
  for b in "bench_seed" "bench_render" "bench_pipeline" "bench_matte" "bench_primitives"; do
    echo "== $b" | tee -a "$logs/bench.log"
    timeout 420 "$build/bench/$b" 2>&1 | tee -a "$logs/bench.log"
    rc=${PIPESTATUS[0]}
    result "$b" "$rc"
  done
  grep '^{"bench"' "$logs/bench.log" >"$logs/bench.jsonl"
fi

note "logs: $logs"
exit "$failed"
