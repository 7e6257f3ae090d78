"""The 统计 page: its models, the background computation, the missing-communities list, charts and exports."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from sanlian_desktop.indicators import service as indicators
from sanlian_desktop.indicators.service import TARGET_LABELS
from sanlian_desktop.indicators.views import MET_COLOURS, Bar, ReportView, funnel_bars, trend_series
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobHandle
from sanlian_desktop.ui.pages import available_pages
from sanlian_desktop.ui.stats.charts import BAR_COLOURS, FunnelChart, RankingChart, TrendChart, nice_ceiling
from sanlian_desktop.ui.stats.model import (
    CODE_ROLE,
    FIRST_TARGET_COL,
    MET_ROLE,
    MissingModel,
    RegionTreeModel,
    RowsModel,
)
from sanlian_desktop.ui.stats.page import StatsPage
from tests.helpers import Office
from tests.indicators.helpers_crafted import (
    URBAN_MEETS,
    URBAN_MISSES,
    VILLAGE_EMPTY,
    VILLAGE_MEETS,
    VILLAGE_NO_RESIDENTS,
    add_pipeline,
    build_crafted,
)
from tests.ui.conftest import Modals

JOB_TIMEOUT = 60_000
COL = {key: FIRST_TARGET_COL + i for i, key in enumerate(TARGET_LABELS)}


@pytest.fixture
def crafted(county: Office) -> Office:
    build_crafted(county)
    add_pipeline(county)
    return county


@pytest.fixture
def view(crafted: Office) -> ReportView:
    with crafted.store.read_session() as s:
        return ReportView(indicators.compute(s, "620102"))


def _page(qtbot: QtBot, ctx: UiContext) -> StatsPage:
    page = StatsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    _wait(qtbot, page.job)
    assert page.view is not None
    return page


def _wait(qtbot: QtBot, handle: JobHandle | None) -> None:
    assert handle is not None
    if handle.is_running:
        with qtbot.waitSignal(handle.finished, timeout=JOB_TIMEOUT):
            pass


def _missing(page: StatsPage) -> list[tuple[str, str]]:
    model = page.missing_proxy
    return [(model.index(r, 1).data(), model.index(r, 4).data()) for r in range(model.rowCount())]


def _colours(image: QImage) -> set[str]:
    step = max(1, image.width() // 200)
    return {image.pixelColor(x, y).name() for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)}


# -- models --------------------------------------------------------------------------------------------


def test_region_tree_model(qtmodeltester: Any, view: ReportView) -> None:
    empty = RegionTreeModel()
    assert empty.rowCount() == 0 and not empty.index(0, 0).isValid()
    model = RegionTreeModel()
    model.set_view(view)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 1
    root = model.index(0, 0)
    assert root.data() == "城关区"
    assert [model.index(r, 0, root).data() for r in range(model.rowCount(root))] == ["东岗街道", "青白石镇", "空街道"]
    misses = model.index_of(URBAN_MISSES)
    assert misses.data() == "东岗东路社区"
    assert misses.parent().data() == "东岗街道" and misses.parent().parent() == root
    orgs = misses.siblingAtColumn(COL["orgs_per_community"])
    assert (orgs.data(), orgs.data(MET_ROLE), orgs.data(CODE_ROLE)) == ("4个 ×", False, URBAN_MISSES)
    assert orgs.data(Qt.ItemDataRole.BackgroundRole) == QColor(MET_COLOURS[False][0])
    assert "社区社会组织" in orgs.data(Qt.ItemDataRole.ToolTipRole)
    reach = root.siblingAtColumn(COL["rural_reach"])
    assert (reach.data(), reach.data(MET_ROLE)) == ("33% ✓", True)
    # A village has no federation target: the cell is empty and says why.
    village = model.index_of(VILLAGE_MEETS).siblingAtColumn(COL["federation_urban"])
    assert village.data() is None and "不适用" in village.data(Qt.ItemDataRole.ToolTipRole)
    assert model.headerData(COL["volunteers"], Qt.Orientation.Horizontal) == "志愿者"
    empty.set_view(view)
    empty.set_view(None)
    assert empty.rowCount() == 0


def test_missing_and_rows_models(qtmodeltester: Any, view: ReportView) -> None:
    missing = MissingModel()
    missing.set_rows(view.missing("620102", "workroom"))
    qtmodeltester.check(missing, force_py=True)
    assert [missing.index(r, 4).data() for r in range(missing.rowCount())] == ["未达到", "未登记", "未登记"]
    assert missing.index(1, 4).data(Qt.ItemDataRole.BackgroundRole) == QColor(MET_COLOURS[None][0])
    rows = RowsModel(["状态", "份数"])
    rows.set_rows([("草稿", 1), ("已批准", 2)])
    qtmodeltester.check(rows, force_py=True)
    assert rows.index(1, 1).data() == "2"


# -- the page ------------------------------------------------------------------------------------------


def test_the_page_is_registered() -> None:
    assert "stats" in [e.key for e in available_pages()]
    assert StatsPage.title == "统计"


def test_page_computes_in_the_background_and_lists_the_missing_communities(qtbot: QtBot, crafted: Office,
                                                                           admin_ctx: UiContext) -> None:
    page = StatsPage(admin_ctx)
    qtbot.addWidget(page)
    assert page.view is None and page.job is not None  # nothing computed on the GUI thread
    assert page.state.text() == "正在计算…" and not page.xlsx_button.isEnabled()
    _wait(qtbot, page.job)
    assert page.heading.text() == "城关区"
    assert "5 个社区" in page.state.text() and page.xlsx_button.isEnabled()
    assert page.current_code() == "620102"

    page.target.setCurrentIndex(list(TARGET_LABELS).index("orgs_per_community"))
    assert _missing(page) == [(URBAN_MISSES, "未达到"), (VILLAGE_EMPTY, "未达到"), (VILLAGE_NO_RESIDENTS, "未达到")]
    assert "城关区" in page.missing_title.text() and "未达到 3 个" in page.missing_title.text()

    page.target.setCurrentIndex(list(TARGET_LABELS).index("workroom"))
    assert _missing(page) == [(URBAN_MISSES, "未达到"), (VILLAGE_EMPTY, "未登记"), (VILLAGE_NO_RESIDENTS, "未登记")]

    # Clicking the 志愿者 cell of 青白石镇 chooses the region and the target at once.
    village_street = page.tree_model.index_of("620102002").siblingAtColumn(COL["volunteers"])
    page.tree.setCurrentIndex(village_street)
    assert page.current_key() == "volunteers"
    assert _missing(page) == [(VILLAGE_EMPTY, "未登记"), (VILLAGE_NO_RESIDENTS, "未登记")]

    # A target that does not apply at a level says so.
    page.tree.setCurrentIndex(page.tree_model.index_of(VILLAGE_MEETS))
    page.target.setCurrentIndex(list(TARGET_LABELS).index("federation_urban"))
    assert _missing(page) == [] and "不适用" in page.missing_title.text()

    # The ranking follows the chosen target.
    page.target.setCurrentIndex(list(TARGET_LABELS).index("rural_reach"))
    assert [b.label for b in page.ranking.bars] == ["青白石镇"]
    assert "东岗街道" in page.ranking_note.text() and "空街道" in page.ranking_note.text()
    # The pipeline tabs are filled.
    assert page.pipeline.status_model.rows[-1] == ["合计", "7"]
    assert [int(b.value) for b in page.pipeline.funnel.bars] == [6, 5, 2, 2, 2]
    assert page.pipeline.trend.months == ["2016-07", "2016-08"]
    assert page.grants.city_model.rows[0] == ["兰州市", "2", "500,000.00"]


def test_refresh_keeps_the_report_and_selection_and_runs_again_once(qtbot: QtBot, crafted: Office,
                                                                    admin_ctx: UiContext,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    page = _page(qtbot, admin_ctx)
    page.tree.setCurrentIndex(page.tree_model.index_of(URBAN_MEETS))
    calls: list[str] = []
    compute = indicators.compute

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1])
        return compute(*args, **kwargs)

    monkeypatch.setattr(indicators, "compute", counting)
    first = page.view
    page.refresh()
    running = page.job
    page.refresh()  # asked again while running: one more run after this one, not two at once
    page.refresh()
    assert page.view is first  # the old report stays on screen meanwhile
    _wait(qtbot, running)
    qtbot.waitUntil(lambda: len(calls) == 2 and page.job is not None and not page.job.is_running,
                    timeout=JOB_TIMEOUT)
    assert page.view is not first
    assert page.current_code() == URBAN_MEETS


def test_a_failed_computation_is_said(qtbot: QtBot, crafted: Office, admin_ctx: UiContext, modals: Modals,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise UserError("数据库正被另一程序占用", "busy")

    monkeypatch.setattr(indicators, "compute", broken)
    page = StatsPage(admin_ctx)
    qtbot.addWidget(page)
    _wait(qtbot, page.job)
    assert page.view is None and "数据库正被另一程序占用" in page.state.text()
    assert modals.texts() == ["数据库正被另一程序占用"]
    assert page.refresh_button.isEnabled() and not page.pdf_button.isEnabled()


def test_find_a_region_by_name_or_code(qtbot: QtBot, crafted: Office, admin_ctx: UiContext) -> None:
    page = _page(qtbot, admin_ctx)
    page.search.setText("石门")
    assert page.find_next() == VILLAGE_EMPTY
    assert page.current_code() == VILLAGE_EMPTY
    assert page.tree.isExpanded(page.tree_model.index_of("620102002"))
    page.search.setText("620102001")
    assert [page.find_next() for _ in range(4)] == ["620102001", URBAN_MEETS, URBAN_MISSES, "620102001"]
    page.search.setText("没有这个地方")
    assert page.find_next() is None and "没有找到" in page.state.text()


def test_double_clicking_a_missing_community_shows_it_in_the_tree(qtbot: QtBot, crafted: Office,
                                                                  admin_ctx: UiContext) -> None:
    page = _page(qtbot, admin_ctx)
    page.target.setCurrentIndex(list(TARGET_LABELS).index("social_worker"))
    row = next(r for r in range(page.missing_proxy.rowCount()) if page.missing_proxy.index(r, 1).data() == VILLAGE_EMPTY)
    page._missing_activated(page.missing_proxy.index(row, 0))
    assert page.current_code() == VILLAGE_EMPTY
    assert page.tree.currentIndex().column() == COL["social_worker"]


def test_exports_from_the_page(qtbot: QtBot, crafted: Office, admin_ctx: UiContext, modals: Modals,
                               tmp_path: Path) -> None:
    page = _page(qtbot, admin_ctx)
    out = tmp_path / "导出"
    out.mkdir()
    modals.save_file = str(out / "城关区统计")  # the 另存为 dialog adds the ending
    handle = page.export_xlsx()
    _wait(qtbot, handle)
    xlsx = out / "城关区统计.xlsx"
    assert xlsx.exists() and page.last_file == xlsx
    assert "已导出" in page.result.text() and page.open_folder_button.isVisibleTo(page)
    missing = {(r[0], r[1]) for r in openpyxl.load_workbook(xlsx)["未达标社区"].iter_rows(min_row=4, values_only=True)}
    assert ("社工室", URBAN_MISSES) in missing

    modals.save_file = str(out / "城关区统计.pdf")
    handle = page.export_pdf()
    _wait(qtbot, handle)
    pdf = out / "城关区统计.pdf"
    assert pdf.exists()
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "城关区“三社联动”试点目标完成情况与申报进度统计" in text and "石门村" in text
    modals.save_file = ""  # cancelled
    assert page.export_pdf() is None
    assert sorted(p.name for p in out.iterdir()) == ["城关区统计.pdf", "城关区统计.xlsx"]


def test_an_export_to_a_folder_that_vanished_is_refused(qtbot: QtBot, crafted: Office, admin_ctx: UiContext,
                                                         modals: Modals, tmp_path: Path) -> None:
    page = _page(qtbot, admin_ctx)
    handle = page.export_to(tmp_path / "已删除的文件夹" / "统计.xlsx")
    _wait(qtbot, handle)
    assert handle is not None and handle.outcome == "failed"
    assert any("不存在" in text for text in modals.texts())
    assert not page.result.isVisibleTo(page)


# -- charts --------------------------------------------------------------------------------------------


def test_nice_ceiling() -> None:
    assert [nice_ceiling(v) for v in (0, 0.3, 1, 7, 11, 23, 4000, 4100)] == [1, 0.5, 1, 10, 20, 25, 5000, 5000]


def test_ranking_chart_draws_bars_values_and_tooltips(qtbot: QtBot, view: ReportView) -> None:
    chart = RankingChart()
    qtbot.addWidget(chart)
    chart.resize(600, 200)
    chart.set_bars(view.ranking("orgs_per_community"), 100.0, "标准 100%", percent=True)
    image = chart.grab().toImage()
    assert not image.isNull() and image.width() == 600
    colours = _colours(image)
    assert BAR_COLOURS[False].name() in colours  # both streets miss it: red bars
    assert BAR_COLOURS[True].name() not in colours
    first_row = QPointF(300, 26 + RankingChart.ROW / 2)
    assert "东岗街道" in chart.tooltip_at(first_row)
    assert chart.tooltip_at(QPointF(300, 190)) == ""
    assert chart.sizeHint().height() >= 2 * RankingChart.ROW
    chart.set_bars([Bar("甲", 80, "80% ✓", True), Bar("乙", 0, "未登记", None)], 50, "标准 50%", percent=True)
    assert BAR_COLOURS[True].name() in _colours(chart.grab().toImage())


def test_funnel_and_trend_charts_draw(qtbot: QtBot, view: ReportView) -> None:
    funnel = FunnelChart()
    trend = TrendChart()
    for chart in (funnel, trend):
        qtbot.addWidget(chart)
        chart.resize(500, 260)
    empty = _colours(funnel.grab().toImage())  # "没有数据" on a blank chart
    funnel.set_bars(funnel_bars(view.report))
    image = funnel.grab().toImage()
    assert len(_colours(image)) > len(empty)
    assert "已提交" in funnel.tooltip_at(QPointF(250, 20))
    months, series = trend_series(view.report)
    trend.set_series(months, series)
    colours = _colours(trend.grab().toImage())
    assert {"#4a78b5", "#4c9a4c"} <= colours
    hits = [text for _rect, text in trend._hits]
    assert "2016-08 批准：2 份" in hits and "2016-07 提交：3 份" in hits


def test_page_screenshot_is_not_blank(qtbot: QtBot, crafted: Office, admin_ctx: UiContext) -> None:
    page = _page(qtbot, admin_ctx)
    page.show()
    for tab in range(page.tabs.count()):
        page.tabs.setCurrentIndex(tab)
        image = page.grab().toImage()
        assert len(_colours(image)) > 5, page.tabs.tabText(tab)
