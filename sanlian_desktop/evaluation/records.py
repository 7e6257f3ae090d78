"""How third-party evaluation travels in packages (record kinds registered with sync/kinds.py).

Routes:

* province → evaluator: for each project assigned to that evaluator, read-only copies of the project
  (its batch, street and community, attachments, declaration, submitted versions, opinions and
  attachment links, as the core kinds carry them) and the province's signed assignment — nothing else.
* evaluator → province: the evaluator's own signed visits and evaluations, with their report files.
* down the region chain (province → city → … → community): the assignment, visits and evaluations of
  the projects in the child's jurisdiction, with the report files.

Nothing of this travels up the region chain, and no other kind travels between the province and an
evaluator (:attr:`RecordKind.evaluator`; the province also refuses any core record from an evaluator).

Every office checks what it receives: an assignment must be signed by the project's province and
come from the parent; a visit or an evaluation must be signed by an evaluator office to which the
project is assigned here, and reach the province from that evaluator itself, the other offices from
their parent. A record that fails is refused with the whole package; one that differs from what the
office holds is kept aside as a conflict. Accepted rows are never changed.

**Withdrawals** (``evaluation_withdrawal``) travel like assignments: signed by the province, to the
evaluator concerned and down the chain, from the parent only. An office receiving one keeps it and
deletes the assignment it ends, if it holds that one; an assignment arriving after its withdrawal
(an older package imported late) is not applied again. The kind is registered before assignments,
so that a withdrawal and the project's new assignment in one package apply in that order.

A visit or an evaluation that reaches the province from the evaluator after the province withdrew
that evaluator's assignment is **kept aside as a conflict**, with the withdrawal's date and reason,
not refused. It is no forgery: the evaluator wrote it, properly signed, before it learnt of the
withdrawal, and keeps sending it until the province acknowledges it. Refusing it would refuse the
whole package — the evaluator's records of its other projects with it — and every later package
too, as that record travels in each until acknowledged; kept aside, the rest applies, the package's
receipt stops it travelling, and someone at the province sees what arrived (as with the other records
that may not apply here, such as a progress report sent downward). Offices down the chain accept
such a record from their parent: the province forwards only what it accepted while the assignment
stood.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.canonical import body_text, body_time
from sanlian_desktop.kernel.codes import evaluator_province, is_evaluator_code
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import (
    Attachment,
    Batch,
    Declaration,
    DeclarationAttachment,
    DeclarationVersion,
    EffectEvaluation,
    EvaluationAssignment,
    EvaluationWithdrawal,
    FollowUpVisit,
    Opinion,
    Region,
)
from sanlian_desktop.sync.kinds import records as core
from sanlian_desktop.sync.kinds.records import Record
from sanlian_desktop.sync.kinds.registry import Incoming, Route
from sanlian_desktop.sync.kinds.signed import Admitted, SignedKind, verify

ASSIGNMENT, VISIT, EVALUATION = "evaluation_assignment", "followup_visit", "effect_evaluation"
WITHDRAWAL = "evaluation_withdrawal"


# -- bodies: what the writing office signs -------------------------------------------------------------


def assignment_body(a: EvaluationAssignment) -> dict[str, Any]:
    return {"declaration_id": a.declaration_id, "evaluator_code": a.evaluator_code,
            "evaluator_name": a.evaluator_name, "assigned_on": a.assigned_on.isoformat(), "note": a.note,
            "office_code": a.office_code, "by": a.by, "at": a.at.isoformat()}


def visit_body(v: FollowUpVisit) -> dict[str, Any]:
    return {"id": v.id, "declaration_id": v.declaration_id, "evaluator_code": v.evaluator_code,
            "evaluator_name": v.evaluator_name, "visited_on": v.visited_on.isoformat(), "who": v.who,
            "findings": v.findings, "by": v.by, "at": v.at.isoformat()}


def evaluation_body(e: EffectEvaluation) -> dict[str, Any]:
    return {"id": e.id, "declaration_id": e.declaration_id, "evaluator_code": e.evaluator_code,
            "evaluator_name": e.evaluator_name, "evaluated_on": e.evaluated_on.isoformat(), "scores": e.scores,
            "total": e.total, "grade": e.grade, "grade_reason": e.grade_reason, "report_sha256": e.report_sha256,
            "report_name": e.report_name, "by": e.by, "at": e.at.isoformat()}


def _record(kind: str, key: str, declaration_id: str, signer: str | None, signature: bytes | None) -> Record | None:
    if signature is None:
        return None
    return Record(kind, key, {"declaration_id": declaration_id, "signer": signer,
                              "signature": base64.b64encode(signature).decode()})


def _assignment_record(a: EvaluationAssignment) -> Record | None:
    return _record(ASSIGNMENT, a.declaration_id, a.declaration_id, a.signer_code, a.signature)


def _visit_record(v: FollowUpVisit) -> Record | None:
    return _record(VISIT, v.id, v.declaration_id, v.signer_code, v.signature)


def _evaluation_record(e: EffectEvaluation) -> Record | None:
    return _record(EVALUATION, e.id, e.declaration_id, e.signer_code, e.signature)


# -- which records a neighbour gets ------------------------------------------------------------------


def _evaluator_route(route: Route) -> bool:
    return Level.EVALUATOR in (route.self_level, route.neighbour_level)


def _down_region_route(route: Route) -> bool:
    return not _evaluator_route(route) and route.downward


_CHILD_COLUMN = {Level.CITY: Declaration.city_code, Level.COUNTY: Declaration.county_code,
                 Level.STREET: Declaration.street_code, Level.COMMUNITY: Declaration.community_code}


def _in_child(model: Any, route: Route, what: Any = None) -> Any:
    """``select(what or model)`` limited to the rows of submitted projects in the child office's jurisdiction
    (the projects the core records_for shares with it)."""
    return (select(model if what is None else what).join(Declaration, Declaration.id == model.declaration_id)
            .where(Declaration.submitted_at.is_not(None), _CHILD_COLUMN[route.neighbour_level] == route.neighbour_code))


def _any(session: Session, model: Any) -> bool:
    """Whether the store holds any row of ``model``: most offices hold none, and skip the rest."""
    return session.scalar(select(model.declaration_id).limit(1)) is not None


def _project_copies(session: Session, decl: Declaration, route: Route, sent: set[str]) -> Iterator[Record]:
    """The core records of one project, as records_for gives them to a child office; ``sent`` holds the
    batches, regions and files already given for earlier projects."""
    if decl.batch_id and f"batch:{decl.batch_id}" not in sent:
        batch = session.get(Batch, decl.batch_id)
        if batch is not None:
            sent.add(f"batch:{batch.id}")
            yield core.batch_record(batch)
    for code in (decl.street_code, decl.community_code):
        region = session.get(Region, code)
        if f"region:{code}" not in sent and region is not None and region.level in (Level.STREET, Level.COMMUNITY):
            sent.add(f"region:{code}")
            yield core.region_record(region)
    links = list(session.scalars(select(DeclarationAttachment).where(DeclarationAttachment.declaration_id == decl.id)))
    for link in links:
        att = core.attachment_record(session, link.sha256, route.blob_path)
        if att is not None and f"file:{link.sha256}" not in sent:
            sent.add(f"file:{link.sha256}")
            yield att
    yield core.declaration_record(decl)
    for v in session.scalars(select(DeclarationVersion).where(
            DeclarationVersion.declaration_id == decl.id, DeclarationVersion.frozen.is_(True))):
        yield core.version_record(v)
    for o in session.scalars(select(Opinion).where(Opinion.declaration_id == decl.id)):
        yield core.opinion_record(o)
    for link in links:
        yield core.link_record(link)


def _assignment_records(session: Session, route: Route) -> Iterator[Record]:
    if route.self_level is Level.PROVINCE and route.neighbour_level is Level.EVALUATOR:
        sent: set[str] = set()
        rows = session.scalars(select(EvaluationAssignment).where(
            EvaluationAssignment.evaluator_code == route.neighbour_code,
            EvaluationAssignment.signature.is_not(None)).order_by(EvaluationAssignment.declaration_id))
        for a in rows:
            decl = session.get(Declaration, a.declaration_id)
            if decl is None:
                continue
            yield from _project_copies(session, decl, route, sent)
            if (r := _assignment_record(a)) is not None:
                yield r
    elif _down_region_route(route) and _any(session, EvaluationAssignment):
        yield from ASSIGNMENTS.signed(
            session.scalars(_in_child(EvaluationAssignment, route).order_by(EvaluationAssignment.declaration_id)))


def _rows_for(session: Session, route: Route, model: Any) -> Iterator[Any]:
    if route.self_level is Level.EVALUATOR and route.neighbour_level is Level.PROVINCE:
        yield from session.scalars(select(model).where(model.signer_code == route.self_code).order_by(model.id))
    elif _down_region_route(route) and _any(session, model):
        yield from session.scalars(_in_child(model, route).order_by(model.id))


def _visit_records(session: Session, route: Route) -> Iterator[Record]:
    yield from VISITS.signed(_rows_for(session, route, FollowUpVisit))


def _evaluation_records(session: Session, route: Route) -> Iterator[Record]:
    sent: set[str] = set()
    for e in _rows_for(session, route, EffectEvaluation):
        r = _evaluation_record(e)
        if r is None:
            continue
        if e.report_sha256 not in sent and not _core_sends_file(session, route, e.report_sha256):
            report = core.attachment_record(session, e.report_sha256, route.blob_path)
            if report is not None:
                sent.add(e.report_sha256)
                yield report
        yield r


def _core_sends_file(session: Session, route: Route, sha256: str) -> bool:
    """Whether the core records of a region route already carry this file (a project's attachment)."""
    if not _down_region_route(route):
        return False
    return session.scalar(_in_child(DeclarationAttachment, route, DeclarationAttachment.id).where(
        DeclarationAttachment.sha256 == sha256).limit(1)) is not None


# -- applying what arrives ----------------------------------------------------------------------------


def _declaration(incoming: Incoming, record: Record, body: dict[str, Any] | None = None) -> Declaration:
    decl_id = record.body["declaration_id"]
    if not isinstance(decl_id, str) or (body is not None and body["declaration_id"] != decl_id):
        raise ValueError("declaration id")
    decl = incoming.s.get(Declaration, decl_id)
    if decl is None:
        raise ValueError(f"unknown declaration {decl_id}")
    return decl


def _admit_assignment(incoming: Incoming, record: Record) -> Admitted | None:
    decl = _declaration(incoming, record)
    if not incoming.from_parent:
        raise UserError(f"评估指派只能由上级单位转来，{incoming.sender} 无权报送",
                        f"an assignment comes from the parent office only, not from {incoming.sender}")
    statement, body = verify(incoming, ASSIGNMENT, record.body["signature"], {decl.city_code[:2] + "0000"})
    _declaration(incoming, record, body)
    evaluator = body_text(body["evaluator_code"], 12)
    if not is_evaluator_code(evaluator) or evaluator_province(evaluator) != decl.city_code[:2] + "0000":
        raise ValueError("evaluator code")
    me = incoming.self_code
    if is_evaluator_code(me) and evaluator != me:
        raise UserError(f"收到的评估指派是给 {evaluator} 的，不是本机构", f"the assignment is for {evaluator}, not {me}")
    at = body_time(body["at"])
    if any(w.assigned_at == at for w in _withdrawals(incoming.s, decl.id, evaluator)):
        # Withdrawn since: a late copy, not to be applied again, whatever assignment of the project is held
        # now (a later one is no conflict with it: issue 14, arrival order never decides).
        incoming.report.already += 1
        return None
    return Admitted(body, statement, record.body.get("signer"), decl.id, decl.id)


def _insert_assignment(incoming: Incoming, admitted: Admitted) -> EvaluationAssignment | None:
    body = admitted.body
    at = body_time(body["at"])  # (a withdrawn assignment was dealt with when it was admitted)
    return EvaluationAssignment(
        declaration_id=admitted.key, evaluator_code=body["evaluator_code"],
        evaluator_name=body_text(body["evaluator_name"], 100),
        assigned_on=date.fromisoformat(body["assigned_on"]), note=body_text(body["note"], 4000),
        office_code=body_text(body["office_code"], 12), by=body_text(body["by"], 64), at=at)


def _evaluator_statement(incoming: Incoming, record: Record, kind: str) -> Admitted:
    """Verify a visit or evaluation: signed by an evaluator to which the project is assigned here.

    At the province, one from an evaluator whose assignment of the project was withdrawn is kept aside."""
    decl = _declaration(incoming, record)
    what = "跟踪回访" if kind == VISIT else "成效评估"
    signer = record.body.get("signer")
    if not is_evaluator_code(signer):
        raise UserError(f"{what}记录的签名单位（{signer}）不是第三方评估机构", f"{kind} not signed by an evaluator")
    statement, body = verify(incoming, kind, record.body["signature"], {str(signer)})
    _declaration(incoming, record, body)
    if body["evaluator_code"] != signer or body["id"] != record.key:
        raise UserError(f"{what}记录的评估机构与签名单位不符", f"{kind} names another evaluator than its signer")
    late: str | None = None
    held = incoming.s.get(EvaluationAssignment, decl.id)
    if held is None or held.evaluator_code != signer:
        ended = _withdrawals(incoming.s, decl.id, str(signer))
        if not ended:
            raise UserError(f"项目 {decl.number} 没有指派给 {signer} 评估，不接受其{what}",
                            f"{decl.number} is not assigned to {signer}; its {kind} is refused")
        w = ended[-1]
        late = (f"项目 {decl.number} 对 {w.evaluator_name}（{signer}）的评估指派已于 {w.withdrawn_on} 撤回"
                f"（理由：{w.reason}），撤回后收到的这条{what}不予采用")
    else:
        # Assigned to that evaluator again: what it wrote before this assignment was made belongs to the
        # one withdrawn, and is not taken under the new one (issue 14 §4).
        written = body_time(body["at"])
        ended = [w for w in _withdrawals(incoming.s, decl.id, str(signer)) if w.assigned_at <= written < held.at]
        if ended:
            w = ended[-1]
            late = (f"这条{what}写于 {written.date()}，属于项目 {decl.number} 已于 {w.withdrawn_on} 撤回的评估指派"
                    f"（理由：{w.reason}），不属于 {held.assigned_on} 重新作出的指派，不予采用")
    if incoming.from_parent:
        return Admitted(body, statement, body["evaluator_code"], record.key, decl.id)
    if incoming.sender != signer:
        raise UserError(f"{what}只能由评估机构本身报送或由上级单位转来，{incoming.sender} 无权报送",
                        f"a {kind} comes from its evaluator or from the parent office, not from {incoming.sender}")
    return Admitted(body, statement, body["evaluator_code"], record.key, decl.id, aside=late)


def _admit_visit(incoming: Incoming, record: Record) -> Admitted:
    return _evaluator_statement(incoming, record, VISIT)


def _insert_visit(incoming: Incoming, admitted: Admitted) -> FollowUpVisit:
    body = admitted.body
    return FollowUpVisit(
        id=admitted.key, declaration_id=admitted.declaration_id, evaluator_code=body["evaluator_code"],
        evaluator_name=body_text(body["evaluator_name"], 100), visited_on=date.fromisoformat(body["visited_on"]),
        who=body_text(body["who"], 200), findings=body_text(body["findings"], 4000), by=body_text(body["by"], 64),
        at=body_time(body["at"]))


def _check_scores(body: dict[str, Any]) -> list[dict[str, Any]]:
    scores = body["scores"]
    if not isinstance(scores, list) or not scores:
        raise ValueError("scores")
    total = 0
    for s in scores:
        if set(s) != {"name", "max", "points"} or not isinstance(s["points"], int) or not isinstance(s["max"], int):
            raise ValueError("score")
        if not 0 <= s["points"] <= s["max"]:
            raise ValueError("score range")
        total += s["points"]
    if total != body["total"] or body["grade"] not in ("优", "良", "中", "差"):
        raise ValueError("total or grade")
    return scores


def _admit_evaluation(incoming: Incoming, record: Record) -> Admitted:
    admitted = _evaluator_statement(incoming, record, EVALUATION)
    _check_scores(admitted.body)
    return admitted


def _insert_evaluation(incoming: Incoming, admitted: Admitted) -> EffectEvaluation:
    body = admitted.body
    if incoming.s.get(Attachment, body["report_sha256"]) is None:
        raise ValueError("the evaluation's report did not come with it")
    return EffectEvaluation(
        id=admitted.key, declaration_id=admitted.declaration_id, evaluator_code=body["evaluator_code"],
        evaluator_name=body_text(body["evaluator_name"], 100), evaluated_on=date.fromisoformat(body["evaluated_on"]),
        scores=body["scores"], total=int(body["total"]), grade=body["grade"],
        grade_reason=body_text(body["grade_reason"], 4000), report_sha256=body["report_sha256"],
        report_name=body_text(body["report_name"], 255), by=body_text(body["by"], 64), at=body_time(body["at"]))


# -- withdrawals --------------------------------------------------------------------------------------


def withdrawal_body(w: EvaluationWithdrawal) -> dict[str, Any]:
    return {"id": w.id, "declaration_id": w.declaration_id, "evaluator_code": w.evaluator_code,
            "evaluator_name": w.evaluator_name, "assigned_on": w.assigned_on.isoformat(),
            "assigned_at": w.assigned_at.isoformat(), "withdrawn_on": w.withdrawn_on.isoformat(),
            "reason": w.reason, "office_code": w.office_code, "by": w.by, "at": w.at.isoformat()}


def _withdrawal_record(w: EvaluationWithdrawal) -> Record | None:
    return _record(WITHDRAWAL, w.id, w.declaration_id, w.signer_code, w.signature)


def _withdrawals(session: Session, decl_id: str, evaluator_code: str) -> list[EvaluationWithdrawal]:
    """The withdrawals of the project's assignments to that evaluator held here, oldest first."""
    return list(session.scalars(select(EvaluationWithdrawal).where(
        EvaluationWithdrawal.declaration_id == decl_id, EvaluationWithdrawal.evaluator_code == evaluator_code)
        .order_by(EvaluationWithdrawal.at)))


def _withdrawal_records(session: Session, route: Route) -> Iterator[Record]:
    signed = EvaluationWithdrawal.signature.is_not(None)
    if route.self_level is Level.PROVINCE and route.neighbour_level is Level.EVALUATOR:
        query = select(EvaluationWithdrawal).where(EvaluationWithdrawal.evaluator_code == route.neighbour_code, signed)
    elif _down_region_route(route) and _any(session, EvaluationWithdrawal):
        query = _in_child(EvaluationWithdrawal, route).where(signed)
    else:
        return
    yield from WITHDRAWALS.signed(session.scalars(query.order_by(EvaluationWithdrawal.id)))


def _admit_withdrawal(incoming: Incoming, record: Record) -> Admitted:
    decl_id = record.body["declaration_id"]
    if not isinstance(decl_id, str):
        raise ValueError("declaration id")
    if not incoming.from_parent:
        raise UserError(f"评估指派的撤回只能由省民政厅发出，{incoming.sender} 无权报送",
                        f"a withdrawal comes from the province only, not from {incoming.sender}")
    province = incoming.self_code[:2] + "0000"
    statement, body = verify(incoming, WITHDRAWAL, record.body["signature"], {province})
    if body["declaration_id"] != decl_id or body["id"] != record.key:
        raise ValueError("withdrawal key")
    evaluator = body_text(body["evaluator_code"], 12)
    if not is_evaluator_code(evaluator) or evaluator_province(evaluator) != province:
        raise ValueError("evaluator code")
    me = incoming.self_code
    if is_evaluator_code(me) and evaluator != me:
        raise UserError(f"收到的评估指派撤回是给 {evaluator} 的，不是本机构", f"the withdrawal is for {evaluator}, not {me}")
    return Admitted(body, statement, province, record.key, decl_id)


def _insert_withdrawal(incoming: Incoming, admitted: Admitted) -> EvaluationWithdrawal:
    """The province's withdrawal, deleting the assignment it ends. The project's copy need not be held: an
    evaluator may learn of the withdrawal of an assignment whose package never reached it."""
    body = admitted.body
    row = EvaluationWithdrawal(
        id=admitted.key, declaration_id=admitted.declaration_id, evaluator_code=body["evaluator_code"],
        evaluator_name=body_text(body["evaluator_name"], 100), assigned_on=date.fromisoformat(body["assigned_on"]),
        assigned_at=body_time(body["assigned_at"]), withdrawn_on=date.fromisoformat(body["withdrawn_on"]),
        reason=body_text(body["reason"], 4000), office_code=body_text(body["office_code"], 12), by=body_text(body["by"], 64),
        at=body_time(body["at"]), travels=True)
    if not row.reason.strip():
        raise ValueError("a withdrawal without a reason")
    assignment = incoming.s.get(EvaluationAssignment, admitted.declaration_id)
    if assignment is not None and row.ends(assignment):
        incoming.s.delete(assignment)
    return row


def _group(record: Record) -> str | None:
    value = record.body.get("declaration_id")
    return value if isinstance(value, str) else None


WITHDRAWALS = SignedKind(kind=WITHDRAWAL, model=EvaluationWithdrawal, body=withdrawal_body, record=_withdrawal_record,
                         admit=_admit_withdrawal, insert=_insert_withdrawal,
                         differs="同一项评估指派撤回的内容与本单位保存的不同", sign_only=lambda m: m.travels.is_(True))
ASSIGNMENTS = SignedKind(kind=ASSIGNMENT, model=EvaluationAssignment, body=assignment_body, record=_assignment_record,
                         admit=_admit_assignment, insert=_insert_assignment,
                         differs="同一项目的评估指派与本单位保存的不同")
VISITS = SignedKind(kind=VISIT, model=FollowUpVisit, body=visit_body, record=_visit_record, admit=_admit_visit,
                    insert=_insert_visit, differs="同一条跟踪回访记录的内容与本单位保存的不同", writer="evaluator_code")
EVALUATIONS = SignedKind(kind=EVALUATION, model=EffectEvaluation, body=evaluation_body, record=_evaluation_record,
                         admit=_admit_evaluation, insert=_insert_evaluation,
                         differs="同一份成效评估的内容与本单位保存的不同", writer="evaluator_code")


def register_kinds() -> None:
    """Add evaluation's record kinds to the packages (called by :func:`sanlian_desktop.app.compose`)."""
    WITHDRAWALS.register(_withdrawal_records, group=_group, joins_declaration=True, evaluator=True)
    ASSIGNMENTS.register(_assignment_records, group=_group, joins_declaration=True, evaluator=True)
    VISITS.register(_visit_records, group=_group, joins_declaration=True, evaluator=True)
    EVALUATIONS.register(_evaluation_records, group=_group, joins_declaration=True, evaluator=True)
