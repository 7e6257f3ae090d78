"""Reading the program's own printed 申报表 back from scans, photos and PDFs, and refusing bad input."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanlian_desktop.kernel.checks import credit_code_problem
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.money import capital_numerals
from sanlian_desktop.paperread import engine, pages, read
from sanlian_desktop.paperread.mapping import _credit_code
from sanlian_desktop.paperread.numerals import parse_capital
from tests.paperread.helpers import degrade, known_fields, needs_ocr, print_pdf, rasterise, score

# Thresholds below the rates measured on these pages (every field exact, clean and degraded alike, on
# PP-OCR v4 with rapidocr 1.4.4's models, paperread/ppocr.py) with room for one or two misreads on another
# onnxruntime build.
CLEAN_RATE = 0.95
DEGRADED_RATE = 0.9


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_capital_numerals_read_back(fen: int) -> None:
    amount = Decimal(fen) / 100
    assert parse_capital(capital_numerals(amount)) == amount.quantize(Decimal("0.01"))


def test_capital_numerals_read_as_their_look_alikes() -> None:
    assert parse_capital("人民币壹拾肆万参仟伍佰叁拾玖元壹角叁分") == Decimal("143539.13")
    assert parse_capital("人民币武万元整") == Decimal("20000.00")


def test_capital_numerals_not_an_amount() -> None:
    assert parse_capital("项目期内为300名") is None
    assert parse_capital("") is None


def test_credit_code_one_misread_character_is_corrected_but_flagged() -> None:
    good = "52620102MJ0000123U"
    assert credit_code_problem(good) is None
    code, problem, factor = _credit_code(good.replace("0", "O", 1))
    assert (code, problem) == (good, None) and factor < 1
    code, problem, _ = _credit_code("52620102MJ0000123A")
    assert problem is not None and "校验码" in problem


def test_without_the_ocr_extra_the_message_says_where_to_get_it(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.setattr(engine, "ocr_available", lambda: False)
    with pytest.raises(UserError) as info:
        read.read_form(tmp_path / "scan.png")
    assert "pip install" in info.value.zh and "识别" in info.value.zh


def test_blank_page_is_refused_before_any_reading(tmp_path: Path) -> None:
    from PIL import Image

    with pytest.raises(UserError, match="空白"):
        read.read_pages([Image.new("RGB", (1240, 1754), "white")])


def test_a_50_mb_photo_is_refused(tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    with photo.open("wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0")
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(UserError, match="过大"):
        pages.load_pages(photo)


@pytest.mark.parametrize(("name", "data"), [("scan.png", b"not a picture"), ("form.docx", b"PK\x03\x04"),
                                            ("scan.pdf", b"%PDF-1.4 broken")])
def test_unreadable_files_get_a_clear_message(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UserError) as info:
        pages.load_pages(path)
    assert info.value.zh and "Traceback" not in info.value.zh


@needs_ocr
@pytest.mark.slow
def test_pdf_of_the_programs_own_print_is_read_field_by_field(tmp_path: Path) -> None:
    fields = known_fields(11)
    proposal = read.read_form(print_pdf(fields, tmp_path / "form.pdf"))
    result = score(fields, proposal)
    assert result.rate >= CLEAN_RATE, result.misses
    assert result.amount_rate == 1.0, result.misses
    assert proposal.unit_names == {"city": "兰州市", "county": "城关区", "street": "东岗街道",
                                   "community": "东岗西路社区"}
    width, height = proposal.pages[0].size
    for reading in proposal.readings:
        if reading.value not in (None, [], ""):
            assert reading.box is not None, reading.path
            x0, y0, x1, y1 = reading.box
            assert 0 <= x0 < x1 <= width + 1 and 0 <= y0 < y1 <= height + 1
            assert 0 < reading.confidence <= 1


@needs_ocr
@pytest.mark.slow
def test_degraded_150_dpi_photo_is_read(tmp_path: Path) -> None:
    fields = known_fields(12)
    page = rasterise(print_pdf(fields, tmp_path / "form.pdf"), 150, last=1)[0]
    photo = tmp_path / "photo.jpg"
    degrade(page, ("rotate-3", "blur", "noise"), seed=12).save(photo, "JPEG", quality=60)
    result = score(fields, read.read_form(photo))
    assert result.rate >= DEGRADED_RATE, result.misses


@needs_ocr
@pytest.mark.slow
def test_upside_down_photo_is_turned_and_read(tmp_path: Path) -> None:
    fields = known_fields(13)
    page = rasterise(print_pdf(fields, tmp_path / "form.pdf"), 200, last=1)[0]
    proposal = read.read_pages([degrade(page, ("rotate2", "upside-down", "jpeg60"))])
    result = score(fields, proposal)
    assert result.rate >= DEGRADED_RATE, result.misses
    title = proposal.reading("title")
    assert title is not None and title.box is not None and title.box[1] < page.height / 3  # now at the top


@needs_ocr
@pytest.mark.slow
def test_a_form_of_another_layout_is_refused(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (1000, 500), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 36)
    for n, line in enumerate(["社区工作年度总结", "一、基本情况：辖区居民三千余户", "二、主要工作：开展志愿服务"]):
        draw.text((40, 40 + 90 * n), line, fill="black", font=font)
    with pytest.raises(UserError, match="不是本程序打印的"):
        read.read_pages([img])


@needs_ocr
@pytest.mark.slow
def test_a_blank_form_scan_makes_no_draft(tmp_path: Path) -> None:
    from sanlian_desktop.declarations import paper

    pdf = tmp_path / "blank.pdf"
    paper.print_blank(pdf)
    page = rasterise(pdf, 150, last=1)[0]
    with pytest.raises(UserError, match="空白表"):
        read.read_pages([page])


@needs_ocr
@pytest.mark.slow
def test_an_amount_line_read_again_from_its_crop_gives_the_same_amount(tmp_path: Path) -> None:
    import numpy as np

    from sanlian_desktop.paperread.mapping import _amount

    fields = known_fields(14)
    page = rasterise(print_pdf(fields, tmp_path / "form.pdf"), 150, last=1)[0]
    proposal = read.read_pages([page])
    total = proposal.reading("budget_total")
    assert total is not None and total.box is not None
    again = engine.reread(np.asarray(proposal.pages[total.page]), total.box)
    assert again is not None and again.startswith("项目总预算")
    small, _, capital = again.partition("（" if "（" in again else "(")
    assert _amount(small) == Decimal(fields["budget_total"]) == parse_capital(capital.rstrip("）)"))
