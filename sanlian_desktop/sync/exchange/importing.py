"""Import: verifying a package completely, then applying all of it in one transaction (or, as a
preview, none of it), with the receipts, certificates and revocations it carries."""

from __future__ import annotations

import base64
import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import sha256_file
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import PendingReceipt, SyncChannel, SyncItem, SyncPackage, utcnow
from sanlian_desktop.offices import certack, regions
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices.auth import Actor, this_office
from sanlian_desktop.store import audit, dialects, staging
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.backup_ahead import BackupAhead
from sanlian_desktop.sync.exchange.neighbours import neighbour
from sanlian_desktop.sync.exchange.package_records import b64, check_kinds, read_json, records_of
from sanlian_desktop.sync.kinds import authority
from sanlian_desktop.sync.kinds.records import STATEMENT_KINDS, Record
from sanlian_desktop.sync.kinds.registry import extra_kinds
from sanlian_desktop.sync.replication import limits
from sanlian_desktop.sync.replication.apply import Applier, ApplyReport, Verifier
from sanlian_desktop.sync.replication.ledger import mark_acknowledged
from sanlian_desktop.sync.transport.packfmt import EntryInfo
from sanlian_desktop.sync.transport.reader import VerifiedPackage, open_package
from sanlian_desktop.sync.transport.receipts import Receipt, make_receipt, verify_receipt
from sanlian_desktop.sync.trust.ahead import AheadVerifier, start_for
from sanlian_desktop.sync.trust.certs import Cert
from sanlian_desktop.sync.trust.chain import CertPool, Revocation
from sanlian_desktop.sync.trust.statements import Statement, verify_statement
from sanlian_desktop.sync.trust.suite import get_suite

IMPORT_LOCK = "sync-import"
# Registered kinds whose records carry their owner's statement (counted to decide whether a worker verifies
# statements ahead; any record's statement found is verified ahead, whatever its kind).
_OWNER_SIGNED = ("registry",)


@dataclass
class ImportResult:
    """What ``sync import`` (or its preview) found and did."""

    package_id: str
    sender_code: str
    sender_name: str
    channel_seq: int
    already_imported: bool = False
    report: ApplyReport = field(default_factory=ApplyReport)
    receipts: int = 0
    acknowledged: int = 0
    revocations: int = 0
    missing_seqs: list[int] = field(default_factory=list)
    sender_serial: str = ""  # the certificate the sender signed the package under (its newest, once installed)

    def as_dict(self) -> dict[str, Any]:
        return {"package_id": self.package_id, "sender": self.sender_code, "sender_name": self.sender_name,
                "channel_seq": self.channel_seq, "already_imported": self.already_imported,
                **self.report.as_dict(), "receipts": self.receipts, "acknowledged": self.acknowledged,
                "revocations": self.revocations, "missing_packages": self.missing_seqs}


class _Preview(Exception):
    """Raised inside the import transaction to roll a preview back."""


def _not_a_statement(kind: str, key: str, exc: cj.MalformedError) -> UserError:
    """A record that should carry a signed statement and does not: the package is whole (its bytes
    passed the integrity check), so the sender exported it so — say that, not "damaged"."""
    what = _WHAT.get(kind, "记录")
    return UserError(
        f"数据包中的{what}记录 {key} 不是有效的签名记录（{exc.detail or exc.zh}）：数据包本身完好，"
        f"是发送单位导出了没有签名或格式不对的{what}（它无权签署、也没有收到签名原件的记录）。"
        "本次拒绝导入整个数据包；请发送单位升级程序后重新导出",
        f"{kind} {key} is not a valid signed statement ({exc.detail or exc.en}); the package is intact: the "
        "sender exported an unsigned or malformed record; the whole package is refused",
    )


def _statement_check(pool: CertPool, ahead: AheadVerifier | None = None) -> Callable[[Record], Statement]:
    def check(record: Record) -> Statement:
        data = record.raw or b""
        found = ahead.take(data, record.kind) if ahead is not None else None
        if found is not None:
            return found
        try:
            return verify_statement(data, pool, kind=record.kind)
        except cj.MalformedError as exc:
            raise _not_a_statement(record.kind, record.key, exc) from None

    return check


def _statement_checker(pool: CertPool, ahead: AheadVerifier | None = None) -> Verifier:
    def verify(data: bytes, kind: str, signers: set[str]) -> dict[str, Any]:
        statement = ahead.take(data, kind) if ahead is not None else None
        try:
            if statement is None:
                statement = verify_statement(data, pool, kind=kind)
        except cj.MalformedError as exc:
            raise _not_a_statement(kind, "", exc) from None
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


def _statements_of(records: list[Record]) -> Iterator[bytes]:
    """The statements among ``records`` the import will verify: a version's or an opinion's, and the owner's
    statement a registered kind's record carries (base64, under ``signature``, in the body or one level
    down). Whatever is not found here is simply verified by the import itself."""
    for record in records:
        if record.raw is not None:
            yield record.raw
            continue
        body = record.body
        for value in (body, *body.values()) if isinstance(body, dict) else ():
            signature = value.get("signature") if isinstance(value, dict) else None
            if isinstance(signature, str):
                with contextlib.suppress(ValueError):
                    yield base64.b64decode(signature, validate=True)


def _submitter(ahead: AheadVerifier) -> Callable[[list[Record]], None]:
    def submit(records: list[Record]) -> None:
        ahead.submit(_statements_of(records))

    return submit


class _Parents:
    """The store's ``parent_of`` hook, each office asked once; ``known`` is what was answered so far."""

    def __init__(self, lookup: Callable[[str], str | None]) -> None:
        self._lookup = lookup
        self.known: dict[str, str | None] = {}

    def __call__(self, code: str) -> str | None:
        if code not in self.known:
            self.known[code] = self._lookup(code)
        return self.known[code]


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


def _receipt_hashes(s: Session, neighbour_code: str, receipt: Receipt) -> list[tuple[str, str, str]]:
    """(kind, key, record hash) a receipt acknowledges. Where the package's suite hashes entries with
    SHA-256, the receipt's digests are the records' hashes; under another (国密: SM3) they name what this
    office sent in that package, whose record hashes the ledger kept with the package's id."""
    named = [(k, i, d.hex()) for k, i, _, d in receipt.entries if k != "certificate"]
    if getattr(get_suite(receipt.signer.suite).hasher(), "name", None) == "sha256":
        return named
    wanted = {(k, i) for k, i, _ in named}
    rows = s.execute(select(SyncItem.kind, SyncItem.key, SyncItem.sent_hash).where(
        SyncItem.neighbour_code == neighbour_code, SyncItem.sent_package == receipt.package_id))
    return [(k, i, h) for k, i, h in rows if (k, i) in wanted and h is not None]


def _refuse_from_evaluator(entries: list[EntryInfo]) -> None:
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
    # All or nothing, files included: received files wait in a staging folder until the import commits,
    # and leaving the block moves them into place or deletes them by what was committed
    # (store/staging.py); an import that stopped between its commit and that move is settled here first.
    staging.recover(store.paths, store.read_session)
    with staging.Staging(store.paths, store.read_session) as stage:
        try:
            with _collector_spares_the_rest(), store.session() as s:
                result = _import(s, store, actor, path, preview=preview, backup=backup, stage=stage)
                if preview:
                    raise _Preview
        except _Preview:
            pass
    return result


def _import(s: Session, store: Store, actor: Actor, path: Path, *, preview: bool,
            backup: bool, stage: staging.Staging) -> ImportResult:
    # On a server the backup is a pg_dump: its snapshot, too, is the store before the import.
    ahead = BackupAhead(store) if backup and not preview else None
    try:
        return _import_with(s, store, actor, path, preview=preview, ahead=ahead, stage=stage)
    finally:
        if ahead is not None and not ahead.kept:
            ahead.discard()


def _import_with(s: Session, store: Store, actor: Actor, path: Path, *, preview: bool,
                 ahead: BackupAhead | None, stage: staging.Staging) -> ImportResult:
    me = this_office(s)
    all_keys = trust.all_office_keys(s, actor)
    keys = all_keys[0]
    roots = trust.pinned_roots(s)
    if not roots:
        raise UserError("本单位还没有安装证书，不能导入数据包", "this office has no certificate yet")
    revoked = trust.revoked_map(s)
    retired = trust.retired_suites(s)
    # Every statement's chain asks for the same few offices' parents: ask the store once each.
    parent_of = _Parents(trust.parent_of(s))
    # Any of this office's keys, the current first: a package made before a change of keys still opens.
    pkg = open_package(path, all_keys, roots, revoked, utcnow(), recipient_code=me.region_code,
                       parent_of=parent_of, retired=retired)
    # A large package's statements are verified on the other core too (sync/trust/ahead.py): the worker
    # starts now and is given the certificates once they are checked.
    verifier = start_for(sum(1 for e in pkg.manifest.entries if e.kind in STATEMENT_KINDS or e.kind in _OWNER_SIGNED))
    try:
        sender = pkg.sender
        # A certificate this office revoked: only its packages up to the number the revocation states (issue 14).
        trust.check_package_after_revocation(s, sender, pkg.channel_seq, pkg.package_id)
        result = ImportResult(pkg.package_id, sender.code, sender.office.name, pkg.channel_seq,
                              sender_serial=sender.serial)
        file_hash = sha256_file(path)
        # One import at a time (several people on a PostgreSQL store): a second import, of this package
        # or another, waits here until the first commits, then finds what it applied.
        dialects.serialise(s, IMPORT_LOCK)
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
        check_kinds(pkg)
        # Sizes, counts, attachment ids and digests, from the manifest, before anything is read.
        limits.check_entries(pkg.manifest.entries, home=store.paths.home,
                             digest_is_sha256=getattr(get_suite(pkg.manifest.suite).hasher(), "name", None) == "sha256")
        if n.level is Level.EVALUATOR:
            _refuse_from_evaluator(pkg.entries)
        # The province's change of suite (issue 17): its new root, trusted from the old one, before the
        # statements signed under it are checked.
        for entry in pkg.manifest.entries:
            if entry.kind == "succession":
                trust.store_succession(s, b64(Record(entry.kind, entry.id, read_json(pkg, entry))))
        roots, retired = trust.pinned_roots(s), trust.retired_suites(s)
        pool = CertPool(roots, revoked, parent_of, lookup=trust.cert_by_serial(s), retired=retired)
        certificates = _package_certificates(s, pkg, pool)
        entries = pkg.manifest.entries
        now = utcnow()
        # Authority (issue 20): who may revoke and certify whom, before anything is stored.
        authority.check_trust_entries(
            s, certificates, [Revocation.decode(b64(Record(e.kind, e.id, read_json(pkg, e))))
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
                    record = Record(entry.kind, entry.id, read_json(pkg, entry))
                    if trust.store_revocation(s, Revocation.decode(b64(record))):
                        result.revocations += 1
            for receipt in receipts:
                result.receipts += 1
                result.acknowledged += mark_acknowledged(s, sender.code, _receipt_hashes(s, sender.code, receipt), now)

        # What this office now holds exactly as the sender sent it counts as acknowledged in the other
        # direction too: echoing it back would be pointless. Where this office's form differs, it is
        # sent back, and the sender decides by the same rules.
        def acknowledge(same: list[tuple[str, str, str]]) -> None:
            mark_acknowledged(s, sender.code, same, now)

        if ahead is not None:
            ahead.start()  # the package is whole, new and from a neighbour: back up while it is applied
        if verifier is not None and not verifier.configure(pool, parent_of.known,
                                                           functools.partial(limits.prechecked, limits=limits.LIMITS)):
            verifier.close()
            verifier = None
        applier = Applier(s, store.paths, self_code=me.region_code, sender_code=sender.code,
                          sender_is_parent=n.is_parent, package_id=pkg.package_id,
                          verify=limits.checked_verifier(_statement_checker(pool, verifier)),
                          check=limits.checked_statements(_statement_check(pool, verifier)),
                          preview=preview, acknowledge=acknowledge, first_change=first_change,
                          stage=None if preview else stage, ahead=None if verifier is None else _submitter(verifier))
        if any(e.kind in ("region", "version") for e in entries):
            regions.pinyin_initials("")  # names and titles need the pinyin dictionary: load it,
            gc.freeze()  # and spare it too
        result.report = applier.apply(records_of(pkg))
        if verifier is not None:
            verifier.close(finished=True)  # the statements are all verified: the worker ends now
            verifier = None
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
                # Signed with the keys of this office's certificate, which may be older than its newest keys
                # (a new request not yet certified); export signs it again under a newer one (issue 14).
                own = trust.own_chain(s)
                signing = next((k for k in all_keys if own[0].matches_keys(k)), keys)
                receipt_bytes = make_receipt(pkg, signing, own)
                s.add(PendingReceipt(package_id=pkg.package_id, neighbour_code=sender.code,
                                     acknowledged={"data": base64.b64encode(receipt_bytes).decode()}))
            certack.note_installed(s, sender, now)  # the sender's signed word that it holds this certificate
            s.add(SyncPackage(package_id=pkg.package_id, direction="in", neighbour_code=sender.code,
                              channel_seq=pkg.channel_seq, file_hash=file_hash, entries=len(entries),
                              summary=result.as_dict(), by_user=actor.username, file_name=path.name))
            audit.record(s, office=me.region_code, user=actor.username, action="sync.import", entity="package",
                         entity_id=pkg.package_id, details={"from": sender.code, **result.report.as_dict()})
        return result
    except cj.MalformedError as exc:
        # Everything read from here on passed the package's integrity check: not damaged, written so.
        raise cj.intact(exc) from None
    finally:
        if verifier is not None:
            verifier.close()
        pkg.close()
