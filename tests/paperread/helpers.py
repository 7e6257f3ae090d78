"""Pages with known answers for the paper-reading tests and bench: declarations printed by the program's own
printer, rasterised with poppler and degraded the way scanners and phones degrade them."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sanlian_desktop.declarations.fields import flatten, normalise
from sanlian_desktop.documents.printing import PrintableDeclaration, render_declarations
from sanlian_desktop.documents.printing.fonts import FontChoice
from sanlian_desktop.kernel.checks import credit_code_check_char
from sanlian_desktop.kernel.vocab import (
    CERTIFICATE_LEVELS,
    FOCUS_AREAS,
    FUNDING_SOURCES,
    SERVICE_METHODS,
    TARGET_GROUPS,
)
from sanlian_desktop.paperread import Proposal, ocr_available
from tests.documents.printing.helpers import WQY, example_fields

needs_ocr = pytest.mark.skipif(
    not ocr_available() or shutil.which("pdftoppm") is None,
    reason="OCR extra not installed (pip install -e '.[ocr]') or poppler-utils missing",
)
AMOUNT_FIELDS = {"budget_total", "subsidy_requested", "funding_sources"}
_PLACES = ["东岗西路", "雁滩", "拱星墩", "柳泉", "皋兰路", "民勤", "永昌", "庄浪", "临夏", "榆中"]
_THEMES = ["空巢老人关爱服务", "留守儿童课后陪伴", "残障人士康复支持", "社区邻里互助", "失独家庭心理疏导",
           "低收入家庭就业帮扶", "青少年成长辅导"]
_ORGS = ["和煦社会工作服务中心", "阳光社会工作服务社", "益心社工服务中心", "同心社区服务中心"]
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
_GIVEN = ["娟", "强", "敏", "立", "文", "海燕", "建国", "丽", "志刚", "晓明"]
_SENTENCES = [
    "入户调查{n}户居民，{p}%表示缺少日常照料和陪伴。", "社区现有志愿者队伍{k}支，活动场地{a}平方米。",
    "每月开展{k}次小组活动，对高风险对象开展个案跟进。", "建立服务档案{n}份，组织社区活动{k}场。",
    "联合辖区单位链接资源，形成长效服务机制。", "项目结束后服务对象满意度不低于{p}%。",
]


def _sentence(rng: random.Random, count: int) -> str:
    return "".join(
        rng.choice(_SENTENCES).format(n=rng.randint(20, 900), p=rng.randint(20, 95), k=rng.randint(2, 30),
                                      a=rng.randint(50, 800))
        for _ in range(count)
    )


def _credit_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first = "52" + "6201" + f"{rng.randint(0, 99):02d}" + "".join(rng.choice(alphabet) for _ in range(9))
    return first + credit_code_check_char(first)


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    yuan = rng.randint(low, high)
    cents = rng.choice([0, 0, 0, rng.randint(1, 99)])
    return Decimal(yuan) + Decimal(cents) / 100


def known_fields(seed: int, *, long_text: bool = False) -> dict[str, Any]:
    """A complete, valid declaration whose content depends only on ``seed``."""
    rng = random.Random(seed)
    f = example_fields()
    place, theme = rng.choice(_PLACES), rng.choice(_THEMES)
    f["title"] = f"{place}社区{theme}项目"
    sentences = 12 if long_text else 2
    f["community_profile"] = {
        "text": f"{place}社区" + _sentence(rng, sentences), "urban": rng.random() < 0.5,
        "population": rng.randint(800, 20000), "households": rng.randint(300, 8000),
        "social_organisations": rng.randint(0, 12), "social_workers": rng.randint(0, 9),
        "registered_volunteers": rng.randint(10, 2000),
    }
    f["needs_analysis"] = _sentence(rng, sentences)
    f["target_groups"] = rng.sample(TARGET_GROUPS, rng.randint(1, 3))
    f["focus_areas"] = rng.sample(FOCUS_AREAS, rng.randint(1, 2))
    f["service_methods"] = rng.sample(SERVICE_METHODS, rng.randint(1, 3))
    f["service_plan"] = _sentence(rng, sentences)
    start = date(2016, rng.randint(8, 12), rng.randint(1, 28))
    f["period_start"] = start.isoformat()
    f["period_end"] = (start + timedelta(days=rng.randint(180, 700))).isoformat()
    subsidy = _amount(rng, 10_000, 100_000)
    other = [_amount(rng, 1_000, 60_000) for _ in range(rng.randint(0, 3))]
    names = rng.sample([s for s in FUNDING_SOURCES if s != "省级补助"], len(other))
    sources = [("省级补助", subsidy), *zip(names, other, strict=True)]
    f["funding_sources"] = [{"source": s, "amount": str(a)} for s, a in sources]
    f["budget_total"] = str(sum((a for _, a in sources), Decimal(0)))
    f["subsidy_requested"] = str(subsidy)
    f["expected_effect"] = {"text": _sentence(rng, 2), "beneficiaries": rng.randint(20, 3000),
                            "service_sessions": rng.randint(5, 300)}
    phone = rng.choice([f"0931-{rng.randint(2000000, 9999999)}", f"1{rng.choice('3589')}{rng.randint(10**8, 10**9 - 1)}"])
    f["undertaker"] = {
        "name": f"{rng.choice(['城关区', '七里河区', '安宁区', '西固区'])}{rng.choice(_ORGS)}",
        "credit_code": _credit_code(rng), "lead_worker": rng.choice(_SURNAMES) + rng.choice(_GIVEN),
        "lead_worker_certificate": rng.choice(CERTIFICATE_LEVELS), "phone": phone,
    }
    day = date(2016, 6, 1) + timedelta(days=rng.randint(0, 40))
    steps = {}
    for key in ("solicitation_date", "hearing_date", "council_date", "notice_start"):
        steps[key] = day.isoformat()
        day += timedelta(days=rng.randint(1, 9))
    steps["notice_end"] = (date.fromisoformat(steps["notice_start"]) + timedelta(days=7)).isoformat()
    f["pre_steps"] = steps
    checked = normalise(f, for_submit=True)
    assert not checked.errors, checked.errors
    return checked.fields


def other_font() -> FontChoice:
    """A second face for the print: WenQuanYi Micro Hei Mono (the .ttc's second font; other Latin and digits)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = "PaperreadMono"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(WQY), subfontIndex=1))
        pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return FontChoice(name=name, path=WQY, embedded=True, warning=None)


def print_pdf(fields: dict[str, Any], out: Path, number: str = "2016-620102-0001",
              font: FontChoice | None = None) -> Path:
    decl = PrintableDeclaration(number=number, version=1, content_hash="ab" * 32, city="兰州市", county="城关区",
                                street="东岗街道", community="东岗西路社区", fields=fields)
    render_declarations([decl], out, font=font)
    return out


def rasterise(pdf: Path, dpi: int, first: int = 1, last: int = 0) -> list[Any]:
    """The PDF's pages as PIL images at ``dpi`` (poppler)."""
    from PIL import Image

    prefix = pdf.with_name(pdf.stem + f"-{dpi}")
    argv = ["pdftoppm", "-r", str(dpi), "-png", "-f", str(first)] + (["-l", str(last)] if last else [])
    subprocess.run([*argv, str(pdf), str(prefix)], check=True)
    images = []
    for png in sorted(pdf.parent.glob(prefix.name + "-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        with Image.open(png) as img:
            images.append(img.convert("RGB"))
    return images


def degrade(img: Any, kinds: tuple[str, ...], seed: int = 0) -> Any:
    """``img`` with ``rotate+3`` / ``rotate-3`` / ``upside-down`` / ``blur`` / ``noise`` / ``jpeg60`` applied."""
    import numpy as np
    from PIL import Image, ImageFilter

    out = img
    for kind in kinds:
        if kind.startswith("rotate"):
            out = out.rotate(float(kind.removeprefix("rotate")), resample=Image.Resampling.BICUBIC, expand=True,
                             fillcolor=(255, 255, 255))
        elif kind == "upside-down":
            out = out.rotate(180)
        elif kind == "blur":
            out = out.filter(ImageFilter.GaussianBlur(1.0))
        elif kind == "noise":
            rng = np.random.default_rng(seed)
            arr = np.asarray(out).astype(np.int16) + rng.normal(0, 12, (out.height, out.width, 1)).astype(np.int16)
            out = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
        elif kind == "jpeg60":
            buf = io.BytesIO()
            out.save(buf, "JPEG", quality=60)
            buf.seek(0)
            out = Image.open(buf).convert("RGB")
        else:
            raise ValueError(kind)
    return out


@dataclass
class Score:
    """Field-level exact matches of a reading against the known content."""

    fields: int = 0
    exact: int = 0
    amounts: int = 0
    amounts_exact: int = 0
    misses: list[str] | None = None

    def add(self, other: Score) -> None:
        self.fields += other.fields
        self.exact += other.exact
        self.amounts += other.amounts
        self.amounts_exact += other.amounts_exact
        self.misses = (self.misses or []) + (other.misses or [])

    @property
    def rate(self) -> float:
        return self.exact / self.fields if self.fields else 0.0

    @property
    def amount_rate(self) -> float:
        return self.amounts_exact / self.amounts if self.amounts else 0.0


def score(expected: dict[str, Any], proposal: Proposal) -> Score:
    """Compare every field of the form (as ``fields.flatten`` lists them; batch and community aside)."""
    got = normalise({**proposal.fields, "community": expected["community"], "batch": expected["batch"]},
                    for_submit=False).fields
    want, have = flatten(expected), flatten(got)
    result = Score(misses=[])
    for key, value in want.items():
        if key in ("batch", "community"):
            continue
        ok = have.get(key) == value
        result.fields += 1
        result.exact += ok
        if key in AMOUNT_FIELDS:
            result.amounts += 1
            result.amounts_exact += ok
        if not ok:
            assert result.misses is not None
            result.misses.append(f"{key}: {value!r} read as {have.get(key)!r}")
    return result
