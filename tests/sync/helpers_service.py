"""The five-office chain built through the services (no CLI), once, then copied per test or example.

Building and certifying five offices costs a few seconds; copying the five finished homes with
``shutil.copytree`` costs milliseconds, so property tests build the template once and copy it.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sanlian_desktop.declarations import batches
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.models import (
    AuditEntry,
    Batch,
    Declaration,
    DeclarationVersion,
    Opinion,
    PendingReceipt,
    SyncChannel,
    SyncConflict,
    SyncItem,
    SyncPackage,
)
from sanlian_desktop.offices import auth
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.offices.office import init_office
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from tests.helpers import PASSWORD
from tests.suites import suite_short
from tests.sync.helpers_cli import CHAIN

CODES = [code for _, code, _ in CHAIN]
COMMUNITY, PROVINCE = CODES[-1], CODES[0]


def build_template(root: Path, suite: str | None = None) -> Path:
    """Five certified offices under ``root`` (one folder per region code) with an open batch at the
    province, their keys in ``suite`` (by default the tests' suite, tests/suites.py); every store is
    closed so the folders can be copied."""
    suite = suite or suite_short()
    root.mkdir(parents=True, exist_ok=True)
    stores: dict[str, Store] = {}
    admins: dict[str, Actor] = {}
    try:
        for level, code, name in CHAIN:
            region_name = {"street": "东岗街道", "community": "东岗西路社区"}.get(level)
            store = init_office(root / code, level=Level(level), region_code=code, name=name, admin="admin",
                                admin_password=PASSWORD, region_name=region_name, suite=suite)
            stores[code] = store
            with store.session() as s:
                admin = auth.sign_in(s, "admin", PASSWORD)
                auth.add_user(s, admin, username="clerk", role=Role.CLERK, password=PASSWORD, display_name="王经办")
                auth.add_user(s, admin, username="rev", role=Role.REVIEWER, password=PASSWORD, display_name="李审核")
            admins[code] = admin
        for parent, child in itertools.pairwise(CODES):
            req, cert = root / f"{child}.req", root / f"{child}.cert"
            with stores[child].session() as s:
                trust.request_certificate(s, admins[child], req)
            with stores[parent].session() as s:
                trust.certify_child(s, admins[parent], req, cert)
            with stores[child].session() as s:
                trust.install_certificate(s, admins[child], cert)
        today = date.today()
        with stores[PROVINCE].session() as s:
            batches.add_batch(s, admins[PROVINCE], name="2016年试点项目申报", code="2016",
                              opens=today - timedelta(days=30), closes=today + timedelta(days=30),
                              budget=Decimal("10000000"), quota_projects=200, quota_communities=100)
        # The batch travels down, so the community can declare.
        for n, (parent, child) in enumerate(itertools.pairwise(CODES)):
            package = root / f"batch-{n}.sanlian"
            export_package(stores[parent], admins[parent], child, package)
            import_package(stores[child], admins[child], package)
    finally:
        for store in stores.values():
            store.close()
    return root


@dataclass
class ServiceOffice:
    """One office of a copied chain: its store and its signed-in users."""

    code: str
    store: Store
    admin: Actor
    clerk: Actor
    rev: Actor


def open_chain(template: Path, where: Path) -> dict[str, ServiceOffice]:
    """A fresh copy of the template chain in ``where``, opened and signed in."""
    offices = {}
    for code in CODES:
        shutil.copytree(template / code, where / code)
        store = Store.open(where / code)
        with store.session() as s:
            users = [auth.sign_in(s, name, PASSWORD) for name in ("admin", "clerk", "rev")]
        offices[code] = ServiceOffice(code, store, *users)
    return offices


def fingerprint(store: Store) -> dict[str, Any]:
    """Everything an import may change, in a comparable form."""
    with store.read_session() as s:
        def rows(query: Any) -> list[tuple[Any, ...]]:
            return sorted(tuple(r) for r in s.execute(query))

        return {
            "declarations": rows(select(Declaration.id, Declaration.status, Declaration.current_version,
                                        Declaration.awaiting_office, Declaration.granted_fen, Declaration.title)),
            "versions": rows(select(DeclarationVersion.declaration_id, DeclarationVersion.version,
                                    DeclarationVersion.content_hash, DeclarationVersion.frozen)),
            "opinions": rows(select(Opinion.id, Opinion.declaration_id, Opinion.seq)),
            "batches": rows(select(Batch.id)),
            "packages": rows(select(SyncPackage.package_id, SyncPackage.direction)),
            "items": rows(select(SyncItem.neighbour_code, SyncItem.kind, SyncItem.key, SyncItem.sent_hash,
                                 SyncItem.acked_hash)),
            "receipts": rows(select(PendingReceipt.package_id, PendingReceipt.sent_in_package)),
            "channels": [(c.neighbour_code, c.next_out_seq, sorted(c.received_seqs or []))
                         for c in s.scalars(select(SyncChannel).order_by(SyncChannel.neighbour_code))],
            "conflicts": s.scalar(select(func.count()).select_from(SyncConflict)),
            "audit": s.scalar(select(func.count()).select_from(AuditEntry)),
        }


def fill_county(office: ServiceOffice, count: int, *, seed: int = 2016) -> None:
    """``count`` submitted declarations at the county (demo content), each with two opinions the county
    can sign: the street's, entered from paper, and its own approval. They all await the city."""
    from datetime import datetime, timedelta

    from sqlalchemy import delete, insert, update

    from sanlian_desktop.declarations import workflow
    from sanlian_desktop.demo import generate as demo

    demo.generate(office.store, office.admin, count=count, seed=seed)
    with office.store.session() as s:
        names = {code: workflow.office_display_name(s, code) for code in s.scalars(
            select(Declaration.street_code).distinct())}
        county_name = workflow.office_display_name(s, office.code)
        s.execute(update(DeclarationVersion).where(DeclarationVersion.submitted_at.is_(None)).values(
            frozen=True, submitted_at=DeclarationVersion.created_at))
        s.execute(delete(Opinion))
        rows = []
        for n, (decl_id, street, version, created) in enumerate(s.execute(select(
                Declaration.id, Declaration.street_code, Declaration.current_version, Declaration.created_at))):
            at = (created or datetime.now().astimezone()) + timedelta(days=10)
            for seq, (level, code, name, paper) in enumerate(
                    (("street", street, names[street], True), ("county", office.code, county_name, False)), 1):
                rows.append({
                    "id": f"{n:08d}-0000-4000-8000-{seq:012d}", "declaration_id": decl_id, "seq": seq,
                    "version": version, "level": level, "office_code": code, "office_name": name,
                    "reviewer": "rev", "reviewer_name": "李审核", "decision": "approve",
                    "text": "经审核，项目符合申报条件，同意上报。" * 3, "decided_on": at.date(),
                    "at": at + timedelta(hours=seq), "granted_fen": None, "from_paper": paper, "scan_sha256": None,
                })
        s.execute(insert(Opinion), rows)
        # The demo made its own batch of this year; the declarations join the one the province sent.
        received = s.scalar(select(Batch.id).where(Batch.code == "2016"))
        s.execute(update(Declaration).values(batch_id=received))
        s.execute(delete(Batch).where(Batch.id != received))
        s.execute(update(Declaration).values(
            status="under_review", awaiting_level="city", awaiting_office=Declaration.city_code,
            submitted_at=Declaration.created_at, granted_fen=None, decided_at=None))
