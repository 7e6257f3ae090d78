"""Printing from the store and matching paper to records, through the services and the CLI."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from sanlian_desktop.declarations import drafts, lookup, paper, workflow
from sanlian_desktop.declarations.drafts import PaperOpinion
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Decision, Level
from tests.helpers import Office, example_declaration


def _submitted_and_returned(county: Office) -> str:
    with county.session() as s:
        d = drafts.create(s, county.clerk, example_declaration())
        drafts.submit(s, county.clerk, d, county.store.paths,
                            paper_opinions={Level.STREET: PaperOpinion("同意上报", date.today())})
        workflow.review(s, county.reviewer, d, decision=Decision.RETURN, text="请补充资金来源")
        return d.id


def _decode_qr(pdf: Path, tmp_path: Path) -> str:
    import zxingcpp
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    image = Image.open(sorted(tmp_path.glob("page*.png"))[0]).convert("RGB")
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code on the page"
    return str(found[0].text)


def test_print_then_verify_then_revise(county: Office, tmp_path: Path) -> None:
    decl_id = _submitted_and_returned(county)
    out = tmp_path / "form.pdf"
    with county.session() as s:
        warnings = paper.print_declarations(s, county.clerk, out, keys=[decl_id])
    assert warnings == []
    text = "".join(page.extract_text() for page in PdfReader(str(out)).pages)
    for expected in ("甘肃省“三社联动”试点项目申报表", "东岗西路社区", "城关区", "人民币伍万元整", "退回修改",
                     "请补充资金来源", "纸质意见代录", "李审核"):
        assert expected in text.replace("\n", ""), expected
    code = _decode_qr(out, tmp_path)
    with county.session() as s:
        check = paper.verify_print(s, county.clerk, code)
        assert check.matches_record and check.is_current
        d = lookup.get(s, decl_id)
        drafts.edit(s, county.clerk, d, example_declaration(title="修订后的标题"))
    with county.session() as s:
        check = paper.verify_print(s, county.clerk, code)
    assert check.matches_record and not check.is_current
    assert [c.field for c in check.changes] == ["title"]
    assert "第 2 版" in check.sentence()
    forged = code[:-4] + "0000"
    with county.session() as s:
        assert not paper.verify_print(s, county.clerk, forged).matches_record
    with county.session() as s, pytest.raises(UserError, match="二维码"):
        paper.verify_print(s, county.clerk, "not a code")


def test_print_of_an_edited_draft_is_not_called_forged(county: Office, tmp_path: Path) -> None:
    from sanlian_desktop.documents.printing import qr_payload

    with county.session() as s:
        d = drafts.create(s, county.clerk, example_declaration())
        v = lookup.version_row(s, d, 1)
        code = qr_payload(d.number, 1, v.content_hash)
        drafts.edit(s, county.clerk, d, example_declaration(title="草稿改过了"))
    with county.session() as s:
        check = paper.verify_print(s, county.clerk, code)
    assert check.draft_edited and not check.matches_record
    assert "草稿" in check.sentence() and "伪造" not in check.sentence()


def test_print_by_status_and_blank(county: Office, tmp_path: Path) -> None:
    _submitted_and_returned(county)
    with county.session() as s:
        paper.print_declarations(s, county.clerk, tmp_path / "returned.pdf", status=None, keys=())
        with pytest.raises(UserError, match="没有符合条件"):
            from sanlian_desktop.kernel.vocab import Status

            paper.print_declarations(s, county.clerk, tmp_path / "none.pdf", status=Status.APPROVED)
    assert not (tmp_path / "none.pdf").exists()
    paper.print_blank(tmp_path / "blank.pdf")
    assert "项目名称" in PdfReader(str(tmp_path / "blank.pdf")).pages[0].extract_text()


def test_print_cli(county: Office, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    from sanlian_desktop.cli import main
    from tests.helpers import PASSWORD

    decl_id = _submitted_and_returned(county)
    county.store.close()
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
    base = ["--home", str(county.home), "--user", "clerk"]
    assert main([*base, "print", decl_id, "--out", str(tmp_path / "a.pdf")]) == 0
    code = _decode_qr(tmp_path / "a.pdf", tmp_path)
    assert main([*base, "verify-print", code]) == 0
    assert "一致" in capsys.readouterr().out
    assert main([*base, "print", decl_id, "--out", str(tmp_path / "a.txt")]) == 2
    assert main([*base, "print", "--out", str(tmp_path / "b.pdf")]) == 2
    assert main([*base, "print", decl_id, "--out", str(tmp_path / "missing" / "b.pdf")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and ".pdf" in err
