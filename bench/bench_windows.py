"""Windows: build the installer under Wine (`make windows`, scripts/build_windows.sh), install it silently into
a fresh Wine prefix and smoke-test it (scripts/test_windows_installer.sh, `--smoke --ocr`: the printed form read
back with the OCR component); the installer's size, the installed size without and with the OCR component and the cold start of the installed command line under Wine. Needs Debian's wine64 and nsis
(scripts/build-deps.sh); the interpreter and wheels come from the build cache (``SANLIAN_BUILD_CACHE``)."""

from __future__ import annotations

import re
import subprocess
import time

from bench.common import ROOT, Result


def run() -> list[Result]:
    start = time.perf_counter()
    build = subprocess.run(["bash", str(ROOT / "scripts" / "build_windows.sh")], capture_output=True, text=True,
                           cwd=ROOT, check=False)
    build_seconds = time.perf_counter() - start
    if build.returncode != 0:
        raise RuntimeError(build.stderr[-3000:])
    setup = build.stdout.strip().splitlines()[-1]
    test = subprocess.run(["bash", str(ROOT / "scripts" / "test_windows_installer.sh"), setup], capture_output=True,
                          text=True, cwd=ROOT, check=False, timeout=1800)
    if test.returncode != 0:
        raise RuntimeError(f"the installed copy failed:\n{test.stdout[-2000:]}{test.stderr[-3000:]}")
    figures = {name: float(value) for name, value in re.findall(r"^figure (\S+) (\S+)$", test.stdout, re.MULTILINE)}
    installer_mb = figures["windows.installer_size"] / 1e6
    installed_mb = figures["windows.installed_size"] / 1e6
    installed_ocr_mb = figures["windows.installed_size_ocr"] / 1e6
    cold = figures["windows.cold_start_cli"]
    return [
        Result("windows.installer_size", round(installer_mb, 1), "MB", "<= 80 MB", installer_mb <= 80,
               note="NSIS, LZMA solid, with the OCR component; PySide6 6.12 Essentials + Pdf, one-folder PyInstaller "
                    "bundle from build.spec under Wine; silent per-user install, --smoke --ocr and `sanlian check` from the installed copy passed"),
        Result("windows.installed_size", round(installed_mb, 1), "MB", "<= 150 MB", installed_mb <= 150,
               note="the installed folder (program + uninstaller) in a fresh Wine prefix, without the OCR component"),
        Result("windows.installed_size_ocr", round(installed_ocr_mb, 1), "MB", "<= 220 MB", installed_ocr_mb <= 220,
               note="the same with the installer's OCR component (checked by default; onnxruntime, pyclipper, "
                    "the PP-OCR models in ocr\\), which read the printed form back in --smoke --ocr"),
        Result("windows.cold_start_wine", round(cold, 2), "s", "< 15 s", cold < 15,
               note="first `sanlian.exe --help` in a fresh Wine 8 prefix (includes Wine's own start-up); "
                    "a real Windows PC is expected to be faster"),
        Result("windows.build_time", round(build_seconds, 1), "s", "< 600 s", build_seconds < 600,
               note="scripts/build_windows.sh with a warm cache: PyInstaller under Wine + makensis, 2 cores"),
    ]
