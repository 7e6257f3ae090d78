"""申报批次: defined by the province, they set the window in which declarations may be submitted."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import NotFound, PermissionDenied, UserError
from sanlian_desktop.kernel.money import to_fen
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.models import Batch
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import audit


def add_batch(
    session: Session,
    actor: Actor,
    *,
    name: str,
    opens: date,
    closes: date,
    code: str | None = None,
    budget: Decimal | None = None,
    quota_projects: int | None = None,
    quota_communities: int | None = None,
) -> Batch:
    """Define a batch. Only the province office's admin or clerk may; the others receive batches."""
    if actor.office_level is not Level.PROVINCE:
        raise PermissionDenied(
            "申报批次由省民政厅设立，其他单位通过同步包接收", "only the province defines batches"
        )
    actor.require(Role.ADMIN, Role.CLERK, action="管理批次")
    name = name.strip()
    if not name:
        raise UserError("请填写批次名称", "the batch needs a name")
    if closes < opens:
        raise UserError("截止日期应不早于开始日期", "the batch closes before it opens")
    code = (code or str(opens.year)).strip()
    if session.scalar(select(Batch).where(or_(Batch.code == code, Batch.name == name))) is not None:
        raise UserError(
            f"批次“{code}”或同名批次已存在，请用 --code 指定另一个批次代码",
            f"batch '{code}' or one named alike exists; give another --code",
        )
    if budget is not None and budget <= 0:
        raise UserError("预算应大于0", "the budget must be positive")
    for value, label in ((quota_projects, "项目名额"), (quota_communities, "社区名额")):
        if value is not None and value <= 0:
            raise UserError(f"{label}应大于0", "quotas must be positive")
    batch = Batch(
        id=str(uuid.uuid4()), code=code, name=name, opens=opens, closes=closes,
        budget_fen=to_fen(budget) if budget is not None else None,
        quota_projects=quota_projects, quota_communities=quota_communities, created_by=actor.username,
    )
    session.add(batch)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="batch.add", entity="batch",
                 entity_id=batch.id, details={"code": code, "name": name, "opens": opens.isoformat(),
                                              "closes": closes.isoformat()})
    return batch


def list_batches(session: Session) -> list[Batch]:
    """All batches, newest window first."""
    return list(session.scalars(select(Batch).order_by(Batch.opens.desc())))


def find_batch(session: Session, key: str) -> Batch:
    """A batch by its code, name or id."""
    batch = session.scalar(select(Batch).where(or_(Batch.code == key, Batch.name == key, Batch.id == key)))
    if batch is None:
        raise NotFound(f"没有申报批次“{key}”（批次由省民政厅通过同步包下发）", f"no batch '{key}'")
    return batch


def is_open(batch: Batch, day: date) -> bool:
    """Whether ``day`` lies inside the batch's submission window."""
    return batch.opens <= day <= batch.closes
