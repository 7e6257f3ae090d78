"""Varied wording for the demo declarations' long texts, and a few deliberate near-copies.

Each declaration's texts get sentences drawn for it alone from phrase banks, so independent demo
declarations read differently (as real ones do) and near-duplicate screening has something to tell
apart; every ``COPY_EVERY``-th declaration reuses an earlier one's texts for its own community with a
few sentences changed, as the copies the screening looks for are made.
"""

from __future__ import annotations

import random
from typing import Any

OPENERS = ["", "近年来，", "经调研，", "目前，", "为此，", "此外，", "针对上述情况，", "在街道指导下，", "据统计，",
           "项目实施期间，", "结合社区实际，", "与此同时，", "从前期走访看，", "按照三社联动要求，"]
SUBJECTS = ["独居老人", "空巢老人", "高龄老人", "困境儿童", "留守儿童", "残疾人", "低保家庭", "流动人口家庭",
            "单亲家庭", "社区矫正对象", "精神障碍康复者", "失独家庭"]
ACTS = ["入户探访", "结对帮扶", "小组活动", "专题讲座", "志愿服务", "个案跟进", "电话问候", "互助小组", "技能培训",
        "亲子活动", "社区议事会", "邻里节"]
PARTNERS = ["社区卫生服务站", "辖区学校", "物业公司", "驻区单位", "社区社会组织", "爱心企业", "老年大学", "妇联",
            "团委", "派出所", "文化站", "律师事务所"]
SENTENCES = [
    "社区内{subject}较多，{area}方面的需求突出，现有服务难以覆盖。",
    "通过问卷调查和入户走访发现，{subject}最关心的是{area}问题。",
    "{subject}普遍反映缺少{area}方面的支持，家庭压力较大。",
    "项目将以{act}为主要方式，为{subject}提供{area}服务。",
    "社工定期开展{act}，链接辖区资源解决{area}难题。",
    "组建志愿者队伍，协助开展{act}，持续关注{subject}的实际困难。",
    "建立{subject}服务档案，按需制定服务计划并跟踪落实。",
    "联合{partner}开展{act}，提升服务质量。",
    "预计{subject}的生活状况明显改善，居民满意度显著提高。",
    "通过{act}培育一支稳定的社区志愿服务队伍，形成长效机制。",
    "每季度召开一次{act}总结会，及时调整服务内容。",
    "引入专业社会工作方法，针对{subject}开展{act}和需求评估。",
    "为{subject}搭建互助平台，以{act}带动邻里互助。",
    "项目结束后形成可复制的{area}服务经验，在街道范围推广。",
    "依托{partner}的场地和人员，每月组织{act}，回应{subject}的诉求。",
    "{partner}参与项目设计，重点解决{subject}在{area}上的实际困难。",
    "以{act}为切入点，逐步引导{subject}参与社区公共事务。",
    "针对{subject}的差异化需求，分层分类提供支持。",
    "邀请{partner}专业人员担任督导，保障{act}的专业水准。",
    "在{partner}的配合下建立转介机制，做到早发现早干预。",
    "{subject}的家属普遍希望社区能够常态化开展{act}。",
    "现有{area}服务以临时性活动为主，缺乏持续性和系统性。",
]
EDITS = ["同时注重发挥居民骨干的带动作用。", "项目执行中将严格管理资金，确保专款专用。",
         "加强与街道、社区两委的沟通协调，形成工作合力。", "服务过程留存影像和签到记录，便于评估检查。"]
COPY_EVERY = 41  # one declaration in this many is a near-copy of an earlier one


def _sentences(rng: random.Random, area: str, n: int) -> str:
    return "".join(
        rng.choice(OPENERS) + rng.choice(SENTENCES).format(
            subject=rng.choice(SUBJECTS), act=rng.choice(ACTS), partner=rng.choice(PARTNERS), area=area)
        for _ in range(n))


PATHS = (("community_profile", "text"), ("needs_analysis",), ("service_plan",), ("expected_effect", "text"))


def _get(fields: dict[str, Any], path: tuple[str, ...]) -> str:
    value: Any = fields
    for key in path:
        value = value[key]
    return str(value)


def _set(fields: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    target: Any = fields
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def vary(rng: random.Random, fields: dict[str, Any], area: str) -> None:
    """Add sentences of the declaration's own to each of its long texts."""
    for path, n in zip(PATHS, (2, 3, 4, 2), strict=True):
        _set(fields, path, _get(fields, path) + _sentences(rng, area, n))


def copy_texts(rng: random.Random, fields: dict[str, Any], source: dict[str, Any], source_name: str,
               name: str) -> None:
    """Give ``fields`` the long texts of ``source`` under its own community name, lightly edited."""
    for path in PATHS:
        parts = [p + "。" for p in _get(source, path).replace(source_name, name).split("。") if p]
        if len(parts) > 2 and rng.random() < 0.5:
            parts[rng.randrange(len(parts))] = rng.choice(EDITS)
        rng.shuffle(parts)
        _set(fields, path, "".join(parts))
