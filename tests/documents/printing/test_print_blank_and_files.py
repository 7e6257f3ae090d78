"""The blank form, writing through name.tmp, and the time a large batch takes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sanlian_desktop.documents.printing import form, render_blank, render_declarations
from sanlian_desktop.kernel.errors import UserError
from tests.documents.printing.helpers import decode_qr_codes, make_declaration, needs_poppler, page_texts

TITLE = "甘肃省“三社联动”试点项目申报表"


def test_blank_form(tmp_path: Path) -> None:
    out = tmp_path / "blank.pdf"
    assert render_blank(out) == []
    pages = page_texts(out)
    assert len(pages) == 2
    text = re.sub(r"\s+", "", "".join(pages))
    labels = [
        "项目名称", "社区概况", "项目概况", "需求分析、服务对象、服务方式及项目实施周期", "资金需求和来源",
        "申请省级补助资金", "效果预估", "街道(乡镇)意见", "县级民政部门意见", "市州民政部门意见",
        "省民政厅意见", "市(州)", "县(市、区)", "街道(乡镇)", "社区",
    ]
    for label in labels:
        assert label in text, label
    assert text.count("（盖章）") == 4
    assert text.count("年月日") == 4
    for n, page in enumerate(pages, 1):
        assert TITLE in page
        assert f"第 {n} 页 共 2 页" in page
    assert "编号" not in text


@needs_poppler
def test_blank_form_has_no_qr_code(tmp_path: Path) -> None:
    out = tmp_path / "blank.pdf"
    render_blank(out)
    assert decode_qr_codes(out, tmp_path, 1) == []


def test_writes_through_tmp_and_replaces(tmp_path: Path) -> None:
    out = tmp_path / "form.pdf"
    out.write_bytes(b"old")
    render_declarations([make_declaration()], out)
    assert out.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["form.pdf"]


def test_failure_leaves_no_tmp_and_no_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        assert (tmp_path / "form.pdf.tmp").exists()  # the PDF is being written to the tmp file
        raise OSError("disk full")

    monkeypatch.setattr(form, "draw_qr", broken)
    out = tmp_path / "form.pdf"
    # A disk that fails is told to the user in Chinese; nothing is left behind.
    with pytest.raises(UserError, match="disk full"):
        render_declarations([make_declaration()], out)
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "form.pdf"
    out.write_bytes(b"previous print")
    monkeypatch.setattr(form, "draw_qr", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        render_declarations([make_declaration()], out)
    assert out.read_bytes() == b"previous print"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["form.pdf"]


def test_many_declarations_in_one_file(tmp_path: Path) -> None:
    """Batch printing: each declaration keeps its own page count (speed is measured in bench/)."""
    decls = [make_declaration(number=f"2016-620102-{i:04d}") for i in range(25)]
    out = tmp_path / "many.pdf"
    render_declarations(decls, out)
    from pypdf import PdfReader

    reader = PdfReader(str(out))
    assert len(reader.pages) == 50
    assert "第 2 页 共 2 页" in reader.pages[-1].extract_text()
