"""The indicator report as people read it (values, rankings, missing lists) and as Excel and PDF files."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from sanlian_desktop.indicators import files as indicatorfiles
from sanlian_desktop.indicators import service as indicators
from sanlian_desktop.indicators.service import TARGET_LABELS, IndicatorReport
from sanlian_desktop.indicators.views import (
    ReportView,
    cell_text,
    funnel_bars,
    target_of,
    threshold_text,
    trend_series,
    value_text,
)
from sanlian_desktop.indicators.workbook import SHEETS
from sanlian_desktop.kernel.errors import UserError
from tests.helpers import Office
from tests.indicators.helpers_crafted import (
    EMPTY_STREET,
    URBAN_MEETS,
    URBAN_MISSES,
    VILLAGE_EMPTY,
    VILLAGE_MEETS,
    VILLAGE_NO_RESIDENTS,
    add_pipeline,
    build_crafted,
)

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture
def report(county: Office) -> IndicatorReport:
    build_crafted(county)
    add_pipeline(county)
    with county.store.read_session() as s:
        return indicators.compute(s, "620102")


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


# -- what the screen and the files show ------------------------------------------------------------------


def test_values_thresholds_and_marks(report: IndicatorReport) -> None:
    view = ReportView(report)
    county = view.root
    assert [value_text(t) for t in county.targets][:3] == ["40%", "40%", "40%"]
    reach = target_of(county, "rural_reach")
    assert reach is not None
    assert (threshold_text(reach), cell_text(reach)) == ("33.3%", "33% ✓")
    association = target_of(county, "association")
    assert association is not None
    assert (value_text(association), cell_text(association)) == ("—", "—")
    orgs = target_of(view.by_code[URBAN_MEETS], "orgs_per_community")
    assert orgs is not None
    assert (value_text(orgs), threshold_text(orgs), cell_text(orgs)) == ("5个", "5个", "5个 ✓")
    per_10k = target_of(county, "orgs_per_10k")
    assert per_10k is not None
    assert cell_text(per_10k) == f"{13 * 10_000 / 19_480:.1f}家/万人 ×"


def test_ranking_puts_the_best_first_and_leaves_out_where_it_does_not_apply(report: IndicatorReport) -> None:
    view = ReportView(report)
    assert view.child_level is not None and view.child_level.value == "street"
    orgs = view.ranking("orgs_per_community")
    # 东岗街道 1 of 2 urban communities meets it, 青白石镇 1 of 3 villages; 空街道 has no communities.
    assert [(b.label, round(b.value, 1), b.met) for b in orgs] == [("东岗街道", 50.0, False), ("青白石镇", 33.3, False)]
    assert orgs[0].text == "50% ×"
    assert "东岗街道" in orgs[0].tooltip
    assert view.not_ranked("orgs_per_community") == [("空街道", "辖区内没有社区")]
    reach = view.ranking("rural_reach")
    assert [(b.label, b.met) for b in reach] == [("青白石镇", True)]
    assert {name for name, _ in view.not_ranked("rural_reach")} == {"东岗街道", "空街道"}
    assert view.ranking_threshold("rural_reach") == pytest.approx(100 / 3)


def test_missing_rows_name_where_each_community_lies(report: IndicatorReport) -> None:
    view = ReportView(report)
    rows = view.missing("620102", "workroom")
    assert [(r.code, r.state) for r in rows] == [(URBAN_MISSES, "未达到"), (VILLAGE_EMPTY, "未登记"),
                                                 (VILLAGE_NO_RESIDENTS, "未登记")]
    first = rows[0]
    assert (first.name, first.street, first.county, first.city) == ("东岗东路社区", "东岗街道", "城关区", "")
    assert (first.value, first.threshold) == ("0%", "100%")
    # A community's own standard: 3 organisations for a village, 5 in a city.
    orgs = {r.code: r for r in view.missing("620102002", "orgs_per_community")}
    assert set(orgs) == {VILLAGE_EMPTY, VILLAGE_NO_RESIDENTS}
    assert (orgs[VILLAGE_EMPTY].value, orgs[VILLAGE_EMPTY].threshold) == ("0个", "3个")
    assert view.missing(VILLAGE_MEETS, "federation_urban") == []  # not a target for a village
    assert view.missing(EMPTY_STREET, "workroom") == []


def test_funnel_and_trend_series(report: IndicatorReport) -> None:
    bars = funnel_bars(report)
    assert [(b.label, int(b.value)) for b in bars] == [
        ("已提交", 6), ("街道(乡镇)初核通过", 5), ("县级审核通过", 2), ("市州复核通过", 2), ("省民政厅批准", 2)]
    assert bars[0].text == "6" and bars[1].text == "5（83%）"
    months, series = trend_series(report)
    assert months == ["2016-07", "2016-08"]
    assert series == [("提交", [3, 3]), ("批准", [0, 2]), ("不同意", [0, 1])]


# -- Excel -------------------------------------------------------------------------------------------


def test_excel_has_a_sheet_per_section_with_the_figures(report: IndicatorReport, tmp_path: Path) -> None:
    out = indicatorfiles.write_xlsx(report, tmp_path / "统计.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A4", ws.title
        assert ws["A1"].value.startswith("城关区“三社联动”试点目标完成情况与申报进度统计")

    summary = wb["目标汇总"]
    assert [c.value for c in summary[3]] == ["目标", "数值", "标准", "达标情况", "未达到(个)", "未登记(个)", "说明"]
    first = list(summary[4])
    assert first[0].value == TARGET_LABELS["orgs_per_community"]
    assert first[1].value == pytest.approx(0.4) and first[1].number_format == "0.0%"
    assert (first[2].value, first[3].value, first[4].value) == ("100%", "未达到", 3)
    assert first[3].fill.fgColor.rgb == "FFF9DCD7"
    reach = next(r for r in summary.iter_rows(min_row=4) if r[0].value == TARGET_LABELS["rural_reach"])
    assert (reach[3].value, reach[3].fill.fgColor.rgb) == ("达到", "FFDFF0D8")

    regions_ws = wb["分区情况"]
    rows = {r[0]: r for r in regions_ws.iter_rows(min_row=4, values_only=True)}
    assert set(rows) == {"620102", "620102001", URBAN_MEETS, URBAN_MISSES, "620102002", VILLAGE_MEETS, VILLAGE_EMPTY,
                         VILLAGE_NO_RESIDENTS, EMPTY_STREET}
    assert rows[URBAN_MEETS][1:8] == ("东岗西路社区", "社区", "东岗街道", 1, 1, 0, 8640)
    headers = [c.value for c in regions_ws[3]]
    assert rows[URBAN_MISSES][headers.index("社会组织")] == 4
    assert rows[URBAN_MISSES][headers.index("社会组织达标")] == "未达到"
    assert rows[URBAN_MISSES][headers.index("农村覆盖达标")] == "不适用"
    assert rows["620102"][headers.index("社工协会达标")] == "无法判断"
    # Widths fit Chinese: two units per character.
    assert regions_ws.column_dimensions["B"].width >= 2 * len("东岗西路社区")

    missing = {(r[0], r[1], r[6]) for r in wb["未达标社区"].iter_rows(min_row=4, values_only=True)}
    assert ("社会组织", URBAN_MISSES, "未达到") in missing
    assert ("社工室", VILLAGE_EMPTY, "未登记") in missing
    assert ("社工协会", "620102", "未登记") in missing
    assert not any(code == URBAN_MEETS and target == "社会组织" for target, code, _ in missing)

    status = {r[0]: r[1] for r in wb["申报状态"].iter_rows(min_row=4, values_only=True) if r and r[0]}
    assert (status["已批准"], status["未通过"], status["草稿"], status["合计"]) == (2, 1, 1, 7)
    assert status["批准率"] == pytest.approx(2 / 3)
    funnel = [(r[0], r[1]) for r in wb["审核进度"].iter_rows(min_row=4, values_only=True)]
    assert funnel[:2] == [("已提交", 6), ("街道(乡镇)初核通过", 5)]
    cities = list(wb["补助-按市州"].iter_rows(min_row=4, values_only=True))
    assert cities[0][:2] == ("兰州市", 2) and Decimal(str(cities[0][2])) == Decimal("500000")
    assert wb["补助-按市州"]["C4"].number_format == "#,##0.00"
    focus = {r[0]: r[1:] for r in wb["补助-按重点领域"].iter_rows(min_row=4, values_only=True)}
    assert focus["心理疏导"] == (1, 300000)
    assert list(wb["月度趋势"].iter_rows(min_row=4, values_only=True)) == [("2016-07", 3, 0, 0), ("2016-08", 3, 2, 1)]


def test_excel_rows_stop_at_the_level_asked(report: IndicatorReport, tmp_path: Path) -> None:
    from sanlian_desktop.kernel.vocab import Level

    out = indicatorfiles.write_xlsx(report, tmp_path / "到街道.xlsx", down_to=Level.STREET)
    codes = [r[0] for r in openpyxl.load_workbook(out)["分区情况"].iter_rows(min_row=4, values_only=True)]
    assert codes == ["620102", "620102001", "620102002", EMPTY_STREET]


def test_bad_output_names_are_refused_before_any_work(report: IndicatorReport, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(UserError, match=r"应以 \.xlsx 结尾"):
        indicatorfiles.write_xlsx(report, tmp_path / "统计.pdf")
    with pytest.raises(UserError, match="不存在"):
        indicatorfiles.write_pdf(report, tmp_path / "没有的文件夹" / "统计.pdf")
    (tmp_path / "目录.pdf").mkdir()
    with pytest.raises(UserError, match="文件夹"):
        indicatorfiles.write_pdf(report, tmp_path / "目录.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["目录.pdf"]


def test_a_failed_write_leaves_the_old_file(report: IndicatorReport, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    out = tmp_path / "统计.xlsx"
    out.write_bytes(b"old")
    from sanlian_desktop.documents.spreadsheets import fastxlsx

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fastxlsx.Workbook, "save", broken)
    with pytest.raises(UserError, match="无法写入文件"):
        indicatorfiles.write_xlsx(report, out)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["统计.xlsx"]


# -- PDF ---------------------------------------------------------------------------------------------


@needs_poppler
def test_pdf_holds_the_tables_the_charts_and_page_numbers(report: IndicatorReport, tmp_path: Path) -> None:
    out = tmp_path / "统计.pdf"
    warnings = indicatorfiles.write_pdf(report, out)
    assert warnings == []
    text = _pdf_text(out)
    pages = text.count("\f")
    assert pages >= 2
    assert "城关区“三社联动”试点目标完成情况与申报进度统计" in text
    flat = "".join(text.split())
    assert f"第1页共{pages}页" in flat and f"第{pages}页共{pages}页" in flat
    for heading in ("一、试点目标完成情况", "二、各街道(乡镇)排名", "三、分区情况", "四、未达标的社区", "五、申报进度"):
        assert heading in text
    for label in ("每个社区设有社会工作室", "注册志愿者不少于居民总数的10%", "试点地区建立社会工作协会"):
        assert label in text
    assert "33.3%" in flat and "✓达到" in flat and "×未达到" in flat
    # Every community name is in the regions' table, the missing ones again in the lists.
    for name in ("东岗西路社区", "东岗东路社区", "白道坪村", "石门村", "大砂坪村", "空街道"):
        assert name in text
    assert "石门村（青白石镇）" in text
    # Ranking chart labels and the standard, the funnel, the trend and the grants.
    assert "标准33.3%" in flat and "青白石镇" in text
    assert "已提交" in text and "5（83%）" in text and "2016-08" in text
    assert "500,000.00" in text and "心理疏导" in text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), fonts  # every font embedded


@needs_poppler
def test_pdf_of_a_community_has_no_ranking(county: Office, tmp_path: Path) -> None:
    build_crafted(county)
    with county.store.read_session() as s:
        report = indicators.compute(s, URBAN_MEETS)
    out = tmp_path / "社区.pdf"
    indicatorfiles.write_pdf(report, out)
    text = _pdf_text(out)
    assert "一、试点目标完成情况" in text and "排名" not in text
    assert "月度趋势：还没有提交的申报" in text
