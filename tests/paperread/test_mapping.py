"""Mapping text lines to the form's fields, on PP-OCR's real output for the example declaration's print
(tests/paperread/data/example-ocr.json), turned, skewed and altered as scans are: no OCR needed."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from sanlian_desktop.declarations.fields import normalise
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.paperread import mapping, read
from sanlian_desktop.paperread.engine import TextBox
from tests.documents.printing.helpers import example_fields

DATA = Path(__file__).with_name("data") / "example-ocr.json"


def _pages() -> tuple[list[list[TextBox]], list[tuple[int, int]]]:
    data = json.loads(DATA.read_text("utf-8"))
    pages = [[TextBox(tuple((x, y) for x, y in b["quad"]), b["text"], b["score"]) for b in p["boxes"]]
             for p in data["pages"]]
    return pages, [tuple(p["size"]) for p in data["pages"]]  # type: ignore[misc]


def _expected() -> dict[str, Any]:
    fields = normalise(example_fields(), for_submit=True).fields
    return {k: v for k, v in fields.items() if k not in ("batch", "community")}


def _mapped(pages: list[list[TextBox]], sizes: list[tuple[int, int]]) -> dict[str, Any]:
    fields, _readings, _units = mapping.map_fields(pages, sizes)
    got = normalise({**fields, "community": "620102001001", "batch": "2016"}, for_submit=False)
    return {k: v for k, v in got.fields.items() if k not in ("batch", "community")}


def _edited(pages: list[list[TextBox]], old: str, new: str) -> list[list[TextBox]]:
    hits = [b for p in pages for b in p if b.text == old]
    assert len(hits) == 1, old
    return [[TextBox(b.quad, new, b.score) if b.text == old else b for b in p] for p in pages]


def test_every_field_of_the_example_print_is_mapped() -> None:
    pages, sizes = _pages()
    assert _mapped(pages, sizes) == _expected()
    _fields, readings, units = mapping.map_fields(pages, sizes)
    assert units == {"city": "兰州市", "county": "城关区", "street": "东岗街道", "community": "东岗西路社区"}
    assert not [r.path for r in readings if r.low]


@pytest.mark.parametrize("degrees", [-3.0, 3.0])
def test_a_skewed_page_maps_the_same(degrees: float) -> None:
    pages, sizes = _pages()
    a = math.radians(degrees)

    def turn(x: float, y: float, w: int, h: int) -> tuple[float, float]:
        cx, cy = w / 2, h / 2
        return (cx + (x - cx) * math.cos(a) - (y - cy) * math.sin(a), cy + (x - cx) * math.sin(a) + (y - cy) * math.cos(a))

    skewed = [[TextBox(tuple(turn(x, y, *size) for x, y in b.quad), b.text, b.score) for b in page]
              for page, size in zip(pages, sizes, strict=True)]
    assert _mapped(skewed, sizes) == _expected()


def test_an_upside_down_page_is_recognised_and_turned() -> None:
    pages, sizes = _pages()
    w, h = sizes[0]
    turned = [TextBox(tuple((w - x, h - y) for x, y in b.quad[2:] + b.quad[:2]), b.text, b.score) for b in pages[0]]
    assert read._upside_down(turned, w) and not read._upside_down(pages[0], w)
    back = read._turned(turned, (w, h))
    assert _mapped([back, *pages[1:]], sizes) == _expected()


def test_figures_that_disagree_with_the_capitals_are_settled_by_the_budget_table() -> None:
    pages, sizes = _pages()
    pages = _edited(pages, "小写：￥50,000.00元", "小写：￥56,000.00元")
    fields, readings, _units = mapping.map_fields(pages, sizes)
    subsidy = next(r for r in readings if r.path == "subsidy_requested")
    # 大写 伍万元整 and the 省级补助 source (50,000.00) agree: two readings against one
    assert fields["subsidy_requested"] == "50000.00" and not subsidy.low


def test_capital_and_figures_that_disagree_with_nothing_to_settle_them_are_flagged() -> None:
    pages, sizes = _pages()
    pages = _edited(pages, "小写：￥50,000.00元", "小写：￥56,000.00元")
    pages = _edited(pages, "1.省级补助：50,000.00元", "1.省级补助：58,000.00元")
    fields, readings, _units = mapping.map_fields(pages, sizes)
    subsidy = next(r for r in readings if r.path == "subsidy_requested")
    assert fields["subsidy_requested"] == "56000.00"  # the figures as read: no value is made up
    assert subsidy.low and subsidy.problem is not None and "不一致" in subsidy.problem
    source = next(r for r in readings if r.path == "funding_sources[0].amount")
    assert fields["funding_sources"][0]["amount"] == "58000.00" and source.low and "合计" in (source.problem or "")


@pytest.mark.parametrize(("misread", "line"), [("5O,000.00", "1.省级补助"), ("2O,OOO.00", "2.市县财政配套"),
                                               ("1O,000,00", "3.社区自筹"), ("10,0O0.0O", "3.社区自筹")])
def test_a_source_amount_with_a_letter_or_separator_misread_is_corrected_by_the_sums(misread: str,
                                                                                   line: str) -> None:
    pages, sizes = _pages()
    right = next(b.text for p in pages for b in p if b.text.startswith(line))
    pages = _edited(pages, right, f"{line}：{misread}元")
    fields, readings, _units = mapping.map_fields(pages, sizes)
    assert fields["funding_sources"] == _expected()["funding_sources"]
    n = int(line[0]) - 1
    amount = next(r for r in readings if r.path == f"funding_sources[{n}].amount")
    assert not amount.low and amount.confidence < 1


def test_a_letter_in_the_total_is_read_as_the_digit_the_capitals_confirm() -> None:
    pages, sizes = _pages()
    pages = _edited(pages, "项目总预算：80，000.00元（人民币捌万元整）", "项目总预算：8D，OOO.00元（人民币捌万元整）")
    pages = _edited(pages, "3.社区自筹：10,000.00元", "3.社区自筹：19,000.00元")  # no sum to lean on
    fields, readings, _units = mapping.map_fields(pages, sizes)
    total = next(r for r in readings if r.path == "budget_total")
    assert fields["budget_total"] == "80000.00" and not total.low
    assert [s["amount"] for s in fields["funding_sources"]] == ["50000.00", "20000.00", "19000.00"]
    assert all(r.low for r in readings if r.path.startswith("funding_sources[") and r.path.endswith(".amount"))


def test_amounts_read_again_only_where_the_readings_disagree() -> None:
    pages, sizes = _pages()
    calls: list[tuple[int, tuple[int, int, int, int]]] = []

    def reread(page: int, box: tuple[int, int, int, int]) -> str | None:
        calls.append((page, box))
        return "项目总预算：80,000.00元（人民币捌万元整）"

    mapping.map_fields(pages, sizes, reread)
    assert calls == []
    bad = _edited(pages, "项目总预算：80，000.00元（人民币捌万元整）", "项目总预算：86，000.00元（人民币捌万元整）")
    bad = _edited(bad, "3.社区自筹：10,000.00元", "3.社区自筹：16,000.00元")  # the sum agrees with the misread
    fields, readings, _units = mapping.map_fields(bad, sizes)
    total = next(r for r in readings if r.path == "budget_total")
    assert fields["budget_total"] == "86000.00" and not total.low  # wrong, and two readings say so …
    fields, readings, _units = mapping.map_fields(bad, sizes, reread)
    assert calls and fields["budget_total"] == "80000.00"  # … until the line read again agrees with the 大写
    total = next(r for r in readings if r.path == "budget_total")
    source = next(r for r in readings if r.path == "funding_sources[2].amount")
    assert not total.low and source.low  # 16,000 no longer adds up: the clerk looks at it


def test_a_reading_again_that_does_not_agree_changes_nothing() -> None:
    pages, sizes = _pages()
    bad = _edited(pages, "小写：￥50,000.00元", "小写：￥56,000.00元")
    bad = _edited(bad, "1.省级补助：50,000.00元", "1.省级补助：58,000.00元")
    fields, readings, _units = mapping.map_fields(bad, sizes, lambda _page, _box: "小写：￥57,000.00元")
    subsidy = next(r for r in readings if r.path == "subsidy_requested")
    assert fields["subsidy_requested"] == "56000.00" and subsidy.low


def test_unreadable_figures_fall_back_to_the_capitals_and_say_so() -> None:
    pages, sizes = _pages()
    pages = _edited(pages, "小写：￥50,000.00元", "小写：￥")
    fields, readings, _units = mapping.map_fields(pages, sizes)
    subsidy = next(r for r in readings if r.path == "subsidy_requested")
    assert fields["subsidy_requested"] == "50000.00" and subsidy.low and "大写" in (subsidy.problem or "")


def test_a_misread_credit_code_is_flagged_as_when_typed() -> None:
    pages, sizes = _pages()
    pages = _edited(pages, "统一社会信用代码：52620102MJ0000123U", "统一社会信用代码：52620102MJ0000128U")
    _fields, readings, _units = mapping.map_fields(pages, sizes)
    code = next(r for r in readings if r.path == "undertaker.credit_code")
    assert code.low and "校验码" in (code.problem or "")


def test_an_impossible_date_is_flagged() -> None:
    pages, sizes = _pages()
    pages = _edited(pages, "社区居民听证：2016年7月12日", "社区居民听证：2016年7月42日")
    fields, readings, _units = mapping.map_fields(pages, sizes)
    hearing = next(r for r in readings if r.path == "pre_steps.hearing_date")
    assert fields["pre_steps"]["hearing_date"] is None and hearing.low


def test_pages_without_the_forms_labels_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (600, 400), "white")
    ImageDraw.Draw(page).rectangle((50, 50, 550, 350), fill="black")
    other = [TextBox(((10, 10), (300, 10), (300, 40), (10, 40)), "社区工作年度总结", 0.99)]
    monkeypatch.setattr(read.engine, "recognise", lambda _image: other)
    with pytest.raises(UserError, match="不是本程序打印的"):
        read.read_pages([page])


def test_an_unread_total_is_the_sum_of_the_sources_and_is_flagged() -> None:
    pages, sizes = _pages()
    pages = [[b for b in p if not b.text.startswith("项目总预算")] for p in pages]
    fields, readings, _units = mapping.map_fields(pages, sizes)
    total = next(r for r in readings if r.path == "budget_total")
    assert fields["budget_total"] == "80000.00" and total.low and "资金来源合计" in (total.problem or "")
