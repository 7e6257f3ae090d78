"""Near-duplicate screening: which declarations' long texts are near-identical copies of each other.

``text`` normalises the four long texts (numbers, dates and the community's own names away) and splits
them into passages; ``sketch`` turns them into MinHash signatures (numpy, the values ``datasketch``'s
affine32 scheme gives) and finds candidates with LSH; ``score`` measures a candidate pair exactly
(``rapidfuzz``) and names the shared passages; ``service`` keeps the signatures and pairs of the store up to date and answers the lists.
"""

from functools import cache

UNAVAILABLE = ("本程序的这一版本不含相似申报查重所需的组件（numpy、rapidfuzz），不能比对申报内容；"
               "已算出的相似结果仍可查看。")


@cache
def available() -> bool:
    """Whether the computing half (numpy, rapidfuzz) can be loaded: the Windows build leaves it out for
    now (numpy does not load under the Wine its build and tests run in), and then nothing is computed."""
    try:
        import numpy  # noqa: F401
        import rapidfuzz  # noqa: F401
    except ImportError:
        return False
    return True
