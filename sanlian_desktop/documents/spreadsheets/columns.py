"""The columns of the fill-in template: one per field of a declaration, in the declaration's key order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sanlian_desktop.kernel.vocab import (
    CERTIFICATE_LEVELS,
    FOCUS_AREAS,
    FUNDING_SOURCES,
    SERVICE_METHODS,
    TARGET_GROUPS,
)

TEMPLATE_SHEET = "申报表"
INSTRUCTIONS_SHEET = "填写说明"
LISTS_SHEET = "选项"
ERROR_COLUMN_HEADER = "错误说明"  # added by the error copy, ignored on import
# A workbook-level defined name marks our template; the reader checks it when present.
MARKER_NAME = "SANLIAN_DECLARATION_TEMPLATE"
TEMPLATE_VERSION = "1"
HEADER_ROW = 1
EXAMPLE_ROW = 2
MAX_DECLARATIONS = 5000
FUNDING_SLOTS = 6
URBAN_CHOICES = ["城市社区", "农村社区"]
MULTI_SEPARATOR = "、"


class Kind(Enum):
    """How a cell is typed in Excel and converted back."""

    TEXT = "text"  # free text, may be long
    CODE = "code"  # digits or letters kept as text: codes, telephone numbers
    INTEGER = "integer"
    MONEY = "money"
    DATE = "date"
    URBAN = "urban"  # 城市社区 / 农村社区 → bool
    CHOICE = "choice"  # one term of a vocabulary, chosen from a drop-down
    TERMS = "terms"  # several terms of a vocabulary, separated by 、


@dataclass(frozen=True)
class Column:
    """One template column: the declaration key path it fills, its header and how its cells are typed."""

    key: str
    header: str
    kind: Kind
    width: float
    hint: str = ""
    vocabulary: tuple[str, ...] = ()
    code_length: int | None = None


def funding_key(slot: int, part: str) -> str:
    """Key path of a funding-source column: ``funding_sources[0].source`` for slot 0."""
    return f"funding_sources[{slot}].{part}"


_MONEY_HINT = "以元为单位，最多两位小数"


def _columns() -> tuple[Column, ...]:
    k = Kind
    cols = [
        Column("batch", "申报批次", k.CODE, 9, "申报年度或批次，如 2016"),
        Column("community", "社区代码", k.CODE, 15, "社区（村）12位统计用区划代码", code_length=12),
        Column("title", "项目名称", k.TEXT, 36),
        Column("community_profile.text", "社区概况", k.TEXT, 40, "地理位置、人口结构、社会组织和社工情况等"),
        Column("community_profile.urban", "城市/农村", k.URBAN, 11, "从下拉列表选择", tuple(URBAN_CHOICES)),
        Column("community_profile.population", "常住人口(人)", k.INTEGER, 11, "填整数"),
        Column("community_profile.households", "户数(户)", k.INTEGER, 10, "填整数"),
        Column("community_profile.social_organisations", "社区社会组织(个)", k.INTEGER, 11, "填整数"),
        Column("community_profile.social_workers", "持证社工(名)", k.INTEGER, 10, "填整数"),
        Column("community_profile.registered_volunteers", "注册志愿者(名)", k.INTEGER, 11, "填整数"),
        Column("needs_analysis", "需求分析", k.TEXT, 40),
        Column("target_groups", "服务对象", k.TERMS, 20, "可填多项，用“、”分隔", tuple(TARGET_GROUPS)),
        Column("focus_areas", "重点领域", k.TERMS, 20, "可填多项，用“、”分隔", tuple(FOCUS_AREAS)),
        Column("service_methods", "服务方式", k.TERMS, 16, "可填多项，用“、”分隔", tuple(SERVICE_METHODS)),
        Column("service_plan", "服务内容与实施计划", k.TEXT, 40),
        Column("period_start", "实施开始日期", k.DATE, 12, "日期，如 2016-10-01"),
        Column("period_end", "实施结束日期", k.DATE, 12, "日期，如 2017-09-30"),
        Column("budget_total", "项目总预算(元)", k.MONEY, 14, _MONEY_HINT),
    ]
    for slot in range(FUNDING_SLOTS):
        cols += [
            Column(funding_key(slot, "source"), f"资金来源{slot + 1}", k.CHOICE, 14, "从下拉列表选择",
                   tuple(FUNDING_SOURCES)),
            Column(funding_key(slot, "amount"), f"金额{slot + 1}(元)", k.MONEY, 12, _MONEY_HINT),
        ]
    cols += [
        Column("subsidy_requested", "申请省级补助(元)", k.MONEY, 14, _MONEY_HINT),
        Column("expected_effect.text", "效果预估", k.TEXT, 40),
        Column("expected_effect.beneficiaries", "预计受益人数(人)", k.INTEGER, 11, "填整数"),
        Column("expected_effect.service_sessions", "预计服务次数(次)", k.INTEGER, 11, "填整数"),
        Column("undertaker.name", "承接组织名称", k.TEXT, 26),
        Column("undertaker.credit_code", "统一社会信用代码", k.CODE, 21, "18位，字母大写", code_length=18),
        Column("undertaker.lead_worker", "负责社工", k.TEXT, 10),
        Column("undertaker.lead_worker_certificate", "社工证书等级", k.CHOICE, 15, "从下拉列表选择",
               tuple(CERTIFICATE_LEVELS)),
        Column("undertaker.phone", "联系电话", k.CODE, 15, "手机号或带区号的固定电话"),
        Column("pre_steps.solicitation_date", "筹划征集日期", k.DATE, 12, "社区筹划征集的日期"),
        Column("pre_steps.hearing_date", "居民听证日期", k.DATE, 12, "社区居民听证的日期"),
        Column("pre_steps.council_date", "居民代表会议审议日期", k.DATE, 13, "居民代表会议审议的日期"),
        Column("pre_steps.notice_start", "公示开始日期", k.DATE, 12, "张榜公示的第一天"),
        Column("pre_steps.notice_end", "公示结束日期", k.DATE, 12, "张榜公示的最后一天"),
    ]
    return tuple(cols)


COLUMNS: tuple[Column, ...] = _columns()
COLUMNS_BY_HEADER = {col.header: col for col in COLUMNS}
COLUMNS_BY_KEY = {col.key: col for col in COLUMNS}


def normalise_header(text: object) -> str:
    """A header as typed, made comparable: no spaces or line breaks, ASCII parentheses, no ``*`` marks."""
    if not isinstance(text, str):
        return "" if text is None else str(text)
    out = "".join(text.split()).replace("（", "(").replace("）", ")")
    return out.strip("*＊")


def example_declaration() -> dict[str, Any]:
    """The example declaration shipped with the program (the template's grey example row)."""
    from sanlian_desktop.kernel.paths import package_data

    raw = package_data("declaration.example.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def get_path(data: dict[str, Any], key: str) -> Any:
    """The value at a column key path such as ``undertaker.phone`` or ``funding_sources[1].amount``."""
    node: Any = data
    for part in key.split("."):
        if part.endswith("]"):
            name, index = part[:-1].split("[")
            items = node.get(name) or []
            slot = int(index)
            node = items[slot] if slot < len(items) else {}
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node
