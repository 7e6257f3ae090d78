"""The long texts of a declaration, normalised for comparison and cut into passages.

A copied declaration keeps its sentences but changes what identifies it: the community's name, head
counts, amounts and dates. Normalisation removes those, so "东岗西路社区 300 名老人" and "盐场路社区
280 名老人" read the same; what stays is the wording a copy shares.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# The form's long texts, in the order the form shows them: (label, path in the content).
LONG_TEXTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("社区概况", ("community_profile", "text")),
    ("需求分析", ("needs_analysis",)),
    ("服务内容与实施计划", ("service_plan",)),
    ("效果预估", ("expected_effect", "text")),
)

_NUMBER = re.compile(
    r"[0-9０-９][0-9０-９.,，．%％]*|[零〇一二两三四五六七八九十百千万亿]+(?=[名位人户个次场支项期天日月年岁元%％])"
)
_DATE_WORDS = re.compile(r"#年(#月(#[日号])?)?|#月#[日号]|#[日号]")
_SUFFIXES = ("社区居委会", "社区", "村委会", "居委会", "街道办事处", "街道", "村", "镇", "乡", "区", "县", "市")
_SENTENCE_END = re.compile(r"(?<=[。！？；;!?\n])")
# Deleted from the compared text: spaces and punctuation of the blocks texts use (after NFKC).
_DELETE = {cp: None for block in ((0, 0x100), (0x2000, 0x2070), (0x3000, 0x3040), (0xFE30, 0xFE50), (0xFF00, 0xFFF0))
           for cp in range(*block) if not (chr(cp).isalnum() or chr(cp) in "#〇_")}
_SEPARATOR = "\x00"
_DELETE_BUT_SEPARATOR = {cp: v for cp, v in _DELETE.items() if cp != ord(_SEPARATOR)}
# The same deletions as one character class: a regular expression scans a CJK text about three times quicker
# than ``str.translate``, which looks every character up in the dict.
# Lone surrogates (a damaged text: no str from a form or a package should hold one, but a str can) go too:
# they cannot be encoded, and the hashing and re-coding below encode every passage.
_DELETED = {keep: re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(table)) + "\ud800-\udfff]+")
            for keep, table in ((False, _DELETE), (True, _DELETE_BUT_SEPARATOR))}

MIN_PASSAGE = 6  # characters of a normalised passage below which it says too little to compare


@dataclass(frozen=True)
class Passage:
    """One sentence of a long text: where it stands, as written, and as compared."""

    section: str
    original: str
    normalised: str


def long_texts(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) of each long text the content has."""
    found: list[tuple[str, str]] = []
    for label, path in LONG_TEXTS:
        value: Any = fields
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str) and value.strip():
            found.append((label, value))
    return found


def normalise(text: str, names: Iterable[str] = ()) -> str:
    """The text as compared: NFKC, the given names and place names as 〇, numbers and dates as #, no
    punctuation or spaces."""
    return _normalise(text, name_forms(names))


def _normalise(text: str, forms: list[str], *, keep_separator: bool = False) -> str:
    # Punctuation goes first: what is left is mostly in NFKC already, which is quick to check.
    deleted = _DELETED[keep_separator]
    text = deleted.sub("", text)
    if not unicodedata.is_normalized("NFKC", text):
        text = deleted.sub("", unicodedata.normalize("NFKC", text))
    for name in forms:
        text = text.replace(name, "〇")
    text = _NUMBER.sub("#", text)
    return _DATE_WORDS.sub("#", text)


def name_forms(names: Iterable[str]) -> list[str]:
    """The names as a text may write them, longest first: "东岗西路社区" also as "东岗西路"."""
    forms: set[str] = set()
    for given in names:
        name = unicodedata.normalize("NFKC", given or "").strip()
        if not name:
            continue
        forms.add(name)
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                forms.add(name[: -len(suffix)])
                break
    return sorted(forms, key=len, reverse=True)


def _sentences(fields: Mapping[str, Any], forms: list[str]) -> Iterator[tuple[str, list[str], list[str]]]:
    """(label, sentences as written, the same normalised) of each long text."""
    for label, text in long_texts(fields):
        originals = [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]
        # One normalisation per text, the sentences kept apart by a character nothing else turns into.
        # A separator in the text itself (a damaged text) is deleted first, so each sentence stays one.
        joined_text = _SEPARATOR.join(s.replace(_SEPARATOR, "") for s in originals)
        yield label, originals, _normalise(joined_text, forms, keep_separator=True).split(_SEPARATOR)


def passages(fields: Mapping[str, Any], names: Iterable[str] = ()) -> list[Passage]:
    """The sentences of the declaration's long texts, each with its normalised form (short ones left out)."""
    found: list[Passage] = []
    for label, originals, normalised in _sentences(fields, name_forms(names)):
        found += [Passage(label, original, norm)
                  for original, norm in zip(originals, normalised, strict=True) if len(norm) >= MIN_PASSAGE]
    return found


def normalised(fields: Mapping[str, Any], names: Iterable[str] = ()) -> list[str]:
    """The normalised forms of :func:`passages`, alone (all that scoring and hashing read): quicker, and a
    fraction of the memory."""
    return [norm for _label, _originals, normalised in _sentences(fields, name_forms(names))
            for norm in normalised if len(norm) >= MIN_PASSAGE]


def joined(normalised: Iterable[str]) -> str:
    """A declaration's normalised passages as one string (see :class:`Texts`)."""
    return _SEPARATOR.join(normalised)


def split(joined_text: str) -> list[str]:
    """The normalised passages :func:`joined` put together."""
    return joined_text.split(_SEPARATOR) if joined_text else []


class Texts:
    """The normalised passages of many declarations, one string each, kept while their characters stay
    within ``budget``: scoring a candidate pair then needs no second reading and normalisation of its
    declarations; past the budget their owner reads them again and passes them through :meth:`encode`.

    Kept passages come back re-coded: each character is replaced by a code of its own, given in the order
    characters are first seen (the separator of passages keeps 0). Re-coding is one-to-one and keeps
    lengths, so rapidfuzz's Indel ratios are those of the texts as written, but the first 255 characters
    seen, mostly the common ones, become one-byte characters, which rapidfuzz compares several times quicker
    than CJK ones (a hash lookup per character); a passage of those alone takes a byte a character."""

    _UNSET = 0xFFFFFFFF

    def __init__(self, budget: int) -> None:
        import numpy as np

        self.budget = budget
        self.characters = 0
        self._texts: dict[str, str] = {}
        self._table = np.full(0x110000, self._UNSET, dtype=np.uint32)  # code point -> its code (4 MB)
        self._table[0] = 0
        self._codes = 1

    def __len__(self) -> int:
        return len(self._texts)

    def __contains__(self, key: str) -> bool:
        return key in self._texts

    def _recode(self, text: str) -> str:
        import numpy as np

        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        codes = self._table[points]
        unset = codes == self._UNSET
        if unset.any():
            fresh = np.unique(points[unset])
            new = np.arange(self._codes, self._codes + len(fresh), dtype=np.uint32)
            new[new >= 0xD800] += 0x800  # past the surrogates, which a str cannot hold
            self._table[fresh] = new
            self._codes += len(fresh)
            codes = self._table[points]
        if not len(codes) or codes.max() < 0x100:
            return codes.astype(np.uint8).tobytes().decode("latin-1")
        return codes.astype("<u4").tobytes().decode("utf-32-le")

    def encode(self, normalised: list[str]) -> list[str]:
        """The passages re-coded as kept ones are (for passages read again, past the budget)."""
        return split(self._recode(joined(normalised)))

    def put(self, key: str, normalised: list[str]) -> bool:
        """Keep a declaration's passages if the budget allows (replacing what it had); whether kept."""
        return self.put_many([key], [normalised]) == 1

    def put_many(self, keys: list[str], normalised: list[list[str]]) -> int:
        """:meth:`put` of many declarations, re-coded together (one numpy pass); how many were kept."""
        import numpy as np

        for key in keys:
            self.discard(key)
        texts = [joined(mine) for mine in normalised]
        room = self.budget - self.characters
        fits = np.cumsum([len(t) for t in texts]) <= room  # those first in line, until the budget is spent
        chosen = [(key, t) for key, t, fit in zip(keys, texts, fits.tolist(), strict=True) if fit]
        if not chosen:
            return 0
        recoded = self._recode(_SEPARATOR.join(t for _key, t in chosen))
        at = 0
        for key, t in chosen:
            self._texts[key] = recoded[at:at + len(t)]
            self.characters += len(t)
            at += len(t) + 1
        return len(chosen)

    def discard(self, key: str) -> None:
        old = self._texts.pop(key, None)
        if old is not None:
            self.characters -= len(old)

    def get(self, key: str) -> list[str] | None:
        """The kept passages, re-coded; None where they were not kept."""
        text = self._texts.get(key)
        return None if text is None else split(text)


SHINGLE = 5  # characters of a shingle
_ROLL = 1_000_003  # numpy is loaded only where hashes are made (see the package's ``available``)


def shingle_hashes(passages: Iterable[Passage], size: int = SHINGLE) -> np.ndarray:
    """32-bit polynomial hashes of the distinct character ``size``-grams of the normalised passages (each
    passage on its own, so a reordering of paragraphs changes nothing), computed in numpy."""
    import numpy as np

    hashes, _lengths = shingle_hashes_many([passages], size)
    return np.unique(hashes)


def shingle_hashes_many(declarations: Iterable[Iterable[Passage]], size: int = SHINGLE
                        ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shingle_hashes` of many declarations' passages in one pass: every declaration's hashes one
    after another (repeats left in: a MinHash does not see them), and how many each has."""
    return shingle_hashes_joined([_SEPARATOR.join(p.normalised for p in passages if len(p.normalised) >= size)
                                  for passages in declarations], size)


def shingle_hashes_joined(per_declaration: list[str], size: int = SHINGLE) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shingle_hashes_many` of declarations given as their :func:`joined` normalised passages."""
    import numpy as np

    if not per_declaration:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)
    codes = np.frombuffer("\x00".join(per_declaration).encode("utf-32-le"), dtype=np.uint32)
    windows = max(len(codes) - size + 1, 0)
    h = np.zeros(windows, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for k in range(size):
            h = h * np.uint32(_ROLL) + codes[k:k + windows]
    separators = np.r_[0, np.cumsum(codes == 0)]
    clean = separators[size:size + windows] - separators[:windows] == 0  # no separator inside the window
    starts = np.cumsum([0] + [len(t) + 1 for t in per_declaration[:-1]])  # each declaration's first code
    owner = np.searchsorted(starts, np.flatnonzero(clean), side="right") - 1
    return h[clean], np.bincount(owner, minlength=len(per_declaration)).astype(np.int64)


def shingles(passages: Iterable[Passage], size: int = SHINGLE) -> set[str]:
    """The character ``size``-grams of the normalised passages (each passage on its own, so a reordering
    of paragraphs changes nothing)."""
    grams: set[str] = set()
    for p in passages:
        text = p.normalised
        grams.update(text[i:i + size] for i in range(len(text) - size + 1))
    return grams
