"""Which certificate each neighbour office has installed, as far as this office knows, and which of its
certificates a package to it is encrypted to (issue 14 §2).

A parent learns of a child's new certificate when it certifies it, long before the child installs it:
the bundle travels by hand. Every package an office writes is signed under its own newest installed
certificate, and the package's signed manifest names that certificate (the chain). So each package is
the sender's signed acknowledgment that it has installed that certificate and holds its keys; the
importing office records it here, in the ledger of what each neighbour acknowledged (a ``SyncItem`` of
kind :data:`LEDGER_KIND` keyed by the certificate's serial). Only certificates are compared, never the
sender's clock, and a package that arrives late under an older certificate takes nothing back.

Until a neighbour has acknowledged its newest certificate, packages to it are encrypted to the newest one
it has acknowledged, so the parent moves to the new keys only once the child has shown it can use them —
unless that older certificate is expired or was revoked for any reason other than being replaced by the
office's own new request (keys that may be in other hands are never encrypted to).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.chunks import chunks
from sanlian_desktop.kernel.codes import is_office_code
from sanlian_desktop.models import CertificateRecord, SyncItem, utcnow
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.sync.trust.certs import Cert

# The ledger rows that say "this neighbour signed a package under this certificate".
LEDGER_KIND = "installed_certificate"


def note_installed(session: Session, sender: Cert, at: datetime | None = None) -> bool:
    """Record that the neighbour office ``sender.code`` signed a package to this office under ``sender``
    (verified by the caller): it has installed that certificate. True when this is new."""
    if session.get(SyncItem, (sender.code, LEDGER_KIND, sender.serial)) is not None:
        return False
    when = at or utcnow()
    session.add(SyncItem(neighbour_code=sender.code, kind=LEDGER_KIND, key=sender.serial,
                         acked_hash=sender.serial, acked_at=when))
    session.flush()
    return True


def acknowledged(session: Session, codes: Iterable[str]) -> dict[str, set[str]]:
    """For each office of ``codes``: the serials of the certificates it was seen using (one query)."""
    wanted = sorted({c for c in codes if is_office_code(c)})
    found: dict[str, set[str]] = {c: set() for c in wanted}
    for part in chunks(wanted):
        rows = session.execute(select(SyncItem.neighbour_code, SyncItem.key).where(
            SyncItem.kind == LEDGER_KIND, SyncItem.neighbour_code.in_(part)))
        for code, serial in rows:
            found.setdefault(code, set()).add(serial)
    return found


def _newer(a: Cert, b: Cert) -> bool:
    return (a.not_before, a.serial) > (b.not_before, b.serial)


def _usable_old(session: Session, cert: Cert, at: datetime) -> bool:
    """An older certificate still fit to encrypt to: valid now, and unrevoked or revoked only because its
    office's own new request replaced it (its keys are not in doubt, the office simply has new ones)."""
    if not cert.not_before <= at <= cert.not_after:
        return False
    record = trust.revocation_of(session, cert.serial)
    return record is None or record.reason == trust.REPLACED_REASON


def recipient_certificate(session: Session, code: str, at: datetime | None = None) -> Cert | None:
    """The certificate of the office ``code`` to encrypt a package to: its newest (issue time, then
    serial) unless it has not yet acknowledged installing that one, then the newest it has acknowledged
    when that is still fit to use (see the module docstring). None when it has no valid certificate."""
    when = at or utcnow()
    newest = trust.cert_for(session, code, when)
    if newest is None:
        return None
    seen = acknowledged(session, [code]).get(code, set())
    if not seen or newest.serial in seen:
        return newest
    held = [c for c in _certs_of(session, code) if c.serial in seen]
    if any(c.enc_key == newest.enc_key for c in held):
        return newest  # a renewal of keys it holds already
    fit = [c for c in held if _usable_old(session, c, when)]
    if not fit:
        return newest
    best = fit[0]
    for c in fit[1:]:
        if _newer(c, best):
            best = c
    return best


def _certs_of(session: Session, code: str) -> list[Cert]:
    return certificates_of(session, [code]).get(code, [])


def certificates_of(session: Session, codes: Iterable[str]) -> dict[str, list[Cert]]:
    """Each office's certificates, newest first (issue time, then serial), a few hundred offices a query."""
    found: dict[str, list[Cert]] = {}
    for part in chunks(sorted(set(codes))):
        for row in session.scalars(select(CertificateRecord).where(CertificateRecord.region_code.in_(part))):
            found.setdefault(row.region_code, []).append(Cert.decode(row.encoded))
    for certs in found.values():
        certs.sort(key=lambda c: (c.not_before, c.serial), reverse=True)
    return found


@dataclass(frozen=True)
class OfficeCertificate:
    """An office's newest certificate as this office knows it, and whether that office has installed it."""

    code: str
    cert: Cert | None  # its newest unrevoked certificate (the newest revoked one when all are)
    revoked: bool
    installed: bool  # a package signed under it (or a newer one) came from that office
    acknowledged_serial: str | None  # the newest certificate that office was seen using, if any

    @property
    def install_label(self) -> str:
        """证书已安装 / 尚未确认安装, as the certificates tab and ``office show`` put it."""
        return "证书已安装" if self.installed else "尚未确认安装"


def office_certificates(session: Session, codes: Iterable[str]) -> dict[str, OfficeCertificate]:
    """For each office of ``codes``: its newest certificate (as :func:`trust.cert_for` picks it), whether it
    is revoked, and whether that office has acknowledged installing it (a few queries, not one per office)."""
    wanted = sorted(set(codes))
    revoked = trust.revoked_map(session)
    certs = certificates_of(session, wanted)
    seen = acknowledged(session, wanted)
    result = {}
    for code in wanted:
        mine = certs.get(code, [])
        ordered = [c for c in mine if c.serial not in revoked] + [c for c in mine if c.serial in revoked]
        newest = ordered[0] if ordered else None
        used = [c for c in mine if c.serial in seen.get(code, set())]  # newest first
        latest = used[0] if used else None
        installed = newest is not None and latest is not None and (
            latest.serial == newest.serial or not _newer(newest, latest))
        result[code] = OfficeCertificate(code, newest, newest is not None and newest.serial in revoked, installed,
                                         latest.serial if latest is not None else None)
    return result
