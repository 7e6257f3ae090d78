"""Applying records received from a neighbour office to the store (the :class:`Applier`).

Everything is applied in the caller's transaction. A record that disagrees with what this office
already holds is never dropped or overwritten: it is kept aside in the conflicts list.

Records arrive as a stream and are applied a window at a time (:data:`APPLY_WINDOW` records): the
rows a window refers to are looked up with a few queries, new declarations with their versions and
opinions are written with one bulk insert per table, and the state of every declaration the window
touched is derived from its versions and opinions at the window's end. Memory stays bounded by the
window, whatever the package's size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, NoReturn, TypeVar

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import InvalidRequestError, OperationalError, StatementError
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import fields as declfields
from sanlian_desktop.declarations import workflow
from sanlian_desktop.kernel.chunks import chunks
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.money import parse_money, to_fen
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Decision, Level
from sanlian_desktop.models import (
    Attachment,
    Batch,
    Declaration,
    DeclarationAttachment,
    DeclarationVersion,
    Opinion,
    Region,
    SyncConflict,
    utcnow,
)
from sanlian_desktop.offices import regions
from sanlian_desktop.store import dialects
from sanlian_desktop.store.staging import Staging, copy_hashed
from sanlian_desktop.sync.kinds import batches
from sanlian_desktop.sync.kinds import registry as extensions
from sanlian_desktop.sync.kinds.authority import PROVINCE_CODE, Authority
from sanlian_desktop.sync.kinds.records import (
    DECLARATION_IDENTITY,
    KINDS,
    STATEMENT_KINDS,
    Record,
    declaration_record_of,
    local_hashes,
    local_record,
    opinion_body,
    region_record,
)
from sanlian_desktop.sync.replication.grouping import group_of
from sanlian_desktop.sync.trust.statements import Statement

# verify(statement_bytes, kind, expected_signer_codes) -> the signed body, or raises UserError
Verifier = Callable[[bytes, str, set[str]], dict[str, Any]]
# Records applied together: one round of lookups and one bulk insert per table each.
APPLY_WINDOW = 2000
_RANK = {kind: n for n, kind in enumerate(KINDS)}
_Row = TypeVar("_Row")


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
    # number → (title, community name) of each declaration in ``state_changes``, for people to read
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "already_present": self.already, "conflicting": self.conflicts,
                "new_declarations": self.new_declarations,
                "state_changes": [{"number": n, "from": a, "to": b} for n, a, b in self.state_changes]}


def _time(value: object, key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _bad("time", key) from None
    if moment.tzinfo is None:
        raise _bad("time", key)
    return moment


@dataclass(slots=True)
class _Decided:
    """What deriving a declaration's state reads of an opinion."""

    version: int
    level: str
    seq: int
    at: datetime
    decision: str
    granted_fen: int | None


class _NewDeclaration:
    """A declaration first received in the current window, written with its final state at the window's end."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.id: str = row["id"]
        self.number: str = row["number"]
        self.community_code: str = row["community_code"]
        self.street_code: str = row["street_code"]
        self.county_code: str = row["county_code"]
        self.city_code: str = row["city_code"]
        self.entered_by_office: str = row["entered_by_office"]
        self.status = "new"
        self.versions: dict[int, tuple[datetime, dict[str, Any]]] = {}
        self.opinions: list[_Decided] = []


class Applier:
    """Applies one package's records, window by window, inside the caller's transaction."""

    def __init__(self, session: Session, paths: AppPaths, *, self_code: str, sender_code: str,
                 sender_is_parent: bool, package_id: str, verify: Verifier, preview: bool = False,
                 check: Callable[[Record], Statement] | None = None,
                 acknowledge: Callable[[list[tuple[str, str, str]]], None] | None = None,
                 first_change: Callable[[], None] | None = None, stage: Staging | None = None,
                 ahead: Callable[[list[Record]], None] | None = None) -> None:
        self.s = session
        # Where received files wait until the import commits (store/staging.py); None in a preview.
        self.stage = stage
        self.paths = paths
        self.self_code = self_code
        self.sender = sender_code
        self.from_parent = sender_is_parent
        self.package_id = package_id
        self.verify = verify
        self.preview = preview
        # Verifies a version's or an opinion's statement (signer chain at its signed time, signature).
        self.check = check
        # Called after each window with (kind, key, hash) of the records this store now holds exactly
        # as they were sent: echoing them back would be pointless.
        self.acknowledge = acknowledge
        # Called once, after the first window is looked up and verified and before anything is written.
        self._first_change = first_change
        # Given each window's records before it is applied, and before the window ahead of it is applied
        # (the import has their statements verified meanwhile, on another core: sync/trust/ahead.py);
        # None: one window at a time.
        self.ahead = ahead
        self.report = ApplyReport()
        self._before: dict[str, str] = {}  # declaration → status before this package ("new")
        self._after: dict[str, tuple[str, str]] = {}  # declaration → (number, status) after it
        self._jurisdictions: dict[str, workflow.Jurisdiction] = {}
        self._chains: dict[tuple[str, str, str], dict[Level, workflow.Stage]] = {}
        self._batches: dict[str, bool] = {}
        # Regions the package names and those above them, held so that lookups need no query; new
        # ones are written together (see _region).
        self._regions: dict[str, Region | None] = {}
        self._book = regions.RegionBook(session, known=self._regions, deferred=True)
        self._regions_pending = False
        # Who may sign what (issue 20): every record's authority, checked as it is applied.
        self.authority = Authority(self_code, sender_code, sender_is_parent)
        self._reset_window()

    def _reset_window(self) -> None:
        self._decls: dict[str, Declaration | _NewDeclaration | None] = {}
        self._versions: dict[tuple[str, int], tuple[str, bool]] = {}  # held: content hash, frozen
        self._opinion_ids: set[str] = set()  # of the window's opinions, those the store holds
        self._decided: dict[str, list[tuple[int, str, int]]] = {}  # declaration → (version, level, seq)
        self._links: set[tuple[str, str, str]] = set()  # (declaration, sha256, name) held or added
        self._new_versions: list[dict[str, Any]] = []
        self._new_opinions: list[dict[str, Any]] = []
        self._new_links: list[dict[str, Any]] = []
        self._touched: set[str] = set()
        self._stored: dict[tuple[str, str], str] = {}  # (kind, key) → hash of the statement the store holds
        self._known: dict[tuple[str, str], str] = {}  # (kind, key) → this store's hash, known without a query

    def conflict(self, record: Record, reason: str, declaration_id: str | None = None) -> None:
        """Keep a record that disagrees with this store aside, for a person to decide."""
        self._conflict(record, reason, declaration_id)

    def _conflict(self, record: Record, reason: str, declaration_id: str | None = None) -> None:
        kept = record.body if record.raw is None else {
            "body": record.body, "statement": record.raw.decode("utf-8", "replace")}
        self.s.add(SyncConflict(declaration_id=declaration_id, kind=record.kind, key=record.key, record=kept,
                                reason=reason, from_office=self.sender, package_id=self.package_id))
        self.report.conflicts += 1

    # -- the stream ---------------------------------------------------------------------------------

    def apply(self, records: Iterable[Record]) -> ApplyReport:
        """Apply ``records`` (a stream, in the sender's order) a window at a time; return the report."""
        windows = _windows(records)
        if self.ahead is None:
            for window in windows:
                self._apply_window(window)
        else:
            current = next(windows, None)
            if current is not None:
                current.sort(key=_rank)  # in the order it is applied (_apply_window sorts it so)
                self.ahead(current)  # what is not verified ahead in time is verified here
            while current is not None:
                # The next window is read (and handed to ``ahead``) before this one is applied; a record
                # that cannot be read is refused after this window, where reading one at a time finds it.
                try:
                    following, unreadable = next(windows, None), None
                except Exception as exc:
                    following, unreadable = None, exc
                if following is not None:
                    following.sort(key=_rank)
                    self.ahead(following)
                self._apply_window(current)
                if unreadable is not None:
                    raise unreadable
                current = following
        self._before_writing()
        changed = [(decl_id, number, status) for decl_id, (number, status) in sorted(self._after.items())
                   if self._before.get(decl_id) != status]
        self.report.state_changes = [(number, self._before[decl_id], status) for decl_id, number, status in changed]
        self.report.titles = self._titles([decl_id for decl_id, _, _ in changed])
        return self.report

    def _titles(self, decl_ids: list[str]) -> dict[str, tuple[str, str]]:
        """The title and community of each declaration (as this package leaves them), by number."""
        titles: dict[str, tuple[str, str]] = {}
        for chunk in chunks(decl_ids):
            for number, title, community in self.s.execute(
                    select(Declaration.number, Declaration.title, Region.name)
                    .outerjoin(Region, Region.code == Declaration.community_code)
                    .where(Declaration.id.in_(chunk))):
                titles[number] = (title, community or "")
        return titles

    def _apply_window(self, window: list[Record]) -> None:
        # What others refer to first; the stream keeps each declaration's records together.
        window.sort(key=_rank)
        self._reset_window()
        try:
            self._preload_regions(window)
            self._preload_held(window)
        except _MALFORMED as exc:
            _refuse(exc, "records", self.package_id)
        for record in window:
            if not self._identical(record) and record.kind in STATEMENT_KINDS:
                self._verified(record)
        try:
            self._preload(window)
        except _MALFORMED as exc:
            _refuse(exc, "records", self.package_id)
        self._before_writing()
        for record in window:
            handler = self._handler(record)
            try:
                if self._regions_pending and record.kind != "region":
                    self.s.flush()
                    self._regions_pending = False
                handler(record)
            except _MALFORMED as exc:
                _refuse(exc, record.kind, record.key)
        try:
            self._write_window()
        except _MALFORMED as exc:
            _refuse(exc, "records", self.package_id)
        if self.acknowledge is not None:
            self.acknowledge(self._echo(window))
        self._reset_window()

    # -- looking up what a window refers to ---------------------------------------------------------

    def _preload_regions(self, records: list[Record]) -> None:
        codes = {r.key for r in records if r.kind == "region"}
        above = {c for code in codes for c in (code[:9], code[:6], code[:4] + "00", code[:2] + "0000")}
        wanted = sorted((codes | above) - set(self._regions))
        for chunk in chunks(wanted):
            found = {r.code: r for r in self.s.scalars(select(Region).where(Region.code.in_(chunk)))}
            self._regions.update((code, found.get(code)) for code in chunk)

    def _preload_held(self, records: list[Record]) -> None:
        """This store's form of the window's regions, declarations, versions and opinions, as hashes:
        a record the store holds in exactly the form sent needs no more work than saying so."""
        for r in records:
            if r.kind == "region" and (region := self._regions.get(r.key)) is not None:
                self._stored["region", r.key] = region_record(region).hash
        declarations = [r.key for r in records if r.kind == "declaration"]
        if declarations:
            self._stored.update((("declaration", k), h) for k, h in local_hashes(
                self.s, "declaration", declarations).items())
        self._stored.update(held_statements(self.s, [(r.kind, r.key) for r in records if r.kind in STATEMENT_KINDS]))

    def _identical(self, record: Record) -> bool:
        """Whether the store holds this very record already (a statement: the very bytes, verified
        when they were stored)."""
        held = self._stored.get((record.kind, record.key))
        if held is not None and (record.raw is not None or record.kind not in STATEMENT_KINDS) \
                and held == record.hash:
            self._known[record.kind, record.key] = held
            return True
        return False

    def _verified(self, record: Record) -> None:
        """Verify the record's statement; its body is then what the statement says."""
        if record.raw is None or self.check is None:
            raise _bad(record.kind, record.key)
        if record.statement is None:
            record.statement = self.check(record)
        record.body = record.statement.body

    def _preload(self, records: list[Record]) -> None:
        records = [r for r in records if (r.kind, r.key) not in self._known]
        decl_ids = {g for r in records if isinstance(g := group_of(r), str)}
        opinion_ids = sorted({r.key for r in records if r.kind == "opinion"})
        held_decls: set[str] = set()
        for chunk in chunks(sorted(decl_ids)):
            for decl in self.s.scalars(select(Declaration).where(Declaration.id.in_(chunk))):
                self._decls[decl.id] = decl
                held_decls.add(decl.id)
        self._decls.update((d, None) for d in decl_ids - held_decls)
        held = sorted(held_decls)
        for chunk in chunks(held):
            self._versions.update(((d, v), (h, f)) for d, v, h, f in self.s.execute(select(
                DeclarationVersion.declaration_id, DeclarationVersion.version, DeclarationVersion.content_hash,
                DeclarationVersion.frozen).where(DeclarationVersion.declaration_id.in_(chunk))))
            for d, v, lv, q in self.s.execute(select(Opinion.declaration_id, Opinion.version, Opinion.level,
                                                     Opinion.seq).where(Opinion.declaration_id.in_(chunk))):
                self._decided.setdefault(d, []).append((v, lv, q))
            if any(r.kind == "attachment_link" for r in records):
                self._links.update((d, sha, name) for d, sha, name in self.s.execute(select(
                    DeclarationAttachment.declaration_id, DeclarationAttachment.sha256,
                    DeclarationAttachment.original_name).where(DeclarationAttachment.declaration_id.in_(chunk))))
        for chunk in chunks(opinion_ids):
            self._opinion_ids.update(self.s.scalars(select(Opinion.id).where(Opinion.id.in_(chunk))))

    def _get(self, model: type[_Row], key: object) -> _Row | None:
        """The row ``key`` of ``model`` held here, or None; a key that is not text makes the record
        malformed (the package is refused)."""
        if not isinstance(key, str):
            raise TypeError(f"{model.__name__}: the key is not text")
        return self.s.get(model, key)

    def _decl(self, decl_id: object) -> Declaration | _NewDeclaration | None:
        """The declaration ``decl_id`` as this window sees it: held, new in this package, or None."""
        if not isinstance(decl_id, str):
            raise TypeError("a declaration id is text")  # a malformed record: the package is refused
        if decl_id not in self._decls:
            self._decls[decl_id] = self.s.get(Declaration, decl_id)
        found = self._decls[decl_id]
        if found is not None and found.id not in self._before:
            self._before[found.id] = found.status
        return found

    def _touch(self, decl: Declaration | _NewDeclaration) -> None:
        self.report.touched.add(decl.id)
        self._touched.add(decl.id)

    # -- writing a window ---------------------------------------------------------------------------

    def _write_window(self) -> None:
        self.s.flush()
        self._regions_pending = False
        now = utcnow()
        new = [d for d in self._decls.values() if isinstance(d, _NewDeclaration)]
        for decl in new:
            submitted = [(v, at) for v, (at, _) in decl.versions.items()]
            state = workflow.derive_state(decl, submitted, decl.opinions)
            latest = max(decl.versions, default=None)
            row = decl.row
            row.update(status=state.status.value, awaiting_level=state.awaiting_level,
                       awaiting_office=state.awaiting_office, awaiting_since=state.awaiting_since,
                       granted_fen=state.granted_fen, decided_at=state.decided_at, submitted_at=state.submitted_at,
                       current_version=latest or 1, title="", title_pinyin="", focus_areas="", budget_fen=0,
                       requested_fen=0, updated_at=now)
            if latest is not None:
                row.update(_current_columns(decl.versions[latest][1], None))
            self._after[decl.id] = (decl.number, row["status"])
        if new:
            insert_rows(self.s, _table(Declaration), [d.row for d in new])
            for decl in new:
                stored = _as_read_back(decl.row)
                if stored is not None:
                    self._known["declaration", decl.id] = stored.hash
        for rows, model in ((self._new_versions, DeclarationVersion), (self._new_opinions, Opinion),
                            (self._new_links, DeclarationAttachment)):
            if rows:
                insert_rows(self.s, _table(model), rows)
        held = sorted(d for d in self._touched if isinstance(self._decls.get(d), Declaration))
        if held:
            self._derive_held(held, now)
        self.s.flush()

    def _derive_held(self, decl_ids: list[str], now: datetime) -> None:
        """Set the state of declarations this store already held from all their versions and opinions."""
        for chunk in chunks(decl_ids):
            submitted: dict[str, list[tuple[int, datetime]]] = {}
            latest: dict[str, int] = {}
            for d, v, at, frozen in self.s.execute(select(
                    DeclarationVersion.declaration_id, DeclarationVersion.version, DeclarationVersion.submitted_at,
                    DeclarationVersion.frozen).where(DeclarationVersion.declaration_id.in_(chunk))):
                latest[d] = max(latest.get(d, v), v)
                if frozen and at is not None:
                    submitted.setdefault(d, []).append((v, at))
            opinions: dict[str, list[_Decided]] = {}
            for row in self.s.execute(select(
                    Opinion.declaration_id, Opinion.version, Opinion.level, Opinion.seq, Opinion.at,
                    Opinion.decision, Opinion.granted_fen).where(Opinion.declaration_id.in_(chunk))):
                opinions.setdefault(row[0], []).append(_Decided(*row[1:]))
            currents: dict[str, Declaration] = {}
            for decl_id in chunk:
                decl = self._decls[decl_id]
                assert isinstance(decl, Declaration)
                state = workflow.derive_state(decl, submitted.get(decl_id, []), opinions.get(decl_id, []))
                decl.status = state.status.value
                decl.awaiting_level, decl.awaiting_office = state.awaiting_level, state.awaiting_office
                decl.awaiting_since = state.awaiting_since
                decl.granted_fen = state.granted_fen
                decl.decided_at = state.decided_at
                decl.submitted_at = state.submitted_at
                decl.current_version = latest.get(decl_id) or decl.current_version
                currents[decl_id] = decl
                self._after[decl_id] = (decl.number, decl.status)
            for d, number, fields in self.s.execute(select(
                    DeclarationVersion.declaration_id, DeclarationVersion.version, DeclarationVersion.fields).where(
                    DeclarationVersion.declaration_id.in_(list(currents)))):
                decl = currents[d]
                if number != decl.current_version:
                    continue
                for name, value in _current_columns(fields, decl.title).items():
                    setattr(decl, name, value)
                decl.updated_at = now

    def _echo(self, window: list[Record]) -> list[tuple[str, str, str]]:
        """(kind, key, hash) of the window's records this store now holds exactly as they were sent."""
        same: list[tuple[str, str, str]] = []
        by_kind: dict[str, list[Record]] = {}
        for r in window:
            by_kind.setdefault(r.kind, []).append(r)
        for kind, records in by_kind.items():
            asked = [r.key for r in records if (kind, r.key) not in self._known]
            mine = self._local_hashes(kind, asked) if asked else {}
            for r in records:
                if self._known.get((kind, r.key), mine.get(r.key)) == r.hash:
                    same.append((kind, r.key, r.hash))
        return same

    def _local_hashes(self, kind: str, keys: list[str]) -> dict[str, str]:
        if kind in _RANK:
            return local_hashes(self.s, kind, keys)
        extra = extensions.get(kind)
        if extra is not None and extra.local_many is not None:
            return {key: r.hash for key, r in extra.local_many(self.s, keys).items()}
        found = {}
        for key in keys:  # a kind another module registered: its own lookup, one record at a time
            mine = local_record(self.s, kind, key)
            if mine is not None:
                found[key] = mine.hash
        return found

    def _before_writing(self) -> None:
        hook, self._first_change = self._first_change, None
        if hook is not None:
            hook()

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
        if (record.kind, record.key) in self._known:  # held exactly as sent
            self.report.already += 1
            return
        b = record.body
        if not isinstance(b.get("code"), str) or b["code"] != record.key:
            raise _bad("region", record.key)
        self.authority.region(record.key, b["code"])  # authority (issue 20)
        with self.s.no_autoflush:  # the regions this window adds are pending: the book finds them
            region = self._book.get(b["code"])
            if region is not None:
                # The office closest to a street or community knows it best: its data win upward.
                values = {"name": str(b["name"])[:100], "rural": b.get("rural"), "population": b.get("population"),
                          "households": b.get("households")}
                from_below = not self.from_parent and self._book.is_within(region.code, self.sender)
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
                               create_missing_street=True, book=self._book)
        self._regions_pending = True
        self.report.applied += 1

    def _batch(self, record: Record) -> None:
        self.authority.batch(record.key)  # authority (issue 20): from the parent only, else refused
        got = batches.received(record.key, record.body, self.verify)  # ... and signed by the province
        b, first_hop = got.body, self.sender == PROVINCE_CODE
        values = {"code": b["code"], "name": b["name"], "opens": date.fromisoformat(b["opens"]),
                  "closes": date.fromisoformat(b["closes"]), "budget_fen": b.get("budget_fen"),
                  "quota_projects": b.get("quota_projects"), "quota_communities": b.get("quota_communities")}
        batch = self._get(Batch, b["id"])
        if batch is None:
            clash = self.s.scalar(select(Batch).where(Batch.code == values["code"]))
            if clash is not None:
                self._conflict(record, f"本单位已有代码为 {values['code']} 的另一个申报批次")
                return
            if got.signature is None and not first_hop:
                raise batches.unsigned_refused(record.key, self.sender)
            self.s.add(Batch(id=b["id"], created_by=f"office:{self.sender}", signature=got.signature,
                             signer_code=got.signer, **values))
            self.s.flush()
            self._batches[b["id"]] = True
            self.report.applied += 1
            return
        if all(getattr(batch, k) == v for k, v in values.items()):
            if got.signature is not None and batch.signature is None:
                batch.signature, batch.signer_code = got.signature, got.signer  # passed on signed from now on
            self.report.already += 1
            return
        if got.signature is None and not first_hop:
            raise batches.unsigned_refused(record.key, self.sender)
        if batches.older(batch.signature, got.signature):
            self.report.already += 1  # the province's earlier form of the batch, delivered late or replayed
            return
        for k, v in values.items():
            setattr(batch, k, v)
        batch.signature, batch.signer_code = got.signature, got.signer
        self.report.applied += 1

    def _attachment(self, record: Record) -> None:
        sha = record.key
        if self.s.get(Attachment, sha) is not None:
            self.report.already += 1
            return
        if record.blob is None:
            raise _bad("attachment", sha)
        # -- issue 20, all or nothing: the file is checked against its id (a SHA-256, never a path) and
        # staged; it is moved into place only once the import commits, deleted otherwise. A preview
        # checks the content the same way and writes nothing.
        if self.stage is None and not self.preview:
            raise RuntimeError("an import that writes needs a staging folder")
        with record.blob() as src:
            size = copy_hashed(src, sha) if self.stage is None else self.stage.put(sha, src)
        # -- end issue 20
        self.s.add(Attachment(sha256=sha, size=size))
        self.s.flush()
        if self.stage is not None:
            self.stage.keep(self.s, sha)  # a server keeps the content in the database (store/attachments.py)
        self.report.applied += 1

    def _has_batch(self, batch_id: str) -> bool:
        if batch_id not in self._batches:
            self._batches[batch_id] = self._get(Batch, batch_id) is not None
        return self._batches[batch_id]

    def _stages(self, decl: Declaration | _NewDeclaration) -> dict[Level, workflow.Stage]:
        """The declaration's review chain by level (the same few chains for a whole package)."""
        place = (decl.street_code, decl.county_code, decl.city_code)
        found = self._chains.get(place)
        if found is None:
            found = self._chains[place] = {s.level: s for s in workflow.stages_for(decl)}
        return found

    def _jurisdiction(self, community_code: str) -> workflow.Jurisdiction:
        found = self._jurisdictions.get(community_code)
        if found is None:
            found = self._jurisdictions[community_code] = workflow.jurisdiction_of(self.s, community_code)
        return found

    def _declaration(self, record: Record) -> None:
        self.authority.declaration(record.key, record.body)  # authority (issue 20)
        if (record.kind, record.key) in self._known:  # held exactly as sent
            self.report.already += 1
            return
        b = record.body
        decl = self._decl(b["id"])
        identity = ("number", "community_code", "street_code", "county_code", "city_code", "entered_by_office")
        if decl is not None:
            if any(getattr(decl, k) != b[k] for k in identity):
                self._conflict(record, "同一申报的编号或所属社区与本单位记录不同", b["id"])
            else:
                self.report.already += 1
            return
        if not isinstance(b["community_code"], str) or (
                b["community_code"] not in self._jurisdictions and self.s.get(Region, b["community_code"]) is None):
            raise _bad("declaration", b["id"])
        j = self._jurisdiction(b["community_code"])
        if (j.street, j.county, j.city) != (b["street_code"], b["county_code"], b["city_code"]):
            self._conflict(record, "申报的所属街道或县区与本单位的区划数据不符", b["id"])
            return
        if b.get("batch_id") and not self._has_batch(b["batch_id"]):
            raise UserError(f"申报 {b['number']} 所属的申报批次本单位尚未收到", "the declaration's batch is unknown here")
        new = _NewDeclaration({
            "id": b["id"], "number": b["number"], "community_code": b["community_code"],
            "street_code": b["street_code"], "county_code": b["county_code"], "city_code": b["city_code"],
            "batch_id": b.get("batch_id"), "entered_by_office": b["entered_by_office"],
            "from_paper": bool(b["from_paper"]), "created_at": _time(b["created_at"], b["id"]),
            "created_by": str(b.get("created_by", "")),
        })
        if not isinstance(new.id, str):
            raise _bad("declaration", record.key)
        self._decls[new.id] = new
        self._before.setdefault(new.id, "new")
        self.report.applied += 1
        self.report.new_declarations += 1
        self._touch(new)

    def _signed_by(self, record: Record, kind: str, signers: set[str]) -> dict[str, Any]:
        """The body of the record's verified statement, refused unless one of ``signers`` signed it."""
        statement = record.statement
        if not isinstance(statement, Statement) or statement.kind != kind:
            raise _bad(kind, record.key)
        if statement.signer.code not in signers:
            raise UserError(
                f"记录的签名单位（{statement.signer.office.label()}）无权签署此{'审核意见' if kind == 'opinion' else '申报'}",
                f"{kind} signed by {statement.signer.code}, expected {sorted(signers)}",
            )
        return statement.body

    def _version(self, record: Record) -> None:
        if (record.kind, record.key) in self._known:  # this very statement is held already
            self.report.already += 1
            return
        decl_id, version = record.key.rsplit(":", 1)
        decl = self._decl(decl_id)
        if decl is None:
            raise _bad("version", record.key)
        # Authority (issue 20): the original signer, and no new version from below while under review above.
        if isinstance(record.statement, Statement):
            self.authority.version(record.key, decl, record.statement.signer)
        if isinstance(decl, Declaration) and (decl_id, int(version)) not in self._versions:
            self.authority.new_version(record.key, decl)
        body = self._signed_by(record, "version", {decl.entered_by_office})
        number = int(version)
        if body["declaration_id"] != decl_id or int(body["version"]) != number:
            raise _bad("version", record.key)
        fields = body["fields"]
        sound = getattr(record.statement, "facts", None)  # found by the import's worker (limits.prechecked)
        if not isinstance(sound, bool):
            sound = not declfields.normalise(fields, for_submit=True).errors and \
                declfields.content_hash(fields) == body["content_hash"]
        if not sound:
            self._conflict(record, "收到的申报内容不完整或与其摘要不符", decl_id)
            return
        existing = self._versions.get((decl_id, number))
        if existing is not None:
            content_hash, frozen = existing
            if content_hash == body["content_hash"] and frozen:
                self.report.already += 1
            else:
                self._conflict(record, f"第 {version} 版的内容与本单位保存的不同", decl_id)
            return
        submitted_at = _time(body["submitted_at"], record.key)
        self._new_versions.append({
            "declaration_id": decl_id, "version": number, "fields": fields, "content_hash": body["content_hash"],
            "frozen": True, "created_by": str(body.get("created_by", "")), "submitted_at": submitted_at,
            "signer_code": decl.entered_by_office, "signature": record.raw,
        })
        self._versions[decl_id, number] = (body["content_hash"], True)
        self._known[record.kind, record.key] = record.hash  # stored as it came
        if isinstance(decl, _NewDeclaration):
            decl.versions[number] = (submitted_at, fields)
        self.report.applied += 1
        self._touch(decl)

    def _opinion(self, record: Record) -> None:
        if (record.kind, record.key) in self._known:  # this very statement is held already
            self.report.already += 1
            return
        claimed = record.body
        decl = self._decl(claimed.get("declaration_id", ""))
        if decl is None:
            raise _bad("opinion", record.key)
        if isinstance(record.statement, Statement):  # authority (issue 20)
            self.authority.opinion(record.key, decl, record.statement.body, record.statement.signer)
        expected = {decl.entered_by_office} if claimed.get("from_paper") else {claimed.get("office_code", "")}
        body = self._signed_by(record, "opinion", expected)
        if body.get("id") != record.key:
            raise _bad("opinion", record.key)
        if record.key in self._opinion_ids:
            existing = self.s.get(Opinion, record.key)
            if existing is not None and opinion_body(existing) == body:
                self.report.already += 1
            else:
                self._conflict(record, "同一条审核意见的内容与本单位保存的不同", decl.id)
            return
        level = Level(body["level"])
        stage = self._stages(decl).get(level)
        if stage is None or stage.office_code != body["office_code"]:
            self._conflict(record, "审核意见的单位与该申报的审核环节不符", decl.id)
            return
        decided = self._decided.setdefault(decl.id, [])
        version = int(body["version"])
        if any(v == version and lv == level.value for v, lv, _ in decided):
            self._conflict(record, f"{level.label}对第 {body['version']} 版已有另一条意见", decl.id)
            return
        Decision(body["decision"])
        seq = max((q for _, _, q in decided), default=0) + 1
        scan = body.get("scan_sha256")
        at = _time(body["at"], record.key)
        row = {
            "id": body["id"], "declaration_id": decl.id, "seq": seq, "version": version, "level": level.value,
            "office_code": body["office_code"], "office_name": body["office_name"], "reviewer": body["reviewer"],
            "reviewer_name": body.get("reviewer_name", ""), "decision": body["decision"], "text": body["text"],
            "decided_on": date.fromisoformat(body["decided_on"]), "at": at,
            "granted_fen": body.get("granted_fen"), "from_paper": bool(body.get("from_paper")),
            "scan_sha256": scan if scan and self._get(Attachment, scan) is not None else None,
            "signer_code": record.statement.signer.code if record.statement else None, "signature": record.raw,
        }
        self._new_opinions.append(row)
        self._opinion_ids.add(record.key)
        self._known[record.kind, record.key] = record.hash  # stored as it came
        decided.append((version, level.value, seq))
        if isinstance(decl, _NewDeclaration):
            decl.opinions.append(_Decided(version, level.value, seq, at, row["decision"], row["granted_fen"]))
        self.report.applied += 1
        self._touch(decl)

    def _attachment_link(self, record: Record) -> None:
        b = record.body
        decl = self._decl(b["declaration_id"])
        if decl is None or self._get(Attachment, b["sha256"]) is None:
            raise _bad("attachment_link", record.key)
        self.authority.link(record.key, decl)  # authority (issue 20)
        if (decl.id, b["sha256"], b["original_name"]) in self._links:
            self.report.already += 1
            return
        self._new_links.append({"declaration_id": decl.id, "sha256": b["sha256"],
                                "original_name": str(b["original_name"])[:255], "kind": str(b.get("kind", "other")),
                                "added_by": str(b.get("added_by", ""))})
        self._links.add((decl.id, b["sha256"], b["original_name"]))
        self.report.applied += 1


def _rank(record: Record) -> int:
    """Where a record goes in its window: what others refer to first (a stable sort keeps the rest in
    the stream's order, each declaration's records together)."""
    return _RANK.get(record.kind, len(_RANK))


def _windows(records: Iterable[Record]) -> Iterator[list[Record]]:
    """``records`` in the windows they are applied in: :data:`APPLY_WINDOW` records at most, and the kinds
    other modules registered (which may refer to any core record) never in a window with core records."""
    window: list[Record] = []
    for record in records:
        if window and record.kind not in _RANK and window[-1].kind in _RANK:
            yield window
            window = []
        window.append(record)
        if len(window) >= APPLY_WINDOW:
            yield window
            window = []
    if window:
        yield window


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` straight through the driver, in the
    session's transaction.

    What is stored is what ``session.execute(insert(table), rows)`` stores: each value goes through its
    column type's own bind processor for this dialect, and a column a row leaves out gets its Python-side
    default (a scalar, or a callable called for each row) or, without one, what SQLite gives it. Only
    SQLAlchemy's generic per-row parameter handling is left out: a 10,000-declaration import writes
    some 40,000 rows, and that handling cost more than SQLite's own work (bench/RESULTS.md)."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    given = list(rows[0])
    defaults = [c for c in table.columns if c.key not in rows[0] and c.default is not None
                and (c.default.is_scalar or c.default.is_callable)]
    keys = given + [c.key for c in defaults]
    # The driver's parameter order (SQLite's rows are positional; psycopg's go by name, any order does).
    order = tuple(insert(table).compile(dialect=dialect, column_keys=keys).positiontup or keys)
    columns = {c.key: c for c in table.columns}
    plan = [(key, columns[key].type.dialect_impl(dialect).bind_processor(dialect),
             None if key in rows[0] else _maker(columns[key].default)) for key in order]
    values: list[tuple[Any, ...]] = []
    width = len(given)
    for row in rows:
        if len(row) != width:
            raise KeyError("the rows of a bulk insert name different columns")
        out = []
        for key, process, make in plan:
            raw = row[key] if make is None else make()
            out.append(raw if process is None else process(raw))
        values.append(tuple(out))
    dialects.execute_many(conn, insert(table), order, values)


def _table(model: type[Any]) -> Table:
    found: Table = model.metadata.tables[model.__tablename__]
    return found


def _maker(default: Any) -> Callable[[], Any]:
    """A column's Python-side default as SQLAlchemy gives it: a callable called for each row (it takes
    the execution context, which the project's defaults do not use), or the scalar itself."""
    if default.is_callable:
        return lambda: default.arg(None)
    return lambda: default.arg


def held_statements(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(kind, key) → SHA-256 of the statement this store holds, for versions and opinions among ``keys``."""
    found: dict[tuple[str, str], str] = {}
    # By declaration (the primary key's first column): SQLite scans the table for pairs of values.
    versions = {key for kind, key in keys if kind == "version"}
    for chunk in chunks(sorted({key.rpartition(":")[0] for key in versions})):
        for d, v, signature in session.execute(select(
                DeclarationVersion.declaration_id, DeclarationVersion.version, DeclarationVersion.signature).where(
                DeclarationVersion.declaration_id.in_(chunk), DeclarationVersion.frozen.is_(True),
                DeclarationVersion.signature.is_not(None))):
            if f"{d}:{v}" in versions:
                found["version", f"{d}:{v}"] = hashlib.sha256(signature or b"").hexdigest()
    opinions = [key for kind, key in keys if kind == "opinion"]
    for chunk in chunks(opinions):
        for o, signature in session.execute(select(Opinion.id, Opinion.signature).where(
                Opinion.id.in_(chunk), Opinion.signature.is_not(None))):
            found["opinion", o] = hashlib.sha256(signature or b"").hexdigest()
    return found


def _as_read_back(row: dict[str, Any]) -> Record | None:
    """The declaration record this store reads back for a row it has just written, where every value
    comes back exactly as written: text as text, the flag as a flag, the time as the same moment in
    UTC. Otherwise None, and the store is asked."""
    text = ("id", "number", "community_code", "street_code", "county_code", "city_code", "entered_by_office",
            "created_by")
    if not all(type(row[k]) is str for k in text) or not (row["batch_id"] is None or type(row["batch_id"]) is str):
        return None
    if type(row["from_paper"]) is not bool or not isinstance(row["created_at"], datetime):
        return None
    return declaration_record_of(SimpleNamespace(**{**{k: row[k] for k in DECLARATION_IDENTITY},
                                                   "created_at": row["created_at"].astimezone(UTC)}))


def _current_columns(fields: dict[str, Any], title: str | None) -> dict[str, Any]:
    """The list columns a declaration copies from its current version (a received declaration has no
    local edits); the title's pinyin only when the title changed."""
    columns: dict[str, Any] = {}
    if title != fields["title"]:
        columns["title"] = fields["title"]
        columns["title_pinyin"] = regions.pinyin_initials(fields["title"])
    columns["focus_areas"] = "、".join(fields.get("focus_areas") or [])
    columns["budget_fen"] = to_fen(parse_money(fields["budget_total"]))
    columns["requested_fen"] = to_fen(parse_money(fields["subsidy_requested"]))
    return columns
