"""Applying records received from a neighbour office to the store, and what each neighbour holds.

Everything is applied in the caller's transaction. A record that disagrees with what this office
already holds is never dropped or overwritten: it is kept aside in the conflicts list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NoReturn

from sqlalchemy import func, select
from sqlalchemy.exc import InvalidRequestError, OperationalError, StatementError
from sqlalchemy.orm import Session

from sanlian_desktop import declfields, regions, workflow
from sanlian_desktop.errors import UserError
from sanlian_desktop.fileio import atomic_write
from sanlian_desktop.models import (
    Attachment,
    Batch,
    Declaration,
    DeclarationAttachment,
    DeclarationVersion,
    Opinion,
    Region,
    SyncConflict,
    SyncItem,
    utcnow,
)
from sanlian_desktop.money import parse_money, to_fen
from sanlian_desktop.paths import AppPaths
from sanlian_desktop.sync import kinds as extensions
from sanlian_desktop.sync.records import KINDS, Record, opinion_body, version_body
from sanlian_desktop.vocab import Decision, Level

# verify(statement_bytes, kind, expected_signer_code) -> the signed body, or raises UserError
Verifier = Callable[[bytes, str, set[str]], dict[str, Any]]


class BadRecord(UserError):
    """A record whose shape is wrong: the package is refused whole."""


# What a record of the wrong shape or type raises on its way into the store (a value of the wrong
# type reaches SQLite, a key of the wrong type reaches session.get, a reference points nowhere).
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, StatementError, InvalidRequestError)


def _refuse(exc: Exception, what: str, key: str) -> NoReturn:
    """Refuse the package for a malformed record; a failing disk or a locked store stays what it is."""
    if isinstance(exc, OperationalError):
        raise exc
    raise _bad(what, key) from None


def _bad(what: str, key: str) -> BadRecord:
    return BadRecord(f"数据包中的记录不完整或格式错误（{what} {key}）", f"malformed record {what} {key}")


@dataclass
class ApplyReport:
    """What an import did (or, in a preview, would do)."""

    applied: int = 0
    already: int = 0
    conflicts: int = 0
    touched: set[str] = field(default_factory=set)
    new_declarations: int = 0
    state_changes: list[tuple[str, str, str]] = field(default_factory=list)  # number, before, after

    def as_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "already_present": self.already, "conflicting": self.conflicts,
                "new_declarations": self.new_declarations,
                "state_changes": [{"number": n, "from": a, "to": b} for n, a, b in self.state_changes]}


def _time(value: Any, key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _bad("time", key) from None
    if moment.tzinfo is None:
        raise _bad("time", key)
    return moment


class Applier:
    """Applies one package's records, in order, inside the caller's transaction."""

    def __init__(self, session: Session, paths: AppPaths, *, self_code: str, sender_code: str,
                 sender_is_parent: bool, package_id: str, verify: Verifier, preview: bool = False) -> None:
        self.s = session
        self.paths = paths
        self.self_code = self_code
        self.sender = sender_code
        self.from_parent = sender_is_parent
        self.package_id = package_id
        self.verify = verify
        self.preview = preview
        self.report = ApplyReport()
        # Rows the package refers to that this store does not hold, found with a few batched queries
        # up front, so that each record does not ask the store for them one by one.
        self._absent: set[tuple[type, Any]] = set()
        self._held: list[Any] = []  # the identity map holds rows weakly
        # Declarations new with this package: their opinions are all in memory, none in the store.
        self._new_opinions: dict[str, list[tuple[int, str, int]]] = {}

    def conflict(self, record: Record, reason: str, declaration_id: str | None = None) -> None:
        """Keep a record that disagrees with this store aside, for a person to decide."""
        self._conflict(record, reason, declaration_id)

    def _conflict(self, record: Record, reason: str, declaration_id: str | None = None) -> None:
        self.s.add(SyncConflict(declaration_id=declaration_id, kind=record.kind, key=record.key, record=record.body,
                                reason=reason, from_office=self.sender, package_id=self.package_id))
        self.report.conflicts += 1

    def _get(self, model: type, key: Any) -> Any:
        if (model, key) in self._absent:
            return None
        return self.s.get(model, key)

    def _added(self, model: type, key: Any) -> None:
        self._absent.discard((model, key))

    def _preload(self, records: list[Record]) -> None:
        decl_ids = {g for r in records if isinstance(g := _group_of(r), str)}
        opinion_ids = {r.key for r in records if r.kind == "opinion"}
        versions = {(d, int(v)) for r in records if r.kind == "version"
                    for d, _, v in [r.key.rpartition(":")] if v.isdigit()}
        for chunk in _chunks(sorted(decl_ids)):
            found = list(self.s.scalars(select(Declaration).where(Declaration.id.in_(chunk))))
            self._held.extend(found)
            self._absent.update((Declaration, d) for d in set(chunk) - {d.id for d in found})
            held = {(d, v) for d, v in self.s.execute(select(
                DeclarationVersion.declaration_id, DeclarationVersion.version).where(
                DeclarationVersion.declaration_id.in_(chunk)))}
            members = set(chunk)
            self._absent.update((DeclarationVersion, k) for k in versions if k[0] in members and k not in held)
        for chunk in _chunks(sorted(opinion_ids)):
            held_ids = set(self.s.scalars(select(Opinion.id).where(Opinion.id.in_(chunk))))
            self._absent.update((Opinion, o) for o in set(chunk) - held_ids)

    def apply(self, records: Iterable[Record]) -> ApplyReport:
        before = {}
        records = list(records)
        try:
            self._preload(records)
        except _MALFORMED as exc:
            _refuse(exc, "records", self.package_id)
        for record in records:
            handler = self._handler(record)
            decl_id = record.body.get("declaration_id") or (record.key if record.kind == "declaration" else None)
            if isinstance(decl_id, str) and decl_id not in before:
                existing = self._get(Declaration, decl_id)
                before[decl_id] = existing.status if existing else "new"
            try:
                handler(record)
            except _MALFORMED as exc:
                _refuse(exc, record.kind, record.key)
        try:
            self.s.flush()
        except _MALFORMED as exc:
            _refuse(exc, "records", self.package_id)
        for decl_id in sorted(self.report.touched):
            decl = self.s.get(Declaration, decl_id)
            if decl is None:
                continue
            workflow.apply_derived_state(self.s, decl)
            _copy_current(self.s, decl)
            if before.get(decl_id) != decl.status:
                self.report.state_changes.append((decl.number, before.get(decl_id, "new"), decl.status))
        self.s.flush()
        return self.report

    def _handler(self, record: Record) -> Callable[[Record], None]:
        if record.kind in KINDS:
            core: Callable[[Record], None] = getattr(self, f"_{record.kind}")
            return core
        extra = extensions.get(record.kind)
        if extra is None:
            raise _bad(record.kind, record.key)
        return lambda r: extra.apply(self, r)

    # -- one handler per kind -----------------------------------------------------------------------

    def _region(self, record: Record) -> None:
        b = record.body
        if not isinstance(b.get("code"), str) or b["code"] != record.key:
            raise _bad("region", record.key)
        region = self.s.get(Region, b["code"])
        if region is not None:
            # The office closest to a street or community knows it best: its data win upward.
            values = {"name": str(b["name"])[:100], "rural": b.get("rural"), "population": b.get("population"),
                      "households": b.get("households")}
            from_below = not self.from_parent and regions.is_within(self.s, region.code, self.sender)
            if from_below and any(getattr(region, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(region, k, v)
                region.pinyin = regions.pinyin_initials(region.name)
                self.report.applied += 1
            else:
                self.report.already += 1
            return
        regions.add_region(self.s, code=b["code"], name=b["name"], within=regions.PROVINCE_CODE,
                           rural=b.get("rural"), population=b.get("population"), households=b.get("households"),
                           create_missing_street=True)
        self.report.applied += 1

    def _batch(self, record: Record) -> None:
        b = record.body
        if not self.from_parent:
            self._conflict(record, "申报批次只能来自上级单位")
            return
        values = {"code": b["code"], "name": b["name"], "opens": date.fromisoformat(b["opens"]),
                  "closes": date.fromisoformat(b["closes"]), "budget_fen": b.get("budget_fen"),
                  "quota_projects": b.get("quota_projects"), "quota_communities": b.get("quota_communities")}
        batch = self.s.get(Batch, b["id"])
        if batch is None:
            clash = self.s.scalar(select(Batch).where(Batch.code == values["code"]))
            if clash is not None:
                self._conflict(record, f"本单位已有代码为 {values['code']} 的另一个申报批次")
                return
            self.s.add(Batch(id=b["id"], created_by=f"office:{self.sender}", **values))
            self.report.applied += 1
            return
        if all(getattr(batch, k) == v for k, v in values.items()):
            self.report.already += 1
            return
        for k, v in values.items():
            setattr(batch, k, v)
        self.report.applied += 1

    def _attachment(self, record: Record) -> None:
        sha = record.key
        if self.s.get(Attachment, sha) is not None:
            self.report.already += 1
            return
        if record.blob is None:
            raise _bad("attachment", sha)
        if self.preview:
            self.s.add(Attachment(sha256=sha, size=int(record.body.get("size", 0))))
            self.s.flush()
            self.report.applied += 1
            return
        digest = hashlib.sha256()
        target = self.paths.attachments / sha[:2] / sha
        target.parent.mkdir(parents=True, exist_ok=True)
        with record.blob() as src, atomic_write(target) as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
            if digest.hexdigest() != sha:
                raise UserError("附件内容与其摘要不符", "attachment content does not match its hash")
        self.s.add(Attachment(sha256=sha, size=target.stat().st_size))
        self.s.flush()
        self.report.applied += 1

    def _declaration(self, record: Record) -> None:
        b = record.body
        decl = self._get(Declaration, b["id"])
        identity = ("number", "community_code", "street_code", "county_code", "city_code", "entered_by_office")
        if decl is not None:
            if any(getattr(decl, k) != b[k] for k in identity):
                self._conflict(record, "同一申报的编号或所属社区与本单位记录不同", b["id"])
            else:
                self.report.already += 1
            return
        community = self.s.get(Region, b["community_code"])
        if community is None:
            raise _bad("declaration", b["id"])
        j = workflow.jurisdiction_of(self.s, b["community_code"])
        if (j.street, j.county, j.city) != (b["street_code"], b["county_code"], b["city_code"]):
            self._conflict(record, "申报的所属街道或县区与本单位的区划数据不符", b["id"])
            return
        if b.get("batch_id") and self.s.get(Batch, b["batch_id"]) is None:
            raise UserError(f"申报 {b['number']} 所属的申报批次本单位尚未收到", "the declaration's batch is unknown here")
        self.s.add(Declaration(
            id=b["id"], number=b["number"], community_code=b["community_code"], street_code=b["street_code"],
            county_code=b["county_code"], city_code=b["city_code"], batch_id=b.get("batch_id"), status="draft",
            current_version=1, entered_by_office=b["entered_by_office"], from_paper=bool(b["from_paper"]),
            title="", created_at=_time(b["created_at"], b["id"]), created_by=str(b.get("created_by", "")),
            updated_at=utcnow(),
        ))
        self.s.flush()
        self._held.append(self.s.get(Declaration, b["id"]))  # later records of the package look it up
        self._added(Declaration, b["id"])
        self._new_opinions[b["id"]] = []
        self.report.applied += 1
        self.report.new_declarations += 1
        self.report.touched.add(b["id"])

    def _version(self, record: Record) -> None:
        decl_id, version = record.key.rsplit(":", 1)
        decl = self.s.get(Declaration, decl_id)
        if decl is None:
            raise _bad("version", record.key)
        body = self.verify(_statement(record), "version", {decl.entered_by_office})
        if body["declaration_id"] != decl_id or int(body["version"]) != int(version):
            raise _bad("version", record.key)
        fields = body["fields"]
        checked = declfields.normalise(fields, for_submit=True)
        if checked.errors or declfields.content_hash(fields) != body["content_hash"]:
            self._conflict(record, "收到的申报内容不完整或与其摘要不符", decl_id)
            return
        existing = self._get(DeclarationVersion, (decl_id, int(version)))
        if existing is not None:
            if existing.content_hash == body["content_hash"] and existing.frozen:
                self.report.already += 1
            else:
                self._conflict(record, f"第 {version} 版的内容与本单位保存的不同", decl_id)
            return
        row = DeclarationVersion(
            declaration_id=decl_id, version=int(version), fields=fields, content_hash=body["content_hash"],
            frozen=True, created_by=str(body.get("created_by", "")), submitted_at=_time(body["submitted_at"], record.key),
            signer_code=decl.entered_by_office, signature=_statement(record),
        )
        self.s.add(row)
        self._held.append(row)
        self._added(DeclarationVersion, (decl_id, int(version)))
        self.report.applied += 1
        self.report.touched.add(decl_id)

    def _opinion(self, record: Record) -> None:
        b = record.body.get("body") or {}
        decl = self.s.get(Declaration, b.get("declaration_id", ""))
        if decl is None:
            raise _bad("opinion", record.key)
        expected = {decl.entered_by_office} if b.get("from_paper") else {b.get("office_code", "")}
        body = self.verify(_statement(record), "opinion", expected)
        if body.get("id") != record.key:
            raise _bad("opinion", record.key)
        existing = self._get(Opinion, record.key)
        if existing is not None:
            same = opinion_body(existing) == body
            if same:
                self.report.already += 1
            else:
                self._conflict(record, "同一条审核意见的内容与本单位保存的不同", decl.id)
            return
        level = Level(body["level"])
        stage = next((s for s in workflow.stages_for(decl) if s.level is level), None)
        if stage is None or stage.office_code != body["office_code"]:
            self._conflict(record, "审核意见的单位与该申报的审核环节不符", decl.id)
            return
        new = self._new_opinions.get(decl.id)
        if new is not None:
            rival = any(v == int(body["version"]) and lv == level.value for v, lv, _ in new)
        else:
            rival = self.s.scalar(select(Opinion.id).where(
                Opinion.declaration_id == decl.id, Opinion.version == int(body["version"]),
                Opinion.level == level.value)) is not None
        if rival:
            self._conflict(record, f"{level.label}对第 {body['version']} 版已有另一条意见", decl.id)
            return
        Decision(body["decision"])
        if new is not None:
            seq = max((q for _, _, q in new), default=0) + 1
        else:
            seq = (self.s.scalar(select(func.max(Opinion.seq)).where(Opinion.declaration_id == decl.id)) or 0) + 1
        self.s.add(Opinion(
            id=body["id"], declaration_id=decl.id, seq=seq, version=int(body["version"]), level=level.value,
            office_code=body["office_code"], office_name=body["office_name"], reviewer=body["reviewer"],
            reviewer_name=body.get("reviewer_name", ""), decision=body["decision"], text=body["text"],
            decided_on=date.fromisoformat(body["decided_on"]), at=_time(body["at"], record.key),
            granted_fen=body.get("granted_fen"), from_paper=bool(body.get("from_paper")),
            scan_sha256=body.get("scan_sha256") if body.get("scan_sha256") and self.s.get(
                Attachment, body["scan_sha256"]) is not None else None,
            signer_code=record.body.get("signer"), signature=_statement(record),
        ))
        self._added(Opinion, record.key)
        if new is not None:
            new.append((int(body["version"]), level.value, seq))
        else:
            self.s.flush()
        self.report.applied += 1
        self.report.touched.add(decl.id)

    def _attachment_link(self, record: Record) -> None:
        b = record.body
        if self.s.get(Declaration, b["declaration_id"]) is None or self.s.get(Attachment, b["sha256"]) is None:
            raise _bad("attachment_link", record.key)
        exists = self.s.scalar(select(DeclarationAttachment.id).where(
            DeclarationAttachment.declaration_id == b["declaration_id"], DeclarationAttachment.sha256 == b["sha256"],
            DeclarationAttachment.original_name == b["original_name"]))
        if exists is not None:
            self.report.already += 1
            return
        self.s.add(DeclarationAttachment(declaration_id=b["declaration_id"], sha256=b["sha256"],
                                         original_name=str(b["original_name"])[:255], kind=str(b.get("kind", "other")),
                                         added_by=str(b.get("added_by", ""))))
        self.report.applied += 1


def _chunks(keys: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(keys), size):
        yield keys[i:i + size]


def _statement(record: Record) -> bytes:
    import base64

    sig = record.body.get("signature")
    if not isinstance(sig, str):
        raise _bad(record.kind, record.key)
    return base64.b64decode(sig)


def _copy_current(session: Session, decl: Declaration) -> None:
    """Refresh the list columns from the current version (a received declaration has no local edits)."""
    row = session.get(DeclarationVersion, (decl.id, decl.current_version))
    if row is None:
        return
    fields = row.fields
    if decl.title != fields["title"]:
        decl.title = fields["title"]
        decl.title_pinyin = regions.pinyin_initials(fields["title"])
    decl.focus_areas = "、".join(fields.get("focus_areas") or [])
    decl.budget_fen = to_fen(parse_money(fields["budget_total"]))
    decl.requested_fen = to_fen(parse_money(fields["subsidy_requested"]))
    decl.updated_at = utcnow()


# -- what each neighbour holds ----------------------------------------------------------------------


def unacknowledged(session: Session, neighbour: str, records: Iterable[Record]) -> list[Record]:
    """The records whose current form the neighbour has not acknowledged."""
    acked = {(i.kind, i.key): i.acked_hash for i in session.scalars(
        select(SyncItem).where(SyncItem.neighbour_code == neighbour))}
    return [r for r in records if acked.get((r.kind, r.key)) != r.hash]


def _items(session: Session, neighbour: str) -> dict[tuple[str, str], SyncItem]:
    """Every record the neighbour was sent or acknowledged, in one query."""
    session.flush()
    return {(i.kind, i.key): i for i in session.scalars(select(SyncItem).where(SyncItem.neighbour_code == neighbour))}


def mark_sent(session: Session, neighbour: str, records: Iterable[Record], package_id: str, at: datetime) -> None:
    """Remember what went into a package to the neighbour."""
    items = _items(session, neighbour)
    for r in records:
        item = items.get((r.kind, r.key))
        if item is None:
            item = items[r.kind, r.key] = SyncItem(neighbour_code=neighbour, kind=r.kind, key=r.key)
            session.add(item)
        item.sent_hash, item.sent_package, item.sent_at = r.hash, package_id, at


def mark_acknowledged(session: Session, neighbour: str, entries: Iterable[tuple[str, str, str]], at: datetime) -> int:
    """Record the neighbour's receipt: (kind, key, hash) it holds now. Returns how many were new."""
    count = 0
    items = _items(session, neighbour)
    for kind, key, digest in entries:
        item = items.get((kind, key))
        if item is None:
            item = items[kind, key] = SyncItem(neighbour_code=neighbour, kind=kind, key=key)
            session.add(item)
        if item.acked_hash != digest:
            item.acked_hash, item.acked_at = digest, at
            count += 1
    session.flush()
    return count


def sign_own_records(session: Session, self_code: str, sign: Callable[[str, dict[str, Any]], bytes]) -> int:
    """Sign this office's opinions and submitted versions that have not left it yet."""
    count = 0
    for o in session.scalars(select(Opinion).where(Opinion.signature.is_(None))):
        decl = session.get(Declaration, o.declaration_id)
        signer = decl.entered_by_office if (o.from_paper and decl is not None) else o.office_code
        if signer == self_code:
            o.signature, o.signer_code = sign("opinion", opinion_body(o)), self_code
            count += 1
    for v in session.scalars(select(DeclarationVersion).where(
            DeclarationVersion.signature.is_(None), DeclarationVersion.frozen.is_(True))):
        decl = session.get(Declaration, v.declaration_id)
        if decl is not None and decl.entered_by_office == self_code:
            v.signature, v.signer_code = sign("version", version_body(v)), self_code
            count += 1
    for kind in extensions.extra_kinds():
        if kind.sign_own is not None:
            count += kind.sign_own(session, self_code, sign)
    session.flush()
    return count


def _package_group(record: Record) -> str | None:
    """What keeps records together in one package: their declaration, or an extension kind's group."""
    if record.kind in KINDS:
        return _group_of(record)
    extra = extensions.get(record.kind)
    if extra is None or extra.group is None:
        return None
    group = extra.group(record)
    return None if group is None else f"{record.kind}:{group}"


def _group_of(record: Record) -> str | None:
    """The declaration a record travels with (None for regions, batches and revocations)."""
    if record.kind == "declaration":
        return record.key
    if record.kind == "version":
        return record.key.rsplit(":", 1)[0]
    if record.kind == "opinion":
        inner = record.body.get("body")
        return str(inner.get("declaration_id")) if isinstance(inner, dict) else record.key
    if record.kind == "attachment_link":
        return str(record.body.get("declaration_id"))
    return None


def fit_package(session: Session, neighbour: str, records: list[Record], *, max_entries: int,
                max_manifest: int) -> list[Record]:
    """The records that go into one package within the package limits, whole declarations at a time.

    Regions, batches and revocations always go (they are few, and what follows refers to them). A
    declaration goes with its attachments, versions, opinions and links, never split across packages.
    Declarations not yet sent in their current form come first, then those sent but not acknowledged,
    so that exporting again before a receipt arrives carries the next part rather than the same one.
    """
    def cost(r: Record) -> int:
        return 160 + len(r.kind) + len(r.key)  # a manifest entry, generously

    heads: list[Record] = []
    groups: list[list[Record]] = []
    waiting: list[Record] = []  # attachments precede the declaration they belong to
    for r in records:
        group = _package_group(r)
        if r.kind == "attachment":
            waiting.append(r)
        elif group is None:
            heads.append(r)
        elif groups and _package_group(groups[-1][-1]) == group and not waiting:
            groups[-1].append(r)
        else:
            groups.append([*waiting, r])
            waiting = []
    if waiting:
        groups.append(waiting)
    if len(records) <= max_entries and sum(map(cost, records)) <= max_manifest:
        return records
    sent = {(i.kind, i.key): i.sent_hash for i in session.scalars(
        select(SyncItem).where(SyncItem.neighbour_code == neighbour))}
    unsent = [g for g in groups if any(sent.get((r.kind, r.key)) != r.hash for r in g)]
    resent = [g for g in groups if all(sent.get((r.kind, r.key)) == r.hash for r in g)]
    chosen = list(heads)
    entries, size = len(heads), sum(map(cost, heads))
    for part in unsent + resent:
        more, grown = len(part), sum(map(cost, part))
        if len(chosen) > len(heads) and (entries + more > max_entries or size + grown > max_manifest):
            break
        chosen.extend(part)
        entries, size = entries + more, size + grown
    return chosen
