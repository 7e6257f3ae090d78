#!/usr/bin/env bash
# numpy for the compat Linux bundle without OpenBLAS: prints the folder holding the wheel (cached).
#
# numpy's manylinux wheels carry OpenBLAS with gfortran and quadmath (28 MB unpacked, the bundle's largest
# file): the program never multiplies matrices nor solves systems (near-duplicate screening hashes,
# compares and sorts; OCR runs its models in onnxruntime), and the base bundle must stay under 150 MB.
# numpy built from its source with -Dblas=none -Dlapack=none uses its own C loops for dot/matmul and its
# bundled lapack_lite for numpy.linalg (all still work, slower on big matrices); -Dcpu-dispatch=none keeps
# to the x86-64-v2 baseline and halves the compile time. Compiled by zig cc for glibc 2.28 with the compat
# CPython (scripts/build_compat_python.sh); zig links its own libc++ statically, so no GLIBCXX need.
# About 20 minutes on two busy cores, once: ${SANLIAN_BUILD_CACHE:-~/.cache/sanlian-build}/wheels/numpy-noblas-KEY.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${SANLIAN_BUILD_CACHE:-$HOME/.cache/sanlian-build}"
NUMPY_VERSION="2.4.6"
log() { echo "build_compat_numpy: $*" >&2; }

PY="$(bash scripts/build_compat_python.sh | tail -1)"
ZIG="$(bash scripts/build_compat_python.sh --zig-only)"
KEY="$( { cat "$0"; echo "$PY"; "$ZIG" version; } | sha256sum | cut -c1-12)"
OUT="$CACHE/wheels/numpy-noblas-$KEY"
if [ -f "$OUT/.complete" ]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi
WORK="$CACHE/work-numpy-$KEY"
rm -rf "$WORK" "$OUT"
mkdir -p "$WORK/bin" "$WORK/tools" "$OUT"
START=$(date +%s)

log "numpy $NUMPY_VERSION source (sdist) and the build tools"
# The sdist straight from the index: `pip download` of an sdist would build it once to read its metadata.
python3 - "$NUMPY_VERSION" "$WORK" <<'FETCH'
import hashlib, re, sys, urllib.request
version, work = sys.argv[1], sys.argv[2]
page = urllib.request.urlopen("https://pypi.org/simple/numpy/", timeout=120).read().decode()
url, sha = re.search(rf'href="([^"#]*/numpy-{re.escape(version)}\.tar\.gz)#sha256=([0-9a-f]+)"', page).groups()
data = urllib.request.urlopen(url, timeout=600).read()
if hashlib.sha256(data).hexdigest() != sha:
    sys.exit(f"numpy-{version}.tar.gz: sha256 mismatch")
open(f"{work}/numpy.tar.gz", "wb").write(data)
FETCH
tar xzf "$WORK/numpy.tar.gz" -C "$WORK"
python3 -m pip download -q --disable-pip-version-check --only-binary=:all: --python-version 3.11 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux_2_5_x86_64 --platform manylinux1_x86_64 \
  "pip>=24" "meson-python>=0.18" "meson>=1.5" ninja "cython>=3.0.6" pyproject-metadata packaging -d "$WORK/tools"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check --no-index --find-links "$WORK/tools" -U pip
"$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check --no-index --find-links "$WORK/tools" \
  meson-python meson ninja cython

for tool in cc c++; do
  printf '#!/bin/sh\nexec "%s" %s -target x86_64-linux-gnu.2.28 "$@"\n' "$ZIG" "$tool" >"$WORK/bin/z$tool"
  chmod +x "$WORK/bin/z$tool"
done
log "compiling (log: $WORK/build.log)"
# Nothing from the build machine's pkg-config (its OpenBLAS, its newer glibc) may leak in.
env CC="$WORK/bin/zcc" CXX="$WORK/bin/zc++" CFLAGS="-fno-sanitize=undefined" CXXFLAGS="-fno-sanitize=undefined" \
  PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_PATH= ZIG_GLOBAL_CACHE_DIR="$CACHE/zig-cache" \
  PATH="$WORK/venv/bin:$PATH" \
  "$WORK/venv/bin/python" -m pip wheel -v --no-build-isolation --no-index --no-deps "$WORK/numpy-$NUMPY_VERSION" \
  -w "$OUT" -Csetup-args=-Dblas=none -Csetup-args=-Dlapack=none -Csetup-args=-Dcpu-dispatch=none \
  -Ccompile-args=-j"$(nproc)" >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; exit 1; }
touch "$OUT/.complete"
rm -rf "$WORK"
log "$(ls "$OUT"), $(( $(date +%s) - START )) s"
echo "$OUT"
