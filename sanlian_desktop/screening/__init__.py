"""Near-duplicate screening: which declarations' long texts are near-identical copies of each other.

``text`` normalises the four long texts (numbers, dates and the community's own names away) and splits
them into passages; ``sketch`` turns them into MinHash signatures (numpy, the values ``datasketch``'s
affine32 scheme gives) and finds candidates with LSH; ``score`` measures a candidate pair exactly
(``rapidfuzz``) and names the shared passages; ``service`` keeps the signatures and pairs of the store up to date and answers the lists.
"""

from functools import cache

UNAVAILABLE = ("本程序未安装相似申报查重所需的计算组件（numpy），不能比对申报内容；已算出的相似结果仍可查看。"
               "Windows 版本请重新运行安装程序，勾选“扫描件识别（OCR）组件”（其中带有该计算组件）。")


@cache
def available() -> bool:
    """Whether the computing half (numpy, rapidfuzz) can be loaded: the Windows program gets numpy from its OCR
    component (installed by default, packaging/windows/requirements.txt); without it nothing is computed."""
    try:
        import numpy  # noqa: F401
        import rapidfuzz  # noqa: F401
    except ImportError:
        return False
    return True
