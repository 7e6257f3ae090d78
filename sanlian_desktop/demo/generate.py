"""Realistic demo data inside this office's jurisdiction, for a first look, screenshots and benchmarks."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import fields as declfields
from sanlian_desktop.declarations.workflow import (
    Jurisdiction,
    jurisdiction_of,
    office_display_name,
    review_stages,
)
from sanlian_desktop.demo import registries as demoregistries
from sanlian_desktop.demo import texts as demotexts
from sanlian_desktop.kernel.checks import credit_code_check_char
from sanlian_desktop.kernel.money import to_fen
from sanlian_desktop.kernel.vocab import (
    CERTIFICATE_LEVELS,
    FOCUS_AREAS,
    FUNDING_SOURCES,
    SERVICE_METHODS,
    TARGET_GROUPS,
    Level,
    Status,
)
from sanlian_desktop.models import Batch, Declaration, Opinion, Region
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import audit, dialects
from sanlian_desktop.store.engine import Store

PLACE = ["东岗", "西湖", "南关", "北滩", "新华", "和平", "建设", "文化", "团结", "胜利", "民主", "光明", "幸福",
         "安宁", "金城", "龙泉", "柳林", "石门", "青石", "白塔", "红山", "雁滩", "草场", "临河", "五里", "伏羲",
         "玉门", "敦煌", "祁连", "黄河", "陇西", "丝路", "嘉禾", "长乐", "永兴", "长庆", "瓦窑", "马滩"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
GIVEN = ["娟", "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "建华", "玉兰", "文博", "海燕", "国庆", "晓东", "雪梅", "志强", "红梅"]
THEMES = {
    "扶老救孤": ["“银龄守望”空巢老人关爱服务项目", "孤困儿童“护苗成长”关爱项目", "高龄老人居家助餐服务项目"],
    "助残助学": ["残障人士“阳光家园”康复支持项目", "困境学生“筑梦课堂”助学项目", "残疾青年就业能力提升项目"],
    "精神卫生": ["社区精神障碍患者康复融入项目", "“心晴驿站”精神健康服务项目"],
    "社区矫正": ["社区矫正对象“新起点”帮扶项目", "矫正人员家庭关系修复项目"],
    "心理疏导": ["失独家庭心理疏导与陪伴项目", "青少年“心灵港湾”心理支持项目"],
    "人文关怀": ["低收入家庭“邻里守望”人文关怀项目", "单亲家庭亲子成长支持项目"],
    "流动人口管理服务": ["流动人口“融入家园”社区服务项目", "进城务工人员子女课后托管项目"],
    "“三留守”人员关爱": ["农村留守儿童“四点半课堂”项目", "留守老人互助养老服务项目", "留守妇女技能培训与互助项目"],
    "环境保护": ["社区垃圾分类“绿色家园”行动项目", "“美丽庭院”环境共治项目"],
}
APPROVE = ["同意上报。项目需求调研扎实，服务设计合理。", "同意。经初核，申报程序完整，材料齐全。",
           "同意。预算编制合理，配套资金已落实。", "同意上报，建议加强项目过程管理。", "同意，建议纳入试点。"]
RETURN = ["资金来源说明不清，请补充配套资金证明后重新申报。", "效果预估缺少可衡量指标，请修改后重报。",
          "居民听证会记录缺失，请补充后重新上报。"]
REJECT = ["项目与试点重点领域关联不紧密，不予支持。", "同类项目已在本社区实施，不予重复支持。"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _credit_code(rng: random.Random, county: str) -> str:
    body = "52" + county[:6] + "MJ" + "".join(rng.choice("0123456789") for _ in range(7))
    return body + credit_code_check_char(body)


def _ensure_batch(session: Session, actor: Actor, today: date) -> Batch:
    """The batch open today that this office holds (the one the province sent down, so the demo declarations
    travel up with it), else this year's; made here only when there is none (it then stands in for what the
    province would send, and the declarations in it stay at this office: see sync export)."""
    code = f"{today.year}"
    batch = session.scalar(select(Batch).where(Batch.opens <= today, Batch.closes >= today)
                           .order_by(Batch.opens.desc(), Batch.code))
    batch = batch or session.scalar(select(Batch).where(Batch.code == code))
    if batch is None:
        batch = Batch(id=str(uuid.uuid4()), code=code, name=f"{today.year}年“三社联动”试点项目申报",
                      opens=today - timedelta(days=130), closes=today + timedelta(days=30),
                      budget_fen=to_fen(Decimal(10_000_000)),
                      quota_projects=200, quota_communities=100, created_by=actor.username)
        session.add(batch)
        session.flush()
    return batch


@dataclass(frozen=True)
class _Community:
    code: str
    name: str
    rural: bool
    population: int
    where: Jurisdiction


def _ensure_communities(session: Session, actor: Actor, wanted: int, rng: random.Random) -> list[_Community]:
    """Communities inside the office's jurisdiction, adding streets and communities as needed.

    Generated regions are inserted in bulk: their codes follow the code scheme by construction.
    """
    inside = regions.subtree_codes(session, actor.office_code)
    all_regions = {r.code: r for r in session.scalars(select(Region))}
    have: list[_Community] = []
    for r in all_regions.values():
        if r.level == Level.COMMUNITY and r.code in inside:
            have.append(_Community(r.code, r.name, bool(r.rural), r.population or rng.randint(2000, 9000),
                                   jurisdiction_of(session, r.code)))
    if len(have) >= wanted or actor.office_level is Level.COMMUNITY:
        return have
    streets = [r for r in all_regions.values() if r.level == Level.STREET and r.code in inside]
    street_rows: list[dict[str, Any]] = []
    if actor.office_level is not Level.STREET:
        county_level = [r for r in all_regions.values() if r.code in inside and (
            r.level == Level.COUNTY or (r.level == Level.CITY and not regions.has_counties(session, r.code)))]
        want_streets = max(1, -(-(wanted - len(have)) // 8))
        next_seq: dict[str, int] = {}
        while len(streets) < want_streets and county_level:
            parent = county_level[len(streets) % len(county_level)]
            prefix = parent.code if parent.level == Level.COUNTY else parent.code[:4] + "01"
            seq = next_seq.get(prefix, 1)
            while f"{prefix}{seq:03d}" in all_regions:
                seq += 1
            next_seq[prefix] = seq + 1
            rural = rng.random() < 0.5
            name = rng.choice(PLACE) + ("镇" if rural else "街道")
            row = {"code": f"{prefix}{seq:03d}", "name": name, "level": Level.STREET.value,
                   "parent_code": parent.code, "special": False, "pinyin": _initials(name)}
            street_rows.append(row)
            street = Region(**row)
            all_regions[street.code] = street
            streets.append(street)
    if not streets:
        return have
    community_rows: list[dict[str, Any]] = []
    used: dict[str, set[str]] = {}
    counters: dict[str, int] = {}
    where: dict[str, Jurisdiction] = {}
    for i in range(wanted - len(have)):
        street = streets[i % len(streets)]
        if street.code not in where:
            above = all_regions[street.parent_code or ""]
            city = above.parent_code or "" if above.level == Level.COUNTY else above.code
            where[street.code] = Jurisdiction(street.code, above.code, city)
        rural = street.name.endswith(("镇", "乡"))
        seq = counters.get(street.code, 1)
        while f"{street.code}{seq:03d}" in all_regions:
            seq += 1
        counters[street.code] = seq + 1
        suffix = "村" if rural else "社区"
        names = used.setdefault(street.code, set())
        for _ in range(30):
            name = rng.choice(PLACE) + rng.choice(["", "路", "西路", "东路", "新村", "南苑", "北苑", "里"]) + suffix
            if name not in names:
                break
        else:
            name = f"{rng.choice(PLACE)}第{seq}{suffix}"
        names.add(name)
        population = rng.randint(800, 4000) if rural else rng.randint(3000, 15000)
        code = f"{street.code}{seq:03d}"
        community_rows.append({"code": code, "name": name, "level": Level.COMMUNITY.value,
                               "parent_code": street.code, "special": False, "rural": rural,
                               "population": population, "households": population // 3,
                               "pinyin": _initials(name)})
        all_regions[code] = Region(code=code)
        have.append(_Community(code, name, rural, population, where[street.code]))
    now = datetime.now(UTC)
    for rows in (street_rows, community_rows):
        if rows:
            dialects.load_rows(session.connection(), Region.metadata.tables["region"],
                               [dict(r, created_at=now) for r in rows])
    return have


_INITIALS: dict[str, str] = {}


def _initials(text: str) -> str:
    if text not in _INITIALS:
        _INITIALS[text] = regions.pinyin_initials(text)
    return _INITIALS[text]


def _fields(rng: random.Random, community: _Community, batch: Batch, county: str, title: str, area: str,
            created: date) -> dict[str, Any]:
    population = community.population
    elders = population * rng.randint(12, 22) // 100
    total = rng.choice([3, 4, 5, 6, 8, 10, 12, 15]) * 10000
    provincial = min(total, rng.choice([2, 3, 4, 5]) * 10000)
    rest = total - provincial
    sources = [{"source": "省级补助", "amount": f"{provincial}.00"}]
    if rest:
        local = rest // 2 // 1000 * 1000 or rest
        sources.append({"source": "市县财政配套", "amount": f"{local}.00"})
        if rest - local:
            sources.append({"source": rng.choice(FUNDING_SOURCES[2:]), "amount": f"{rest - local}.00"})
    start = created + timedelta(days=rng.choice([30, 45, 61]))
    solicitation = created - timedelta(days=rng.randint(22, 40))
    beneficiaries = rng.randint(40, 600)
    organisations, workers = rng.randint(1, 8), rng.randint(0, 3)
    volunteers = population * rng.randint(3, 14) // 100
    return {
        "batch": batch.code,
        "community": community.code,
        "title": title,
        "community_profile": {
            "text": (f"{community.name}常住人口{population}人、{population // 3}户，其中60岁以上老年人{elders}人。"
                     f"社区现有社区社会组织{organisations}个、持证社工{workers}名、注册志愿者{volunteers}名。"),
            "urban": not bool(community.rural),
            "population": population,
            "households": population // 3,
            "social_organisations": organisations,
            "social_workers": workers,
            "registered_volunteers": volunteers,
        },
        "needs_analysis": (f"入户走访{rng.randint(80, 400)}户，{rng.randint(40, 80)}%的受访居民表示需要{area}方面的"
                           f"专业服务，{rng.randint(15, 45)}%存在长期照护或情绪支持需求。"),
        "target_groups": sorted(rng.sample(TARGET_GROUPS, rng.randint(1, 3)), key=TARGET_GROUPS.index),
        "focus_areas": sorted({area, *rng.sample(FOCUS_AREAS, rng.randint(0, 1))}, key=FOCUS_AREAS.index),
        "service_methods": sorted(rng.sample(SERVICE_METHODS, rng.randint(1, 3)), key=SERVICE_METHODS.index),
        "service_plan": (f"建立服务对象档案；组建{rng.randint(3, 12)}支志愿者小组；每月开展{rng.randint(1, 4)}次小组活动；"
                         "对重点对象开展个案跟进，项目结束前完成评估总结。"),
        "period_start": start.isoformat(),
        "period_end": (start + timedelta(days=rng.choice([181, 273, 364]))).isoformat(),
        "budget_total": f"{total}.00",
        "funding_sources": sources,
        "subsidy_requested": f"{provincial}.00",
        "expected_effect": {
            "text": f"项目期内服务{beneficiaries}人，开展个案服务{beneficiaries // 5}例、小组活动{rng.randint(8, 30)}次。",
            "beneficiaries": beneficiaries,
            "service_sessions": beneficiaries // 5 + rng.randint(8, 30),
        },
        "undertaker": {
            "name": f"{rng.choice(PLACE)}{rng.choice(['和煦', '阳光', '同心', '仁爱', '启航', '馨语'])}社会工作服务中心",
            "credit_code": _credit_code(rng, county),
            "lead_worker": _name(rng),
            "lead_worker_certificate": rng.choice(CERTIFICATE_LEVELS),
            "phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
        },
        "pre_steps": {
            "solicitation_date": solicitation.isoformat(),
            "hearing_date": (solicitation + timedelta(days=7)).isoformat(),
            "council_date": (solicitation + timedelta(days=13)).isoformat(),
            "notice_start": (solicitation + timedelta(days=14)).isoformat(),
            "notice_end": (solicitation + timedelta(days=21)).isoformat(),
        },
    }


def generate(store: Store, actor: Actor, *, count: int, seed: int = 2016,
             communities_wanted: int | None = None) -> dict[str, int]:
    """Add ``count`` demo declarations in this office's jurisdiction, in every state of the chain.

    The jurisdiction gets ``communities_wanted`` communities (default: one per six declarations, at most
    17,000, about the province's number), and the registries get entries for every community that has
    none yet.
    """
    rng = random.Random(seed)
    with store.session() as session:
        now = datetime.now(UTC)
        batch = _ensure_batch(session, actor, now.astimezone().date())
        wanted = communities_wanted if communities_wanted is not None else min(17_000, max(1, count // 6))
        communities = _ensure_communities(session, actor, wanted, rng)
        if not communities:
            from sanlian_desktop.kernel.errors import UserError

            raise UserError("辖区内没有可用的社区，无法生成演示数据", "no communities in this jurisdiction")
        offices = {code for c in communities for code in (c.where.street, c.where.county, c.where.city)}
        names = {code: office_display_name(session, code) for code in offices | {regions.PROVINCE_CODE}}
        usable = communities
        existing_numbers = set(session.scalars(select(Declaration.number)))
        counters: dict[str, int] = {}
        decl_rows: list[dict[str, Any]] = []
        version_rows: list[dict[str, Any]] = []
        opinion_rows: list[dict[str, Any]] = []
        themes = [(area, t) for area, titles in THEMES.items() for t in titles]
        previous: tuple[dict[str, Any], str] | None = None  # the declaration before, with its community's name
        for i in range(count):
            community = usable[i % len(usable)]
            j = community.where
            # Each community's projects get distinct themes, so titles never clash within the batch.
            rounds, offset = divmod(i // len(usable) + i % len(usable) * 7, len(themes))
            area, theme = themes[offset]
            title = f"{community.name}{theme}" + (f"（{rounds + 1}期）" if i // len(usable) >= len(themes) else "")
            created = now - timedelta(days=rng.randint(10, 120), minutes=rng.randint(0, 1440))
            fields = _fields(rng, community, batch, j.county, title, area, created.astimezone().date())
            # The wording has its own random stream, so the rest of the demo stays as the seed made it.
            wording = random.Random(f"{seed}:{i}")
            if previous is not None and i % demotexts.COPY_EVERY == demotexts.COPY_EVERY - 1:
                demotexts.copy_texts(wording, fields, previous[0], previous[1], community.name)
            else:
                demotexts.vary(wording, fields, area)
            previous = (fields, community.name)
            if i % 97 == 0:
                # _fields writes the canonical form directly; a sample proves it stays valid and canonical.
                checked = declfields.normalise(fields, for_submit=True)
                if checked.errors or checked.fields != fields:
                    raise AssertionError(f"demo data broke a rule: {checked.errors}")
            prefix = f"{batch.code}-{j.county}"
            n = counters.get(prefix, 0) + 1
            while f"{prefix}-{n:04d}" in existing_numbers:
                n += 1
            counters[prefix] = n
            decl_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            row, opinions, versions = _walk(rng, decl_id, j, fields, created, names, actor)
            decl_rows.append({
                "id": decl_id, "number": f"{prefix}-{n:04d}", "community_code": community.code,
                "street_code": j.street, "county_code": j.county, "city_code": j.city, "batch_id": batch.id,
                "entered_by_office": community.code if actor.office_level is Level.COMMUNITY else actor.office_code,
                "from_paper": actor.office_level is not Level.COMMUNITY, "title": title,
                "title_pinyin": _initials(community.name) + _initials(theme),
                "focus_areas": "、".join(fields["focus_areas"]), "budget_fen": to_fen(Decimal(fields["budget_total"])),
                "requested_fen": to_fen(Decimal(fields["subsidy_requested"])), "created_at": created,
                "created_by": actor.username, **row,
            })
            for v in versions:
                version_rows.append({"declaration_id": decl_id, "created_at": created, "updated_at": created,
                                     "created_by": actor.username, **v})
            opinion_rows.extend(opinions)
            if len(decl_rows) >= 5000:
                _flush(session, decl_rows, version_rows, opinion_rows)
        _flush(session, decl_rows, version_rows, opinion_rows)
        filled = demoregistries.fill(session, actor, [(c.code, c.name, c.rural, c.where.county) for c in usable],
                                     rng, now)
        audit.record(session, office=actor.office_code, user=actor.username, action="demo.generate",
                     entity="declaration", entity_id="*", details={"count": count, "seed": seed, **filled})
    return {"declarations": count, "communities": len(usable), "opinions": _count_opinions(store), **filled}


def _count_opinions(store: Store) -> int:
    from sqlalchemy import func

    with store.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(Opinion)) or 0)


def _flush(session: Session, decls: list[dict[str, Any]], versions: list[dict[str, Any]],
           opinions: list[dict[str, Any]]) -> None:
    conn = session.connection()
    tables = Declaration.metadata.tables
    for name, rows in (("declaration", decls), ("declaration_version", versions), ("opinion", opinions)):
        dialects.load_rows(conn, tables[name], rows)
    decls.clear()
    versions.clear()
    opinions.clear()


def _walk(rng: random.Random, decl_id: str, j: Jurisdiction, fields: dict[str, Any], created: datetime,
          names: dict[str, str], actor: Actor) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Move one declaration through the chain to a random end state, writing opinions on the way.

    Only the opinions this office may sign are written (sync/kinds/authority.py, rule "opinion"): its own
    level's, typed, and those of the levels below it, transcribed from paper (this office entered the
    declaration). A declaration never goes past this office: it waits at the office above or ends here, so
    the demo data travel to the office above like real ones (signed at export, accepted there).
    """
    stages = review_stages(j)
    mine = [s for s in stages if s.level.rank >= actor.office_level.rank]  # this office's level and below
    roll = rng.random()
    content_hash = declfields.content_hash(fields)
    versions = [{"version": 1, "fields": fields, "content_hash": content_hash, "frozen": roll >= 0.08,
                 "submitted_at": created + timedelta(days=1) if roll >= 0.08 else None}]
    if roll < 0.08:
        return ({"status": Status.DRAFT.value, "awaiting_level": None, "awaiting_office": None, "current_version": 1,
                 "updated_at": created, "submitted_at": None, "awaiting_since": None, "decided_at": None,
                 "granted_fen": None}, [], versions)
    opinions: list[dict[str, Any]] = []
    t = created + timedelta(days=1)
    version = 1

    def opinion(s: Any, decision: str, at: datetime, granted: int | None = None) -> None:
        opinions.append(_opinion(rng, decl_id, len(opinions) + 1, version, s.level, s.office_code, names,
                                 decision, at, granted, paper=s.office_code != actor.office_code))

    # A few declarations were returned once (by this office or one below it) and resubmitted as version 2.
    if mine and rng.random() < 0.15:
        k = rng.randint(0, len(mine) - 1)
        for s in mine[: k + 1]:
            t += timedelta(days=rng.randint(1, 6))
            opinion(s, "approve" if s is not mine[k] else "return", t)
        if rng.random() < 0.3:
            return ({"status": Status.RETURNED.value, "awaiting_level": Level.COMMUNITY.value,
                     "awaiting_office": actor.office_code if actor.office_level is not Level.COMMUNITY
                     else fields["community"], "current_version": 1, "updated_at": t, "submitted_at": created,
                     "awaiting_since": t, "decided_at": None, "granted_fen": None}, opinions, versions)
        version = 2
        revised = dict(fields, service_plan=fields["service_plan"] + "按审核意见补充了分阶段目标和资金使用计划。")
        versions.append({"version": 2, "fields": revised, "content_hash": declfields.content_hash(revised),
                         "frozen": True, "submitted_at": t + timedelta(days=3)})
        t += timedelta(days=3)
    end = rng.choices(["review", "approved", "rejected"], [0.55, 0.33, 0.12])[0]
    if end == "approved" and len(mine) < len(stages):
        end = "review"  # only the province decides; this office's part ends with passing it up
    if end == "rejected" and not mine:
        end = "review"
    stop = (rng.randint(0, len(mine)) if end == "review" else len(stages) if end == "approved"
            else rng.randint(0, len(mine) - 1))
    for idx, s in enumerate(stages):
        if idx == stop and end == "review":
            return ({"status": Status.UNDER_REVIEW.value, "awaiting_level": s.level.value,
                     "awaiting_office": s.office_code, "current_version": version, "updated_at": t,
                     "submitted_at": created, "awaiting_since": t, "decided_at": None, "granted_fen": None},
                    opinions, versions)
        t += timedelta(days=rng.randint(1, 8))
        if idx == stop and end == "rejected":
            opinion(s, "reject", t)
            return ({"status": Status.REJECTED.value, "awaiting_level": None, "awaiting_office": None,
                     "current_version": version, "updated_at": t, "submitted_at": created, "awaiting_since": None,
                     "decided_at": t, "granted_fen": None}, opinions, versions)
        granted = None
        if s.level is Level.PROVINCE:
            requested = to_fen(Decimal(fields["subsidy_requested"]))
            granted = requested if rng.random() < 0.7 else requested * rng.choice([6, 7, 8]) // 10 // 100000 * 100000
            granted = granted or requested
        opinion(s, "approve", t, granted)
    return ({"status": Status.APPROVED.value, "awaiting_level": None, "awaiting_office": None,
             "current_version": version, "updated_at": t, "submitted_at": created, "awaiting_since": None,
             "decided_at": t, "granted_fen": opinions[-1]["granted_fen"]}, opinions, versions)


def _opinion(rng: random.Random, decl_id: str, seq: int, version: int, level: Level, office: str,
             names: dict[str, str], decision: str, at: datetime, granted: int | None = None, *,
             paper: bool = False) -> dict[str, Any]:
    text = rng.choice({"approve": APPROVE, "return": RETURN, "reject": REJECT}[decision])
    reviewer = _name(rng)
    return {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "declaration_id": decl_id, "seq": seq,
            "version": version, "level": level.value, "office_code": office, "office_name": names.get(office, office),
            "reviewer": reviewer, "reviewer_name": reviewer, "decision": decision, "text": text,
            "decided_on": at.date(), "at": at, "granted_fen": granted, "from_paper": paper, "scan_sha256": None}
