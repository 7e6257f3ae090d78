"""The exact similarity of two declarations' long texts and the passages they share (``rapidfuzz``).

Every normalised passage of one side is matched with its most similar passage of the other (the Indel
ratio); a passage's best match below ``PASSAGE_FLOOR`` counts as nothing shared. A side's similarity is
the length-weighted mean of its passages' best matches; the score is the mean of both sides. Matching
passage by passage, not the texts end to end, leaves a reordering of paragraphs without effect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from sanlian_desktop.screening.text import Passage

PASSAGE_FLOOR = 60  # best-match ratio (0–100) below which two sentences merely share a theme
SHARED = 80  # ratio from which two passages are shown as shared


@dataclass(frozen=True)
class Comparison:
    """How alike two declarations are: the score (0–100) and the passages they share (index pairs)."""

    score: int
    shared: tuple[tuple[int, int, int], ...]  # (passage of a, passage of b, ratio)


def compare(a: list[Passage], b: list[Passage]) -> Comparison:
    """The score of two passage lists, and their shared passages."""
    if not a or not b:
        return Comparison(0, ())
    matrix = process.cdist([p.normalised for p in a], [p.normalised for p in b], scorer=fuzz.ratio,
                           score_cutoff=PASSAGE_FLOOR, dtype=np.uint8, workers=1)
    partner = matrix.argmax(axis=1)
    best_a = matrix[np.arange(len(a)), partner].astype(float)
    best_b = matrix.max(axis=0).astype(float)
    weights_a = np.array([len(p.normalised) for p in a], dtype=float)
    weights_b = np.array([len(p.normalised) for p in b], dtype=float)
    side_a = float((np.where(best_a >= PASSAGE_FLOOR, best_a, 0) * weights_a).sum() / weights_a.sum())
    side_b = float((np.where(best_b >= PASSAGE_FLOOR, best_b, 0) * weights_b).sum() / weights_b.sum())
    shared = tuple((int(i), int(partner[i]), int(best_a[i])) for i in np.flatnonzero(best_a >= SHARED))
    return Comparison(round((side_a + side_b) / 2), shared)


def scores(a: list[str], others: list[list[str]]) -> list[int]:
    """``compare(a, b).score`` for each ``b`` of ``others`` (normalised passages), in one ``cdist`` of ``a``
    against all their passages: the same integers, without a call and a dozen small array operations per pair."""
    found = [0] * len(others)
    if not a:
        return found
    filled = [i for i, b in enumerate(others) if b]
    if not filled:
        return found
    columns = [p for i in filled for p in others[i]]
    matrix = process.cdist(a, columns, scorer=fuzz.ratio, score_cutoff=PASSAGE_FLOOR, dtype=np.uint8, workers=1)
    counts = np.array([len(others[i]) for i in filled], dtype=np.int64)
    starts = np.cumsum(counts) - counts
    # All products and sums below are integers well inside float64's exact range, so each side's mean, and
    # the rounding of their average, are exactly those of ``compare``.
    weights_a = np.array([len(p) for p in a], dtype=np.int64)
    weights_b = np.array([len(p) for p in columns], dtype=np.int64)
    best_a = np.maximum.reduceat(matrix, starts, axis=1).astype(np.int64)  # (len(a), pairs)
    best_b = matrix.max(axis=0).astype(np.int64)  # (columns,)
    total_a = (np.where(best_a >= PASSAGE_FLOOR, best_a, 0) * weights_a[:, None]).sum(axis=0)
    total_b = np.add.reduceat(np.where(best_b >= PASSAGE_FLOOR, best_b, 0) * weights_b, starts)
    side_a = total_a.astype(float) / float(weights_a.sum())
    side_b = total_b.astype(float) / np.add.reduceat(weights_b, starts).astype(float)
    for i, score in zip(filled, ((side_a + side_b) / 2).tolist(), strict=True):
        found[i] = round(score)
    return found
