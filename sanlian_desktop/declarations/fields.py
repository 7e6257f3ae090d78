"""The 申报表's fields: their labels, normalisation, validation and field-by-field comparison.

A declaration's content travels as a JSON object with the keys of ``declaration.example.json``. This
module turns such an object into its canonical form (money as two-place strings, dates as ISO
strings, vocabulary terms in the notice's spelling) and reports every broken rule by field.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.checks import credit_code_problem, phone_problem
from sanlian_desktop.kernel.errors import FieldError
from sanlian_desktop.kernel.money import MoneyError, parse_money
from sanlian_desktop.kernel.vocab import (
    CERTIFICATE_LEVELS,
    FOCUS_AREAS,
    FUNDING_SOURCES,
    SERVICE_METHODS,
    TARGET_GROUPS,
    canonical_term,
)

LABELS: dict[str, str] = {
    "batch": "申报批次",
    "community": "申报社区",
    "title": "项目名称",
    "community_profile": "社区概况",
    "community_profile.text": "社区概况",
    "community_profile.urban": "城市/农村社区",
    "community_profile.population": "常住人口",
    "community_profile.households": "户数",
    "community_profile.social_organisations": "社区社会组织数",
    "community_profile.social_workers": "持证社工数",
    "community_profile.registered_volunteers": "注册志愿者数",
    "needs_analysis": "需求分析",
    "target_groups": "服务对象",
    "focus_areas": "重点领域",
    "service_methods": "服务方式",
    "service_plan": "服务内容与实施计划",
    "period_start": "实施周期开始",
    "period_end": "实施周期结束",
    "budget_total": "项目总预算",
    "funding_sources": "资金来源",
    "subsidy_requested": "申请省级补助资金",
    "expected_effect": "效果预估",
    "expected_effect.text": "效果预估",
    "expected_effect.beneficiaries": "预计受益人数",
    "expected_effect.service_sessions": "预计服务人次/场次",
    "undertaker": "承接组织",
    "undertaker.name": "承接组织名称",
    "undertaker.credit_code": "统一社会信用代码",
    "undertaker.lead_worker": "负责社工",
    "undertaker.lead_worker_certificate": "社工证书等级",
    "undertaker.phone": "联系电话",
    "pre_steps": "申报前程序",
    "pre_steps.solicitation_date": "社区筹划征集日期",
    "pre_steps.hearing_date": "社区居民听证日期",
    "pre_steps.council_date": "居民代表会议审议日期",
    "pre_steps.notice_start": "张榜公示开始日期",
    "pre_steps.notice_end": "张榜公示结束日期",
}

PRE_STEP_ORDER = ["solicitation_date", "hearing_date", "council_date", "notice_start", "notice_end"]
PROFILE_COUNTS = ["population", "households", "social_organisations", "social_workers", "registered_volunteers"]
EFFECT_COUNTS = ["beneficiaries", "service_sessions"]
UNDERTAKER_KEYS = ["name", "credit_code", "lead_worker", "lead_worker_certificate", "phone"]
TOP_KEYS = [
    "batch", "community", "title", "community_profile", "needs_analysis", "target_groups", "focus_areas",
    "service_methods", "service_plan", "period_start", "period_end", "budget_total", "funding_sources",
    "subsidy_requested", "expected_effect", "undertaker", "pre_steps",
]
MAX_TEXT = {"title": 100, "text": 3000, "name": 100, "short": 50}


def label(path: str) -> str:
    """The form's label for a field path such as ``undertaker.phone``."""
    base = path.split("[", maxsplit=1)[0]
    return LABELS.get(path, LABELS.get(base, path))


@dataclass
class Normalised:
    """The canonical fields and every problem found on the way."""

    fields: dict[str, Any]
    errors: list[FieldError]


# What a text may not keep: control characters other than tab and line breaks, and lone surrogates (half a
# character, which no file or database can hold). They come with pasted text (Word's manual line break is a
# vertical tab) or a damaged file, and would break the database server (NUL), Excel files and printing.
_LINE_BREAKS = str.maketrans({"\v": "\n", "\f": "\n", "\u2028": "\n", "\u2029": "\n"})
_UNSTORABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")


class _Checker:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, label(path), message))

    def text(self, path: str, value: Any, limit: int, required: bool) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.err(path, "必填")
            return None
        if not isinstance(value, str):
            self.err(path, "应为文字")
            return None
        value = _UNSTORABLE.sub("", value.translate(_LINE_BREAKS)).strip()
        if len(value) > limit:
            self.err(path, f"不能超过{limit}字（现有{len(value)}字）")
        return value

    def count(self, path: str, value: Any, required: bool = False) -> int | None:
        if value is None or value == "":
            if required:
                self.err(path, "必填")
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.err(path, "应为整数")
            return None
        try:
            number = int(value)
        except ValueError:
            self.err(path, f"“{value}”不是整数")
            return None
        if number < 0:
            self.err(path, "不能为负数")
            return None
        if number > 100_000_000:
            self.err(path, "数值过大")
            return None
        return number

    def money(self, path: str, value: Any, required: bool) -> Decimal | None:
        if value is None or value == "":
            if required:
                self.err(path, "必填")
            return None
        try:
            return parse_money(value)
        except MoneyError as exc:
            self.err(path, str(exc))
            return None

    def day(self, path: str, value: Any, required: bool) -> date | None:
        if value is None or value == "":
            if required:
                self.err(path, "必填")
            return None
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            self.err(path, "应为日期（如 2016-07-05）")
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.err(path, f"“{value}”不是有效日期，请写成 2016-07-05 的形式")
            return None

    def terms(self, path: str, value: Any, vocabulary: list[str], required: bool) -> list[str]:
        if value is None or value in ([], ""):
            if required:
                self.err(path, "至少选择一项")
            return []
        if isinstance(value, str):
            value = [v for v in value.replace("，", "、").replace(",", "、").split("、") if v.strip()]
        if not isinstance(value, list):
            self.err(path, "应为列表")
            return []
        out: list[str] = []
        for item in value:
            term = canonical_term(item, vocabulary) if isinstance(item, str) else None
            if term is None:
                self.err(path, f"“{item}”不在可选范围内（可选：{'、'.join(vocabulary)}）")
            elif term not in out:
                out.append(term)
        # Keep the notice's order so that equal choices compare equal.
        return sorted(out, key=vocabulary.index)

    def mapping(self, path: str, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.err(path, "格式不正确（应为对象）")
            return {}
        return value


def normalise(raw: Any, *, for_submit: bool) -> Normalised:
    """Check ``raw`` against the form's rules and return its canonical fields.

    Drafts (``for_submit=False``) may leave fields empty but what they do fill must be valid; a
    declaration to be submitted must be complete.
    """
    c = _Checker()
    if not isinstance(raw, dict):
        c.err("title", "申报内容应为 JSON 对象")
        return Normalised({}, c.errors)
    for key in raw:
        if key not in TOP_KEYS:
            c.err(str(key), f"未知字段“{key}”")
    req = for_submit
    f: dict[str, Any] = {}
    f["batch"] = c.text("batch", raw.get("batch"), MAX_TEXT["short"], required=req)
    community = raw.get("community")
    if not isinstance(community, str) or not community.strip().isdigit() or len(community.strip()) != 12:
        c.err("community", "应为12位社区代码")
        f["community"] = community if isinstance(community, str) else None
    else:
        f["community"] = community.strip()
    f["title"] = c.text("title", raw.get("title"), MAX_TEXT["title"], required=True)

    prof = c.mapping("community_profile", raw.get("community_profile"))
    urban = prof.get("urban")
    urban_bad = urban is not None and not isinstance(urban, bool)
    if urban_bad:
        c.err("community_profile.urban", "应为 true（城市社区）或 false（农村社区）")
        urban = None
    f["community_profile"] = {
        "text": c.text("community_profile.text", prof.get("text"), MAX_TEXT["text"], required=req),
        "urban": urban,
        **{k: c.count(f"community_profile.{k}", prof.get(k)) for k in PROFILE_COUNTS},
    }
    if req and urban is None and not urban_bad:
        c.err("community_profile.urban", "请注明城市社区或农村社区")
    for k in prof:
        if k not in ("text", "urban", *PROFILE_COUNTS):
            c.err(f"community_profile.{k}", f"未知字段“{k}”")

    f["needs_analysis"] = c.text("needs_analysis", raw.get("needs_analysis"), MAX_TEXT["text"], required=req)
    f["target_groups"] = c.terms("target_groups", raw.get("target_groups"), TARGET_GROUPS, req)
    f["focus_areas"] = c.terms("focus_areas", raw.get("focus_areas"), FOCUS_AREAS, req)
    f["service_methods"] = c.terms("service_methods", raw.get("service_methods"), SERVICE_METHODS, req)
    f["service_plan"] = c.text("service_plan", raw.get("service_plan"), MAX_TEXT["text"], required=req)

    start = c.day("period_start", raw.get("period_start"), req)
    end = c.day("period_end", raw.get("period_end"), req)
    if start and end and end <= start:
        c.err("period_end", "结束日期应晚于开始日期")
    if start and end and (end - start).days > 3 * 366:
        c.err("period_end", "实施周期不应超过三年")
    f["period_start"] = start.isoformat() if start else None
    f["period_end"] = end.isoformat() if end else None

    total = c.money("budget_total", raw.get("budget_total"), req)
    if total is not None and total <= 0:
        c.err("budget_total", "应大于0")
    f["budget_total"] = str(total) if total is not None else None
    f["funding_sources"] = _funding(c, raw.get("funding_sources"), total, req)
    requested = c.money("subsidy_requested", raw.get("subsidy_requested"), req)
    if requested is not None:
        if requested <= 0:
            c.err("subsidy_requested", "应大于0")
        elif total is not None and requested > total:
            c.err("subsidy_requested", f"不能超过项目总预算 {total} 元")
        elif (provincial := [s for s in f["funding_sources"] if s["source"] == "省级补助"]) and parse_money(
            provincial[0]["amount"]
        ) != requested:
            c.err("subsidy_requested", f"应与资金来源中的“省级补助”{provincial[0]['amount']} 元一致")
    f["subsidy_requested"] = str(requested) if requested is not None else None

    eff = c.mapping("expected_effect", raw.get("expected_effect"))
    f["expected_effect"] = {
        "text": c.text("expected_effect.text", eff.get("text"), MAX_TEXT["text"], required=req),
        "beneficiaries": c.count("expected_effect.beneficiaries", eff.get("beneficiaries"), required=req),
        "service_sessions": c.count("expected_effect.service_sessions", eff.get("service_sessions")),
    }
    if f["expected_effect"]["beneficiaries"] == 0 and req:
        c.err("expected_effect.beneficiaries", "应大于0")
    for k in eff:
        if k not in ("text", *EFFECT_COUNTS):
            c.err(f"expected_effect.{k}", f"未知字段“{k}”")

    f["undertaker"] = _undertaker(c, c.mapping("undertaker", raw.get("undertaker")), req)
    f["pre_steps"] = _pre_steps(c, c.mapping("pre_steps", raw.get("pre_steps")), req)
    return Normalised(f, c.errors)


def _funding(c: _Checker, value: Any, total: Decimal | None, req: bool) -> list[dict[str, str]]:
    if value is None or value == []:
        if req:
            c.err("funding_sources", "请至少列出一项资金来源")
        return []
    if not isinstance(value, list):
        c.err("funding_sources", "应为列表")
        return []
    out: list[dict[str, str]] = []
    running = Decimal(0)
    complete = True
    for i, item in enumerate(value):
        path = f"funding_sources[{i}]"
        if not isinstance(item, dict):
            c.err(path, f"第{i + 1}项格式不正确")
            complete = False
            continue
        source = item.get("source")
        term = canonical_term(source, FUNDING_SOURCES) if isinstance(source, str) else None
        if term is None:
            c.err(path, f"第{i + 1}项来源“{source}”不在可选范围内（可选：{'、'.join(FUNDING_SOURCES)}）")
            complete = False
        elif any(o["source"] == term for o in out):
            c.err(path, f"来源“{term}”重复列出")
        amount = c.money(path, item.get("amount"), True)
        if amount is None:
            complete = False
            continue
        if amount <= 0:
            c.err(path, f"第{i + 1}项金额应大于0")
        running += amount
        out.append({"source": term or str(source), "amount": str(amount)})
    if complete and total is not None and running != total:
        c.err("funding_sources", f"各项来源合计 {running} 元，与项目总预算 {total} 元不一致")
    return out


def _undertaker(c: _Checker, u: dict[str, Any], req: bool) -> dict[str, Any]:
    for k in u:
        if k not in UNDERTAKER_KEYS:
            c.err(f"undertaker.{k}", f"未知字段“{k}”")
    out = {
        "name": c.text("undertaker.name", u.get("name"), MAX_TEXT["name"], required=req),
        "credit_code": c.text("undertaker.credit_code", u.get("credit_code"), 18 + 10, required=req),
        "lead_worker": c.text("undertaker.lead_worker", u.get("lead_worker"), MAX_TEXT["short"], required=req),
        "lead_worker_certificate": None,
        "phone": c.text("undertaker.phone", u.get("phone"), 30, required=req),
    }
    if out["credit_code"]:
        out["credit_code"] = out["credit_code"].upper()
        problem = credit_code_problem(out["credit_code"])
        if problem:
            c.err("undertaker.credit_code", problem)
    if out["phone"]:
        problem = phone_problem(out["phone"])
        if problem:
            c.err("undertaker.phone", problem)
    cert = u.get("lead_worker_certificate")
    if cert not in (None, ""):
        term = canonical_term(cert, CERTIFICATE_LEVELS) if isinstance(cert, str) else None
        if term is None:
            c.err(
                "undertaker.lead_worker_certificate",
                f"“{cert}”不是社工证书等级（可选：{'、'.join(CERTIFICATE_LEVELS)}）",
            )
        out["lead_worker_certificate"] = term
    elif req:
        c.err("undertaker.lead_worker_certificate", "必填")
    return out


def _pre_steps(c: _Checker, p: dict[str, Any], req: bool) -> dict[str, Any]:
    for k in p:
        if k not in PRE_STEP_ORDER:
            c.err(f"pre_steps.{k}", f"未知字段“{k}”")
    dates = {k: c.day(f"pre_steps.{k}", p.get(k), req) for k in PRE_STEP_ORDER}
    known = [(k, d) for k, d in dates.items() if d is not None]
    for (k1, d1), (k2, d2) in itertools.pairwise(known):
        if d2 < d1:
            c.err(f"pre_steps.{k2}", f"应不早于{label('pre_steps.' + k1)}（{d1.isoformat()}）")
    return {k: (d.isoformat() if d else None) for k, d in dates.items()}


def check_before(fields: dict[str, Any], day: date) -> list[FieldError]:
    """The pre-declaration steps must all lie on or before ``day`` (the day of submission)."""
    errors = []
    for key in PRE_STEP_ORDER:
        value = (fields.get("pre_steps") or {}).get(key)
        if value and date.fromisoformat(value) > day:
            path = f"pre_steps.{key}"
            errors.append(FieldError(path, label(path), f"日期 {value} 晚于提交日期 {day.isoformat()}"))
    return errors


def canonical_json(fields: dict[str, Any]) -> str:
    """Deterministic JSON text of the fields (:data:`kernel.canonical.FIELDS`: sorted keys, no spaces)."""
    return cj.text(fields, cj.FIELDS)


def content_hash(fields: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the fields."""
    return cj.sha256_hex(fields, cj.FIELDS)


# -- comparison -------------------------------------------------------------------------------------


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "城市社区" if value else "农村社区"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "；".join(f"{v.get('source')} {v.get('amount')}" for v in value)
        return "、".join(str(v) for v in value)
    return str(value)


def flatten(fields: dict[str, Any]) -> dict[str, str]:
    """Field path → displayed text, one entry per leaf of the form, in form order."""
    out: dict[str, str] = {}
    for key in TOP_KEYS:
        value = fields.get(key)
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                out[f"{key}.{sub}"] = _display(subvalue)
        else:
            out[key] = _display(value)
    return out


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between two versions."""

    field: str
    label: str
    before: str
    after: str


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """Field-by-field differences from ``old`` to ``new``, in the order of the form."""
    a, b = flatten(old), flatten(new)
    keys = list(a) + [k for k in b if k not in a]
    return [FieldChange(k, label(k), a.get(k, ""), b.get(k, "")) for k in keys if a.get(k, "") != b.get(k, "")]
