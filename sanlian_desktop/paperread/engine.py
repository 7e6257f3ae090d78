"""The OCR engine: rapidocr (PP-OCR detection + recognition on onnxruntime), imported lazily, one instance."""

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
REC_BATCH = 1
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

                ocr = RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=1)
                for part in (ocr.text_det.infer, ocr.text_cls.infer, ocr.text_rec.session):
                    part.session = _session(part.session)
                ocr.text_det.limit_type = "max"  # never enlarged: the page is scaled down before detection
                ocr.text_rec.rec_batch_num = REC_BATCH
                channels, _height, width = ocr.text_rec.rec_image_shape
                ocr.text_rec.rec_image_shape = [channels, REC_HEIGHT, width]
                _engine = ocr
            except (ImportError, OSError) as exc:  # a part missing, e.g. OpenCV without its libGL
                raise UserError(f"{OCR_HELP}（组件无法加载：{exc}）", f"OCR extra cannot load: {exc}") from None
        return _engine


def _session(old: Any) -> Any:
    """``old`` (an onnxruntime session as rapidocr makes it) again, with threads that do not spin."""
    import onnxruntime

    path = getattr(old, "_model_path", None)
    if not path:
        return old
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4
    options.enable_cpu_mem_arena = False
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


def _upside_down(ocr: Any, crops: list[Any]) -> bool:
    """Whether the page's lines are upside down, by the classifier's majority over the widest lines.

    One decision for the whole page (the program's form has no turned text): cheaper than classifying
    every line, and a line the classifier gets wrong is not turned on its own.
    """
    widest = sorted(crops, key=lambda c: c.shape[1] / max(1, c.shape[0]), reverse=True)[:ORIENTATION_SAMPLE]
    if not widest:
        return False
    _turned, labels, _elapsed = ocr.text_cls(widest)
    turned = sum(1 for label, score in labels if "180" in label and score > ocr.text_cls.cls_thresh)
    return turned > len(widest) / 2


def _margin(crop: Any) -> Any:
    """``crop`` with a margin of its own background at both ends.

    Read one at a time, a line's last mark (a full stop after a figure) would touch the crop's edge and
    be lost; in a batch, the padding of the wider lines gave it room.
    """
    import cv2
    import numpy as np

    pad = round(crop.shape[0] * CROP_MARGIN)
    if pad < 1:
        return crop
    ground = tuple(int(v) for v in np.median(crop.reshape(-1, crop.shape[2]), axis=0))
    return cv2.copyMakeBorder(crop, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=ground)


def _read_page(ocr: Any, image: Any) -> list[TextBox]:
    import cv2
    import numpy as np

    img = ocr.load_img(image)
    height, width = img.shape[:2]
    scale = min(1.0, DET_LONG_SIDE / max(height, width))
    small = img if scale == 1.0 else cv2.resize(img, (max(1, round(width * scale)), max(1, round(height * scale))),
                                                  interpolation=cv2.INTER_AREA)
    found, _elapsed = ocr.text_det(small)
    if found is None or len(found) == 0:
        return []
    quads = [np.asarray(q, dtype=np.float32) / np.float32(scale) for q in ocr.sorted_boxes(found)]
    for q in quads:
        q[:, 0] = q[:, 0].clip(0, width - 1)
        q[:, 1] = q[:, 1].clip(0, height - 1)
    crops = ocr.get_crop_img_list(img, quads)
    if _upside_down(ocr, crops):
        crops = [cv2.rotate(c, cv2.ROTATE_180) for c in crops]
    texts, _elapsed = ocr.text_rec([_margin(c) for c in crops])
    boxes = []
    for quad, (text, score) in zip(quads, texts, strict=True):
        if score >= ocr.text_score and text:
            boxes.append(TextBox(tuple((float(x), float(y)) for x, y in quad), str(text), float(score)))
    return boxes


def _reread(ocr: Any, image: Any, box: tuple[int, int, int, int]) -> str | None:
    img = ocr.load_img(image)
    x0, y0, x1, y1 = box
    pad = max(4, (y1 - y0) // 3)
    crop = img[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad]
    if crop.size == 0:
        return None
    found, _elapsed = ocr.text_det(crop)  # at the crop's full size: tighter boxes than on the whole page
    if found is None or len(found) == 0:
        return None
    quads = sorted(ocr.sorted_boxes(found), key=lambda q: float(q[:, 0].min()))
    crops = ocr.get_crop_img_list(crop, quads)
    channels, _height, width = ocr.text_rec.rec_image_shape  # the page is upright by now
    ocr.text_rec.rec_image_shape = [channels, REREAD_HEIGHT, width]
    try:
        texts, _elapsed = ocr.text_rec([_margin(c) for c in crops])
    finally:
        ocr.text_rec.rec_image_shape = [channels, REC_HEIGHT, width]
    return "".join(str(text) for text, score in texts if score >= ocr.text_score) or None


def reread(image: Any, box: tuple[int, int, int, int]) -> str | None:
    """The text of one line read again: the crop ``box`` of ``image`` (an RGB numpy array) alone, detected at
    full size and recognised at PP-OCR's own 48 px; None when nothing is found there."""
    ocr = _get_engine()
    with _lock:
        return _reread(ocr, image, box)


def recognise(image: Any) -> list[TextBox]:
    """The text lines of one page image (an RGB numpy array).

    Detection on the page scaled down, orientation decided once for the page, recognition of every line
    on its crop of the full-size page.
    """
    ocr = _get_engine()
    with _lock:  # the onnxruntime sessions are shared; one page at a time
        return _read_page(ocr, image)
