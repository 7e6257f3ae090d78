"""PP-OCR's steps around the models without OpenCV (paperread/ppocr.py): regions, rectangles, crops, CTC,
and a page read in a process where OpenCV and shapely cannot be imported."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sanlian_desktop.paperread import ppocr
from tests.paperread.helpers import needs_ocr

ROOT = Path(__file__).resolve().parents[2]


def _mask(rows: list[str]) -> np.ndarray:
    return np.array([[c == "#" for c in row] for row in rows], dtype=bool)


def _pixels(region: np.ndarray) -> set[tuple[int, int]]:
    """The region's pixels, from the ends of its row runs (the starts, then the ends in the same order)."""
    half = len(region) // 2
    return {(x, int(start[1])) for start, end in zip(region[:half], region[half:], strict=True)
            for x in range(int(start[0]), int(end[0]) + 1)}


def test_regions_are_8_connected() -> None:
    mask = _mask([
        "##.....#..",
        "..#....#..",
        "...#...###",
        "..........",
        "#.#.#...##",
        "#####...##",
    ])
    found = ppocr.regions(mask)
    assert len(found) == 4
    assert [min(y for _x, y in _pixels(r)) for r in found] == [0, 0, 4, 4]  # by their first pixel
    assert _pixels(found[0]) == {(0, 0), (1, 0), (2, 1), (3, 2)}  # touching at corners only
    assert _pixels(found[1]) == {(7, 0), (7, 1), (7, 2), (8, 2), (9, 2)}
    # Three columns joined only at the bottom: the runs of the upper rows belong to one region.
    assert len(_pixels(found[2])) == 8 and len(_pixels(found[3])) == 4
    assert ppocr.regions(np.zeros((5, 5), dtype=bool)) == []


def test_a_ring_is_one_region_whose_hull_is_its_outline() -> None:
    mask = np.zeros((20, 30), dtype=bool)
    mask[2:18, 3:27] = True
    mask[5:15, 6:24] = False
    [ring] = ppocr.regions(mask)
    hull = ppocr.convex_hull(ring)
    assert {(float(x), float(y)) for x, y in hull} == {(3.0, 2.0), (26.0, 2.0), (26.0, 17.0), (3.0, 17.0)}


@pytest.mark.parametrize("degrees", [0.0, 12.0, 30.0, 45.0, 90.0, 133.0])
def test_min_area_rectangle_of_a_turned_rectangle(degrees: float) -> None:
    turn = math.radians(degrees)
    along, across = np.array([math.cos(turn), math.sin(turn)]), np.array([-math.sin(turn), math.cos(turn)])
    rng = np.random.default_rng(7)
    inside = rng.uniform(0, 1, (200, 2))
    points = np.array([[0, 0], [1, 0], [1, 1], [0, 1], *inside]) @ np.diag([40.0, 10.0])
    points = points @ np.stack([along, across]) + np.array([100.0, 50.0])
    corners, w, h = ppocr.min_area_rect(points)
    assert sorted((w, h)) == pytest.approx([10.0, 40.0])
    assert {tuple(np.round(c, 6)) for c in corners} == {tuple(np.round(p, 6)) for p in points[:4]}
    box, short = ppocr.min_area_box(points)
    assert short == pytest.approx(10.0)
    # rapidocr's order: the two left-most corners first and last, the upper of them first.
    assert box[0][0] <= box[1][0] and box[3][0] <= box[2][0] and box[0][1] <= box[3][1]


def test_points_on_a_line_have_no_width() -> None:
    _corners, w, h = ppocr.min_area_rect(np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 10.0]]))
    assert min(w, h) == 0.0 and max(w, h) == pytest.approx(math.hypot(10, 10))


def test_perspective_coefficients_map_the_corners() -> None:
    source = np.array([[0, 0], [100, 0], [100, 30], [0, 30]], dtype=np.float64)
    target = np.array([[12, 40], [110, 52], [104, 85], [8, 70]], dtype=np.float64)
    a, b, c, d, e, f, g, h = ppocr.perspective_coefficients(source, target)
    for (x, y), (u, v) in zip(source, target, strict=True):
        w = g * x + h * y + 1
        assert ((a * x + b * y + c) / w, (d * x + e * y + f) / w) == pytest.approx((u, v))


def test_an_upright_box_crops_the_pixels_under_it_and_a_standing_one_is_laid_down() -> None:
    from PIL import Image

    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    page = Image.fromarray(img)
    quad = np.array([[10, 20], [50, 20], [50, 30], [10, 30]], dtype=np.float32)
    line = ppocr.crop(page, quad)
    assert line.shape == (10, 40, 3)
    assert np.abs(line.astype(int) - img[20:30, 10:50].astype(int)).max() <= 1
    standing = ppocr.crop(page, np.array([[10, 5], [20, 5], [20, 45], [10, 45]], dtype=np.float32))
    assert standing.shape == (10, 40, 3)  # turned a quarter anticlockwise, as rapidocr does
    assert np.abs(standing.astype(int) - np.rot90(img[5:45, 10:20]).astype(int)).max() <= 1


def test_ctc_merges_repeats_and_drops_blanks() -> None:
    characters = ["blank", "甲", "乙", " "]
    steps = [1, 1, 0, 1, 2, 2, 0, 0, 3]
    probs = np.full((len(steps), len(characters)), 0.01, dtype=np.float32)
    for n, best in enumerate(steps):
        probs[n, best] = 0.9 if n != 4 else 0.6
    text, score = ppocr.ctc_decode(probs, characters)
    assert text == "甲甲乙 "
    assert score == pytest.approx((0.9 + 0.9 + 0.6 + 0.9) / 4)
    assert ppocr.ctc_decode(probs[[2, 6]], characters) == ("", 0.0)


def test_sorted_boxes_read_a_row_left_to_right() -> None:
    boxes = [np.array([[x, y], [x + 20, y], [x + 20, y + 10], [x, y + 10]], dtype=np.float32)
             for x, y in [(100, 52), (10, 50), (10, 90), (60, 55)]]
    assert [(int(b[0][0]), int(b[0][1])) for b in ppocr.sorted_boxes(boxes)] == [(10, 50), (60, 55), (100, 52),
                                                                                 (10, 90)]


def test_ocr_is_available_only_with_all_three_models(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from sanlian_desktop.paperread import engine

    pytest.importorskip("onnxruntime")
    pytest.importorskip("pyclipper")
    monkeypatch.setattr(ppocr, "model_dir", lambda: tmp_path)
    for name in ("ch_PP-OCRv4_det_infer.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx"):
        (tmp_path / name).write_bytes(b"model")
        assert not engine.ocr_available()
    (tmp_path / "ch_PP-OCRv4_rec_infer.onnx").write_bytes(b"model")
    assert engine.ocr_available()
    monkeypatch.setattr(ppocr, "model_dir", lambda: None)
    assert not engine.ocr_available()


def test_broken_model_files_get_the_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    from sanlian_desktop.kernel.errors import UserError
    from sanlian_desktop.paperread import engine

    pytest.importorskip("onnxruntime")
    pytest.importorskip("pyclipper")
    for name in ("ch_PP-OCRv4_det_infer.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"):
        (tmp_path / name).write_bytes(b"not a model")
    monkeypatch.setattr(ppocr, "model_dir", lambda: tmp_path)
    monkeypatch.setattr(engine, "_engine", None)
    with pytest.raises(UserError) as info:
        engine.recognise(np.full((100, 100, 3), 255, dtype=np.uint8))
    assert "组件无法加载" in info.value.zh and "ch_PP-OCRv4_det_infer.onnx" in info.value.zh
    assert engine._engine is None


@needs_ocr
def test_lines_drawn_on_a_page_are_found_and_read() -> None:
    from PIL import Image, ImageDraw, ImageFont

    from sanlian_desktop.paperread import engine

    img = Image.new("RGB", (900, 400), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 40)
    lines = ["项目总预算 128500.00 元", "东岗西路社区居家养老服务"]
    for n, text in enumerate(lines):
        draw.text((60, 60 + 160 * n), text, fill="black", font=font)
    boxes = engine.recognise(np.asarray(img))
    assert ["".join(b.text.split()) for b in boxes] == ["".join(t.split()) for t in lines]
    for n, box in enumerate(boxes):
        x0, y0, x1, y1 = box.bbox
        assert x0 < 70 and y0 < 70 + 160 * n < y1 and x1 > 500


NO_OPENCV = """
import json, sys
sys.modules["cv2"] = None  # import cv2 raises ImportError
sys.modules["shapely"] = None
from pathlib import Path
from sanlian_desktop.paperread import read
from tests.paperread.helpers import degrade, known_fields, print_pdf, rasterise, score
fields = known_fields(15)
tmp = Path(sys.argv[1])
page = rasterise(print_pdf(fields, tmp / "form.pdf"), 150, last=1)[0]
degrade(page, ("rotate-1", "noise"), seed=15).save(tmp / "scan.jpg", "JPEG", quality=75)
result = score(fields, read.read_form(tmp / "scan.jpg"))
print(json.dumps({"rate": result.rate, "amount_rate": result.amount_rate, "misses": result.misses,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in
                                   ("cv2", "shapely", "rapidocr_onnxruntime") and sys.modules[m] is not None)}))
"""


@needs_ocr
@pytest.mark.slow
def test_a_scan_is_read_where_opencv_and_shapely_cannot_be_imported(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", NO_OPENCV, str(tmp_path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert result["rate"] >= 0.95 and result["amount_rate"] == 1.0, result["misses"]
