#!/usr/bin/env bash
# The OCR add-on of the built program: `bash scripts/build_ocr_addon.sh OUT [PYTHON]` makes OUT/ocr;
# `bash scripts/build_ocr_addon.sh --windows OUT` the same from the win_amd64 wheels (scripts/build_windows.sh,
# the installer's component; there onnxruntime_pybind11_state.pyd does load onnxruntime.dll, which stays).
#
# The folder goes beside the program's executable (/opt/sanlian/ocr from the .deb sanlian-desktop-ocr,
# scripts/make_deb.sh); sanlian_desktop/paperread/addon.py puts it on sys.path at start. It holds exactly
# packaging/ocr/requirements.txt installed with --no-deps: onnxruntime (its Python package and the
# pybind11 extension, which links the ONNX runtime statically: libonnxruntime.so, 35 MB, is never loaded
# and goes), pyclipper (stripped) and rapidocr-onnxruntime (for its PP-OCR models; its Python modules stay,
# they are small). numpy and Pillow come from the bundle. onnxruntime's helpers for training, quantising and
# converting models, the ONNX backend and the console scripts go too.
# PYTHON (the compat bundle's venv interpreter) checks the result: onnxruntime and pyclipper import beside
# its numpy and the detection model runs; scripts/check_glibc.py: glibc <= 2.28, GLIBCXX <= 3.4.25.
# Wheels: manylinux_2_28-or-older (or win_amd64) tags for CPython 3.11, cached in ${SANLIAN_BUILD_CACHE:-~/.cache/sanlian-build}.
set -euo pipefail
cd "$(dirname "$0")/.."
WINDOWS=""
if [ "${1:-}" = "--windows" ]; then WINDOWS=1; shift; fi
OUT="${1:?usage: build_ocr_addon.sh OUT [PYTHON]}"
PYTHON="${2:-}"
CACHE="${SANLIAN_BUILD_CACHE:-$HOME/.cache/sanlian-build}"
REQS="packaging/ocr/requirements.txt"
log() { echo "build_ocr_addon: $*" >&2; }

if [ -n "$WINDOWS" ]; then
  # The Windows bundle has no numpy (packaging/windows/requirements.txt): the add-on brings 1.26.4, the
  # newest that loads under the build's Wine 8.
  KIND="win"; TAGS="win_amd64"
  WREQS="$(mktemp)"
  trap 'rm -f "$WREQS"' EXIT
  { cat "$REQS"; echo "numpy==1.26.4"; } >"$WREQS"
  REQS="$WREQS"
else
  KIND="linux"
  TAGS="manylinux_2_28 manylinux_2_27 manylinux_2_26 manylinux_2_25 manylinux_2_24 manylinux_2_17 manylinux2014"
  TAGS="$(for tag in $TAGS manylinux2010 manylinux1; do printf '%s_x86_64 ' "$tag"; done)"
fi
platforms=""
for tag in $TAGS; do platforms="$platforms --platform $tag"; done
WHEELS="$CACHE/wheels/ocr-$KIND-$(sha256sum "$REQS" | cut -c1-12)"
if [ ! -f "$WHEELS/.complete" ]; then
  log "downloading wheels into $WHEELS"
  mkdir -p "$WHEELS"
  # shellcheck disable=SC2086
  python3 -m pip download -q --disable-pip-version-check --only-binary=:all: --no-deps --python-version 3.11 \
    --implementation cp $platforms -r "$REQS" -d "$WHEELS"
  touch "$WHEELS/.complete"
fi

ADDON="$OUT/ocr"
rm -rf "$ADDON"
mkdir -p "$ADDON"
# shellcheck disable=SC2086
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-index --find-links "$WHEELS" --no-deps --no-compile \
  --only-binary=:all: --python-version 3.11 --implementation cp $platforms --target "$ADDON" -r "$REQS"
rm -rf "$ADDON/bin" "$ADDON"/onnxruntime/{tools,transformers,quantization,datasets,backend}
find "$ADDON" -name __pycache__ -prune -exec rm -rf {} +
{
  echo "三社联动申报系统 扫描件识别（OCR）组件 / OCR add-on of sanlian-desktop"
  echo "Put this folder, named ocr, beside the program's executable. Contents (pip install --no-deps):"
  grep -v '^#' "$REQS"
} >"$ADDON/README.txt"
if [ -n "$WINDOWS" ]; then
  # onnxruntime_pybind11_state.pyd links the runtime statically too: onnxruntime.dll (23 MB) is never loaded.
  if objdump -p "$ADDON"/onnxruntime/capi/onnxruntime_pybind11_state.pyd | grep -qi 'DLL Name: onnxruntime\.dll'; then
    log "onnxruntime_pybind11_state.pyd needs onnxruntime.dll: keep it"
    exit 1
  fi
  rm -f "$ADDON"/onnxruntime/capi/onnxruntime.dll
  rm -rf "$ADDON"/numpy/f2py "$ADDON"/numpy/tests "$ADDON"/numpy/*/tests
  log "$ADDON: $(du -sh "$ADDON" | cut -f1)"
  exit 0
fi
rm -f "$ADDON"/onnxruntime/capi/libonnxruntime.so.*
# The extension must not need the library just removed (it did in some onnxruntime releases).
if readelf -d "$ADDON"/onnxruntime/capi/onnxruntime_pybind11_state*.so | grep -q 'NEEDED.*libonnxruntime\.so'; then
  log "onnxruntime_pybind11_state needs libonnxruntime.so: keep it (remove the rm above)"
  exit 1
fi
strip --strip-unneeded "$ADDON"/pyclipper/*.so

python3 scripts/check_glibc.py "$ADDON" >&2
if [ -n "$PYTHON" ]; then
  PYTHONPATH="$ADDON" "$PYTHON" - <<'CHECK' >&2
import glob, os, sys
import numpy as np
import onnxruntime as ort
import pyclipper

models = os.path.join(os.environ["PYTHONPATH"], "rapidocr_onnxruntime", "models")
det = sorted(glob.glob(os.path.join(models, "*det*.onnx")))
assert det, f"no detection model in {models}"
session = ort.InferenceSession(det[0], providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
out = session.run(None, {name: np.zeros((1, 3, 64, 64), np.float32)})[0]
assert out.shape == (1, 1, 64, 64), out.shape
offset = pyclipper.PyclipperOffset()
offset.AddPath([(0, 0), (10, 0), (10, 10)], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
assert offset.Execute(2)
print(f"build_ocr_addon: onnxruntime {ort.__version__} with numpy {np.__version__}: the detection model runs; "
      f"pyclipper {pyclipper.__version__}")
CHECK
fi
log "$ADDON: $(du -sh "$ADDON" | cut -f1)"
