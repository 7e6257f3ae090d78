"""The OCR engine: rapidocr (PP-OCR detection + recognition on onnxruntime), imported lazily, one instance."""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from typing import Any

from sanlian_desktop.kernel.errors import UserError

OCR_HELP = (
    "本程序未安装扫描件识别（OCR）组件，无法从扫描件读取申报表。安装包版本请向上级民政部门索取带识别组件的版本；"
    "从源代码运行时，在本程序的 Python 环境中执行 pip install \"sanlian-desktop[ocr]\" 即可"
    "（rapidocr-onnxruntime 和 onnxruntime，约 300 MB，识别模型随包安装，使用时无需联网）。"
)

_lock = threading.Lock()
_engine: Any = None


@dataclass(frozen=True)
class TextBox:
    """One line of text found on a page: its four corners (page pixels), text and recognition score."""

    quad: tuple[tuple[float, float], ...]
    text: str
    score: float

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1


def ocr_available() -> bool:
    """Whether the OCR extra is installed (without importing it)."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def _get_engine() -> Any:
    global _engine  # noqa: PLW0603 - one engine per process: loading the models takes about a second
    with _lock:
        if _engine is None:
            if not ocr_available():
                raise UserError(OCR_HELP, "OCR extra not installed: pip install sanlian-desktop[ocr]")
            try:
                from rapidocr_onnxruntime import RapidOCR

                _engine = RapidOCR()
            except (ImportError, OSError) as exc:  # a part missing, e.g. OpenCV without its libGL
                raise UserError(f"{OCR_HELP}（组件无法加载：{exc}）", f"OCR extra cannot load: {exc}") from None
        return _engine


def recognise(image: Any) -> list[TextBox]:
    """The text lines of one page image (an RGB numpy array)."""
    engine = _get_engine()
    with _lock:  # the onnxruntime sessions are shared; one page at a time
        result, _elapsed = engine(image)
    boxes = []
    for quad, text, score in result or []:
        boxes.append(TextBox(tuple((float(x), float(y)) for x, y in quad), str(text), float(score)))
    return boxes
