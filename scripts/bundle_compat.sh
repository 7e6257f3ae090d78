#!/usr/bin/env bash
# `make bundle-compat`: the Linux bundle for glibc >= 2.28 (统信 UOS 20, 麒麟 V10) in dist/三社联动申报系统.
#
# 1. the interpreter: scripts/build_compat_python.sh (CPython 3.11 by zig cc for glibc 2.28, cached);
# 2. wheels with manylinux_2_28-or-older tags only (packaging/linux/compat-requirements.txt: PySide6 6.9.3),
#    downloaded once into the cache folder, installed into a venv from that interpreter (cached too);
#    numpy itself from scripts/build_compat_numpy.sh instead: built without OpenBLAS (28 MB less), cached;
# 3. PyInstaller on the same build.spec; the desktop's own libstdc++, fontconfig, X11, GLib ... stay out
#    (build.spec's SYSTEM_ONLY; the .deb depends on them);
# 4. scripts/check_glibc.py: nothing in the bundle may need GLIBC_ > 2.28 or GLIBCXX_ > 3.4.25;
# 5. the OCR add-on in $DIST/ocr-addon/ocr (scripts/build_ocr_addon.sh, checked against this venv's numpy),
#    which `make deb` packs as sanlian-desktop-ocr; the bundle itself carries no OCR runtime.
# Cache: ${SANLIAN_BUILD_CACHE:-$HOME/.cache/sanlian-build}, outside the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
CACHE="${SANLIAN_BUILD_CACHE:-$HOME/.cache/sanlian-build}"
REQS="packaging/linux/compat-requirements.txt"
NAME="三社联动申报系统"
DIST="${SANLIAN_DIST:-dist}"  # bench/bench_bundle.py builds elsewhere
log() { echo "bundle_compat: $*" >&2; }
START=$(date +%s)

PY="$(bash scripts/build_compat_python.sh | tail -1)"
PYKEY="$(basename "$(dirname "$(dirname "$PY")")")"

# Wheels: keyed by the requirements file, downloaded with the build machine's pip (the compat interpreter
# has no TLS), for CPython 3.11 and manylinux tags up to 2_28 only.
WKEY="$(sha256sum "$REQS" | cut -c1-12)"
WHEELS="$CACHE/wheels/linux-compat-$WKEY"
if [ ! -f "$WHEELS/.complete" ]; then
  log "downloading wheels into $WHEELS"
  mkdir -p "$WHEELS"
  platforms=""
  for tag in manylinux_2_28 manylinux_2_27 manylinux_2_26 manylinux_2_25 manylinux_2_24 manylinux_2_17 \
             manylinux2014 manylinux2010 manylinux1; do
    platforms="$platforms --platform ${tag}_x86_64"
  done
  # shellcheck disable=SC2086
  python3 -m pip download -q --disable-pip-version-check --only-binary=:all: --python-version 3.11 \
    --implementation cp $platforms -r "$REQS" -d "$WHEELS"
  touch "$WHEELS/.complete"
fi

NUMPY="$(bash scripts/build_compat_numpy.sh | tail -1)"
VENV="$CACHE/venv-compat-$PYKEY-$WKEY-$(basename "$NUMPY" | sed 's/^numpy-noblas-//')"
if [ ! -f "$VENV/.complete" ]; then
  log "creating $VENV"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  # numpy first, from the OpenBLAS-free build: the requirements' numpy is then already satisfied.
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-index --find-links "$NUMPY" numpy
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-index --find-links "$WHEELS" -r "$REQS"
  "$VENV/bin/python" -c 'import numpy; assert numpy.__config__.CONFIG["Build Dependencies"]["blas"]["name"] == "none"' \
    || { log "numpy in $VENV is not the OpenBLAS-free build"; exit 1; }
  touch "$VENV/.complete"
fi
"$VENV/bin/python" -c 'import PySide6, sys; print("bundle_compat: PySide6", PySide6.__version__, "Python", sys.version.split()[0], file=sys.stderr)'

# This checkout's package, never one installed elsewhere (build.spec refuses foreign modules anyway).
log "pyinstaller"
mkdir -p build
rm -rf "${DIST:?}/$NAME"
PYTHONPATH="$ROOT" "$VENV/bin/pyinstaller" --noconfirm --clean --workpath build/compat --distpath "$DIST" build.spec \
  >build/bundle-compat.log 2>&1 || { tail -40 build/bundle-compat.log >&2; exit 1; }


log "checking glibc"
"$VENV/bin/python" scripts/check_glibc.py "$DIST/$NAME"
log "OCR add-on"
bash scripts/build_ocr_addon.sh "$DIST/ocr-addon" "$VENV/bin/python"
log "$DIST/$NAME: $(du -sh "$DIST/$NAME" | cut -f1), add-on $(du -sh "$DIST/ocr-addon/ocr" | cut -f1), $(( $(date +%s) - START )) s"
