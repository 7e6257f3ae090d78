"""Expert scoring at the province: a weighted scoring sheet per batch, several experts per declaration.

A criterion has a weight (the weights of a sheet sum to 100) and a top mark; an expert's weighted
total is Σ points × weight / top mark, so with the default sheet (top mark = weight) it is simply the
sum of the points. Arithmetic is exact (fractions) and rounded once, half up, to two places for
showing: the totals, their average, the spread (highest − lowest) and the population standard
deviation of one declaration's totals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from fractions import Fraction

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import NotFound, PermissionDenied, UserError
from sanlian_desktop.kernel.vocab import Level, Role, Status
from sanlian_desktop.models import Batch, Declaration, ExpertScore, ScoringCriterion, utcnow
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import audit

DEFAULT_CRITERIA: tuple[tuple[str, int], ...] = (
    ("需求分析", 20), ("项目设计", 25), ("社工参与", 20), ("预算合理性", 15), ("预期成效", 20),
)
MAX_TOP_MARK = 1000
MAX_SCORER = 64
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Criterion:
    """One line of the scoring sheet."""

    name: str
    weight: int
    max_points: int


@dataclass(frozen=True)
class ScorerTotal:
    """One expert's weighted total for a declaration (exact, and rounded for showing)."""

    scorer: str
    exact: Fraction

    @property
    def total(self) -> Decimal:
        return rounded(self.exact)


@dataclass(frozen=True)
class ScoreSummary:
    """The experts' totals for one declaration, their average and how far they spread."""

    totals: tuple[ScorerTotal, ...]

    @property
    def count(self) -> int:
        return len(self.totals)

    @property
    def average(self) -> Decimal | None:
        if not self.totals:
            return None
        return rounded(self._mean())

    @property
    def spread(self) -> Decimal | None:
        """Highest total minus lowest."""
        if not self.totals:
            return None
        values = [t.exact for t in self.totals]
        return rounded(max(values) - min(values))

    @property
    def stdev(self) -> Decimal | None:
        """Population standard deviation of the totals (0 for a single expert)."""
        if not self.totals:
            return None
        mean = self._mean()
        variance = sum(((t.exact - mean) ** 2 for t in self.totals), Fraction(0)) / len(self.totals)
        with localcontext() as ctx:
            ctx.prec = 40
            root = (Decimal(variance.numerator) / Decimal(variance.denominator)).sqrt()
        return root.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)

    def _mean(self) -> Fraction:
        return sum((t.exact for t in self.totals), Fraction(0)) / len(self.totals)


def rounded(value: Fraction) -> Decimal:
    """A fraction rounded half up to two decimal places."""
    scaled = value * 100
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    return (Decimal(-whole if scaled < 0 else whole) / 100).quantize(TWO_PLACES)


def weighted_total(criteria: list[Criterion], points: dict[str, Decimal]) -> Fraction:
    """Σ points × weight / top mark over the sheet, exactly."""
    total = Fraction(0)
    for c in criteria:
        total += Fraction(points[c.name]) * c.weight / c.max_points
    return total


# -- who may score ------------------------------------------------------------------------------------


def require_province(actor: Actor, action: str = "遴选项目") -> None:
    """Selection and scoring are the province office's, for its reviewers and admins."""
    if actor.office_level is not Level.PROVINCE:
        raise PermissionDenied("项目遴选和专家评分由省民政厅进行", "selection and scoring happen at the province")
    actor.require(Role.REVIEWER, Role.ADMIN, action=action)


# -- the scoring sheet --------------------------------------------------------------------------------


def criteria(session: Session, batch: Batch) -> list[Criterion]:
    """The batch's scoring sheet: as set, or the defaults while nobody has set it."""
    rows = list(session.scalars(select(ScoringCriterion).where(ScoringCriterion.batch_id == batch.id)
                                .order_by(ScoringCriterion.position)))
    if rows:
        return [Criterion(r.name, r.weight, r.max_points) for r in rows]
    return [Criterion(name, weight, weight) for name, weight in DEFAULT_CRITERIA]


def sheet_locked(session: Session, batch: Batch) -> bool:
    """True once any score of the batch is recorded: the sheet can no longer change."""
    return session.scalar(select(ExpertScore.id).where(ExpertScore.batch_id == batch.id).limit(1)) is not None


def _parts(text: str) -> list[str]:
    """Comma-separated items, Chinese commas and semicolons too, without blanks."""
    pieces = text.replace("，", ",").replace("；", ",").replace(";", ",").split(",")
    return [p.strip() for p in pieces if p.strip()]


def parse_criteria(text: str) -> list[Criterion]:
    """``需求分析=20,项目设计=25/50,…``: name = weight, optionally / top mark (default: the weight)."""
    items: list[Criterion] = []
    for part in _parts(text):
        name, eq, value = part.partition("=")
        if not eq:
            raise UserError(f"“{part}”应写成 名称=权重 或 名称=权重/满分", f"'{part}' is not name=weight[/max]")
        weight_text, slash, top_text = value.partition("/")
        weight, top = _whole(weight_text, name), _whole(top_text, name) if slash else None
        items.append(Criterion(name.strip(), weight, top if top is not None else weight))
    return items


def _whole(text: str, name: str) -> int:
    text = text.strip()
    if not text.isdigit():
        raise UserError(f"评分项“{name.strip()}”的权重和满分应为正整数（“{text}”）", f"'{text}' is not a whole number")
    return int(text)


def check_criteria(items: list[Criterion]) -> None:
    """Refuse a sheet that is empty, has unnamed or repeated lines, or weights not summing to 100."""
    if not items:
        raise UserError("评分表至少需要一个评分项", "the sheet needs a criterion")
    seen: set[str] = set()
    for c in items:
        if not c.name or len(c.name) > 32:
            raise UserError("评分项名称不能为空，也不能超过32字", "a criterion needs a name of at most 32 characters")
        if c.name in seen:
            raise UserError(f"评分项“{c.name}”重复", f"criterion '{c.name}' repeated")
        seen.add(c.name)
        if c.weight <= 0 or not 0 < c.max_points <= MAX_TOP_MARK:
            raise UserError(f"评分项“{c.name}”的权重应大于0，满分应在1至{MAX_TOP_MARK}之间",
                            f"criterion '{c.name}': weight > 0 and 1 <= max <= {MAX_TOP_MARK}")
    total = sum(c.weight for c in items)
    if total != 100:
        raise UserError(f"各评分项权重之和应为100，现为{total}", f"the weights sum to {total}, not 100")


def set_criteria(session: Session, actor: Actor, batch: Batch, items: list[Criterion]) -> list[Criterion]:
    """Replace the batch's scoring sheet; refused once any score of the batch is recorded."""
    require_province(actor, "设置评分表")
    check_criteria(items)
    if sheet_locked(session, batch):
        raise UserError(f"“{batch.name}”已有专家评分，评分表不能再修改",
                        "scores are recorded for the batch; the sheet is fixed")
    _store_sheet(session, actor, batch, items)
    audit.record(session, office=actor.office_code, user=actor.username, action="score.criteria",
                 entity="batch", entity_id=batch.id,
                 details={"criteria": [[c.name, c.weight, c.max_points] for c in items]})
    return items


def _store_sheet(session: Session, actor: Actor, batch: Batch, items: list[Criterion]) -> None:
    session.execute(delete(ScoringCriterion).where(ScoringCriterion.batch_id == batch.id))
    for i, c in enumerate(items, 1):
        session.add(ScoringCriterion(batch_id=batch.id, position=i, name=c.name, weight=c.weight,
                                     max_points=c.max_points, updated_by=actor.username))
    session.flush()


# -- scores -------------------------------------------------------------------------------------------


def parse_points(text: str) -> dict[str, str]:
    """``需求分析=18,项目设计=22.5,…`` into {criterion: points text}."""
    out: dict[str, str] = {}
    for part in _parts(text):
        name, eq, value = part.partition("=")
        if not eq:
            raise UserError(f"“{part}”应写成 评分项=分数", f"'{part}' is not criterion=points")
        out[name.strip()] = value.strip()
    return out


def _points(items: list[Criterion], given: dict[str, object]) -> dict[str, Decimal]:
    names = [c.name for c in items]
    unknown = [k for k in given if k not in names]
    if unknown:
        raise UserError(f"评分表中没有“{unknown[0]}”（评分项：{'、'.join(names)}）", f"no criterion '{unknown[0]}'")
    missing = [n for n in names if n not in given]
    if missing:
        raise UserError(f"缺少评分项“{'、'.join(missing)}”的分数", f"points missing for {', '.join(missing)}")
    out: dict[str, Decimal] = {}
    for c in items:
        raw = given[c.name]
        try:
            if isinstance(raw, float | bool):
                raise InvalidOperation
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise UserError(f"“{c.name}”的分数“{raw}”不是数字", f"points for '{c.name}' are not a number") from None
        if not value.is_finite() or value != value.quantize(TWO_PLACES):
            raise UserError(f"“{c.name}”的分数最多两位小数", f"points for '{c.name}': at most two decimals")
        if not 0 <= value <= c.max_points:
            raise UserError(f"“{c.name}”的分数应在0至{c.max_points}之间（现为{value}）",
                            f"points for '{c.name}' must lie in 0..{c.max_points}")
        out[c.name] = value.quantize(TWO_PLACES) if value != value.to_integral_value() else value.quantize(Decimal(1))
    return out


def scorable(decl: Declaration) -> bool:
    """Whether experts may score the declaration: in a batch and awaiting the province, or approved."""
    if decl.batch_id is None:
        return False
    awaiting = decl.status == Status.UNDER_REVIEW and decl.awaiting_office == regions.PROVINCE_CODE
    return awaiting or decl.status == Status.APPROVED


def add_score(session: Session, actor: Actor, decl: Declaration, *, scorer: str, points: dict[str, object],
              replace: bool = False, now: datetime | None = None) -> ExpertScore:
    """Record one expert's marks for a declaration; the first score of a batch fixes its sheet.

    The same expert scoring the declaration again is refused unless ``replace`` (a correction, whose
    old marks stay in the audit log).
    """
    now = now or utcnow()
    require_province(actor, "录入专家评分")
    scorer = " ".join((scorer or "").split())
    if not scorer or len(scorer) > MAX_SCORER:
        raise UserError(f"请填写评审专家姓名（不超过{MAX_SCORER}字）", "give the scorer's name")
    if not scorable(decl):
        raise UserError(f"申报 {decl.number} 不在省民政厅待遴选的申报之中，不能评分",
                        f"declaration {decl.number} is not awaiting the province")
    batch = session.get(Batch, decl.batch_id)
    if batch is None:
        raise NotFound("没有找到该申报的批次", "the declaration's batch is missing")
    items = criteria(session, batch)
    values = _points(items, points)
    if not sheet_locked(session, batch) and session.scalar(
            select(func.count()).select_from(ScoringCriterion).where(ScoringCriterion.batch_id == batch.id)) == 0:
        _store_sheet(session, actor, batch, items)  # the defaults become the batch's fixed sheet
    existing = session.scalar(select(ExpertScore).where(ExpertScore.declaration_id == decl.id,
                                                        ExpertScore.scorer == scorer))
    stored = {k: str(v) for k, v in values.items()}
    details = {"number": decl.number, "scorer": scorer, "points": stored,
               "total": str(rounded(weighted_total(items, values)))}
    if existing is not None:
        if not replace:
            raise UserError(f"{scorer} 已为申报 {decl.number} 评分；如需更正请选择“更正”（命令行 --replace）",
                            f"{scorer} has scored {decl.number}; use --replace to correct")
        details["replaced"] = dict(existing.points)
        existing.points, existing.scored_at, existing.entered_by = stored, now, actor.username
        score = existing
    else:
        score = ExpertScore(id=str(uuid.uuid4()), declaration_id=decl.id, batch_id=batch.id, scorer=scorer,
                            points=stored, scored_at=now, entered_by=actor.username)
        session.add(score)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username,
                 action="score.replace" if existing is not None else "score.add",
                 entity="declaration", entity_id=decl.id, details=details, at=now)
    return score


def scores_for(session: Session, decl: Declaration) -> list[ExpertScore]:
    """The experts' scores for a declaration, in the order they were entered."""
    return list(session.scalars(select(ExpertScore).where(ExpertScore.declaration_id == decl.id)
                                .order_by(ExpertScore.scored_at, ExpertScore.scorer)))


def summarise(items: list[Criterion], scores: list[ExpertScore]) -> ScoreSummary:
    """Weighted totals, average and spread of a declaration's scores."""
    return ScoreSummary(tuple(
        ScorerTotal(s.scorer, weighted_total(items, {k: Decimal(str(v)) for k, v in s.points.items()}))
        for s in scores))


def batch_summaries(session: Session, batch: Batch) -> dict[str, ScoreSummary]:
    """Every scored declaration of the batch → its summary (one query)."""
    items = criteria(session, batch)
    by_decl: dict[str, list[ExpertScore]] = {}
    for s in session.scalars(select(ExpertScore).where(ExpertScore.batch_id == batch.id)
                             .order_by(ExpertScore.scored_at)):
        by_decl.setdefault(s.declaration_id, []).append(s)
    return {d: summarise(items, rows) for d, rows in by_decl.items()}
