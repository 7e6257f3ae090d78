"""The OCR engine: PP-OCR detection, orientation and recognition on onnxruntime (paperread/ppocr.py, numpy and
Pillow around the models, no OpenCV), loaded lazily, one instance."""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from typing import Any

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.paperread.addon import OCR_HELP

_lock = threading.Lock()
_engine: Any = None
# Detection runs on the page scaled to this long side (recognition on crops of the full page): the
# program's own print has no small print, and detection at 2,400 px costs three times as much.
DET_LONG_SIDE = 1280
# Threads per onnxruntime session: the office PC has two cores or more; waiting threads sleep instead of
# spinning, which on a busy machine only takes the cores from the threads doing the work.
THREADS = max(1, min(2, os.cpu_count() or 1))
# Recognition: one line at a time (a batch is padded to its widest line, which costs more than it saves)
# at 40 px high instead of PP-OCR's 48: a fifth less work, and the same fields read on the bench's pages
# (bench/bench_ocr.py), clean and degraded.
REC_HEIGHT = 40
CROP_MARGIN = 0.5  # of the line's height, at both ends
REREAD_HEIGHT = 48  # a line read again, when its two readings disagree
# How many of the widest lines decide a page's orientation (PP-OCR's 0°/180° classifier).
ORIENTATION_SAMPLE = 12


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
    """Whether the OCR component is installed: onnxruntime, pyclipper and the PP-OCR models (without importing)."""
    from sanlian_desktop.paperread import ppocr

    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "pyclipper")) \
        and ppocr.model_files() is not None


def _get_engine() -> Any:
    global _engine  # noqa: PLW0603 - one engine per process: loading the models takes about a second
    with _lock:
        if _engine is None:
            if not ocr_available():
                raise UserError(OCR_HELP, "OCR extra not installed: pip install sanlian-desktop[ocr]")
            from sanlian_desktop.paperread import ppocr

            try:
                _engine = ppocr.load(THREADS)
            except (ImportError, OSError, RuntimeError) as exc:  # a part missing or broken
                raise UserError(f"{OCR_HELP}（组件无法加载：{exc}）", f"OCR extra cannot load: {exc}") from None
        return _engine


def _upside_down(models: Any, crops: list[Any]) -> bool:
    """Whether the page's lines are upside down, by the classifier's majority over the widest lines.

    One decision for the whole page (the program's form has no turned text): cheaper than classifying
    every line, and a line the classifier gets wrong is not turned on its own.
    """
    from sanlian_desktop.paperread import ppocr

    widest = sorted(crops, key=lambda c: c.shape[1] / max(1, c.shape[0]), reverse=True)[:ORIENTATION_SAMPLE]
    if not widest:
        return False
    return ppocr.upside_down_votes(models, widest) > len(widest) / 2


def _margin(crop: Any) -> Any:
    """``crop`` with a margin of its own background at both ends.

    Read one at a time, a line's last mark (a full stop after a figure) would touch the crop's edge and
    be lost; in a batch, the padding of the wider lines gave it room.
    """
    import numpy as np

    pad = round(crop.shape[0] * CROP_MARGIN)
    if pad < 1:
        return crop
    ground = np.median(crop.reshape(-1, crop.shape[2]), axis=0).astype(np.int64).astype(crop.dtype)
    out = np.empty((crop.shape[0], crop.shape[1] + 2 * pad, crop.shape[2]), dtype=crop.dtype)
    out[:] = ground
    out[:, pad:pad + crop.shape[1]] = crop
    return out


def _rgb(image: Any) -> Any:
    """``image`` (a numpy array: grey, grey + alpha, RGB or RGBA) as RGB uint8 (what rapidocr's load_img
    passed on; RGBA on white)."""
    import numpy as np

    img = np.asarray(image)
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = img[:, :, np.newaxis]
    if img.ndim != 3 or img.shape[2] not in (1, 2, 3, 4):
        raise UserError("无法识别这张图片的格式", f"unsupported image array shape {img.shape}")
    channels = img.shape[2]
    if channels in (2, 4):  # composited on white
        alpha = img[:, :, -1:].astype(np.float32) / 255
        colour = img[:, :, :-1].astype(np.float32)
        img = (colour * alpha + 255 * (1 - alpha)).round().astype(np.uint8)
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img)


def _read_page(models: Any, image: Any) -> list[TextBox]:
    from PIL import Image

    from sanlian_desktop.paperread import ppocr

    img = _rgb(image)
    height, width = img.shape[:2]
    quads = ppocr.detect(models, img, min(1.0, DET_LONG_SIDE / max(height, width)))
    if not quads:
        return []
    page = Image.fromarray(img)
    crops = [ppocr.crop(page, q) for q in quads]
    if _upside_down(models, crops):
        crops = [c[::-1, ::-1] for c in crops]
    boxes = []
    for quad, c in zip(quads, crops, strict=True):
        text, score = ppocr.recognise_line(models, _margin(c), REC_HEIGHT)
        if score >= ppocr.TEXT_SCORE and text:
            boxes.append(TextBox(tuple((float(x), float(y)) for x, y in quad), text, score))
    return boxes


def _reread(models: Any, image: Any, box: tuple[int, int, int, int]) -> str | None:
    import numpy as np
    from PIL import Image

    from sanlian_desktop.paperread import ppocr

    img = _rgb(image)
    x0, y0, x1, y1 = box
    pad = max(4, (y1 - y0) // 3)
    part = img[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad]
    if part.size == 0:
        return None
    quads = ppocr.detect(models, part)  # at the crop's full size: tighter boxes than on the whole page
    if not quads:
        return None
    quads.sort(key=lambda q: float(q[:, 0].min()))
    page = Image.fromarray(np.ascontiguousarray(part))
    texts = []
    for q in quads:  # the page is upright by now
        text, score = ppocr.recognise_line(models, _margin(ppocr.crop(page, q)), REREAD_HEIGHT)
        if score >= ppocr.TEXT_SCORE:
            texts.append(text)
    return "".join(texts) or None


def reread(image: Any, box: tuple[int, int, int, int]) -> str | None:
    """The text of one line read again: the crop ``box`` of ``image`` (an RGB numpy array) alone, detected at
    full size and recognised at PP-OCR's own 48 px; None when nothing is found there."""
    models = _get_engine()
    with _lock:
        return _reread(models, image, box)


def recognise(image: Any) -> list[TextBox]:
    """The text lines of one page image (an RGB numpy array).

    Detection on the page scaled down, orientation decided once for the page, recognition of every line
    on its crop of the full-size page.
    """
    models = _get_engine()
    with _lock:  # the onnxruntime sessions are shared; one page at a time
        return _read_page(models, image)
