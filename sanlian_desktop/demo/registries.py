"""Demo entries for the registries: a few communities that meet the pilot's targets, many that do not.

Rows are inserted in bulk (the 100,000-declaration demo must stay quick); their identifiers are made
valid by construction, the way the services would check them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.checks import credit_code_check_char
from sanlian_desktop.kernel.vocab import CERTIFICATE_LEVELS, Level
from sanlian_desktop.models import AreaFacts, CommunityFacts, CommunityOrganisation, Region, SocialWorker
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import dialects

# (name ending, kind)
ORGANISATIONS = [("老年协会", "社区服务类"), ("志愿服务队", "公益慈善类"), ("文体协会", "文体娱乐类"),
                 ("邻里互助会", "社区服务类"), ("人民调解委员会", "社区事务类"), ("助残服务队", "公益慈善类"),
                 ("书画社", "文体娱乐类"), ("舞蹈队", "文体娱乐类"), ("四点半课堂", "公益慈善类"),
                 ("社会工作服务站", "专业社工机构"), ("妇女互助会", "社区服务类"), ("红白理事会", "社区事务类")]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = ["娟", "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "霞", "平"]



@dataclass(frozen=True)
class _Profile:
    """How far along a community is: its chances and ranges."""

    share: float
    orgs: tuple[int, int]
    qualifying: float
    workroom: float
    federation: float
    workers: tuple[int, int]
    volunteers: tuple[int, int]  # per cent of residents
    direct: float
    unrecorded: float


_PROFILES = [
    _Profile(0.15, (5, 8), 0.9, 0.95, 0.95, (1, 3), (10, 16), 0.97, 0.0),
    _Profile(0.35, (2, 5), 0.5, 0.6, 0.5, (0, 1), (5, 12), 0.85, 0.05),
    _Profile(0.50, (0, 2), 0.2, 0.2, 0.1, (0, 0), (1, 7), 0.7, 0.25),
]


def fill(session: Session, actor: Actor, communities: Sequence[tuple[str, str, bool, str]],
         rng: random.Random, now: datetime) -> dict[str, int]:
    """Registry entries for the given communities (code, name, rural, county) that have no facts yet."""
    have = set(session.scalars(select(CommunityFacts.community_code)))
    population = dict(session.execute(select(Region.code, Region.population)
                                      .where(Region.level == Level.COMMUNITY.value)).all())
    serial = int(session.scalar(select(func.count()).select_from(CommunityOrganisation)) or 0)
    worker_serial = int(session.scalar(select(func.count()).select_from(SocialWorker)) or 0)
    stamp = {"created_at": now, "updated_at": now, "created_by": actor.username, "office_code": actor.office_code}

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    orgs: list[dict[str, Any]] = []
    workers: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    weights = [p.share for p in _PROFILES]
    for code, name, rural, county in communities:
        if code in have:
            continue
        p = rng.choices(_PROFILES, weights)[0]
        low, high = p.orgs
        n_orgs = rng.randint(low, high) - (1 if rural and high > 2 else 0)
        for ending, kind in rng.sample(ORGANISATIONS, max(0, n_orgs)):
            serial += 1
            qualifying = rng.random() < p.qualifying
            registered = rng.random() < 0.4
            body = f"52{county[:6]}MJ{serial:07d}"
            orgs.append({"uid": uid(), "name": f"{name}{ending}", "kind": kind, "community_code": code,
                         "credit_code": body + credit_code_check_char(body) if registered else None,
                         "record_number": None if registered else f"{county[:6]}备{serial:06d}",
                         "has_social_workers": qualifying and rng.random() < 0.8,
                         "hosts_agency": qualifying and (kind == "专业社工机构" or rng.random() < 0.3), **stamp,
                         # A few dissolved since: kept as tombstones, counted nowhere.
                         "deleted_at": now if rng.random() < 0.02 else None})
        for _ in range(rng.randint(*p.workers)):
            worker_serial += 1
            level = rng.choices(CERTIFICATE_LEVELS, [0.6, 0.35, 0.05])[0]
            workers.append({"uid": uid(), "name": rng.choice(SURNAMES) + rng.choice(GIVEN), "certificate_level": level,
                            "certificate_number": f"{2010 + worker_serial % 7}{worker_serial:08d}",
                            "employer": f"{name}{'村委会' if rural else '居委会'}", "community_code": code, **stamp})
        if rng.random() < 0.3:
            # Uncertified staff doing social work: counted in the registry, not as professionals.
            worker_serial += 1
            workers.append({"uid": uid(), "name": rng.choice(SURNAMES) + rng.choice(GIVEN), "certificate_level": None,
                            "certificate_number": "", "employer": f"{name}{'村委会' if rural else '居委会'}",
                            "community_code": code, **stamp})
        residents = population.get(code)
        unrecorded = rng.random() < p.unrecorded
        volunteers = None if unrecorded or not residents else residents * rng.randint(*p.volunteers) // 100
        facts.append({"community_code": code, "has_workroom": None if unrecorded else rng.random() < p.workroom,
                      "in_federation": None if unrecorded or rural else rng.random() < p.federation,
                      "registered_volunteers": volunteers,
                      "election": None if unrecorded else "direct" if rng.random() < p.direct else "indirect",
                      "updated_at": now, "updated_by": actor.username})
    areas = sorted({county for code, _, _, county in communities if code not in have})
    known_areas = set(session.scalars(select(AreaFacts.region_code)))
    # Most county-level regions are pilot areas; a few the province left out of the pilot.
    area_rows = [{"region_code": a, "has_association": rng.random() < 0.7, "pilot": rng.random() < 0.9,
                  "updated_at": now, "updated_by": actor.username}
                 for a in areas if a not in known_areas and rng.random() < 0.85]
    for model, rows in ((CommunityOrganisation, orgs), (SocialWorker, workers), (CommunityFacts, facts),
                        (AreaFacts, area_rows)):
        # The attributes' keys are the columns' keys in these four tables.
        table = model.__table__
        assert isinstance(table, Table)
        for start in range(0, len(rows), 5000):
            dialects.load_rows(session.connection(), table, rows[start:start + 5000])
    return {"organisations": len(orgs), "social_workers": len(workers), "community_facts": len(facts),
            "area_facts": len(area_rows)}
