"""Finding and registering an embeddable CJK font for the printed forms.

reportlab embeds TrueType outlines only: Noto CJK and other CFF/OpenType fonts raise on
registration and are skipped. When no TrueType CJK font works, the non-embedded CID font
``STSong-Light`` is used and the caller is given a warning to show.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

FALLBACK_FONT = "STSong-Light"
FALLBACK_WARNING = (
    "未找到可嵌入的 TrueType 中文字体，已改用 PDF 阅读器自带的宋体（STSong-Light）。"
    "该字体未嵌入文件，不同电脑上的显示和打印效果可能不同。"
    "请安装文泉驿微米黑（fonts-wqy-microhei），或在设置中指定 simsun.ttc、simfang.ttf 等字体文件。"
)
# Characters every candidate must draw; a font without them would print boxes.
_PROBE_TEXT = "甘肃省三社联动试点项目申报表（盖章）年月日壹贰叁肆伍陆柒捌玖拾佰仟万元整"

_WINDOWS_FONT_FILES = ("simfang.ttf", "simsun.ttc", "simhei.ttf", "simkai.ttf", "msyh.ttc")
_LINUX_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
)
_FONT_SUFFIXES = {".ttf", ".ttc", ".otf", ".otc"}


@dataclass(frozen=True)
class FontChoice:
    """The font registered with reportlab for Chinese text.

    ``name`` is the reportlab font name to use in styles; ``path`` is the embedded file (None for
    the CID fallback); ``warning`` is a Chinese sentence for the user, or None when all is well.
    """

    name: str
    path: Path | None
    embedded: bool
    warning: str | None = None


_cache: dict[str, FontChoice] = {}
_lock = threading.Lock()


def _windows_candidates() -> list[Path]:
    windir = os.environ.get("WINDIR") or os.environ.get("SYSTEMROOT") or r"C:\Windows"
    dirs = [Path(windir) / "Fonts"]
    local = os.environ.get("LOCALAPPDATA")
    if local:
        dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
    return [d / name for name in _WINDOWS_FONT_FILES for d in dirs]


def _fontconfig_candidates() -> list[Path]:
    try:
        result = subprocess.run(
            ["fc-list", "--format", "%{file}\n", ":lang=zh"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if result.returncode != 0:
        return []
    files = {line.strip() for line in result.stdout.splitlines() if line.strip()}
    return [Path(f) for f in sorted(files) if Path(f).suffix.lower() in _FONT_SUFFIXES]


def candidate_font_files(explicit: str | Path | None = None) -> list[Path]:
    """Font files to try, best first: the explicit setting, then the system's known CJK fonts."""
    found: list[Path] = []
    if explicit:
        found.append(Path(explicit))
    if sys.platform.startswith("win"):
        found.extend(_windows_candidates())
    else:
        found.extend(Path(p) for p in _LINUX_FONT_FILES)
        found.extend(_fontconfig_candidates())
    unique: list[Path] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


def _try_register(path: Path) -> str | None:
    """Register ``path`` as a TrueType font and return its reportlab name, or None if unusable."""
    if not path.is_file():
        return None
    # The path's checksum keeps two files with the same name (user and system folder) apart.
    name = f"SanlianCJK-{path.stem}-{zlib.crc32(str(path).encode()):08x}"
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    try:
        font = TTFont(name, str(path), subfontIndex=0)
    except Exception:  # postscript outlines, broken or unreadable files: all mean "skip this one"
        return None
    if any(ord(ch) not in font.face.charToGlyph for ch in _PROBE_TEXT):
        return None
    pdfmetrics.registerFont(font)
    # Aliases so that <b>/<i> in paragraph markup never fail with this single-face font.
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return name


def find_cjk_font(font_file: str | Path | None = None) -> FontChoice:
    """Register and return the best embeddable CJK font, cached per process and per setting.

    ``font_file`` is the user's explicit choice (a .ttf/.ttc path) and is tried first; if it
    cannot be used, the result carries a warning saying so.
    """
    key = str(font_file or "")
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        choice = _choose(font_file)
        _cache[key] = choice
        return choice


def _explicit_failed(font_file: str | Path | None) -> str:
    return f"指定的字体文件“{font_file}”无法嵌入 PDF（须为 TrueType 中文字体）。"


def _choose(font_file: str | Path | None) -> FontChoice:
    explicit_failed = False
    for path in candidate_font_files(font_file):
        name = _try_register(path)
        if name is not None:
            warning = None
            if explicit_failed:
                warning = _explicit_failed(font_file) + f"已改用“{path.name}”。"
            return FontChoice(name=name, path=path, embedded=True, warning=warning)
        if font_file and path == Path(font_file):
            explicit_failed = True
    if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    warning = FALLBACK_WARNING
    if explicit_failed:
        warning = _explicit_failed(font_file) + warning
    return FontChoice(name=FALLBACK_FONT, path=None, embedded=False, warning=warning)


def clear_font_cache() -> None:
    """Forget cached choices (for tests and after the user changes the font setting)."""
    with _lock:
        _cache.clear()
