"""Read a paper form: pages → OCR → fields, each with a confidence and the box it came from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sanlian_desktop.declarations.fields import normalise
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.paperread import engine, mapping, pages
from sanlian_desktop.paperread.engine import TextBox

MIN_ANCHORS = 2  # of mapping._ANCHORS: fewer means the page is not this program's 申报表
MIN_FIELDS = 5  # fields read with a value: fewer means an empty or handwritten form


def _upside_down(boxes: list[TextBox], width: int) -> bool:
    """Whether the page lies upside down: the row labels then come out on the right-hand side.

    PP-OCR's direction classifier reads each upside-down line correctly, but the lines' positions
    are those of the turned page.
    """
    labels = [b for b in boxes if "".join(b.text.split()) in mapping.ROW_LABELS]
    if len(labels) < 2:
        return False
    right = sum(1 for b in labels if (b.bbox[0] + b.bbox[2]) / 2 > width / 2)
    return right > len(labels) / 2


def _turned(boxes: list[TextBox], size: tuple[int, int]) -> list[TextBox]:
    w, h = size
    return [TextBox(tuple((w - x, h - y) for x, y in b.quad[2:] + b.quad[:2]), b.text, b.score) for b in boxes]


def read_pages(images: list[Any], progress: Callable[[int, int], None] | None = None) -> mapping.Proposal:
    """OCR ``images`` (RGB PIL pages of one form) and map them to the form's fields."""
    import numpy as np

    if all(pages.is_blank(img) for img in images):
        raise UserError("页面是空白的，没有可识别的内容；请检查扫描件是否选错或扫描时放反了纸面",
                        "blank page")
    found: list[list[TextBox]] = []
    upright: list[Any] = []
    for index, image in enumerate(images):
        if progress is not None:
            progress(index, len(images))
        boxes = [] if pages.is_blank(image) else engine.recognise(np.asarray(image))
        page = image
        if _upside_down(boxes, image.width):
            page = image.rotate(180)
            boxes = _turned(boxes, page.size)
        found.append(boxes)
        upright.append(page)
    if progress is not None:
        progress(len(images), len(images))
    if not any(found):
        raise UserError("页面上没有识别出文字；请确认扫描件清晰、方向正确", "no text found")
    if mapping.anchors_found(found) < MIN_ANCHORS:
        raise UserError(
            "这不是本程序打印的《甘肃省“三社联动”试点项目申报表》，无法按表格读取；"
            "请使用本程序填写后打印的申报表的扫描件",
            "not this program's declaration form",
        )
    arrays: dict[int, Any] = {}

    def reread(page: int, box: tuple[int, int, int, int]) -> str | None:
        if page not in arrays:
            arrays[page] = np.asarray(upright[page])
        return engine.reread(arrays[page], box)

    fields, readings, units = mapping.map_fields(found, [img.size for img in upright], reread)
    if sum(1 for r in readings if r.value not in (None, "", [])) < MIN_FIELDS:
        raise UserError(
            "扫描件上的申报表几乎没有可读出的内容（可能是未填写的空白表，或手工填写的表）；"
            "目前只能识别本程序填写后打印的申报表，其他请手工录入",
            "no field could be read",
        )
    # The form's own rules, as when the clerk types the values: a broken rule lowers the confidence.
    checked = normalise({**fields, "community": "000000000000"}, for_submit=False)
    for error in checked.errors:
        if error.field == "community":
            continue
        for reading in readings:
            if reading.path == error.field and reading.problem is None:
                reading.problem = error.message
                reading.confidence = min(reading.confidence, 0.3)
    return mapping.Proposal(fields=fields, readings=readings, unit_names=units, pages=upright)


def read_form(path: str | Path, progress: Callable[[int, int], None] | None = None) -> mapping.Proposal:
    """Read the scan, photo or PDF at ``path``. Raises ``UserError`` with a clear message for bad input."""
    if not engine.ocr_available():
        raise UserError(engine.OCR_HELP, "OCR extra not installed")
    return read_pages(pages.load_pages(path), progress)
