"""Bundle: build the shipped Linux bundle (`make bundle-compat`: build.spec with the glibc 2.28 CPython and
manylinux_2_28 wheels, scripts/bundle_compat.sh); its unpacked size, build time and the newest glibc it needs
(统信 UOS 20 and 麒麟 V10 have glibc 2.28), and its size with the OCR add-on beside it (scripts/build_ocr_addon.sh,
the .deb sanlian-desktop-ocr) after ``--smoke --ocr`` read a printed form with it. The interpreter and wheels come from the build cache
(``SANLIAN_BUILD_CACHE``); a cold cache adds about 5 minutes, not counted in the build time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, WORK, Result

NAME = "三社联动申报系统"


def folder_size(folder: Path) -> int:
    """Bytes of every file under ``folder`` as unpacked (symbolic links count as links, not targets)."""
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            total += (Path(dirpath) / name).lstat().st_size
    return total


def glibc_needed(folder: Path) -> tuple[tuple[int, ...], list[str]]:
    """The newest GLIBC_x.y symbol version any ELF file under ``folder`` needs, and those files' names."""
    newest: tuple[int, ...] = (0,)
    users: list[str] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True, check=False).stdout
        versions = {tuple(int(n) for n in v.split(".")) for v in re.findall(r"\bGLIBC_(\d+(?:\.\d+)+)\b", out)}
        top = max(versions, default=(0,))
        if top > newest:
            newest, users = top, [path.name]
        elif top == newest:
            users.append(path.name)
    return newest, users


def run() -> list[Result]:
    work = WORK / "bundle"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    script = ROOT / "scripts" / "bundle_compat.sh"
    # Warm the cache first (interpreter, wheels, venv) so the build time is PyInstaller's alone.
    subprocess.run(["bash", str(ROOT / "scripts" / "build_compat_python.sh")], capture_output=True, check=True)
    start = time.perf_counter()
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, cwd=ROOT, check=False,
                          env=dict(os.environ, SANLIAN_DIST=str(work / "dist")))
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    bundle = work / "dist" / NAME
    # A size is only worth reporting for a bundle that works.
    smoke = subprocess.run([str(bundle / NAME), "--smoke"], capture_output=True, text=True, check=False,
                           env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), timeout=300)
    if smoke.returncode != 0:
        raise RuntimeError(f"--smoke failed on the built bundle:\n{smoke.stdout[-3000:]}{smoke.stderr[-3000:]}")
    size = folder_size(bundle)
    megabytes = size / 1e6  # the goal is in decimal megabytes: 150 MB = 150,000,000 bytes
    files = sum(len(f) for _d, _s, f in os.walk(bundle))
    glibc, users = glibc_needed(bundle)
    # With the add-on where the .deb puts it: the folder ``ocr`` beside the executable.
    addon = work / "dist" / "ocr-addon" / "ocr"
    (bundle / "ocr").symlink_to(addon, target_is_directory=True)
    ocr_smoke = subprocess.run([str(bundle / NAME), "--smoke", "--ocr"], capture_output=True, text=True, check=False,
                               env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), timeout=600)
    (bundle / "ocr").unlink()
    ocr_said = [line for line in ocr_smoke.stdout.splitlines() if line.startswith(("ok   ocr", "FAIL"))]
    addon_size = folder_size(addon)
    with_ocr = (size + addon_size) / 1e6
    shutil.rmtree(work / "build", ignore_errors=True)
    return [
        Result("bundle.size_linux", round(megabytes, 1), "MB", "< 150 MB", megabytes < 150,
               note=f"{size} bytes = {size / 2**20:.1f} MiB, {files} files; the glibc 2.28 bundle (PySide6 "
                    "6.9.3), one-folder, stripped, Qt and ICU data trimmed, desktop libraries from the system; "
                    "--smoke passed"),
        Result("bundle.size_linux_ocr", round(with_ocr, 1), "MB", "<= 220 MB",
               with_ocr <= 220 and ocr_smoke.returncode == 0,
               note=f"the bundle and the OCR add-on ({addon_size / 1e6:.1f} MB: onnxruntime without "
                    "libonnxruntime.so, pyclipper, the PP-OCR models; the .deb sanlian-desktop-ocr); "
                    + (f"--smoke --ocr passed: {ocr_said[0].split(None, 4)[-1] if ocr_said else ''}"
                       if ocr_smoke.returncode == 0 else
                       f"--smoke --ocr FAILED: {(ocr_said or ocr_smoke.stderr.splitlines() or [''])[-1][:300]}")),
        Result("bundle.build_time", round(seconds, 1), "s", "< 120 s", seconds < 120,
               note="scripts/bundle_compat.sh with a warm cache (pyinstaller --clean + check_glibc) on a "
                    "2-core machine, one run"),
        Result("bundle.glibc_needed", float(".".join(map(str, glibc[:2]))), "glibc", "<= 2.28 (统信 UOS 20, 麒麟 V10)",
               glibc[:2] <= (2, 28),
               note=f"GLIBC_{'.'.join(map(str, glibc))} (objdump -T) in {', '.join(users[:4])}"
                    f"{' ...' if len(users) > 4 else ''}; built on {platform_name()} with CPython 3.11 by "
                    "zig cc for glibc 2.28"),
    ]


def platform_name() -> str:
    """"Debian GNU/Linux 12 (bookworm)" from /etc/os-release, or the kernel's name."""
    try:
        text = Path("/etc/os-release").read_text("utf-8")
    except OSError:
        return sys.platform
    found = re.search(r'^PRETTY_NAME="?([^"\n]+)"?$', text, re.MULTILINE)
    return found.group(1) if found else sys.platform
