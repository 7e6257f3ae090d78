"""Finding an embeddable CJK font, and the non-embedded fallback with its warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanlian_desktop.documents.printing import fonts, render_declarations
from sanlian_desktop.documents.printing.fonts import FALLBACK_FONT, find_cjk_font
from tests.documents.printing.helpers import WQY, make_declaration, needs_wqy, page_texts


@needs_wqy
def test_wqy_is_found_and_embedded() -> None:
    choice = find_cjk_font()
    assert choice.embedded
    assert choice.path is not None
    assert choice.warning is None
    assert find_cjk_font() is choice  # cached per process


@needs_wqy
def test_explicit_font_file_comes_first(tmp_path: Path) -> None:
    choice = find_cjk_font(WQY)
    assert choice.path == WQY
    assert choice.warning is None


@needs_wqy
def test_unusable_explicit_file_falls_back_with_warning(tmp_path: Path) -> None:
    broken = tmp_path / "not-a-font.ttf"
    broken.write_bytes(b"this is not a font")
    choice = find_cjk_font(broken)
    assert choice.embedded
    assert choice.path != broken
    assert choice.warning is not None
    assert "无法嵌入" in choice.warning


def test_noto_style_cff_fonts_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file reportlab refuses (CFF outlines, junk) is skipped rather than raised."""
    junk = tmp_path / "NotoSansCJK-Regular.ttc"
    junk.write_bytes(b"OTTO" + b"\0" * 200)
    monkeypatch.setattr(fonts, "candidate_font_files", lambda explicit=None: [junk])
    choice = find_cjk_font()
    assert not choice.embedded
    assert choice.name == FALLBACK_FONT


def test_fallback_when_no_truetype_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "candidate_font_files", lambda explicit=None: [])
    choice = find_cjk_font()
    assert choice.name == FALLBACK_FONT
    assert choice.path is None
    assert not choice.embedded
    assert choice.warning is not None
    assert "未嵌入" in choice.warning

    out = tmp_path / "fallback.pdf"
    warnings = render_declarations([make_declaration()], out)
    assert warnings == [choice.warning]
    text = "".join(page_texts(out))
    assert "甘肃省“三社联动”试点项目申报表" in text
    assert b"FontFile2" not in out.read_bytes()
    assert "\xa0" not in text  # STSong-Light has no glyph for a no-break space


def test_windows_candidates_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts.sys, "platform", "win32")
    monkeypatch.setenv("WINDIR", str(tmp_path / "Windows"))
    monkeypatch.delenv("LOCALAPPDATA", raising=False)
    own = tmp_path / "my.ttf"
    found = fonts.candidate_font_files(own)
    system = tmp_path / "Windows" / "Fonts"
    assert found[:4] == [own, system / "simfang.ttf", system / "simsun.ttc", system / "simhei.ttf"]


def test_linux_candidates_include_fontconfig(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts.sys, "platform", "linux")
    monkeypatch.setattr(fonts, "_fontconfig_candidates", lambda: [Path("/opt/fonts/extra.ttf")])
    found = fonts.candidate_font_files()
    assert found[0] == Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    assert Path("/opt/fonts/extra.ttf") in found
