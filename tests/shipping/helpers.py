"""Builders for the shipping tests: a county with a declaration and an attachment, file fingerprints."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import func, select

from sanlian_desktop.declarations import drafts
from sanlian_desktop.models import Attachment, Declaration
from tests.helpers import Office, example_declaration

SCAN = b"%PDF-1.4 minutes of the residents' council\n" * 200


def add_declaration_with_attachment(office: Office, tmp: Path) -> tuple[str, str]:
    """A draft with one attachment; returns (declaration id, attachment sha256)."""
    source = tmp / "会议记录.pdf"
    source.write_bytes(SCAN)
    with office.session() as s:
        decl = drafts.create(s, office.clerk, example_declaration())
        link = drafts.attach(s, office.clerk, decl, office.store.paths, source, kind="minutes")
        return decl.id, link.sha256


def counts(office: Office) -> tuple[int, int]:
    """(declarations, attachments) in the store."""
    with office.session() as s:
        return (s.scalar(select(func.count()).select_from(Declaration)) or 0,
                s.scalar(select(func.count()).select_from(Attachment)) or 0)


def fingerprint(home: Path) -> dict[str, str]:
    """SHA-256 of every file under ``home`` except backups and logs: 'untouched' means equal.

    SQLite's shared-memory index and an empty WAL, which a read-only look at the store leaves behind,
    hold no data and are left out.
    """
    out = {}
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home)
        if path.name.endswith("-shm") or (path.name.endswith("-wal") and path.stat().st_size == 0):
            continue
        if path.is_file() and rel.parts[0] not in ("backups", "logs"):
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
