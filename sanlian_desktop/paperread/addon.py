"""The OCR add-on of the built program: a folder ``ocr`` beside the executable, put on ``sys.path``.

The bundles leave the OCR runtime out (build.spec) to stay small; the add-on brings it back:
onnxruntime's Python package (without its unused shared library), pyclipper and the PP-OCR models of
rapidocr-onnxruntime, installed ``--no-deps`` into one folder by scripts/build_ocr_addon.sh. numpy and
Pillow come from the bundle itself. Where the add-on comes from:

* Linux: the package ``sanlian-desktop-ocr`` (``sanlian-desktop-ocr_<version>_amd64.deb``), which installs
  /opt/sanlian/ocr beside the program (/opt/sanlian, package ``sanlian-desktop``);
* Windows: the installer's optional component “扫描件识别（OCR）组件” (the ``ocr`` folder in the
  installation folder).

Run from source, the extra ``sanlian-desktop[ocr]`` is installed into the environment instead and no
folder is needed.
"""

from __future__ import annotations

import sys
from pathlib import Path

FOLDER = "ocr"
DEB_PACKAGE = "sanlian-desktop-ocr"
WINDOWS_COMPONENT = "扫描件识别（OCR）组件"

OCR_HELP = (
    "本程序未安装扫描件识别（OCR）组件，无法从扫描件读取申报表。"
    f"Linux（统信 UOS、麒麟等）：安装与本程序同一版本的附加安装包 {DEB_PACKAGE}"
    f"（文件 {DEB_PACKAGE}_版本号_amd64.deb，随本程序的安装包一同发布，向上级民政部门索取），"
    f"它把识别组件装到程序旁的 /opt/sanlian/{FOLDER} 文件夹；"
    f"Windows：重新运行本程序的安装程序，在“选择组件”一页勾选“{WINDOWS_COMPONENT}”；"
    "从源代码运行时：在本程序的 Python 环境中执行 pip install \"sanlian-desktop[ocr]\"，"
    "再执行 pip install --no-deps rapidocr-onnxruntime（它带有识别模型）。"
    "识别模型随组件安装，使用时无需联网。"
)


def folder(executable: str | None = None) -> Path:
    """Where the add-on lives for the built program: ``ocr`` beside its executable."""
    return Path(executable or sys.executable).resolve().parent / FOLDER


def activate(executable: str | None = None) -> Path | None:
    """Put the add-on's folder on ``sys.path`` when the built program has one; returns it, or None.

    Appended, not prepended: numpy and Pillow must stay the bundle's own (the add-on carries neither).
    Only the built (frozen) program looks; run from source, the installed extra is found as it is.
    """
    if executable is None and not getattr(sys, "frozen", False):
        return None
    path = folder(executable)
    if not path.is_dir():
        return None
    if str(path) not in sys.path:
        sys.path.append(str(path))
    return path
