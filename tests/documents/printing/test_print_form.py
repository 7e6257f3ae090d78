"""The filled form: every field readable in the PDF, fonts embedded, QR codes decodable."""

from __future__ import annotations

import copy
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sanlian_desktop.documents.printing import PrintableOpinion, parse_qr_payload, render_declarations
from sanlian_desktop.kernel.errors import UserError
from tests.documents.printing.helpers import (
    decode_qr_codes,
    example_fields,
    make_declaration,
    needs_poppler,
    needs_wqy,
    page_texts,
)

TITLE = "甘肃省“三社联动”试点项目申报表"


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def filled_pdf(tmp_path: Path) -> Path:
    out = tmp_path / "form.pdf"
    assert render_declarations([make_declaration()], out) == []
    return out


def test_every_field_is_printed(filled_pdf: Path) -> None:
    pages = page_texts(filled_pdf)
    text = _flat("".join(pages))
    fields = example_fields()
    expected = [
        TITLE,
        "申报单位：",
        "兰州市", "城关区", "东岗街道", "东岗西路社区",
        "市(州)", "县(市、区)", "街道(乡镇)",
        "项目名称", fields["title"],
        "社区概况", fields["community_profile"]["text"], "城市社区", "8,640人", "3,120户", "注册志愿者610名",
        "项目概况", fields["needs_analysis"], fields["service_plan"],
        "老年人、低收入家庭", "扶老救孤、心理疏导", "个案工作、小组工作、社区工作",
        "2016年10月1日至2017年9月30日",
        "80,000.00元（人民币捌万元整）",
        "省级补助：50,000.00元", "市县财政配套：20,000.00元", "社区自筹：10,000.00元",
        "小写：￥50,000.00元", "大写：人民币伍万元整",
        "效果预估", fields["expected_effect"]["text"], "预计受益人数300人",
        "城关区和煦社会工作服务中心", "52620102MJ0000123U", "李娟（社会工作师）", "0931-8812345",
        "社区筹划征集：2016年7月5日", "社区居民听证：2016年7月12日", "居民代表会议审议：2016年7月18日",
        "张榜公示：2016年7月19日至2016年7月26日",
        "街道(乡镇)意见", "县级民政部门意见", "市州民政部门意见", "省民政厅意见",
        "经初核，同意上报。", "纸质意见代录", "王强", "东岗街道办事处",
        "经审核，同意推荐。", "赵敏", "同意复核。", "孙立", "同意立项。", "周文",
        "批准补助金额：45,000.00元（人民币肆万伍仟元整）",
        "2016年7月28日", "2016年8月10日", "2016年9月15日",
        "（盖章）",
        "编号2016-620102-0001", "第3版",
    ]
    missing = [item for item in expected if _flat(item) not in text]
    assert not missing
    assert text.count("（盖章）") == 4
    assert text.count("审核结论：同意") == 4


def test_latest_opinion_per_level_wins(filled_pdf: Path) -> None:
    text = _flat("".join(page_texts(filled_pdf)))
    assert "请补充预算明细" not in text  # the county's earlier "return" was superseded
    assert "退回修改" not in text


def test_page_numbers_and_repeated_header(filled_pdf: Path) -> None:
    pages = page_texts(filled_pdf)
    assert len(pages) == 2
    for n, page in enumerate(pages, 1):
        assert f"第 {n} 页 共 2 页" in page
        assert TITLE in page
        assert "申报单位" in page


@needs_wqy
def test_cjk_font_is_embedded(filled_pdf: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(filled_pdf))
    embedded = []
    not_embedded = []
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            descriptors = [font.get("/FontDescriptor")]
            descriptors += [d.get_object().get("/FontDescriptor") for d in font.get("/DescendantFonts", [])]
            if any(d is not None and "/FontFile2" in d.get_object() for d in descriptors):
                embedded.append(str(font["/BaseFont"]))
            else:
                not_embedded.append(str(font["/BaseFont"]))
    assert any("WenQuanYi" in name for name in embedded)
    assert not_embedded == []  # not even the canvas's default Helvetica


@needs_poppler
def test_qr_code_on_every_page_decodes(filled_pdf: Path, tmp_path: Path) -> None:
    for page in (1, 2):
        codes = decode_qr_codes(filled_pdf, tmp_path, page)
        assert len(codes) == 1
        assert parse_qr_payload(codes[0]) == ("2016-620102-0001", 3, "ab12cd34ef56ab78")


def test_long_declaration_flows_over_pages(tmp_path: Path) -> None:
    fields = example_fields()
    fields["needs_analysis"] = "入户调查发现空巢老人缺少日常照料和陪伴，" * 400
    fields["service_plan"] = "\n".join(f"第{i}步：开展小组活动 & 个案跟进 <重点人群>。" for i in range(1, 81))
    long_text = "经研究斟酌同意。" * 500
    opinions = [PrintableOpinion("county", "城关区民政局", "赵敏", "approve", long_text, date(2016, 8, 2))]
    out = tmp_path / "long.pdf"
    render_declarations([make_declaration(fields=fields, opinions=opinions)], out)
    pages = page_texts(out)
    total = len(pages)
    assert total >= 6
    for n, page in enumerate(pages, 1):
        assert TITLE in page, f"header missing on page {n}"
        assert f"第 {n} 页 共 {total} 页" in page
        assert page.count(TITLE) == 1, f"header repeated mid-page on page {n}"
    text = _flat("".join(pages))
    assert "第80步：开展小组活动&个案跟进<重点人群>。" in text  # escaped, not eaten as markup
    # Page boundaries interleave header text, so count a character found nowhere else.
    assert text.count("斟") == 500
    assert text.count("陪伴") == 400
    assert "审核人：赵敏" in text and "2016年8月2日" in text


def test_several_declarations_number_pages_each(tmp_path: Path) -> None:
    decls = [make_declaration(number=f"2016-620102-{i:04d}", version=i) for i in (1, 2, 3)]
    out = tmp_path / "three.pdf"
    render_declarations(decls, out)
    pages = page_texts(out)
    assert len(pages) == 6
    for i, page in enumerate(pages):
        assert f"第 {i % 2 + 1} 页 共 2 页" in page
        assert f"编号 2016-620102-{i // 2 + 1:04d}" in page


@needs_poppler
def test_qr_codes_follow_their_declaration(tmp_path: Path) -> None:
    decls = [make_declaration(number=f"2016-620102-{i:04d}", version=i) for i in (1, 2)]
    out = tmp_path / "two.pdf"
    render_declarations(decls, out)
    assert [parse_qr_payload(decode_qr_codes(out, tmp_path, p)[0])[:2] for p in (2, 3)] == [
        ("2016-620102-0001", 1),
        ("2016-620102-0002", 2),
    ]


def test_missing_and_odd_fields_still_print(tmp_path: Path) -> None:
    fields = copy.deepcopy(example_fields())
    for key in ("undertaker", "pre_steps", "expected_effect", "funding_sources"):
        del fields[key]
    fields["budget_total"] = "约八万"
    fields["community_profile"]["urban"] = False
    fields["community_profile"]["population"] = "约<9000>&"
    fields["target_groups"] = "老年人"
    out = tmp_path / "odd.pdf"
    render_declarations([make_declaration(fields=fields, opinions=[])], out)
    text = _flat("".join(page_texts(out)))
    assert "农村社区" in text
    assert "约八万" in text
    assert "约<9000>&人" in text
    assert "服务对象：老年人" in text
    assert text.count("（盖章）") == 4


def test_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(UserError):
        render_declarations([], tmp_path / "none.pdf")
    with pytest.raises(UserError):
        PrintableOpinion("community", "x", "y", "approve", "", None)
    with pytest.raises(UserError):
        PrintableOpinion("county", "x", "y", "maybe", "", None)
    assert not list(tmp_path.iterdir())


def test_missing_glyph_warning(tmp_path: Path) -> None:
    fields = example_fields()
    fields["title"] += " \U0001f600"  # an emoji no CJK font here can draw
    warnings = render_declarations([make_declaration(fields=fields)], tmp_path / "emoji.pdf")
    assert any("\U0001f600" in w and "方框" in w for w in warnings)
