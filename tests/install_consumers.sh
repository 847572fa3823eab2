#!/usr/bin/env bash
# install_consumers.sh — stage `cmake --install` under DESTDIR and check what lands there
# (libysgraph.so -> .so.0 -> .so.MAJOR.MINOR.PATCH with SONAME libysgraph.so.0, the static
# library, headers, the CLI, ysgraph.pc, the CMake package), then build the README's C example
# out of tree against the staged install twice: with pkg-config (shared and static links) and
# with find_package (ysgraph::ysgraph, ysgraph::ysgraph_static), and run all four.
# usage: install_consumers.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) work=$3
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
rm -rf "$work" && mkdir -p "$work" && work=$(cd "$work" && pwd)
stage=$work/stage
fail() { echo "install_consumers: $*" >&2; exit 1; }

DESTDIR=$stage cmake --install "$build" > "$work/install.log" || fail "cmake --install failed"
root=$stage$prefix
real=$(find "$root" -name "libysgraph.so.$version" -type f | head -1)
[ -n "$real" ] || fail "no libysgraph.so.$version under $root"
libdir=$(dirname "$real")
[ "$(readlink "$libdir/libysgraph.so")" = "libysgraph.so.0" ] || fail "libysgraph.so is not a link to libysgraph.so.0"
[ "$(readlink "$libdir/libysgraph.so.0")" = "libysgraph.so.$version" ] || fail "libysgraph.so.0 is not a link to libysgraph.so.$version"
readelf -d "$real" | grep -q 'SONAME.*\[libysgraph\.so\.0\]' || fail "SONAME is not libysgraph.so.0"
for f in "$libdir/libysgraph.a" "$root/include/ysgraph.h" "$root/include/ysgraph/node.h" \
         "$root/include/ysgraph/value.h" "$root/include/ysgraph/dlpack.h" "$root/bin/ysgraph" \
         "$libdir/pkgconfig/ysgraph.pc" "$libdir/cmake/ysgraph/ysgraphConfig.cmake" \
         "$libdir/cmake/ysgraph/ysgraphConfigVersion.cmake"; do
  [ -e "$f" ] || fail "missing ${f#"$stage"}"
done
"$root/bin/ysgraph" --version | grep -q "^ysgraph $version " || fail "the installed CLI does not say $version"
expect="frame 0: 1476 pixels drawn, pixel (220, 90) = 255 214 10 255"
check_run() { # NAME BINARY [env...]: runs it and compares its first line
  local name=$1 bin=$2; shift 2
  out=$(env "$@" "$bin") || fail "$name: the consumer failed"
  [ "$(head -1 <<<"$out")" = "$expect" ] || fail "$name: got '$(head -1 <<<"$out")', expected '$expect'"
  echo "$name: ok"
}

# pkg-config: the staged ysgraph.pc with its prefix moved to the staging root (a sysroot would
# also move the system paths of the libraries it lists for static links)
# the compiler that built the library (CC from the test's environment): a static link takes the
# library's OpenMP flag, which differs between gcc (-fopenmp) and clang (-fopenmp=libomp)
cc=${CC:-cc}
mkdir -p "$work/pc"
sed "s|^prefix=.*|prefix=$root|" "$libdir/pkgconfig/ysgraph.pc" > "$work/pc/ysgraph.pc"
grep -q "^Requires.private: .*lua" "$work/pc/ysgraph.pc" || fail "ysgraph.pc has no Requires.private"
export PKG_CONFIG_PATH=$work/pc
[ "$(pkg-config --modversion ysgraph)" = "$version" ] || fail "pkg-config --modversion is not $version"
"$cc" -std=c11 -Wall -Werror "$src/examples/c/overlay.c" $(pkg-config --cflags --libs ysgraph) -lm \
   -o "$work/pc_shared" || fail "pkg-config shared build failed"
readelf -d "$work/pc_shared" | grep -q 'NEEDED.*\[libysgraph\.so\.0\]' || fail "pc_shared does not need libysgraph.so.0"
check_run "pkg-config, shared" "$work/pc_shared" LD_LIBRARY_PATH="$libdir"
static_libs=$(pkg-config --static --libs ysgraph | sed 's/-lysgraph\b/-l:libysgraph.a/')
"$cc" -std=c11 -Wall -Werror "$src/examples/c/overlay.c" $(pkg-config --cflags ysgraph) $static_libs -lm \
   -o "$work/pc_static" || fail "pkg-config static build failed"
if readelf -d "$work/pc_static" | grep -q 'NEEDED.*libysgraph'; then fail "pc_static needs libysgraph.so"; fi
check_run "pkg-config, static" "$work/pc_static"
unset PKG_CONFIG_PATH

# find_package
cmake -S "$src/tests/consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$root" \
      -DEXAMPLE="$src/examples/c/overlay.c" > "$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "find_package configure failed"; }
cmake --build "$work/cmake" > "$work/cmake-build.log" 2>&1 || { cat "$work/cmake-build.log"; fail "find_package build failed"; }
check_run "find_package, ysgraph::ysgraph" "$work/cmake/overlay_shared" LD_LIBRARY_PATH="$libdir"
check_run "find_package, ysgraph::ysgraph_static" "$work/cmake/overlay_static"
echo "install_consumers: all four consumers built and ran against $prefix staged in $stage"
