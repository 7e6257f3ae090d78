"""The registries travel up in sync packages, so that every office sees its whole jurisdiction.

One record kind, ``registry``, registered with the sync extension hook (``sync/kinds.py``). Keys:

- ``community:<code>`` — a community of the sender's jurisdiction: its region data (name, rural,
  residents, households, its street's name) and its facts (社会工作室, 联合会, volunteers, election), so
  that an office above knows every community, also those nobody recorded anything for yet;
- ``org:<uid>`` / ``worker:<uid>`` — an organisation or social worker, deleted ones as tombstones;
- ``area:<code>`` — a county-level region's facts (pilot area, 社会工作协会).

Records go up only (child → parent), for everything inside the sender's jurisdiction, including what
the sender itself received from below. A community's records share a package group, so a big
jurisdiction is split across packages a community at a time and a community's organisations never
arrive before the community itself.

Ownership: an organisation or worker belongs to the office that entered it (``office_code``); facts
and region data belong to the office closest to the community. An upward copy that differs from what
the receiver holds wins when its owner lies inside the sender's jurisdiction — below knows best, as for
regions (``sync.replication.apply.Applier._region``). Anything else that disagrees — a record this office owns
itself, a 统一社会信用代码 already used by another organisation — is kept aside as a conflict.

Signatures (issue 20): an organisation or worker travels as its owner's signed statement of its body
(the body plus ``signer`` and ``signature``). The owner signs its rows at each export (:func:`sign_own`),
every office above keeps the statement with the row and passes it on as signed, and each receiver checks
that the owner signed exactly this body — so an office on the way, fooled or malicious, cannot make up or
alter another office's organisation. A row kept from before signatures travels unsigned and is taken
only from its owner itself or where it changes nothing; forwarded by another office, it is refused.
Facts (a community's, an area's) are signed by the office that recorded them (``owner``) the same way, a
community's with its code; facts kept before versions have no owner and travel unsigned. A community's
region data are not signed: they are judged by the sender's place.

Versions, not arrival: organisations, workers and facts carry their owner's version (``version``, and
on facts ``owner``, see :mod:`sanlian_desktop.models.registries`). A copy is applied only when it is newer
than what this office holds: a higher version from the same owner, or — for facts — a copy recorded by an
office closer to the region. An older copy delivered late, a duplicate, or a stale edit after a deletion
(a tombstone is just the newest version) changes nothing and is counted as already present. A row kept
before versions existed travels without the fields, exactly as it did then, and such records still
follow arrival among themselves (an office that has not upgraded yet can send nothing better); a
versioned copy is never replaced by one without a version.

Every body is checked (exact keys, types, lengths, codes, the community inside the sender's
jurisdiction); a malformed or forged one raises ``ValueError``/``KeyError`` and the whole package is
refused.
"""

from __future__ import annotations

import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.canonical import body_text, body_time
from sanlian_desktop.kernel.checks import credit_code_problem
from sanlian_desktop.kernel.chunks import chunks
from sanlian_desktop.kernel.vocab import CERTIFICATE_LEVELS, Level
from sanlian_desktop.models import AreaFacts, CommunityFacts, CommunityOrganisation, Region, SocialWorker
from sanlian_desktop.offices import regions
from sanlian_desktop.registries.service import (
    _MAX_VOLUNTEERS,
    _RECORD_NUMBER,
    ELECTION_METHODS,
    ORGANISATION_KINDS,
    is_pilot_area,
)
from sanlian_desktop.sync.kinds import authority
from sanlian_desktop.sync.kinds.records import Record
from sanlian_desktop.sync.kinds.registry import Incoming, RecordKind, Route, register
from sanlian_desktop.sync.kinds.signed import Signer, encoded, signed_body, signed_content, statement

KIND = "registry"

_ORG_FIELDS = ("uid", "office", "name", "credit_code", "record_number", "kind", "community_code",
               "has_social_workers", "hosts_agency", "created_at", "created_by", "updated_at", "deleted_at")
_WORKER_FIELDS = ("uid", "office", "name", "certificate_level", "certificate_number", "employer",
                  "community_code", "created_at", "created_by", "updated_at", "deleted_at")
_FACT_FIELDS = ("has_workroom", "in_federation", "registered_volunteers", "election", "updated_at", "updated_by")
_AREA_FIELDS = ("code", "has_association", "pilot", "updated_at", "updated_by")
_VERSION = ("version",)  # added to an organisation's or worker's body once its owner has changed it
_OWNED_VERSION = ("owner", "version")  # added to facts once an office has recorded them with a version


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _version(version: int | None) -> dict[str, Any]:
    """The version fields of an organisation's or worker's body: none for a row kept before versions."""
    return {"version": version} if version else {}


def _owned_version(owner: str | None, version: int | None) -> dict[str, Any]:
    """The version fields of facts: none for facts kept before versions."""
    return {"owner": owner, "version": version} if owner is not None and version else {}


# -- rows into records ----------------------------------------------------------------------------------


def org_body(o: CommunityOrganisation) -> dict[str, Any]:
    """An organisation's body as its owning office signs it (and as a row kept unsigned travels)."""
    return {
        "uid": o.uid, "office": o.office_code, "name": o.name, "credit_code": o.credit_code,
        "record_number": o.record_number, "kind": o.kind, "community_code": o.community_code,
        "has_social_workers": o.has_social_workers, "hosts_agency": o.hosts_agency,
        "created_at": _iso(o.created_at), "created_by": o.created_by, "updated_at": _iso(o.updated_at),
        "deleted_at": _iso(o.deleted_at), **_version(o.version),
    }


def worker_body(w: SocialWorker) -> dict[str, Any]:
    """A social worker's body as its owning office signs it (and as a row kept unsigned travels)."""
    return {
        "uid": w.uid, "office": w.office_code, "name": w.name, "certificate_level": w.certificate_level,
        "certificate_number": w.certificate_number, "employer": w.employer, "community_code": w.community_code,
        "created_at": _iso(w.created_at), "created_by": w.created_by, "updated_at": _iso(w.updated_at),
        "deleted_at": _iso(w.deleted_at), **_version(w.version),
    }


def _owned_record(key: str, row: CommunityOrganisation | SocialWorker, body: dict[str, Any],
                  self_code: str | None) -> Record:
    """The record of an organisation or worker: its owner's signed statement of it (the body the owner
    signed, ``signer`` and ``signature``) once the owner has signed it, else the row's body unsigned.

    An office above that edited its copy still passes on what the owner signed: its edit stays its own
    (the owner's next change replaces it there anyway). At the owner (``self_code``), a row changed since
    it was signed is its new body, unsigned: pending, and signed at the next export (:func:`sign_own`)."""
    if row.signature is None:
        return Record(KIND, key, body)
    signed = signed_body(row.signature)
    if row.office_code == self_code and signed != body:
        return Record(KIND, key, body)
    return Record(KIND, key, {**signed, "signer": row.signer_code, "signature": encoded(row.signature)})


def org_record(o: CommunityOrganisation, self_code: str | None = None) -> Record:
    return _owned_record(f"org:{o.uid}", o, org_body(o), self_code)


def worker_record(w: SocialWorker, self_code: str | None = None) -> Record:
    return _owned_record(f"worker:{w.uid}", w, worker_body(w), self_code)


def sign_own(session: Session, self_code: str, sign: Signer) -> int:
    """Sign this office's own organisations and workers not signed yet, or changed since it signed
    them (issue 20: the owner's signature travels with the record, so every office on the way checks
    who made it, not only who forwarded it); returns how many. An office's own rows are few."""
    count = 0
    owned: tuple[tuple[Any, Callable[[Any], dict[str, Any]]], ...] = (
        (CommunityOrganisation, org_body), (SocialWorker, worker_body))
    for model, body_of in owned:
        for row in session.scalars(select(model).where(model.office_code == self_code).order_by(model.id)):
            body = body_of(row)
            if row.signature is None or signed_content(row.signature)[0] != body:
                row.signature, row.signer_code = sign(KIND, body), self_code
                count += 1
    facts: tuple[tuple[Any, Callable[[Any], dict[str, Any]]], ...] = (
        (CommunityFacts, facts_signed_body), (AreaFacts, area_body))
    for model, body_of in facts:
        for row in session.scalars(select(model).where(model.owner_code == self_code, model.version > 0)):
            body = body_of(row)
            if row.signature is None or signed_content(row.signature)[0] != body:
                row.signature, row.signer_code = sign(KIND, body), self_code
                count += 1
    return count


def _facts_body(f: CommunityFacts | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {"has_workroom": f.has_workroom, "in_federation": f.in_federation,
            "registered_volunteers": f.registered_volunteers, "election": f.election,
            "updated_at": _iso(f.updated_at), "updated_by": f.updated_by, **_owned_version(f.owner_code, f.version)}


def facts_signed_body(f: CommunityFacts) -> dict[str, Any]:
    """What the facts' owner signs: the facts and the community they are of."""
    return {"community": f.community_code, **(_facts_body(f) or {})}


def area_body(a: AreaFacts) -> dict[str, Any]:
    """A county-level region's facts, as their owner signs them (and as facts kept unsigned travel)."""
    return {"code": a.region_code, "has_association": a.has_association, "pilot": a.pilot,
            "updated_at": _iso(a.updated_at), "updated_by": a.updated_by, **_owned_version(a.owner_code, a.version)}


def _owned_facts(row: CommunityFacts | AreaFacts, body: dict[str, Any], self_code: str | None) -> dict[str, Any] | None:
    """Facts as they travel: their owner's signed statement once the owner signed them (as for an
    organisation, :func:`_owned_record`); facts kept before versions (no owner) as they are; versioned
    facts of another office that its owner has not signed yet not at all (None: the office above would
    refuse them from a forwarder, and their owner's next export brings them signed). Without
    ``self_code``: this store's form, whoever owns it."""
    if row.owner_code is None or not row.version:
        return body
    if row.signature is not None:
        signed = signed_body(row.signature)
        if not (row.owner_code == self_code and signed != body):
            return {**signed, "signer": row.signer_code, "signature": encoded(row.signature)}
    return body if self_code is None or row.owner_code == self_code else None


def community_record(community: Region, street: Region | None, facts: CommunityFacts | None,
                     self_code: str | None = None) -> Record:
    code = community.code
    shown = None
    if facts is not None:
        shown = _owned_facts(facts, facts_signed_body(facts), self_code)
        if shown is not None:
            shown = {k: v for k, v in shown.items() if k != "community"}
    return Record(KIND, f"community:{code}", {
        "community": {"code": code, "name": community.name, "rural": community.rural,
                      "population": community.population, "households": community.households},
        "street": {"code": code[:9], "name": street.name if street is not None else f"街道 {code[:9]}"},
        "facts": shown,
    })


def area_record(a: AreaFacts, self_code: str | None = None) -> Record | None:
    """An area's record (None: another office's versioned facts its owner has not signed yet)."""
    body = _owned_facts(a, area_body(a), self_code)
    return None if body is None else Record(KIND, f"area:{a.region_code}", body)


def records(session: Session, route: Route) -> Iterator[Record]:
    """Upward only: every community of this office's jurisdiction with its organisations and workers
    (deleted ones as tombstones; another office's only once its owner signed them), community by
    community, then the county-level areas' facts."""
    if route.downward:
        return
    inside = regions.subtree_codes(session, route.self_code)
    communities = [r for r in session.scalars(select(Region).where(Region.level == Level.COMMUNITY.value)
                                              .order_by(Region.code)) if r.code in inside]
    if communities:
        streets = {r.code: r for r in session.scalars(select(Region).where(Region.level == Level.STREET.value))}
        facts = {f.community_code: f for f in session.scalars(select(CommunityFacts))}
        orgs: dict[str, list[CommunityOrganisation]] = defaultdict(list)
        for o in session.scalars(select(CommunityOrganisation).order_by(CommunityOrganisation.uid)):
            orgs[o.community_code].append(o)
        workers: dict[str, list[SocialWorker]] = defaultdict(list)
        for w in session.scalars(select(SocialWorker).order_by(SocialWorker.uid)):
            workers[w.community_code].append(w)
        for c in communities:
            yield community_record(c, streets.get(c.code[:9]), facts.get(c.code), route.self_code)
            # An organisation or worker travels with its owner's signature; one kept unsigned from before
            # leaves only its owner itself (the office above would refuse it from a forwarder).
            for o in orgs.get(c.code, ()):
                if o.signature is not None or o.office_code == route.self_code:
                    yield org_record(o, route.self_code)
            for w in workers.get(c.code, ()):
                if w.signature is not None or w.office_code == route.self_code:
                    yield worker_record(w, route.self_code)
    for a in session.scalars(select(AreaFacts).order_by(AreaFacts.region_code)):
        if a.region_code in inside and (record := area_record(a, route.self_code)) is not None:
            yield record


def local(session: Session, key: str) -> Record | None:
    """This store's current form of a registry record."""
    prefix, _, ident = key.partition(":")
    if prefix == "org":
        org = session.scalar(select(CommunityOrganisation).where(CommunityOrganisation.uid == ident))
        return None if org is None else org_record(org)
    if prefix == "worker":
        worker = session.scalar(select(SocialWorker).where(SocialWorker.uid == ident))
        return None if worker is None else worker_record(worker)
    if prefix == "community":
        community = session.get(Region, ident)
        if community is None or community.level != Level.COMMUNITY:
            return None
        return community_record(community, session.get(Region, ident[:9]), session.get(CommunityFacts, ident))
    if prefix == "area":
        area = session.get(AreaFacts, ident)
        return None if area is None else area_record(area)
    return None


def local_many(session: Session, keys: list[str]) -> dict[str, Record]:
    """:func:`local` for many keys: organisations, workers and communities in a few queries, the
    county-level areas one by one."""
    found: dict[str, Record] = {}
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        prefix, _, ident = key.partition(":")
        by_prefix[prefix].append(ident)
    orgs, workers = by_prefix.pop("org", []), by_prefix.pop("worker", [])
    for part in chunks(orgs):
        for o in session.scalars(select(CommunityOrganisation).where(CommunityOrganisation.uid.in_(part))):
            found[f"org:{o.uid}"] = org_record(o)
    for part in chunks(workers):
        for w in session.scalars(select(SocialWorker).where(SocialWorker.uid.in_(part))):
            found[f"worker:{w.uid}"] = worker_record(w)
    codes = by_prefix.pop("community", [])
    for chunk in chunks(codes):
        held = {r.code: r for r in session.scalars(select(Region).where(
            Region.code.in_(sorted({*chunk, *(c[:9] for c in chunk)}))))}
        facts = {f.community_code: f for f in session.scalars(select(CommunityFacts).where(
            CommunityFacts.community_code.in_(chunk)))}
        for code in chunk:
            community = held.get(code)
            if community is not None and community.level == Level.COMMUNITY:
                found[f"community:{code}"] = community_record(community, held.get(code[:9]), facts.get(code))
    for prefix, idents in by_prefix.items():
        for ident in idents:
            mine = local(session, f"{prefix}:{ident}")
            if mine is not None:
                found[f"{prefix}:{ident}"] = mine
    return found


def group(record: Record) -> str | None:
    """A community's records travel together; an area's facts on their own."""
    prefix, _, ident = record.key.partition(":")
    if prefix in ("org", "worker"):
        code = record.body.get("community_code")
        return code if isinstance(code, str) else None
    return ident


# -- checking what arrives ------------------------------------------------------------------------------


def _keys(body: Any, expected: tuple[str, ...], versioned: tuple[str, ...] = ()) -> dict[str, Any]:
    """``body`` if it has exactly the ``expected`` fields, or those and the ``versioned`` ones."""
    if not isinstance(body, dict) or set(body) not in (set(expected), set(expected) | set(versioned)):
        raise ValueError("registry record: unexpected fields")
    return body


def _received_version(body: dict[str, Any]) -> int:
    """The version a body carries (1 or more), 0 for a body made before versions."""
    if "version" not in body:
        return 0
    version = body["version"]
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 2**62:
        raise ValueError("registry record: bad version")
    return version


def _rank(owner: str | None) -> int:
    """How close to the region an owner of facts is (-1: facts kept before versions)."""
    if owner is None:
        return -1
    level = regions.code_shape_level(owner)
    if level is None:
        raise ValueError("registry record: bad owner")
    return level.rank


def _received_owner(incoming: Incoming, body: dict[str, Any]) -> tuple[str | None, int]:
    """The owner and version of received facts ((None, 0) for a body made before versions); the owner
    lies in the sender's jurisdiction, since records only travel up from where they were recorded."""
    version = _received_version(body)
    if version == 0:
        return None, 0
    owner = _code(body["owner"], 6, 9, 12)
    _rank(owner)
    _require_inside(incoming, owner)
    return owner, version


def newer(held: tuple[int, int] | None, received: tuple[int, int]) -> bool | None:
    """Whether a received copy versioned ``received`` replaces the held one versioned ``held`` (each
    ``(rank, version)``; rank 0 where there is one owner): True when nothing is held or the copy is
    newer, False when it is older or as new, None when neither has a version (then arrival decides, as
    it did before versions, if the two differ)."""
    if held is None:
        return True
    if held == received and received[1] == 0:
        return None
    return received > held


def _optional_text(value: Any, max_len: int) -> str | None:
    return None if value is None else body_text(value, max_len, blank=False)


def _flag(value: Any, *, optional: bool = False) -> bool | None:
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        raise ValueError("registry record: bad flag")
    return value


def _count(value: Any, upper: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
        raise ValueError("registry record: bad number")
    return value


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else body_time(value)


def _code(value: Any, *lengths: int) -> str:
    if not isinstance(value, str) or not value.isdigit() or len(value) not in lengths:
        raise ValueError("registry record: bad region code")
    return value


def _uid(value: str) -> str:
    if str(uuid.UUID(value)) != value:
        raise ValueError("registry record: bad uid")
    return value


@dataclass
class _Seen:
    """What one import has looked up already: a package brings thousands of records about the same few
    hundred regions, so each is asked for once (and held, so that the session keeps it)."""

    inside: dict[str, bool] = field(default_factory=dict)
    regions: dict[str, Region | None] = field(default_factory=dict)
    org_ids: dict[str, int] | None = None  # uid -> local id, every organisation held
    worker_ids: dict[str, int] | None = None
    credit: dict[str, str] | None = None  # credit code -> uid, organisations not deleted
    added: dict[str, Any] = field(default_factory=dict)  # uid -> row new with this import
    facts: set[str] | None = None  # communities with facts held
    codes: set[str] | None = None  # every region code held when the import began


_SEEN: weakref.WeakKeyDictionary[Any, _Seen] = weakref.WeakKeyDictionary()


def _seen(incoming: Incoming) -> _Seen:
    found = _SEEN.get(incoming)
    if found is None:
        found = _SEEN[incoming] = _Seen()
    return found


def _region(incoming: Incoming, code: str) -> Region | None:
    seen = _seen(incoming)
    if code not in seen.regions:
        if seen.codes is None:
            seen.codes = set(incoming.s.scalars(select(Region.code)))
        seen.regions[code] = incoming.s.get(Region, code) if code in seen.codes else None
    return seen.regions[code]


def _new_region(incoming: Incoming, code: str, name: str, level: Level, parent_code: str | None, *,
                rural: bool | None = None, population: int | None = None, households: int | None = None) -> None:
    """A street or community first heard of from below, under its parent (which this store must hold)."""
    parent = _region(incoming, parent_code) if parent_code else None
    expected = (Level.STREET,) if level is Level.COMMUNITY else (Level.COUNTY, Level.CITY)
    if parent is None or parent.level not in expected:
        raise ValueError(f"registry record: no parent region for {code}")
    region = Region(code=code, name=name, level=level.value, parent_code=parent.code, special=False,
                    rural=rural if level is Level.COMMUNITY else None, population=population,
                    households=households, pinyin=regions.pinyin_initials(name))
    incoming.s.add(region)
    seen = _seen(incoming)
    seen.regions[code] = region
    seen.inside.pop(code, None)


def _inside(incoming: Incoming, code: str) -> bool:
    """Whether ``code`` lies in the sender's jurisdiction, also for a street or community this store has
    not heard of yet (judged by the parent its code implies)."""
    seen = _seen(incoming)
    answer = seen.inside.get(code)
    if answer is None:
        if code == incoming.sender:
            answer = True
        else:
            region = _region(incoming, code)
            parent = region.parent_code if region is not None else regions.derive_parent_code(incoming.s, code)
            answer = parent is not None and parent != code and _inside(incoming, parent)
        seen.inside[code] = answer
    return answer


def _require_inside(incoming: Incoming, code: str) -> None:
    if not _inside(incoming, code):
        raise ValueError(f"registry record: {code} lies outside the sender's jurisdiction")


def _ids(incoming: Incoming, model: type[CommunityOrganisation] | type[SocialWorker]) -> dict[str, int]:
    """uid -> local id of every row of ``model`` held (one query per import)."""
    seen = _seen(incoming)
    if model is CommunityOrganisation:
        if seen.org_ids is None:
            seen.org_ids = dict(incoming.s.execute(select(model.uid, model.id)).all())
        return seen.org_ids
    if seen.worker_ids is None:
        seen.worker_ids = dict(incoming.s.execute(select(model.uid, model.id)).all())
    return seen.worker_ids


def _held(incoming: Incoming, model: type[CommunityOrganisation] | type[SocialWorker], uid: str) -> Any:
    """The row with ``uid``: held before this import, or added by it."""
    ids = _ids(incoming, model)
    if uid in ids:
        return incoming.s.get(model, ids[uid])
    return _seen(incoming).added.get(f"{model.__tablename__}:{uid}")


def _add(incoming: Incoming, row: CommunityOrganisation | SocialWorker) -> None:
    incoming.s.add(row)
    _seen(incoming).added[f"{type(row).__tablename__}:{row.uid}"] = row


def _credit_holders(incoming: Incoming) -> dict[str, str]:
    """credit code -> uid of the organisations not deleted (one query per import, kept up to date)."""
    seen = _seen(incoming)
    if seen.credit is None:
        o = CommunityOrganisation
        seen.credit = {c: u for c, u in incoming.s.execute(
            select(o.credit_code, o.uid).where(o.credit_code.is_not(None), o.deleted_at.is_(None)))
            if c is not None}
    return seen.credit


# -- applying -------------------------------------------------------------------------------------------


def apply(incoming: Incoming, record: Record) -> None:
    """Apply one registry record from a child office (see the module docstring for the rules)."""
    if incoming.from_parent:
        raise ValueError("registry records only travel up")
    prefix, _, ident = record.key.partition(":")
    handler: Callable[[Incoming, Record, str], None] | None = {
        "community": _community, "org": _organisation, "worker": _worker, "area": _area}.get(prefix)
    if handler is None:
        raise ValueError(f"unknown registry record {record.key}")
    handler(incoming, record, ident)


def _community(incoming: Incoming, record: Record, code: str) -> None:
    s = incoming.s
    body = _keys(record.body, ("community", "street", "facts"))
    c = _keys(body["community"], ("code", "name", "rural", "population", "households"))
    street = _keys(body["street"], ("code", "name"))
    if _code(c["code"], 12) != code or _code(street["code"], 9) != code[:9]:
        raise ValueError("registry record: community code is not its key")
    name, street_name = body_text(c["name"], 100, blank=False), body_text(street["name"], 100, blank=False)
    rural = _flag(c["rural"], optional=True)
    population, households = _count(c["population"], 10**9), _count(c["households"], 10**9)
    values: dict[str, Any] = {"name": name, "rural": rural, "population": population, "households": households}
    _require_inside(incoming, code)
    changed = False
    known_street = _region(incoming, code[:9])
    if known_street is None:
        _new_region(incoming, code[:9], street_name, Level.STREET, regions.derive_parent_code(s, code[:9]))
        changed = True
    elif known_street.level != Level.STREET:
        raise ValueError("registry record: the community's street is not a street here")
    elif known_street.name != street_name and _inside(incoming, known_street.code):
        known_street.name, known_street.pinyin = street_name, regions.pinyin_initials(street_name)
        changed = True
    community = _region(incoming, code)
    if community is None:
        _new_region(incoming, code, name, Level.COMMUNITY, code[:9], rural=rural, population=population,
                    households=households)
        changed = True
    elif community.level != Level.COMMUNITY:
        raise ValueError("registry record: not a community here")
    elif any(getattr(community, k) != v for k, v in values.items()):
        # The office closest to the community knows it best: its data win upward.
        for k, v in values.items():
            setattr(community, k, v)
        community.pinyin = regions.pinyin_initials(name)
        changed = True
    if body["facts"] is not None:
        changed = _facts(incoming, record.key, code, body["facts"]) or changed
    if changed:
        incoming.report.applied += 1
    else:
        incoming.report.already += 1


def _signed_facts(incoming: Incoming, key: str, raw: Any, context: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    """Received facts and their owner's statement (None: unsigned); the statement must be the owner's
    and say exactly these facts (with ``context``: the community they are of), else refused."""
    if not isinstance(raw, dict):
        raise ValueError("registry record: facts not an object")
    body = {k: v for k, v in raw.items() if k not in _SIGNED}
    if not any(k in raw for k in _SIGNED):
        return body, None
    owner, signer = body.get("owner"), raw.get("signer")
    if signer != owner or not isinstance(owner, str):
        raise authority.refused("registry", key, detail=f"由 {signer} 签署，登记单位是 {owner}",
                                detail_en=f"signed by {signer}, owned by {owner}")
    data = statement(raw.get("signature"))
    if incoming.verify(data, KIND, {owner}) != {**context, **body}:
        raise authority.refused("registry", key, detail=f"内容与登记单位 {owner} 签署的不一致",
                                detail_en=f"its content differs from what its owner {owner} signed")
    return body, data


def _unsigned_facts_refused(incoming: Incoming, key: str, owner: str) -> Exception:
    return authority.refused("registry", key, detail=f"没有登记单位 {owner} 的签名，由 {incoming.sender} 转来；"
                                                     "请登记单位升级程序后重新报送",
                             detail_en=f"unsigned by its owner {owner}, forwarded by {incoming.sender}")


def _facts(incoming: Incoming, key: str, code: str, raw: Any) -> bool:
    unsigned, signature = _signed_facts(incoming, key, raw, {"community": code})
    f = _keys(unsigned, _FACT_FIELDS, _OWNED_VERSION)
    owner, version = _received_owner(incoming, f)
    election = f["election"]
    if election is not None and election not in ELECTION_METHODS:
        raise ValueError("registry record: bad election method")
    values = {"has_workroom": _flag(f["has_workroom"], optional=True),
              "in_federation": _flag(f["in_federation"], optional=True),
              "registered_volunteers": _count(f["registered_volunteers"], _MAX_VOLUNTEERS), "election": election,
              "updated_at": body_time(f["updated_at"]), "updated_by": body_text(f["updated_by"], 64),
              "owner_code": owner, "version": version}
    seen = _seen(incoming)
    if seen.facts is None:
        seen.facts = set(incoming.s.scalars(select(CommunityFacts.community_code)))
    facts = incoming.s.get(CommunityFacts, code) if code in seen.facts else None
    if facts is not None and all(getattr(facts, k) == v for k, v in values.items()):
        if signature is not None and facts.signature is None:
            facts.signature, facts.signer_code = signature, owner  # passed on signed from now on
        return False  # held exactly so
    if facts is not None and newer((_rank(facts.owner_code), facts.version or 0), (_rank(owner), version)) is False:
        return False  # held in a newer version
    if signature is None and owner is not None and owner != incoming.sender:
        raise _unsigned_facts_refused(incoming, key, owner)
    if facts is None:
        facts = CommunityFacts(community_code=code)
        incoming.s.add(facts)
        seen.facts.add(code)
    for k, v in values.items():
        setattr(facts, k, v)
    facts.signature, facts.signer_code = signature, owner if signature is not None else None
    return True


def _owned(incoming: Incoming, body: dict[str, Any], ident: str) -> tuple[str, str]:
    """The record's uid (its key) and owner, both checked; the community must lie in the sender's
    jurisdiction, and so must the owner: records only travel up from where they were entered."""
    if body_text(body["uid"], 36, blank=False) != ident:
        raise ValueError("registry record: uid is not its key")
    _uid(ident)
    office = _code(body["office"], 6, 9, 12)
    _require_inside(incoming, _code(body["community_code"], 12))
    _require_inside(incoming, office)
    return ident, office


_SIGNED = ("signer", "signature")  # what an owner's signed record adds to the body it signed


def _signed(incoming: Incoming, record: Record) -> tuple[dict[str, Any], bytes | None]:
    """The body of an organisation's or worker's record and its owner's statement of it (None: the
    record is unsigned). A statement not signed by the office the body names as its owner, or that
    says something else than the body, is refused (issue 20: checked at every office on the way)."""
    raw = record.body
    if not isinstance(raw, dict):
        raise ValueError("registry record: not an object")
    body = {k: v for k, v in raw.items() if k not in _SIGNED}
    if not any(k in raw for k in _SIGNED):
        return body, None
    owner, signer = body.get("office"), raw.get("signer")
    if signer != owner or not isinstance(owner, str):
        raise authority.refused("registry", record.key, detail=f"由 {signer} 签署，登记单位是 {owner}",
                                detail_en=f"signed by {signer}, owned by {owner}")
    data = statement(raw.get("signature"))
    if incoming.verify(data, KIND, {owner}) != body:
        raise authority.refused("registry", record.key, detail=f"内容与登记单位 {owner} 签署的不一致",
                                detail_en=f"its content differs from what its owner {owner} signed")
    return body, data


def _to_write(incoming: Incoming, record: Record, held: Any, values: dict[str, Any], what: str,
              signature: bytes | None) -> bool:
    """Whether an organisation's or worker's record is to be written: not when this store holds it
    exactly so (counted as already present; an unsigned row held takes the owner's signature), nor when
    the held row was entered by another office or the community is unknown here (kept aside as a
    conflict), nor when this store holds a version as new or newer (an older copy arriving late changes
    nothing; counted as already present). An unsigned record that would change this store is taken only
    from its owner itself; forwarded by any other office it is refused (issue 20)."""
    if held is not None and all(getattr(held, k) == v for k, v in values.items()):
        if signature is not None and held.signature is None:
            held.signature, held.signer_code = signature, values["office_code"]
        incoming.report.already += 1
        return False
    if held is not None and held.office_code != values["office_code"]:
        # Authority (issue 20): a registry record is changed only by the office that owns it.
        raise authority.refused("registry", record.key, detail=f"本单位保存的{what}“{held.name}”由另一单位登记",
                                detail_en=f"the held row is owned by {held.office_code}")
    if held is not None and newer((0, held.version or 0), (0, values["version"])) is False:
        incoming.report.already += 1
        return False
    if signature is None and incoming.sender != values["office_code"]:
        raise authority.refused("registry", record.key,
                                detail=f"没有登记单位 {values['office_code']} 的签名，由 {incoming.sender} 转来；"
                                       "请登记单位升级程序后重新报送",
                                detail_en=f"unsigned by its owner {values['office_code']}, forwarded by {incoming.sender}")
    if _region(incoming, values["community_code"]) is None:
        incoming.conflict(record, f"本单位没有社区 {values['community_code']} 的区划数据")
        return False
    return True


def _write(incoming: Incoming, model: type[CommunityOrganisation] | type[SocialWorker], held: Any, uid: str,
           values: dict[str, Any], signature: bytes | None) -> None:
    """Write ``values`` into the held row, or into a new one, with the owner's statement of them."""
    if held is None:
        held = model(uid=uid)
        _add(incoming, held)
    for k, v in values.items():
        setattr(held, k, v)
    held.signature, held.signer_code = signature, values["office_code"] if signature is not None else None
    incoming.report.applied += 1


def _organisation(incoming: Incoming, record: Record, ident: str) -> None:
    s = incoming.s
    signed, signature = _signed(incoming, record)
    body = _keys(signed, _ORG_FIELDS, _VERSION)
    uid, office = _owned(incoming, body, ident)
    credit = _optional_text(body["credit_code"], 18)
    number = _optional_text(body["record_number"], 40)
    if (credit is None) == (number is None) or (credit is not None and credit_code_problem(credit)) or (
            number is not None and not _RECORD_NUMBER.match(number)):
        raise ValueError("registry record: bad credit code or record number")
    if body["kind"] not in ORGANISATION_KINDS:
        raise ValueError("registry record: bad organisation kind")
    values = {"office_code": office, "name": body_text(body["name"], 100, blank=False), "credit_code": credit,
              "record_number": number, "kind": body["kind"], "community_code": body["community_code"],
              "has_social_workers": _flag(body["has_social_workers"]), "hosts_agency": _flag(body["hosts_agency"]),
              "created_at": body_time(body["created_at"]), "created_by": body_text(body["created_by"], 64),
              "updated_at": body_time(body["updated_at"]), "deleted_at": _optional_time(body["deleted_at"]),
              "version": _received_version(body)}
    held = _held(incoming, CommunityOrganisation, uid)
    if not _to_write(incoming, record, held, values, "社区社会组织", signature):
        return
    holders = _credit_holders(incoming)
    if credit is not None and values["deleted_at"] is None and holders.get(credit, uid) != uid:
        clash = s.scalar(select(CommunityOrganisation.name).where(CommunityOrganisation.uid == holders[credit]))
        incoming.conflict(record, f"统一社会信用代码 {credit} 在本单位已登记在另一个组织名下（{clash}）")
        return
    if held is not None and held.credit_code is not None and holders.get(held.credit_code) == uid:
        del holders[held.credit_code]
    _write(incoming, CommunityOrganisation, held, uid, values, signature)
    if credit is not None and values["deleted_at"] is None:
        holders[credit] = uid


def _worker(incoming: Incoming, record: Record, ident: str) -> None:
    signed, signature = _signed(incoming, record)
    body = _keys(signed, _WORKER_FIELDS, _VERSION)
    uid, office = _owned(incoming, body, ident)
    level = body["certificate_level"]
    if level is not None and level not in CERTIFICATE_LEVELS:
        raise ValueError("registry record: bad certificate level")
    number = body_text(body["certificate_number"], 40)
    if level is not None and not number.strip():
        raise ValueError("registry record: a certified worker without certificate number")
    values = {"office_code": office, "name": body_text(body["name"], 64, blank=False), "certificate_level": level,
              "certificate_number": number, "employer": body_text(body["employer"], 100),
              "community_code": body["community_code"], "created_at": body_time(body["created_at"]),
              "created_by": body_text(body["created_by"], 64), "updated_at": body_time(body["updated_at"]),
              "deleted_at": _optional_time(body["deleted_at"]), "version": _received_version(body)}
    held = _held(incoming, SocialWorker, uid)
    if _to_write(incoming, record, held, values, "社会工作者", signature):
        _write(incoming, SocialWorker, held, uid, values, signature)


def _area(incoming: Incoming, record: Record, code: str) -> None:
    s = incoming.s
    unsigned, signature = _signed_facts(incoming, record.key, record.body, {})
    body = _keys(unsigned, _AREA_FIELDS, _OWNED_VERSION)
    if _code(body["code"], 6) != code:
        raise ValueError("registry record: area code is not its key")
    values: dict[str, Any] = {"has_association": _flag(body["has_association"], optional=True), "pilot": _flag(body["pilot"]),
              "updated_at": body_time(body["updated_at"]), "updated_by": body_text(body["updated_by"], 64)}
    region = _region(incoming, code)
    if region is None or not is_pilot_area(s, region):
        raise ValueError(f"registry record: {code} is not a county-level region here")
    _require_inside(incoming, code)
    owner, version = _received_owner(incoming, body)
    values.update(owner_code=owner, version=version)
    facts = s.get(AreaFacts, code)
    if facts is not None and all(getattr(facts, k) == v for k, v in values.items()):
        if signature is not None and facts.signature is None:
            facts.signature, facts.signer_code = signature, owner  # passed on signed from now on
        incoming.report.already += 1  # held exactly so
        return
    if facts is not None and newer((_rank(facts.owner_code), facts.version or 0), (_rank(owner), version)) is False:
        incoming.report.already += 1  # held in a newer version
        return
    if signature is None and owner is not None and owner != incoming.sender:
        raise _unsigned_facts_refused(incoming, record.key, owner)
    if facts is None:
        facts = AreaFacts(region_code=code)
        s.add(facts)
    for k, v in values.items():
        setattr(facts, k, v)
    facts.signature, facts.signer_code = signature, owner if signature is not None else None
    incoming.report.applied += 1


REGISTRY = RecordKind(name=KIND, records=records, local=local, apply=apply, group=group, local_many=local_many,
                      sign_own=sign_own)


def register_kinds() -> None:
    """Add the registries to the packages (called by :func:`sanlian_desktop.app.compose`)."""
    register(REGISTRY)
