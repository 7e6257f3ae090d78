"""Third-party evaluation (第三方评估): evaluator offices, assignments, follow-up visits, effect evaluations.

**The evaluator office.** A third-party evaluator is an office of its own kind, ``Level.EVALUATOR``,
beside the region tree. Its code is its province's region code, the letter ``E`` and three digits
(``620000E001``, ``620000E002`` …): it fits the 12-character office-code columns, cannot be mistaken
for a region code (those are digits only), and names the province that certifies it. An evaluator is
set up with ``init --level evaluator --code 620000E001 --name …``, requests a certificate like any
office and is certified by the province only (``office certify`` elsewhere refuses; the certificate's
``level`` records the kind). It certifies no one; its only neighbour is the province. It holds no
regions of its own, reviews nothing and enters no declarations: it holds read-only copies of the
projects assigned to it.

**Assignment.** At the province, ``assign`` gives an approved project to a certified evaluator. The
assignment is a statement signed by the province; it travels to the evaluator with read-only copies
of the project (its versions, opinions and attachments) and down the chain to the project's community.

**Withdrawal.** The province may withdraw an assignment (wrong evaluator, project cancelled) with a
reason, as long as it holds no effect evaluation of the project from that evaluator (:func:`withdraw`).
The withdrawal is a statement signed by the province as well, travelling the same ways; every office
holding the assignment deletes it on receipt and keeps the withdrawal, and the project may be
assigned again. What the evaluator wrote before it learnt of the withdrawal and sends afterwards is
kept aside at the province as a conflict (see :mod:`sanlian_desktop.evaluation.records`).

**Visits and evaluations.** At the evaluator, ``record_visit`` writes a follow-up visit (跟踪回访:
date, who went, findings) and ``record_evaluation`` an effect evaluation: points for each criterion
of :data:`CRITERIA`, the total, a grade 优/良/中/差 and the report (a PDF stored as an attachment).
Both are signed by the evaluator as statements when they first leave it, so they stay verifiable
when the province forwards them down the chain to the project's community. Every office refuses a
visit or an evaluation of a project that is not assigned to the evaluator that signed it, and keeps
what it accepts read-only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import listing
from sanlian_desktop.declarations.workflow import local_today
from sanlian_desktop.kernel.codes import is_evaluator_code
from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Level, Role, Status
from sanlian_desktop.models import (
    CertificateRecord,
    Declaration,
    EffectEvaluation,
    EvaluationAssignment,
    EvaluationWithdrawal,
    FollowUpVisit,
    utcnow,
)
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import attachments, audit


@dataclass(frozen=True)
class Criterion:
    """One criterion of an effect evaluation: its name, the most points it gives and what it asks."""

    name: str
    max_points: int
    asks: str


# The default effect-evaluation criteria, 100 points in all. They follow what the pilot notice asks
# of a project: that it answers the need the community declared, reaches the effect it promised,
# serves people well with social-work methods, spends the subsidy properly, and strengthens the
# community–social organisation–social worker linkage beyond the project itself.
CRITERIA: tuple[Criterion, ...] = (
    Criterion("需求回应", 20, "项目是否回应了申报书所述的社区需求和服务对象的实际需要"),
    Criterion("目标达成", 25, "预期成效和服务指标的完成程度"),
    Criterion("服务质量", 20, "专业方法的运用、服务过程记录和服务对象满意度"),
    Criterion("资金使用", 20, "资金使用是否规范、与预算相符，票据和台账是否完整"),
    Criterion("三社联动", 15, "社区、社会组织、社会工作者协同的成效和项目的可持续性"),
)

# Grades by the share of the maximum total: 优 from 90 %, 良 from 75 %, 中 from 60 %, else 差.
GRADES: tuple[tuple[str, int], ...] = (("优", 90), ("良", 75), ("中", 60), ("差", 0))
GRADE_NAMES = tuple(g for g, _ in GRADES)
MAX_TEXT = 4000


def grade_for(total: int, max_total: int) -> str:
    """The grade a total earns by the thresholds of :data:`GRADES` (exact integer arithmetic)."""
    for grade, percent in GRADES:
        if total * 100 >= percent * max_total:
            return grade
    return GRADES[-1][0]


def max_total(criteria: tuple[Criterion, ...] = CRITERIA) -> int:
    return sum(c.max_points for c in criteria)


def parse_points(text: str) -> dict[str, int]:
    """``需求回应=18,目标达成=22`` (comma, 、 or ， between pairs; = or ：) → {criterion: points}."""
    result: dict[str, int] = {}
    for raw in text.replace("，", ",").replace("、", ",").split(","):
        part = raw.strip()
        if not part:
            continue
        name, sep, value = part.replace("＝", "=").replace("：", "=").replace(":", "=").partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value.isdigit():
            raise UserError(f"评分“{part}”应写成 指标=分数（整数），如 需求回应=18",
                            f"score '{part}' must be CRITERION=POINTS (whole number)")
        if name in result:
            raise UserError(f"指标“{name}”重复评分", f"criterion {name} scored twice")
        result[name] = int(value)
    return result


def check_points(points: dict[str, int]) -> list[dict[str, Any]]:
    """Every criterion scored once, within its range: the scores in criteria order."""
    known = {c.name for c in CRITERIA}
    unknown = [n for n in points if n not in known]
    if unknown:
        raise UserError(f"没有评估指标“{'、'.join(unknown)}”（指标为：{'、'.join(c.name for c in CRITERIA)}）",
                        f"unknown criteria: {', '.join(unknown)}")
    missing = [c.name for c in CRITERIA if c.name not in points]
    if missing:
        raise UserError(f"缺少以下指标的评分：{'、'.join(missing)}", f"criteria not scored: {', '.join(missing)}")
    scores = []
    for c in CRITERIA:
        value = points[c.name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= c.max_points:
            raise UserError(f"“{c.name}”的得分应在 0 至 {c.max_points} 分之间", f"{c.name} must be 0 to {c.max_points}")
        scores.append({"name": c.name, "max": c.max_points, "points": value})
    return scores


# -- who is an evaluator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluator:
    code: str
    name: str


def certified_evaluators(session: Session, province_code: str) -> list[Evaluator]:
    """The evaluator offices this province has certified (and not revoked), by code."""
    from sanlian_desktop.offices import custody as trust

    revoked = trust.revoked_map(session)
    found: dict[str, Evaluator] = {}
    rows = session.scalars(select(CertificateRecord).where(
        CertificateRecord.issuer_code == province_code, CertificateRecord.level == Level.EVALUATOR.value,
        CertificateRecord.not_after > utcnow()).order_by(CertificateRecord.region_code))
    for row in rows:
        if row.serial in revoked:
            continue
        from sanlian_desktop.sync.trust.certs import Cert

        found.setdefault(row.region_code, Evaluator(row.region_code, Cert.decode(row.encoded).office.name))
    return list(found.values())


def _require_level(actor: Actor, level: Level, zh: str, en: str) -> None:
    if actor.office_level is not level:
        raise PermissionDenied(zh, en)


def _province_of(decl: Declaration) -> str:
    return decl.city_code[:2] + "0000"


# -- at the province --------------------------------------------------------------------------------


def assign(session: Session, actor: Actor, decl: Declaration, evaluator_code: str, *, note: str = "",
           on: date | None = None) -> EvaluationAssignment:
    """Assign an approved project to an evaluator office this province certified."""
    _require_level(actor, Level.PROVINCE, "只有省民政厅可以指派第三方评估机构",
                   "only the province assigns evaluators")
    actor.require(Role.ADMIN, Role.REVIEWER, action="指派第三方评估")
    if decl.status != Status.APPROVED:
        raise UserError(f"申报 {decl.number} 当前为“{Status(decl.status).label}”，只有已批准的项目才能指派评估",
                        f"declaration {decl.number} is {decl.status}; only approved projects are evaluated")
    evaluator_code = evaluator_code.strip()
    chosen = next((e for e in certified_evaluators(session, actor.office_code) if e.code == evaluator_code), None)
    if chosen is None:
        raise UserError(f"{evaluator_code} 不是本厅认证的第三方评估机构（或证书已过期、被吊销）",
                        f"{evaluator_code} is not an evaluator office certified by this province")
    held = session.get(EvaluationAssignment, decl.id)
    if held is not None:
        raise UserError(f"项目 {decl.number} 已指派给 {held.evaluator_name}（{held.evaluator_code}）",
                        f"{decl.number} is already assigned to {held.evaluator_code}")
    note = note.strip()
    if len(note) > MAX_TEXT:
        raise UserError("备注过长", "note too long")
    now = utcnow()
    row = EvaluationAssignment(declaration_id=decl.id, evaluator_code=chosen.code, evaluator_name=chosen.name,
                               assigned_on=on or local_today(now), note=note, office_code=actor.office_code,
                               by=actor.username, at=now)
    session.add(row)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="eval.assign",
                 entity="declaration", entity_id=decl.id, details={"evaluator": chosen.code, "number": decl.number})
    return row


def withdraw(session: Session, actor: Actor, decl: Declaration, *, reason: str,
             on: date | None = None) -> EvaluationWithdrawal:
    """Withdraw the project's assignment (wrong evaluator, project cancelled); ``reason`` is required.

    Refused once this province holds an effect evaluation of the project from that evaluator: the
    evaluation is done and stays. Visits already received stay too. The assignment row is deleted
    with the withdrawal, so that the project may be assigned again; the withdrawal, signed at the
    next export, reaches the evaluator and the offices down the chain as the assignment did (an
    assignment never exported never left, and neither does its withdrawal).
    """
    _require_level(actor, Level.PROVINCE, "只有省民政厅可以撤回评估指派",
                   "only the province withdraws assignments")
    actor.require(Role.ADMIN, Role.REVIEWER, action="撤回评估指派")
    held = session.get(EvaluationAssignment, decl.id)
    if held is None:
        raise UserError(f"项目 {decl.number} 没有指派第三方评估机构，无需撤回",
                        f"{decl.number} is not assigned to an evaluator")
    reason = _clean(reason, "撤回理由", MAX_TEXT)
    done = session.scalar(select(EffectEvaluation.id).where(
        EffectEvaluation.declaration_id == decl.id, EffectEvaluation.evaluator_code == held.evaluator_code).limit(1))
    if done is not None:
        raise UserError(f"{held.evaluator_name}（{held.evaluator_code}）已报送项目 {decl.number} 的成效评估，"
                        "不能再撤回指派", f"{held.evaluator_code} has already sent an evaluation of {decl.number}")
    now = utcnow()
    row = EvaluationWithdrawal(
        id=str(uuid.uuid4()), declaration_id=decl.id, evaluator_code=held.evaluator_code,
        evaluator_name=held.evaluator_name, assigned_on=held.assigned_on, assigned_at=held.at,
        withdrawn_on=on or local_today(now), reason=reason, office_code=actor.office_code, by=actor.username,
        at=now, travels=held.signature is not None)
    session.add(row)
    session.delete(held)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="eval.withdraw",
                 entity="declaration", entity_id=decl.id,
                 details={"evaluator": row.evaluator_code, "number": decl.number, "reason": reason})
    return row


def withdrawals_of(session: Session, decl_id: str) -> list[EvaluationWithdrawal]:
    return list(session.scalars(select(EvaluationWithdrawal).where(EvaluationWithdrawal.declaration_id == decl_id)
                                .order_by(EvaluationWithdrawal.at)))


# -- at the evaluator -------------------------------------------------------------------------------


def _assigned_here(session: Session, actor: Actor, decl: Declaration) -> EvaluationAssignment:
    _require_level(actor, Level.EVALUATOR, "跟踪回访和成效评估由第三方评估机构填写",
                   "visits and evaluations are written by the evaluator office")
    held = session.get(EvaluationAssignment, decl.id)
    if held is None or held.evaluator_code != actor.office_code:
        ended = [w for w in withdrawals_of(session, decl.id) if w.evaluator_code == actor.office_code]
        if held is None and ended:
            w = ended[-1]
            raise PermissionDenied(f"省民政厅已于 {w.withdrawn_on} 撤回项目 {decl.number} 对本机构的评估指派"
                                   f"（理由：{w.reason}）", f"the assignment of {decl.number} was withdrawn")
        raise PermissionDenied(f"项目 {decl.number} 没有指派给本机构评估", f"{decl.number} is not assigned to this office")
    return held


def _clean(value: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise UserError(f"请填写{what}", f"{what} is required")
    if len(value) > limit:
        raise UserError(f"{what}过长（不超过 {limit} 字）", f"{what} too long")
    return value


def _not_future(day: date, what: str, now: datetime) -> None:
    if day > local_today(now):
        raise UserError(f"{what}不能晚于今天", f"{what} is in the future")


def record_visit(session: Session, actor: Actor, decl: Declaration, *, visited_on: date, who: str,
                 findings: str) -> FollowUpVisit:
    """A follow-up visit (跟踪回访) to an assigned project."""
    actor.require(Role.CLERK, Role.REVIEWER, Role.ADMIN, action="填写跟踪回访")
    held = _assigned_here(session, actor, decl)
    now = utcnow()
    _not_future(visited_on, "回访日期", now)
    row = FollowUpVisit(id=str(uuid.uuid4()), declaration_id=decl.id, evaluator_code=actor.office_code,
                        evaluator_name=held.evaluator_name or actor.office_name, visited_on=visited_on,
                        who=_clean(who, "回访人员", 200), findings=_clean(findings, "回访发现", MAX_TEXT),
                        by=actor.username, at=now)
    session.add(row)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="eval.visit",
                 entity="declaration", entity_id=decl.id, details={"visit": row.id, "on": visited_on.isoformat()})
    return row


def _is_pdf(path: Path) -> bool:
    try:
        with Path(path).open("rb") as fh:
            return fh.read(5) == b"%PDF-"
    except OSError:
        raise UserError(f"找不到评估报告文件 {path}", f"report file not found: {path}") from None


def record_evaluation(session: Session, actor: Actor, paths: AppPaths, decl: Declaration, *,
                      points: dict[str, int], report: Path, grade: str | None = None, grade_reason: str = "",
                      evaluated_on: date | None = None) -> EffectEvaluation:
    """An effect evaluation of an assigned project: points per criterion, grade and the report (PDF).

    Without ``grade`` the thresholds of :data:`GRADES` give it. A grade other than the thresholds'
    may be chosen with a reason, which is kept with the evaluation.
    """
    actor.require(Role.REVIEWER, Role.ADMIN, action="填写成效评估")
    held = _assigned_here(session, actor, decl)
    now = utcnow()
    day = evaluated_on or local_today(now)
    _not_future(day, "评估日期", now)
    scores = check_points(points)
    total = sum(s["points"] for s in scores)
    by_rule = grade_for(total, max_total())
    reason = (grade_reason or "").strip()
    if grade is None or grade == by_rule:
        grade, reason = by_rule, ""
    elif grade not in GRADE_NAMES:
        raise UserError(f"等级应为 {'、'.join(GRADE_NAMES)} 之一", f"grade must be one of {', '.join(GRADE_NAMES)}")
    elif not reason:
        raise UserError(
            f"总分 {total} 分按标准应评为“{by_rule}”；如确需评为“{grade}”，请写明理由",
            f"a total of {total} gives grade {by_rule}; give a reason to choose {grade}",
        )
    if len(reason) > MAX_TEXT:
        raise UserError("理由过长", "reason too long")
    report = Path(report)
    if not _is_pdf(report):
        raise UserError(f"评估报告应为 PDF 文件：{report.name}", f"the report must be a PDF: {report.name}")
    att = attachments.store_file(session, paths, report)
    row = EffectEvaluation(id=str(uuid.uuid4()), declaration_id=decl.id, evaluator_code=actor.office_code,
                           evaluator_name=held.evaluator_name or actor.office_name, evaluated_on=day, scores=scores,
                           total=total, grade=grade, grade_reason=reason, report_sha256=att.sha256,
                           report_name=report.name[:255], by=actor.username, at=now)
    session.add(row)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="eval.score",
                 entity="declaration", entity_id=decl.id,
                 details={"evaluation": row.id, "total": total, "grade": grade})
    return row


# -- reading ----------------------------------------------------------------------------------------


def assigned_query(actor: Actor) -> Any:
    """At an evaluator: the projects assigned to it; at the province: every assigned project."""
    query = select(Declaration).join(EvaluationAssignment, EvaluationAssignment.declaration_id == Declaration.id)
    if actor.office_level is Level.EVALUATOR:
        query = query.where(EvaluationAssignment.evaluator_code == actor.office_code)
    else:
        query = query.where(listing.jurisdiction_filter(actor))
    return query.order_by(EvaluationAssignment.assigned_on.desc(), Declaration.number)


def visits_of(session: Session, decl_id: str) -> list[FollowUpVisit]:
    return list(session.scalars(select(FollowUpVisit).where(FollowUpVisit.declaration_id == decl_id)
                                .order_by(FollowUpVisit.visited_on, FollowUpVisit.at)))


def evaluations_of(session: Session, decl_id: str) -> list[EffectEvaluation]:
    return list(session.scalars(select(EffectEvaluation).where(EffectEvaluation.declaration_id == decl_id)
                                .order_by(EffectEvaluation.evaluated_on, EffectEvaluation.at)))


def history(session: Session, decl: Declaration) -> dict[str, Any]:
    """The assignment, withdrawn assignments, visits and evaluations of a project, as
    ``evaluate show --json`` gives them."""
    held = session.get(EvaluationAssignment, decl.id)
    return {
        "id": decl.id, "number": decl.number, "title": decl.title, "status": decl.status,
        "community": regions.region_path(session, decl.community_code),
        "assignment": None if held is None else {
            "evaluator": held.evaluator_code, "evaluator_name": held.evaluator_name,
            "assigned_on": held.assigned_on.isoformat(), "note": held.note, "by_office": held.office_code,
            "signed": held.signature is not None,
        },
        "withdrawals": [{
            "evaluator": w.evaluator_code, "evaluator_name": w.evaluator_name,
            "assigned_on": w.assigned_on.isoformat(), "withdrawn_on": w.withdrawn_on.isoformat(),
            "reason": w.reason, "by_office": w.office_code, "signed": w.signature is not None,
        } for w in withdrawals_of(session, decl.id)],
        "visits": [{
            "id": v.id, "date": v.visited_on.isoformat(), "who": v.who, "findings": v.findings,
            "evaluator": v.evaluator_code, "evaluator_name": v.evaluator_name, "signed": v.signature is not None,
        } for v in visits_of(session, decl.id)],
        "evaluations": [{
            "id": e.id, "date": e.evaluated_on.isoformat(), "scores": e.scores, "total": e.total,
            "max_total": sum(int(s["max"]) for s in e.scores), "grade": e.grade, "grade_reason": e.grade_reason,
            "report": {"name": e.report_name, "sha256": e.report_sha256},
            "evaluator": e.evaluator_code, "evaluator_name": e.evaluator_name, "signed": e.signature is not None,
        } for e in evaluations_of(session, decl.id)],
    }


def report_path(paths: AppPaths, evaluation: EffectEvaluation) -> Path:
    """Where the evaluation's report file is stored."""
    return attachments.blob_path(paths, evaluation.report_sha256)


def evaluator_offices(session: Session) -> Iterator[str]:
    """Codes of evaluator offices among the certificates this store holds."""
    for code in session.scalars(select(CertificateRecord.region_code).distinct()):
        if is_evaluator_code(code):
            yield code
