"""Fitting pending records into one package within the package limits, whole declarations at a time:
a backlog larger than one package travels as parts, one export after another."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sanlian_desktop.models import SyncItem
from sanlian_desktop.sync.kinds import registry as extensions
from sanlian_desktop.sync.kinds.records import KINDS, Record
from sanlian_desktop.sync.replication.grouping import group_of
from sanlian_desktop.sync.replication.ledger import item_hashes


def _package_group(record: Record) -> str | None:
    """What keeps records together in one package: their declaration, or an extension kind's group."""
    if record.kind in KINDS:
        return group_of(record)
    extra = extensions.get(record.kind)
    if extra is None or extra.group is None:
        return None
    group = extra.group(record)
    if group is None:
        return None
    return group if extra.joins_declaration else f"{record.kind}:{group}"


def fit_package(session: Session, neighbour: str, records: list[Record], *, max_entries: int,
                max_manifest: int) -> list[Record]:
    """The records that go into one package within the package limits, whole declarations at a time.

    Regions, batches and revocations always go (they are few, and what follows refers to them). A
    declaration goes with its attachments, versions, opinions and links, and with the records of
    kinds that join it (a project's, ``RecordKind.joins_declaration``), never split across packages.
    When everything pending fits, everything goes. Otherwise the package carries what was not sent
    in its current form yet, and only once everything was sent what was sent but not acknowledged:
    exporting again before a receipt arrives carries the next part rather than the same one, the parts
    of one backlog do not overlap, and the export after the last part sends again whatever the
    neighbour has not acknowledged (a part lost on the way).
    """
    def cost(r: Record) -> int:
        return 160 + len(r.kind) + len(r.key)  # a manifest entry, generously

    heads: list[Record] = []
    grouped: dict[str, list[Record]] = {}  # in the order groups first appear
    waiting: list[Record] = []  # attachments precede the record they belong to
    for r in records:
        group = _package_group(r)
        if r.kind == "attachment":
            waiting.append(r)
        elif group is None:
            heads.append(r)
        else:
            grouped.setdefault(group, []).extend([*waiting, r])
            waiting = []
    groups = list(grouped.values())
    if waiting:
        groups.append(waiting)
    if len(records) <= max_entries and sum(map(cost, records)) <= max_manifest:
        return records
    sent = dict(item_hashes(session, neighbour, SyncItem.sent_hash))
    unsent = [g for g in groups if any(sent.get((r.kind, r.key)) != r.hash for r in g)]
    resent = [g for g in groups if all(sent.get((r.kind, r.key)) == r.hash for r in g)]
    chosen = list(heads)
    entries, size = len(heads), sum(map(cost, heads))
    for part in unsent or resent:
        more, grown = len(part), sum(map(cost, part))
        if len(chosen) > len(heads) and (entries + more > max_entries or size + grown > max_manifest):
            break
        chosen.extend(part)
        entries, size = entries + more, size + grown
    return chosen
