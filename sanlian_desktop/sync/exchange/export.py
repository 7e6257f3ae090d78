"""Export: writing a package to a neighbour with everything it has not acknowledged, signed,
fitted into the package limits, and remembered as sent."""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import sha256_file
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Office, PendingReceipt, RevocationRecord, SyncChannel, SyncPackage, utcnow
from sanlian_desktop.offices import certack
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices.auth import Actor, this_office
from sanlian_desktop.store import audit, dialects
from sanlian_desktop.store.attachments import blob_path
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.files import package_file_name
from sanlian_desktop.sync.exchange.neighbours import Neighbour, neighbour, neighbours
from sanlian_desktop.sync.exchange.outgoing import check_outgoing, left_out_message, never_travels
from sanlian_desktop.sync.kinds.records import Record, records_for
from sanlian_desktop.sync.replication.fitting import fit_package
from sanlian_desktop.sync.replication.ledger import mark_sent, unacknowledged
from sanlian_desktop.sync.replication.signing import sign_own_records
from sanlian_desktop.sync.transport.package import DEFAULT_LIMITS, PackageWriter
from sanlian_desktop.sync.transport.receipts import resign_receipt
from sanlian_desktop.sync.trust.certs import Cert, show_date
from sanlian_desktop.sync.trust.custody import KeyCustody
from sanlian_desktop.sync.trust.statements import sign_statement
from sanlian_desktop.sync.trust.suite import suite_label

# What one package may hold, with room to spare under the limits every reader enforces.
EXPORT_LOCK = "sync-export"
PACKAGE_ENTRIES = DEFAULT_LIMITS.max_entries - 100
PACKAGE_MANIFEST = DEFAULT_LIMITS.max_manifest - 256 * 1024
Progress = Callable[[int, int], None]


@dataclass
class ExportResult:
    """What ``sync export`` wrote."""

    neighbour: Neighbour
    path: Path | None
    package_id: str | None
    records: int
    receipts: int
    by_kind: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)  # records no office would take (demo data), by kind

    @property
    def left_out_note(self) -> str:
        """What stayed here because no office would take it (Chinese; empty when nothing)."""
        return left_out_message(self.left_out)


def _signer(keys: KeyCustody, chain: list[Cert]) -> Callable[[str, dict[str, Any]], bytes]:
    def sign(kind: str, body: dict[str, Any]) -> bytes:
        return sign_statement(kind, body, keys, chain)

    return sign


def _json_record(kind: str, key: str, data: bytes) -> Record:
    return Record(kind, key, {"data": base64.b64encode(data).decode()})


def pending_records(session: Session, store: Store, me: Office, n: Neighbour) -> list[Record]:
    """Everything the neighbour has not acknowledged in its current form (an attachment once per
    declaration that uses it: a package carries it once, see :func:`once`)."""
    records = list(records_for(session, me.region_code, Level(me.level), n.code, n.level,
                               functools.partial(blob_path, store.paths)))
    for row in session.scalars(select(RevocationRecord).order_by(RevocationRecord.serial)):
        records.append(_json_record("revocation", row.serial, row.encoded))
    for succession in trust.successions(session):  # the province's change of suite, down the whole chain
        records.append(_json_record("succession", succession.old_serial, succession.encode()))
    return unacknowledged(session, n.code, records)


def once(records: list[Record]) -> list[Record]:
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


def _refuse_retired(session: Session, n: Neighbour, own: Cert, recipient: Cert) -> None:
    """Nothing is sent under, or to, a certificate of a suite whose transition has ended: say so and what to do."""
    ending = trust.retired_suites(session)
    until = ending.get(own.suite)
    if until is not None and utcnow() > until:
        raise UserError(
            f"本单位的证书使用“{suite_label(own.suite)}”，省民政厅规定的过渡期已于 {show_date(until)} 结束，"
            "不能再用它制作数据包。请管理员用新的算法套件重新申请证书（office request --suite），"
            f"交上级单位签发并安装后再导出；在此期间录入的数据届时会一并报送。",
            f"this office's certificate is of suite {own.suite!r}, whose transition ended at {until.isoformat()}; "
            "request a certificate of the new suite (office request --suite) and export again",
        )
    until = ending.get(recipient.suite)
    if until is not None and utcnow() > until:
        label = suite_label(recipient.suite)
        raise UserError(
            f"{n.name}仍在使用“{label}”的证书，省民政厅规定的过渡期已于 {show_date(until)} 结束，不能再向其发送数据包。"
            f"请{n.name}按省民政厅的安排用新的算法套件重新申请证书（office request --suite），由本单位签发并安装后再导出。",
            f"{n.code} still holds a certificate of suite {recipient.suite!r}, whose transition ended at "
            f"{until.isoformat()}; it must request a certificate of the new suite first",
        )


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
        # One export at a time (several people on a PostgreSQL store): a second waits, then sends what
        # the first did not, under the next channel number.
        dialects.serialise(s, EXPORT_LOCK)
        trust.check_own_certificate_usable(s)  # revoked: nothing is signed or sent under it (issue 14)
        keys = trust.office_keys(s, actor)
        chain = trust.own_chain(s)
        if not chain[0].matches_keys(keys) and keys.suite.name == chain[0].suite:
            # A request with new keys (of the same suite) is out: what is signed from now on is signed with
            # them, under the certificate the parent issues for them (issue 14). A request in the suite the
            # province moves to is not this case: until it is certified the old keys sign (issue 17).
            raise UserError(
                "本单位已生成使用新密钥的证书申请，须安装上级单位据此签发的证书（“设置 → 证书”中的“安装上级签发的证书…”，"
                "或命令 office install）后才能导出数据包；在此期间录入的数据届时会一并报送。",
                "this office requested a certificate for new keys; install it before exporting")
        # During a change of suite: the newest certified keys (a new request not yet certified does not sign).
        keys, chain = trust.signing_pair(s, actor) or (keys, chain)
        sign_own_records(s, actor.office_code, _signer(keys, chain))
    with store.session() as s:
        dialects.serialise(s, EXPORT_LOCK)
        me = this_office(s)
        n = neighbour(s, to)
        # Its newest certificate once it has shown (a package signed under it) that it installed it (issue 14).
        recipient = certack.recipient_certificate(s, n.code, utcnow())
        if recipient is None:
            raise UserError(f"{n.name} 的证书已过期或不存在，无法加密", f"no valid certificate for {n.code}")
        # One suite for the whole package: the newest both offices hold a certificate of (issue 17); within
        # that suite, the certificate the neighbour has shown it installed (issue 14).
        pair = trust.pair_for(s, actor, n.code)
        if pair is not None:
            keys, chain, theirs = pair
            if recipient.suite != theirs.suite:
                recipient = theirs
        else:
            _refuse_retired(s, n, chain[0], recipient)
        # Demo data made at a city or the province no office would take: it stays here, the rest goes.
        records, left_out = never_travels(s, Level(me.level), n, pending_records(s, store, me, n))
        receipts = list(s.scalars(select(PendingReceipt).where(
            PendingReceipt.neighbour_code == n.code, PendingReceipt.sent_in_package.is_(None))))
        # Room for the certificates every pending statement needs (a part needs at most as many).
        reserve = len(trust.certificates_for(s, _signers(records)))
        # More than one package holds is carried in several, one export after another.
        records = fit_package(s, n.code, records, max_entries=PACKAGE_ENTRIES - len(receipts) - reserve - 1,
                                        max_manifest=PACKAGE_MANIFEST - reserve * CERT_ENTRY_COST)
        records = once(records)
        certificates = trust.certificates_for(s, _signers(records))
        result = ExportResult(n, None, None, len(records), len(receipts), left_out=left_out)
        if not records and not receipts and not allow_empty:
            return result
        # The receiver's rules, before anything is written: never a package it can only refuse.
        check_outgoing(s, me.region_code, n, records, certificates, chain)
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
                data = resign_receipt(base64.b64decode(rec.acknowledged["data"]), keys, chain)  # issue 14
                writer.add_entry("receipt", rec.package_id, 0, data)
            package_id = writer.package_id
        now = utcnow()
        mark_sent(s, n.code, records, package_id, now)
        for rec in receipts:
            rec.sent_in_package = package_id
        s.add(SyncPackage(package_id=package_id, direction="out", neighbour_code=n.code,
                          channel_seq=channel.next_out_seq, file_hash=sha256_file(out), entries=total,
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
