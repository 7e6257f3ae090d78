"""A crafted corpus of declarations' long texts whose near-duplicates are known.

Originals are made from a bank of sentences per theme (each original draws its own sentences, so two
originals on the same theme — two elder-care projects — share the theme's vocabulary but not their
wording). Copies take an original and change 5–30 % of its sentences (a rewritten clause, a dropped or an
added sentence), shuffle its sentences within each text, and swap the community's name, head counts,
amounts and dates. Used by the tests and by ``bench/bench_similar.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

THEMES: dict[str, dict[str, list[str]]] = {
    "养老": {
        "subjects": ["独居老人", "空巢老人", "高龄老人", "失能半失能老人", "困难老人", "随迁老人"],
        "needs": ["日间照料", "助餐助浴", "精神慰藉", "健康监测", "康复训练", "防诈骗宣传", "智能手机使用"],
        "acts": ["入户探访", "结对帮扶", "小组活动", "健康讲座", "志愿服务", "个案跟进", "电话问候"],
    },
    "儿童": {
        "subjects": ["留守儿童", "困境儿童", "流动儿童", "单亲家庭儿童", "学龄前儿童"],
        "needs": ["课业辅导", "亲子沟通", "安全教育", "心理疏导", "兴趣培养", "阅读习惯"],
        "acts": ["四点半课堂", "亲子活动", "夏令营", "个案辅导", "家访", "读书会"],
    },
    "残障": {
        "subjects": ["残疾人", "精神障碍康复者", "视障居民", "肢体残疾人"],
        "needs": ["就业支持", "康复服务", "社会融入", "家庭照护减压", "无障碍出行"],
        "acts": ["技能培训", "康复小组", "社区融合活动", "喘息服务", "上门康复"],
    },
}

OPENERS = ["", "近年来，", "经调研，", "目前，", "为此，", "此外，", "针对上述情况，", "在街道指导下，", "据统计，",
           "项目实施期间，", "结合社区实际，", "与此同时，", "从前期走访看，", "按照三社联动要求，"]
PARTNERS = ["社区卫生服务站", "辖区学校", "物业公司", "驻区单位", "社区社会组织", "爱心企业", "老年大学", "妇联",
            "团委", "派出所", "社区医院", "文化站"]
TEMPLATES = [
    "社区内{subject}较多，{need}需求突出，现有服务难以覆盖。",
    "通过问卷调查和入户走访发现，{subject}最关心的是{need}问题。",
    "{subject}普遍反映缺少{need}方面的支持，家庭照护压力较大。",
    "项目将以{act}为主要方式，为{subject}提供{need}服务。",
    "社工定期开展{act}，链接辖区资源解决{need}难题。",
    "组建志愿者队伍，协助开展{act}，持续关注{subject}的{need}。",
    "建立{subject}服务档案，按需制定{need}服务计划并跟踪落实。",
    "联合社区卫生服务站和辖区单位开展{act}，提升{need}服务质量。",
    "预计{subject}的{need}状况明显改善，居民满意度显著提高。",
    "通过{act}培育一支稳定的社区志愿服务队伍，形成长效机制。",
    "每季度召开一次{act}总结会，及时调整{need}服务内容。",
    "引入专业社会工作方法，针对{subject}开展{act}和{need}评估。",
    "为{subject}搭建互助平台，以{act}带动邻里之间的{need}互助。",
    "项目结束后形成可复制的{need}服务经验，在街道范围推广。",
    "依托{partner}的场地和人员，每月组织{act}，回应{subject}的{need}诉求。",
    "{partner}参与项目设计，重点解决{subject}在{need}上的实际困难。",
    "以{act}为切入点，逐步引导{subject}参与社区公共事务。",
    "针对{subject}的差异化需求，分层分类提供{need}支持。",
    "邀请{partner}专业人员担任督导，保障{act}的专业水准。",
    "在{partner}的配合下建立{need}转介机制，做到早发现早干预。",
    "{subject}的家属普遍希望社区能够常态化开展{act}。",
    "现有{need}服务以临时性活动为主，缺乏持续性和系统性。",
]
# Clauses an editor puts in place of a sentence (a copy's rewrite).
FRESH = [
    "同时注重发挥居民骨干的带动作用。",
    "项目执行中将严格管理资金，确保专款专用。",
    "加强与街道、社区两委的沟通协调，形成工作合力。",
    "服务过程留存影像和签到记录，便于评估检查。",
    "注重服务对象隐私保护，规范个案资料管理。",
    "积极争取爱心企业支持，拓宽项目资金来源。",
]
COMMUNITIES = ["东岗西路社区", "盐场路社区", "雁滩社区", "敦煌路社区", "火车站社区", "南关社区", "五星坪社区",
               "龚家湾社区", "西湖社区", "培黎社区", "小西湖社区", "伏龙坪社区"]


@dataclass(frozen=True)
class Doc:
    key: str
    community: str
    fields: dict[str, Any]
    source: str | None  # the original a copy was made from
    theme: str


def _sentence(rng: random.Random, theme: str) -> str:
    bank = THEMES[theme]
    return rng.choice(OPENERS) + rng.choice(TEMPLATES).format(
        subject=rng.choice(bank["subjects"]), need=rng.choice(bank["needs"]), act=rng.choice(bank["acts"]),
        partner=rng.choice(PARTNERS))


def _facts(rng: random.Random, community: str) -> str:
    return (f"{community}常住人口{rng.randint(2000, 20000)}人、{rng.randint(800, 6000)}户，"
            f"其中60岁以上老年人{rng.randint(200, 3000)}人，现有持证社工{rng.randint(0, 9)}名。"
            f"{rng.randint(2019, 2025)}年{rng.randint(1, 12)}月以来共开展各类活动{rng.randint(10, 90)}场。")


def original(rng: random.Random, key: str, theme: str, community: str) -> Doc:
    """An original declaration: its own draw of sentences on the theme."""
    def texts(n: int) -> str:
        return "".join(_sentence(rng, theme) for _ in range(n))
    fields = {
        "community_profile": {"text": _facts(rng, community) + texts(2)},
        "needs_analysis": f"{community}" + texts(rng.randint(4, 6)),
        "service_plan": texts(rng.randint(5, 7)) + f"{rng.randint(2024, 2026)}年{rng.randint(1, 12)}月底前完成评估。",
        "expected_effect": {"text": f"预计服务{rng.randint(100, 900)}人次。" + texts(rng.randint(2, 4))},
    }
    return Doc(key, community, fields, None, theme)


def _sentences(text: str) -> list[str]:
    return [s + "。" for s in text.split("。") if s]


def copy_of(rng: random.Random, key: str, doc: Doc, community: str, edit: float) -> Doc:
    """A copy of ``doc`` for another community with ``edit`` (0.05–0.30) of its sentences changed,
    its sentences reordered within each text, and its names, numbers and dates changed."""
    def redo(value: str) -> str:
        parts = _sentences(value.replace(doc.community, community))
        for i in range(len(parts)):
            if rng.random() < edit:
                action = rng.choice(("fresh", "drop", "add", "reword"))
                if action == "fresh":
                    parts[i] = rng.choice(FRESH)
                elif action == "drop" and len(parts) > 2:
                    parts[i] = ""
                elif action == "add":
                    parts[i] += rng.choice(FRESH)
                else:
                    parts[i] = parts[i].replace("社区", "辖区", 1).replace("开展", "组织", 1).replace("提供", "送上", 1)
        parts = [p for p in parts if p]
        rng.shuffle(parts)
        text = "".join(parts)
        for digit in "0123456789":
            if rng.random() < 0.5:
                text = text.replace(digit, str(rng.randint(0, 9)))
        return text
    fields = {
        "community_profile": {"text": redo(doc.fields["community_profile"]["text"])},
        "needs_analysis": redo(doc.fields["needs_analysis"]),
        "service_plan": redo(doc.fields["service_plan"]),
        "expected_effect": {"text": redo(doc.fields["expected_effect"]["text"])},
    }
    return Doc(key, community, fields, doc.key, doc.theme)


def doc_at(seed: int, i: int, originals: int) -> Doc:
    """The ``i``-th declaration of a corpus, made on its own (a corpus of 100,000 need not be held):
    below ``originals`` an original, from there a copy of one of them with 5–30 % of it edited."""
    rng = random.Random(seed * 10_000_019 + i)
    if i < originals:
        return original(rng, f"o{i}", rng.choice(list(THEMES)), rng.choice(COMMUNITIES))
    source = doc_at(seed, rng.randrange(originals), originals)
    others = [c for c in COMMUNITIES if c != source.community]
    return copy_of(rng, f"c{i - originals}", source, rng.choice(others), rng.uniform(0.05, 0.30))


def corpus(seed: int, originals: int, copies: int) -> list[Doc]:
    """``originals`` independent declarations (themes mixed) and ``copies`` copies of some of them."""
    return [doc_at(seed, i, originals) for i in range(originals + copies)]


def true_pairs(docs: list[Doc]) -> set[frozenset[str]]:
    """Every pair that descends from the same original (an original and its copy, two copies of one)."""
    root = {d.key: d.source or d.key for d in docs}
    by_root: dict[str, list[str]] = {}
    for key, r in root.items():
        by_root.setdefault(r, []).append(key)
    return {frozenset((a, b)) for keys in by_root.values() for i, a in enumerate(keys) for b in keys[i + 1:]}
