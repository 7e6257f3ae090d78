"""Certificate work off the GUI thread (unsealing the office keys takes a moment): each job calls one
``trust`` service in its own unit of work, as ``office request/certify/install/revoke`` do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from sanlian_desktop.offices import certack
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.neighbours import neighbours
from sanlian_desktop.sync.trust.certs import Cert
from sanlian_desktop.sync.trust.custody import KeyLocation
from sanlian_desktop.sync.trust.succession import Succession
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, Progress

REQUEST_SUFFIX = ".req"
CERT_SUFFIX = ".cert"


def _tr(text: str) -> str:
    return QCoreApplication.translate("CertificatesTab", text)


def request_file_name(office_name: str, code: str) -> str:
    """``城关区民政局-620102-证书申请.req``."""
    return f"{office_name}-{code}-证书申请{REQUEST_SUFFIX}"


def cert_file_name(office_name: str, code: str) -> str:
    """``东岗街道办事处-620102001-证书.cert``."""
    return f"{office_name}-{code}-证书{CERT_SUFFIX}"


def request_job(store: Store, actor: Actor, out: Path) -> FunctionJob:
    def run(_p: Progress, _c: IsCancelled) -> Path:
        with store.session() as s:
            # While the province moves the chain to another suite, the request is for keys of that suite.
            return trust.request_certificate(s, actor, out, suite=trust.suite_to_move_to(s))

    return FunctionJob(_tr("生成证书申请"), run)


def install_job(store: Store, actor: Actor, bundle: Path) -> FunctionJob:
    def run(_p: Progress, _c: IsCancelled) -> Cert:
        with store.session() as s:
            return trust.install_certificate(s, actor, bundle)

    return FunctionJob(_tr("安装证书"), run)


def certify_job(store: Store, actor: Actor, request: Path, out: Path) -> FunctionJob:
    def run(_p: Progress, _c: IsCancelled) -> trust.Certified:
        with store.session() as s:
            return trust.certify_child(s, actor, request, out)

    return FunctionJob(_tr("签发证书"), run)


@dataclass(frozen=True)
class ChildCertificate:
    """A child office this office certified, as the 证书 tab lists it."""

    code: str
    name: str
    not_after: datetime | None
    revoked: bool
    installed: bool = False  # the child has acknowledged installing its newest certificate (issue 14)


@dataclass(frozen=True)
class CertificateFacts:
    """This office's certificate (None before one is installed) and the children it certified."""

    own: Cert | None
    issuer_name: str
    children: list[ChildCertificate]
    key_location: KeyLocation | None = None  # where the office's private keys live (None: not made yet)
    transitions: tuple[Succession, ...] = ()  # the province's changes of suite known here


def load_facts(store: Store) -> CertificateFacts:
    """Read this office's certificate and its children's, through the trust service."""
    with store.read_session() as s:
        own = trust.own_certificate(s)
        issuer_name = ""
        if own is not None:
            issuer = trust.cert_for(s, own.issuer_code)
            issuer_name = issuer.office.name if issuer is not None else own.issuer_code
        below = [n for n in neighbours(s) if not n.is_parent]
        known = certack.office_certificates(s, [n.code for n in below])
        children = []
        for n in below:
            facts = known[n.code]
            children.append(ChildCertificate(n.code, n.name, facts.cert.not_after if facts.cert else None,
                                             facts.revoked, facts.installed))
        return CertificateFacts(own, issuer_name, children, trust.key_location(s), tuple(trust.successions(s)))
