"""Pinyin initials, read run by run and remembered per run, equal reading the whole text at once."""

from __future__ import annotations

import random

from pypinyin import Style, lazy_pinyin

from sanlian_desktop.demo.generate import PLACE, THEMES
from sanlian_desktop.offices import regions


def _whole(name: str) -> str:
    """What pinyin_initials computed before it read runs: the whole text in one call."""
    letters = "".join(p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default") if p)
    return "".join(ch for ch in letters.lower() if ch.isascii() and ch.isalnum())


def test_run_by_run_equals_the_whole_text() -> None:
    texts = ["", "城关区", "东岗西路社区", "长春路社区“银龄守望”空巢老人关爱服务项目", "重庆路 长安街 行长",
             "ABC 123社区", "第3期“银龄”project 项目 v2.0", "  空格  ", "①②③服务", "东岗西路社区（一期）",
             "朝阳区朝阳街道朝阳社区", "x", "社区A区B栋"]
    rnd = random.Random(2016)
    words = [*(f"{p}社区" for p in PLACE), *(t for titles in THEMES.values() for t in titles)]
    for _ in range(500):
        a, b = rnd.choice(words), rnd.choice(words)
        texts.append(a[: rnd.randint(0, len(a))] + rnd.choice(["", " ", "-", "ab", "12", "“", "、"]) + b)
    for text in texts:
        assert regions.pinyin_initials(text) == _whole(text), text
    assert regions.pinyin_initials("城关区") == "cgq"
