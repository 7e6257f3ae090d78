"""Record kinds that other parts of the program add to the packages.

The core kinds — regions, batches, declarations with their versions, opinions and attachments — are
built into ``records.py`` and ``sync.replication.apply.Applier``. Anything else that must travel
between offices (the registries behind the indicators, the follow-up after approval) registers a
:class:`RecordKind` from its own module, so that sync itself does not grow with every new table::

    from sanlian_desktop.sync.kinds.registry import RecordKind, register

    register(RecordKind(
        name="organisation",           # the entry kind in the manifest: unique, [a-z_]+
        records=organisation_records,  # (session, route) -> every record the neighbour should hold
        local=local_organisation,      # (session, key) -> this store's current form, or None
        apply=apply_organisation,      # (incoming, record) -> None: apply one received record
        group=lambda r: r.body["community_code"],  # optional: records of one group share a package
    ))

A kind whose records belong to one declaration (a project's tender, its evaluation) says so with
``joins_declaration=True`` and a ``group`` that returns the declaration's id: a split export then keeps
them in the package that carries the declaration itself, so that packages may be imported in any order.

from a ``register_kinds()`` function of its own module, which the composition root
(:func:`sanlian_desktop.app.compose`) calls before any package is written or read, so that every office
knows every kind. Kinds are applied after the core kinds, in registration order (the order of the calls
in ``compose``, then of the ``register`` calls within a module): register what others refer to first.

What the apply function may rely on is :class:`Incoming`: the session of the importing transaction,
who sent the package, the report to count into, a way to keep a disagreeing record aside as a conflict,
and ``verify`` for records that carry a statement signed by the office that wrote them. It raises
``KeyError``/``TypeError``/``ValueError`` for a malformed body (the package is then refused whole) and
``UserError`` for anything a person should read. It must not commit. Records are applied a window at a
time (``sync.replication.apply.APPLY_WINDOW``), so its own lookups are one query per record; the core
records of the package are all written before the first record of these kinds is applied.

A statement names its signer's certificate rather than carrying it; the package carries each
certificate once. A record that carries a statement names the signing office as ``signer`` in its body
(``{"body": ..., "signer": code, "signature": ...}``), so that the export adds that office's
certificates to the package and the receiver can verify it. A table whose rows are signed by the office
that wrote them and kept read-only by every other office builds its kind with
:class:`sanlian_desktop.sync.kinds.signed.SignedKind`, which signs, looks up and applies such rows.

A record that refers to a file carries it as a core ``attachment`` record (``attachment_record``), which
the receiver stores before any extension record is applied.

Between the province and a third-party evaluator office (``Level.EVALUATOR``) only kinds registered
with ``evaluator=True`` travel, and the core kinds do not: such a kind yields whatever the route needs
(see :mod:`sanlian_desktop.evaluation.records`). Other kinds never see an evaluator's route.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Level

_NAME = re.compile(r"^[a-z][a-z_]{1,31}$")


@dataclass(frozen=True)
class Route:
    """Who is exchanging: this office and the neighbour a package goes to."""

    self_code: str
    self_level: Level
    neighbour_code: str
    neighbour_level: Level
    blob_path: Callable[[str], Path]

    @property
    def downward(self) -> bool:
        """True when the neighbour is a child office."""
        return self.neighbour_level.rank > self.self_level.rank


class Report(Protocol):
    applied: int
    already: int


class Incoming(Protocol):
    """What an extension's apply function gets: the import under way."""

    s: Session
    paths: AppPaths
    self_code: str
    sender: str  # the sending office's region code
    from_parent: bool
    package_id: str
    preview: bool

    @property
    def report(self) -> Report: ...

    def conflict(self, record: Any, reason: str, declaration_id: str | None = None) -> None: ...

    def verify(self, data: bytes, kind: str, signers: set[str]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RecordKind:
    name: str
    records: Callable[[Session, Route], Iterator[Any]]
    local: Callable[[Session, str], Any]
    apply: Callable[[Incoming, Any], None]
    group: Callable[[Any], str | None] | None = None
    # True when ``group`` names a declaration (a project's records): they then share a package with that
    # declaration's own records whenever both are pending, so that no package carries them without it.
    joins_declaration: bool = False
    # Optional: sign this office's own rows of the kind before an export; returns how many it signed.
    sign_own: Callable[[Session, str, Callable[[str, dict[str, Any]], bytes]], int] | None = None
    # True for a kind that travels between the province and an evaluator office (and the only kinds that do).
    evaluator: bool = False
    # Optional: ``local`` for many keys at once (key -> record, absent keys left out), in a few queries:
    # an import asks for every received record of the kind, to acknowledge those it holds as sent.
    local_many: Callable[[Session, list[str]], dict[str, Any]] | None = None


_KINDS: dict[str, RecordKind] = {}


def register(kind: RecordKind) -> RecordKind:
    """Add a record kind; registering the same name twice is a programming error."""
    if not _NAME.match(kind.name):
        raise ValueError(f"bad record kind name {kind.name!r}")
    existing = _KINDS.get(kind.name)
    if existing is not None and existing is not kind:
        raise ValueError(f"record kind {kind.name!r} registered twice")
    _KINDS[kind.name] = kind
    return kind


_composed: list[bool] = []  # [True] once every kind is registered


def mark_composed() -> None:
    """Every kind is registered (the composition root says so once it has called every module)."""
    _composed[:] = [True]


def _require_composed() -> None:
    if not _composed:  # a package made without the feature kinds would silently leave records behind
        raise RuntimeError("record kinds are not registered: call sanlian_desktop.app.compose() first")


def extra_kinds() -> list[RecordKind]:
    """The registered kinds, in the order they are applied."""
    _require_composed()
    return list(_KINDS.values())


def get(name: str) -> RecordKind | None:
    _require_composed()
    return _KINDS.get(name)
