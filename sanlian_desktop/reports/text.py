"""A progress report's figures as titled tables of text, shared by the PDF, the workbook and the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sanlian_desktop.kernel.money import format_yuan, from_fen
from sanlian_desktop.kernel.vocab import LEVEL_LABELS, STATUS_LABELS, Level, Status

Section = tuple[str, list[str], list[list[str]]]

_DECISIONS = (("approve", "同意"), ("return", "退回"), ("reject", "不同意"))


def _level(code: str) -> str:
    try:
        return LEVEL_LABELS[Level(code)]
    except ValueError:
        return code or "未定"


def _upward(code: str) -> int:
    """Community first, province last: the order a declaration climbs."""
    try:
        return -Level(code).rank
    except ValueError:
        return 0


def _yuan(fen: Any) -> str:
    return format_yuan(from_fen(int(fen or 0)))


def _rate(text: Any) -> str:
    return "—" if text is None else f"{Decimal(str(text)) * 100:.1f}%"


def sections(figures: Mapping[str, Any]) -> list[Section]:
    """(heading, header, rows) for each part of the report, in reading order."""
    out: list[Section] = []
    status_rows = [[STATUS_LABELS[s], str(figures["by_status"].get(s.value, 0))] for s in Status]
    status_rows.append(["合计", str(figures.get("total", 0))])
    out.append(("一、申报项目现状", ["状态", "项目数"], status_rows))
    waiting = figures.get("median_days_waiting", {})
    out.append(("二、各级待审与等待天数", ["层级", "待处理项目数", "等待天数中位数"], [
        [_level(lv), str(n), str(waiting.get(lv) or "—")]
        for lv, n in sorted(figures.get("awaiting_by_level", {}).items(), key=lambda kv: _upward(kv[0]))]))
    period = figures["in_period"]
    decision_rows = [[_level(lv), *[str(d.get(k, 0)) for k, _ in _DECISIONS]]
                     for lv, d in period["decisions"].items()]
    out.append((f"三、报告期内办理情况（新提交申报 {period['submitted']} 份；批准率 {_rate(figures.get('approval_rate'))}，"
                f"退回率 {_rate(figures.get('return_rate'))}）", ["层级", *[label for _, label in _DECISIONS]],
                decision_rows))
    out.append(("四、已批准项目补助资金（按市州）", ["市州", "项目数", "批准补助（元）"], [
        [r["name"], str(r["projects"]), _yuan(r["granted_fen"])] for r in figures.get("granted_by_city", [])]))
    out.append(("五、已批准项目补助资金（按服务领域）", ["服务领域", "项目数", "批准补助（元）"], [
        [r["focus_area"], str(r["projects"]), _yuan(r["granted_fen"])] for r in figures.get("granted_by_focus_area", [])]))
    out.append(("六、补助资金拨付（截至报告期末，按市州）", ["市州", "项目数", "已拨付（元）"], [
        [r["name"], str(r["projects"]), _yuan(r["disbursed_fen"])] for r in figures.get("disbursed_by_city", [])]))
    out.append(("七、补助资金拨付（截至报告期末，按服务领域）", ["服务领域", "项目数", "已拨付（元）"], [
        [r["focus_area"], str(r["projects"]), _yuan(r["disbursed_fen"])]
        for r in figures.get("disbursed_by_focus_area", [])]))
    out.append(("八、进度滞后的项目", ["项目", "所在社区", "情况"], [
        [f"{r['number']} {r['title']}", r["community"], r["reason"]] for r in figures.get("behind_schedule", [])]))
    return out
