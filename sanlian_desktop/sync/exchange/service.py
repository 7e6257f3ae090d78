"""Export and import of sync packages between neighbour offices, receipts and per-neighbour status."""

from __future__ import annotations

import base64
import contextlib
import functools
import gc
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import (
    CertificateRecord,
    Office,
    PendingReceipt,
    RevocationRecord,
    SyncChannel,
    SyncConflict,
    SyncItem,
    SyncPackage,
    utcnow,
)
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor, this_office
from sanlian_desktop.store import audit
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.kinds import authority
from sanlian_desktop.sync.kinds.records import KINDS, STATEMENT_KINDS, Record, record_kinds, records_for
from sanlian_desktop.sync.kinds.registry import extra_kinds
from sanlian_desktop.sync.replication import apply as replicate
from sanlian_desktop.sync.transport.package import DEFAULT_LIMITS, PackageWriter
from sanlian_desktop.sync.transport.reader import VerifiedPackage, open_package
from sanlian_desktop.sync.transport.receipts import make_receipt, verify_receipt
from sanlian_desktop.sync.trust.certs import Cert
from sanlian_desktop.sync.trust.chain import CertPool, Revocation
from sanlian_desktop.sync.trust.statements import Statement, sign_statement, verify_statement
from sanlian_desktop.sync.trust.suite import get_suite

EXTENSION = ".sanlian"
# What one package may hold, with room to spare under the limits every reader enforces.
PACKAGE_ENTRIES = DEFAULT_LIMITS.max_entries - 100
PACKAGE_MANIFEST = DEFAULT_LIMITS.max_manifest - 256 * 1024
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Neighbour:
    """A parent or child office this office exchanges packages with."""

    code: str
    level: Level
    name: str
    is_parent: bool


def neighbours(session: Session) -> list[Neighbour]:
    """The parent office (from this office's certificate) and the child offices it certified."""
    me = this_office(session)
    own = trust.own_certificate(session)
    found: list[Neighbour] = []
    if own is not None and not own.is_self_signed:
        parent = trust.cert_for(session, own.issuer_code)
        if parent is not None:
            found.append(Neighbour(parent.code, parent.level, parent.office.name, True))
    children = session.scalars(select(CertificateRecord).where(
        CertificateRecord.issuer_code == me.region_code, CertificateRecord.region_code != me.region_code))
    seen = set()
    for row in children:
        if row.region_code in seen:
            continue
        seen.add(row.region_code)
        office = session.get(Office, row.region_code)
        found.append(Neighbour(row.region_code, Level(row.level), office.name if office else row.region_code, False))
    return found


def neighbour(session: Session, code: str) -> Neighbour:
    """The neighbour office at ``code``; a clear refusal for any other office."""
    for n in neighbours(session):
        if n.code == code:
            return n
    raise UserError(
        f"{code} 不是本单位的上级或已签发证书的下级单位，不能直接交换数据包",
        f"{code} is not a neighbour office (the parent, or a child this office certified)",
    )


# -- export -----------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    """What ``sync export`` wrote."""

    neighbour: Neighbour
    path: Path | None
    package_id: str | None
    records: int
    receipts: int
    by_kind: dict[str, int] = field(default_factory=dict)


def _signer(keys: Any, chain: list[Any]) -> Callable[[str, dict[str, Any]], bytes]:
    def sign(kind: str, body: dict[str, Any]) -> bytes:
        return sign_statement(kind, body, keys, chain)

    return sign


def _json_record(kind: str, key: str, data: bytes) -> Record:
    return Record(kind, key, {"data": base64.b64encode(data).decode()})


def pending_records(session: Session, store: Store, me: Office, n: Neighbour) -> list[Record]:
    """Everything the neighbour has not acknowledged in its current form (an attachment once per
    declaration that uses it: a package carries it once, see :func:`_once`)."""
    records = list(records_for(session, me.region_code, Level(me.level), n.code, n.level,
                               lambda sha: store.paths.attachments / sha[:2] / sha))
    for row in session.scalars(select(RevocationRecord).order_by(RevocationRecord.serial)):
        records.append(_json_record("revocation", row.serial, row.encoded))
    return replicate.unacknowledged(session, n.code, records)


def _once(records: list[Record]) -> list[Record]:
    """Each record once, where it first appears: an attachment two declarations share goes with the first."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for r in records:
        if (r.kind, r.key) not in seen:
            seen.add((r.kind, r.key))
            unique.append(r)
    return unique


def _signers(records: list[Record]) -> set[str]:
    """The offices that signed the statements among ``records``: a version's or an opinion's signer,
    and for the kinds other modules registered, the ``signer`` their records name (sync/kinds.py)."""
    found = set()
    for r in records:
        signer = r.signer if r.raw is not None else r.body.get("signer")
        if isinstance(signer, str) and signer:
            found.add(signer)
    return found


CERT_ENTRY_COST = 200  # a certificate's manifest entry, generously


def export_package(store: Store, actor: Actor, to: str, out: Path, *, progress: Progress | None = None,
                   allow_empty: bool = True) -> ExportResult:
    """Write one package to the neighbour office ``to`` with everything it has not acknowledged.

    Versions and opinions travel as the statements their offices signed; the package carries, once
    each, the certificates of every office that signed one of them (with the chains above), so the
    recipient can verify them and, later, pass them on upward with the same certificates.
    """
    out = Path(out)
    if out.is_dir():
        raise UserError(f"{out} 是一个文件夹；请给出文件名，或不用 --to 导出到文件夹", f"{out} is a folder")
    with store.session() as s:
        keys = trust.office_keys(s, actor)
        chain = trust.own_chain(s)
        replicate.sign_own_records(s, actor.office_code, _signer(keys, chain))
    with store.session() as s:
        me = this_office(s)
        n = neighbour(s, to)
        recipient = trust.cert_for(s, n.code, utcnow())
        if recipient is None:
            raise UserError(f"{n.name} 的证书已过期或不存在，无法加密", f"no valid certificate for {n.code}")
        records = pending_records(s, store, me, n)
        receipts = list(s.scalars(select(PendingReceipt).where(
            PendingReceipt.neighbour_code == n.code, PendingReceipt.sent_in_package.is_(None))))
        # Room for the certificates every pending statement needs (a part needs at most as many).
        reserve = len(trust.certificates_for(s, _signers(records)))
        # More than one package holds is carried in several, one export after another.
        records = replicate.fit_package(s, n.code, records, max_entries=PACKAGE_ENTRIES - len(receipts) - reserve - 1,
                                        max_manifest=PACKAGE_MANIFEST - reserve * CERT_ENTRY_COST)
        records = _once(records)
        certificates = trust.certificates_for(s, _signers(records))
        result = ExportResult(n, None, None, len(records), len(receipts))
        if not records and not receipts and not allow_empty:
            return result
        channel = s.get(SyncChannel, n.code) or SyncChannel(neighbour_code=n.code, next_out_seq=1, received_seqs=[])
        s.add(channel)
        total = len(records) + len(receipts)
        with PackageWriter(out, keys, chain, recipient, channel.next_out_seq) as writer:
            for cert in certificates:
                writer.add_entry("certificate", cert.serial, 0, cert.encode())
            for i, r in enumerate(records):
                if r.blob is not None:
                    with r.blob() as fh:
                        writer.add_entry(r.kind, r.key, r.version, fh)
                else:
                    writer.add_entry(r.kind, r.key, r.version, r.data)
                result.by_kind[r.kind] = result.by_kind.get(r.kind, 0) + 1
                if progress and i % 200 == 0:
                    progress(i, total)
            for rec in receipts:
                writer.add_entry("receipt", rec.package_id, 0, base64.b64decode(rec.acknowledged["data"]))
            package_id = writer.package_id
        now = utcnow()
        replicate.mark_sent(s, n.code, records, package_id, now)
        for rec in receipts:
            rec.sent_in_package = package_id
        s.add(SyncPackage(package_id=package_id, direction="out", neighbour_code=n.code,
                          channel_seq=channel.next_out_seq, file_hash=_file_hash(out), entries=total,
                          summary=result.by_kind, by_user=actor.username, file_name=out.name))
        channel.next_out_seq += 1
        audit.record(s, office=me.region_code, user=actor.username, action="sync.export", entity="package",
                     entity_id=package_id, details={"to": n.code, "records": len(records), "receipts": len(receipts),
                                                    "file": out.name})
        result.path, result.package_id = out, package_id
        if progress:
            progress(total, total)
        return result


def export_all(store: Store, actor: Actor, folder: Path, *, progress: Progress | None = None) -> list[ExportResult]:
    """One package per neighbour that has something pending, into ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"文件夹 {folder} 不存在", f"folder {folder} does not exist")
    with store.read_session() as s:
        targets = neighbours(s)
        names = {n.code: package_file_name(s, n.code) for n in targets}
    results = []
    for n in targets:
        result = export_package(store, actor, n.code, folder / names[n.code], progress=progress, allow_empty=False)
        if result.path is not None:
            results.append(result)
    return results


def package_file_name(session: Session, to: str) -> str:
    """The file name of the next package to the neighbour ``to``: sender, recipient and sequence number."""
    me = this_office(session).region_code
    channel = session.get(SyncChannel, to)
    seq = channel.next_out_seq if channel else 1
    return f"{me}-至-{to}-{seq:04d}{EXTENSION}"


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- import -----------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What ``sync import`` (or its preview) found and did."""

    package_id: str
    sender_code: str
    sender_name: str
    channel_seq: int
    already_imported: bool = False
    report: replicate.ApplyReport = field(default_factory=replicate.ApplyReport)
    receipts: int = 0
    acknowledged: int = 0
    revocations: int = 0
    missing_seqs: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"package_id": self.package_id, "sender": self.sender_code, "sender_name": self.sender_name,
                "channel_seq": self.channel_seq, "already_imported": self.already_imported,
                **self.report.as_dict(), "receipts": self.receipts, "acknowledged": self.acknowledged,
                "revocations": self.revocations, "missing_packages": self.missing_seqs}


def _b64(record: Record) -> bytes:
    data = record.body.get("data")
    if not isinstance(data, str):
        raise UserError(f"数据包中的记录格式错误（{record.kind} {record.key}）", "malformed record")
    try:
        return base64.b64decode(data, validate=True)
    except ValueError:
        raise UserError(f"数据包中的记录格式错误（{record.kind} {record.key}）", "malformed record") from None


class _Preview(Exception):
    """Raised inside the import transaction to roll a preview back."""


def _entry_opener(pkg: VerifiedPackage, entry: Any) -> Callable[[], Any]:
    def open_entry() -> Any:
        return pkg.open_entry(entry)

    return open_entry


# Entries that are not records: read before the records are applied.
_AROUND = ("certificate", "revocation", "receipt")
# Records that refer to nothing in the package and that others refer to: applied first, kind by kind.
_HEADS = ("region", "batch")



def _check_kinds(pkg: VerifiedPackage) -> None:
    known = {*record_kinds(), *_AROUND}
    for entry in pkg.entries:
        if entry.kind not in known:
            raise UserError(f"数据包中有本程序不认识的记录类型“{entry.kind}”（可能来自更新版本的程序）",
                            f"unknown record kind {entry.kind!r}")


def _read_json(pkg: VerifiedPackage, entry: Any) -> dict[str, Any]:
    try:
        body = json.loads(pkg.read_entry(entry, 8 * 1024 * 1024))
    except (ValueError, UnicodeDecodeError):
        raise UserError(f"数据包中的记录无法读取（{entry.kind} {entry.id}）",
                        f"unreadable record {entry.kind} {entry.id}") from None
    if not isinstance(body, dict):
        raise UserError(f"数据包中的记录格式错误（{entry.kind} {entry.id}）", "malformed record")
    return body


def _record(pkg: VerifiedPackage, entry: Any, sha256: bool) -> Record:
    """One entry as a record. A version or an opinion is its signed statement, verified when it is
    applied (unless the store holds that very statement already). Where the package's suite hashes
    entries with SHA-256, the manifest's digest is the record's hash as it travelled."""
    carried = entry.digest.hex() if sha256 else None
    if entry.kind == "attachment":
        return Record("attachment", entry.id, {"sha256": entry.id, "size": entry.length},
                      blob=_entry_opener(pkg, entry), version=entry.version)
    if entry.kind in STATEMENT_KINDS:
        return Record(entry.kind, entry.id, {}, version=entry.version, raw=pkg.read_entry(entry, 8 * 1024 * 1024),
                      carried=carried)
    return Record(entry.kind, entry.id, _read_json(pkg, entry), version=entry.version, carried=carried)


def _records(pkg: VerifiedPackage) -> Iterator[Record]:
    """The package's records as a stream, in the order they are applied: regions, then batches, then
    every declaration with its attachments, versions, opinions and links in the sender's order (each
    declaration's records together, after those they refer to), then the records of the kinds other
    modules registered (sync/kinds.py), kind by kind. Only a window of them is in memory."""
    sha256 = getattr(get_suite(pkg.manifest.suite).hasher(), "name", None) == "sha256"
    for kind in _HEADS:
        for entry in pkg.manifest.entries:
            if entry.kind == kind:
                yield _record(pkg, entry, sha256)
    for entry in pkg.manifest.entries:
        if entry.kind in KINDS and entry.kind not in _HEADS:
            yield _record(pkg, entry, sha256)
    # The kinds other modules registered, after the core kinds, in the order they were registered.
    for extra in extra_kinds():
        for entry in pkg.manifest.entries:
            if entry.kind == extra.name:
                yield _record(pkg, entry, sha256)


def _statement_check(pool: CertPool) -> Callable[[Record], Statement]:
    def check(record: Record) -> Statement:
        return verify_statement(record.raw or b"", pool, kind=record.kind)

    return check


def _statement_checker(pool: CertPool) -> replicate.Verifier:
    def verify(data: bytes, kind: str, signers: set[str]) -> dict[str, Any]:
        statement = verify_statement(data, pool, kind=kind)
        if statement.signer.code not in signers:
            raise UserError(
                f"记录的签名单位（{statement.signer.office.label()}）无权签署此{_WHAT.get(kind, '记录')}",
                f"{kind} signed by {statement.signer.code}, expected {sorted(signers)}",
            )
        return statement.body

    return verify


def _package_certificates(s: Session, pkg: VerifiedPackage, pool: CertPool) -> list[Cert]:
    """The certificates the package carries, each checked up to the pinned root, and those of the
    sender's chain; one that differs from a stored certificate of the same serial is refused."""
    certs = list(pkg.chain)
    for entry in pkg.manifest.entries:
        if entry.kind == "certificate":
            cert = Cert.decode(pkg.read_entry(entry, 64 * 1024))
            if cert.serial != entry.id:
                raise UserError(f"数据包中的证书编号与清单不符（{entry.id}）", "certificate serial does not match its entry")
            certs.append(cert)
    for cert in certs:
        pool.get(cert.serial)  # the store's certificate of that serial, if any, to compare with
        pool.add(cert)
    for cert in certs:
        pool.check(cert.serial)
    return certs


@contextlib.contextmanager
def _collector_spares_the_rest() -> Iterator[None]:
    """While a package is imported, the garbage collector leaves alone what was alive before.

    An import makes and drops hundreds of thousands of small objects, and every full collection
    would walk the whole program as well (its modules, the pinyin dictionary). What the import
    makes is collected as usual; the rest is handed back to the collector afterwards."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


_WHAT = {"opinion": "审核意见", "version": "申报", "evaluation_assignment": "评估指派", "evaluation_withdrawal": "评估指派的撤回",
         "followup_visit": "跟踪回访", "effect_evaluation": "成效评估"}


def _refuse_from_evaluator(entries: list[Any]) -> None:
    """An evaluator office sends its own visits and evaluations (with their files and the
    certificates they need) and nothing else."""
    allowed = {"attachment", "certificate", "revocation", "receipt", *(k.name for k in extra_kinds() if k.evaluator)}
    stray = sorted({e.kind for e in entries} - allowed)
    if stray:
        raise UserError(f"第三方评估机构的数据包中有其无权报送的记录（{'、'.join(stray)}），本次拒绝导入",
                        f"an evaluator's package holds records it may not send: {', '.join(stray)}")


def import_package(store: Store, actor: Actor, path: Path, *, preview: bool = False,
                   backup: bool = True) -> ImportResult:
    """Verify a package completely, then apply all of it in one transaction (or, as a preview, none).

    Importing the same package again changes nothing and says so; the same package id with other
    content is refused. Before the import commits, the store as it was before is backed
    up (``backup=False`` only for tests and benchmarks that import thousands of times).
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"找不到文件 {path}", f"no such file: {path}")
    try:
        with _collector_spares_the_rest(), store.session() as s:
            result = _import(s, store, actor, path, preview=preview, backup=backup)
            if preview:
                raise _Preview
    except _Preview:
        pass
    return result


class _BackupAhead:
    """The before-import backup, taken on a second thread while the package is applied.

    The store runs in WAL mode and the import is one transaction: the backup's reader sees the store
    as it was before the import, whatever the import has written meanwhile, so the backup need only be
    complete before the import commits. The import waits for it there (and fails, changing nothing,
    as a backup that fails). If the package is refused, or was imported already, the backup is removed
    again and the older backups stay, as if none had been taken."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._path: Path | None = None
        self._error: BaseException | None = None
        self.kept = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin the backup (once the package is known to be whole and new: a refused one costs none)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._take, name="before-import-backup", daemon=True)
            self._thread.start()

    def _take(self) -> None:
        from sanlian_desktop.store import backup as backups

        try:
            self._path = backups.take(self._store, reason="before-import", prune_old=False)
        except BaseException as exc:  # handed to the importing thread by keep()
            self._error = exc

    def keep(self) -> None:
        """Wait for the backup, raise what it raised, and prune the older ones as a backup does."""
        from sanlian_desktop.store import backup as backups

        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        self.kept = True
        backups.prune(self._store.paths)

    def discard(self) -> None:
        if self._thread is None:
            return
        self._thread.join()
        if self._path is not None:
            with contextlib.suppress(OSError):
                self._path.unlink()


def _import(s: Session, store: Store, actor: Actor, path: Path, *, preview: bool,
            backup: bool) -> ImportResult:
    ahead = _BackupAhead(store) if backup and not preview else None
    try:
        return _import_with(s, store, actor, path, preview=preview, ahead=ahead)
    finally:
        if ahead is not None and not ahead.kept:
            ahead.discard()


def _import_with(s: Session, store: Store, actor: Actor, path: Path, *, preview: bool,
                 ahead: _BackupAhead | None) -> ImportResult:
    me = this_office(s)
    keys = trust.office_keys(s, actor)
    roots = trust.pinned_roots(s)
    if not roots:
        raise UserError("本单位还没有安装证书，不能导入数据包", "this office has no certificate yet")
    revoked = trust.revoked_map(s)
    # Every statement's chain asks for the same few offices' parents: ask the store once each.
    parent_of = functools.cache(trust.parent_of(s))
    pkg = open_package(path, keys, roots, revoked, utcnow(), recipient_code=me.region_code, parent_of=parent_of)
    try:
        sender = pkg.sender
        result = ImportResult(pkg.package_id, sender.code, sender.office.name, pkg.channel_seq)
        file_hash = _file_hash(path)
        earlier = s.get(SyncPackage, pkg.package_id)
        if earlier is not None:
            if earlier.file_hash != file_hash or earlier.direction != "in":
                raise UserError(
                    f"编号相同但内容不同的数据包（{pkg.package_id[:12]}…）已导入过，本次拒绝导入，请与{sender.office.name}核实",
                    f"a different package with the same id {pkg.package_id} was imported before",
                )
            result.already_imported = True
            return result
        n = neighbour(s, sender.code)
        _check_kinds(pkg)
        if n.level is Level.EVALUATOR:
            _refuse_from_evaluator(pkg.entries)
        pool = CertPool(roots, revoked, parent_of, lookup=trust.cert_by_serial(s))
        certificates = _package_certificates(s, pkg, pool)
        entries = pkg.manifest.entries
        now = utcnow()
        # Authority (issue 20): who may revoke and certify whom, before anything is stored.
        authority.check_trust_entries(
            s, certificates, [Revocation.decode(_b64(Record(e.kind, e.id, _read_json(pkg, e))))
                              for e in entries if e.kind == "revocation"],
            lookup=pool.get, roots=roots, revoked=revoked, now=now, parent_of=parent_of)
        receipts = []
        for entry in entries:
            if entry.kind != "receipt":
                continue
            receipt = verify_receipt(pkg.read_entry(entry), roots, revoked, parent_of=parent_of)
            if receipt.recipient_code != sender.code or receipt.sender_code != me.region_code:
                raise UserError("数据包中的回执不是发给本单位的", "a receipt in the package is not for this office")
            receipts.append(receipt)

        def first_change() -> None:
            """Called once the first window of records is verified, before it changes the store: the
            certificates, revocations and receipts go first."""
            trust.store_certificates(s, certificates)
            for entry in entries:
                if entry.kind == "revocation":
                    record = Record(entry.kind, entry.id, _read_json(pkg, entry))
                    if trust.store_revocation(s, Revocation.decode(_b64(record))):
                        result.revocations += 1
            for receipt in receipts:
                result.receipts += 1
                result.acknowledged += replicate.mark_acknowledged(
                    s, sender.code, [(k, i, d.hex()) for k, i, _, d in receipt.entries if k != "certificate"], now)

        # What this office now holds exactly as the sender sent it counts as acknowledged in the other
        # direction too: echoing it back would be pointless. Where this office's form differs, it is
        # sent back, and the sender decides by the same rules.
        def acknowledge(same: list[tuple[str, str, str]]) -> None:
            replicate.mark_acknowledged(s, sender.code, same, now)

        if ahead is not None:
            ahead.start()  # the package is whole, new and from a neighbour: back up while it is applied
        applier = replicate.Applier(s, store.paths, self_code=me.region_code, sender_code=sender.code,
                                    sender_is_parent=n.is_parent, package_id=pkg.package_id,
                                    verify=_statement_checker(pool), check=_statement_check(pool), preview=preview,
                                    acknowledge=acknowledge, first_change=first_change)
        if any(e.kind in ("region", "version") for e in entries):
            regions.pinyin_initials("")  # names and titles need the pinyin dictionary: load it,
            gc.freeze()  # and spare it too
        result.report = applier.apply(_records(pkg))
        channel = s.get(SyncChannel, sender.code)
        if channel is None:
            channel = SyncChannel(neighbour_code=sender.code, next_out_seq=1, received_seqs=[])
            s.add(channel)
        seqs = sorted(set(channel.received_seqs or []) | {pkg.channel_seq})
        channel.received_seqs = seqs
        result.missing_seqs = [q for q in range(1, seqs[-1]) if q not in seqs]
        if not preview:
            if ahead is not None:
                ahead.keep()  # the backup of the store as it was must exist before the import commits
            # A package of receipts alone acknowledges nothing back: answering it with a receipt
            # would have two offices send each other receipts for ever.
            if any(e.kind not in ("receipt", "certificate") for e in entries):
                receipt_bytes = make_receipt(pkg, keys, trust.own_chain(s))
                s.add(PendingReceipt(package_id=pkg.package_id, neighbour_code=sender.code,
                                     acknowledged={"data": base64.b64encode(receipt_bytes).decode()}))
            s.add(SyncPackage(package_id=pkg.package_id, direction="in", neighbour_code=sender.code,
                              channel_seq=pkg.channel_seq, file_hash=file_hash, entries=len(entries),
                              summary=result.as_dict(), by_user=actor.username, file_name=path.name))
            audit.record(s, office=me.region_code, user=actor.username, action="sync.import", entity="package",
                         entity_id=pkg.package_id, details={"from": sender.code, **result.report.as_dict()})
        return result
    finally:
        pkg.close()


# -- status -----------------------------------------------------------------------------------------


@dataclass
class NeighbourStatus:
    """Per neighbour: what waits to go, what was sent and acknowledged, which packages are missing."""

    neighbour: Neighbour
    waiting: int
    sent_unacknowledged: int
    acknowledged: int
    last_sent: datetime | None
    last_received: datetime | None
    missing_seqs: list[int]
    receipts_waiting: int

    def as_dict(self) -> dict[str, Any]:
        return {"office": self.neighbour.code, "name": self.neighbour.name, "is_parent": self.neighbour.is_parent,
                "waiting": self.waiting, "sent_unacknowledged": self.sent_unacknowledged,
                "acknowledged": self.acknowledged, "receipts_waiting": self.receipts_waiting,
                "last_sent": self.last_sent.isoformat() if self.last_sent else None,
                "last_received": self.last_received.isoformat() if self.last_received else None,
                "missing_packages": self.missing_seqs}


def status(store: Store) -> list[NeighbourStatus]:
    """The state of every channel."""
    out = []
    with store.read_session() as s:
        me = this_office(s)
        for n in neighbours(s):
            pending = _once(pending_records(s, store, me, n))
            items = list(s.scalars(select(SyncItem).where(SyncItem.neighbour_code == n.code)))
            by_key = {(i.kind, i.key): i for i in items}
            sent_unacked = sum(1 for r in pending if (i := by_key.get((r.kind, r.key))) and i.sent_hash == r.hash)
            channel = s.get(SyncChannel, n.code)
            seqs = sorted(channel.received_seqs or []) if channel else []
            last = {d: s.scalar(select(SyncPackage.at).where(SyncPackage.neighbour_code == n.code,
                                                             SyncPackage.direction == d)
                                .order_by(SyncPackage.at.desc()).limit(1)) for d in ("in", "out")}
            receipts = len(list(s.scalars(select(PendingReceipt).where(
                PendingReceipt.neighbour_code == n.code, PendingReceipt.sent_in_package.is_(None)))))
            out.append(NeighbourStatus(
                n, waiting=len(pending) - sent_unacked, sent_unacknowledged=sent_unacked,
                acknowledged=sum(1 for i in items if i.acked_hash is not None),
                last_sent=last["out"], last_received=last["in"],
                missing_seqs=[q for q in range(1, seqs[-1]) if q not in seqs] if seqs else [],
                receipts_waiting=receipts))
    return out


def conflicts(session: Session, *, include_resolved: bool = False) -> list[SyncConflict]:
    """Records kept aside for a person to decide."""
    query = select(SyncConflict).order_by(SyncConflict.id)
    if not include_resolved:
        query = query.where(SyncConflict.resolved_at.is_(None))
    return list(session.scalars(query))


def resolve_conflict(session: Session, actor: Actor, conflict_id: int, note: str) -> SyncConflict:
    """Close a conflict, keeping this office's record, with who decided and why."""
    from sanlian_desktop.kernel.vocab import Role

    actor.require(Role.ADMIN, Role.REVIEWER, action="处理同步冲突")
    row = session.get(SyncConflict, conflict_id)
    if row is None or row.resolved_at is not None:
        raise UserError(f"没有待处理的冲突 {conflict_id}", f"no open conflict {conflict_id}")
    note = note.strip()
    if not note:
        raise UserError("请写明处理意见", "a note is required")
    row.resolved_at, row.resolved_by, row.resolution = utcnow(), actor.username, "keep_local"
    audit.record(session, office=actor.office_code, user=actor.username, action="sync.resolve", entity="conflict",
                 entity_id=str(conflict_id), details={"note": note, "kind": row.kind, "key": row.key})
    return row
