#!/usr/bin/env bash
# setup.sh — install the Debian packages ysgraph builds against (run as root or with sudo).
# Required: a C compiler, CMake, Lua 5.4, libpng, FreeType, HarfBuzz, fontconfig, FriBidi and the
# DejaVu fonts (the text node), Criterion (tests), WenQuanYi Micro Hei (the text tests' CJK
# fallback). Optional features: Qhull, FAISS, FFmpeg libraries, ffnvcodec and DLPack headers,
# Cairo (benchmark comparison only), libdeflate and OpenEXR; the ffmpeg CLI for the --pipe tests,
# test inputs and FFmpeg's side of the colour round-trip tests;
# OpenCV's DNN module (the segment node; its tests build ONNX models with python3-onnx and check
# them with numpy, as the matte tests do), libavfilter (bench_matte's FFmpeg comparison); Python 3
# with pytest, torch, pip and setuptools for the Python package and the ComfyUI pack; clang and
# its runtime libraries (libFuzzer, sanitizers) for CI's clang and fuzzing configurations.
# The CUDA Toolkit is not a Debian package here: it is picked up from /usr/local/cuda when present.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PKGS=(build-essential cmake pkg-config git liblua5.4-dev libpng-dev zlib1g-dev libcriterion-dev
      libqhull-dev libfaiss-dev libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
      libswresample-dev libffmpeg-nvenc-dev libdlpack-dev libcairo2-dev
      libdeflate-dev libopenexr-dev ffmpeg
      libfreetype-dev libharfbuzz-dev libfontconfig-dev libfribidi-dev fonts-dejavu-core
      fonts-wqy-microhei libopencv-dnn-dev python3-onnx python3-numpy libavfilter-dev
      python3 python3-pytest python3-torch python3-pip python3-setuptools clang libclang-rt-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: dependencies present" >&2
