"""Fixed vocabularies of the pilot: levels, roles, statuses, decisions and the notice's lists."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """Administrative level of a region and of the office that serves it.

    ``EVALUATOR`` is not a region: it is the kind of a third-party evaluation office (第三方评估机构),
    certified by the province beside the region tree (see :mod:`sanlian_desktop.evaluation.service`). It is not
    in :data:`LEVEL_ORDER`; :attr:`is_region` tells the two apart.
    """

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    STREET = "street"
    COMMUNITY = "community"
    EVALUATOR = "evaluator"

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]

    @property
    def rank(self) -> int:
        """0 for the province, 4 for a community; an evaluator is one certificate step below the province (1)."""
        if self is Level.EVALUATOR:
            return 1
        return LEVEL_ORDER.index(self)

    @property
    def is_region(self) -> bool:
        """True for the five administrative levels, False for an evaluator office."""
        return self is not Level.EVALUATOR


LEVEL_ORDER = [Level.PROVINCE, Level.CITY, Level.COUNTY, Level.STREET, Level.COMMUNITY]
LEVEL_LABELS = {
    Level.PROVINCE: "省",
    Level.CITY: "市(州)",
    Level.COUNTY: "县(市、区)",
    Level.STREET: "街道(乡镇)",
    Level.COMMUNITY: "社区",
    Level.EVALUATOR: "第三方评估机构",
}
# The review stages a declaration climbs, bottom up.
REVIEW_LEVELS = [Level.STREET, Level.COUNTY, Level.CITY, Level.PROVINCE]
REVIEW_STAGE_LABELS = {
    Level.STREET: "街道(乡镇)初核",
    Level.COUNTY: "县级民政部门审核",
    Level.CITY: "市州民政部门复核",
    Level.PROVINCE: "省民政厅审批",
}
OPINION_BOX_LABELS = {
    Level.STREET: "街道(乡镇)意见",
    Level.COUNTY: "县级民政部门意见",
    Level.CITY: "市州民政部门意见",
    Level.PROVINCE: "省民政厅意见",
}


class Role(StrEnum):
    CLERK = "clerk"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"clerk": "经办人", "reviewer": "审核人", "admin": "管理员"}[self.value]


class Status(StrEnum):
    DRAFT = "draft"
    UNDER_REVIEW = "under_review"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.DRAFT: "草稿",
    Status.UNDER_REVIEW: "审核中",
    Status.RETURNED: "已退回",
    Status.APPROVED: "已批准",
    Status.REJECTED: "未通过",
}


def status_text(value: str, *, new: str = "（本单位尚无）") -> str:
    """The Chinese name of a status as records carry it; ``new`` names a declaration an office did not have
    (an import's state changes), and an unknown value is shown as it is."""
    if value == "new":
        return new
    try:
        return STATUS_LABELS[Status(value)]
    except ValueError:
        return value


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"

    @property
    def label(self) -> str:
        return {"approve": "同意", "reject": "不同意", "return": "退回修改"}[self.value]


FOCUS_AREAS = [
    "扶老救孤",
    "助残助学",
    "精神卫生",
    "社区矫正",
    "心理疏导",
    "人文关怀",
    "流动人口管理服务",
    "“三留守”人员关爱",
    "环境保护",
]
TARGET_GROUPS = ["老年人", "失业人员", "残障人员", "单亲家庭", "失独家庭", "低收入家庭", "农村“三留守”人员"]
SERVICE_METHODS = ["个案工作", "小组工作", "社区工作"]
FUNDING_SOURCES = ["省级补助", "市县财政配套", "彩票公益金", "社区自筹", "驻地单位支持", "爱心捐赠/慈善基金"]
CERTIFICATE_LEVELS = ["助理社会工作师", "社会工作师", "高级社会工作师"]

# The notice writes quotation marks as “” but people type "" or 「」; accept those spellings.
_QUOTE_FORMS = str.maketrans({'"': "", "“": "", "”": "", "「": "", "」": "", "'": ""})


def canonical_term(value: str, vocabulary: list[str]) -> str | None:
    """The vocabulary's spelling of ``value``, ignoring quotation-mark style and surrounding space."""
    if value in vocabulary:  # spelt exactly so, as nearly every stored or received value is
        return value
    wanted = value.strip().translate(_QUOTE_FORMS)
    for term in vocabulary:
        if term.translate(_QUOTE_FORMS) == wanted:
            return term
    return None
