"""PP-OCR on onnxruntime with numpy, Pillow and pyclipper only: detection, orientation, recognition.

The models (PP-OCRv4 detection and recognition, the mobile 0°/180° classifier) and the recognition's
character list are those shipped inside the ``rapidocr-onnxruntime`` wheel, found without importing that
package: its ``__init__`` imports OpenCV, which with its libraries is larger than the rest of the OCR
component together. The steps around the models follow rapidocr 1.4.4 (itself PaddleOCR's): the
detector's resize to multiples of 32 and normalisation, the DB post-processing (threshold, connected
regions, minimum-area rectangles, box scores, pyclipper's unclip), the crops of rotated lines, the
classifier's and the recogniser's resize and normalisation and the CTC decoding. The image operations
OpenCV did are done with Pillow (resizing, perspective crops) and numpy (regions, convex hulls, rotating
calipers), so the figures differ from rapidocr's by a pixel here and there, not in what is read
(bench/bench_ocr.py measures it).

Images are RGB numpy arrays (height × width × 3, uint8) in and out.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PACKAGE = "rapidocr_onnxruntime"
# The model files inside the package's models/ folder, by the start of their names (rapidocr 1.4: e.g.
# ch_PP-OCRv4_det_infer.onnx, ch_ppocr_mobile_v2.0_cls_infer.onnx, ch_PP-OCRv4_rec_infer.onnx).
MODEL_PATTERNS = {"det": "*_det_infer.onnx", "cls": "*_cls_infer.onnx", "rec": "*_rec_infer.onnx"}

# rapidocr's config.yaml (Det, Cls, Rec, Global), as the program used it.
DET_THRESH = 0.3  # probability above which a pixel is text
DET_BOX_THRESH = 0.5  # mean probability inside a region's rectangle below which it is dropped
DET_UNCLIP_RATIO = 1.6
DET_MAX_CANDIDATES = 1000
DET_MIN_SIZE = 3
CLS_SHAPE = (3, 48, 192)
CLS_LABELS = ("0", "180")
CLS_THRESH = 0.9
REC_WIDTH = 320  # the recogniser's input width at PP-OCR's 48 px: lines are padded to this ratio at least
TEXT_SCORE = 0.5  # recognition score below which a line is dropped


def model_dir() -> Path | None:
    """The folder of the PP-OCR models inside the installed rapidocr-onnxruntime wheel, without importing it."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "models"
        if folder.is_dir():
            return folder
    return None


def model_files() -> dict[str, Path] | None:
    """The detection, classifier and recognition model files, or None when any is missing."""
    folder = model_dir()
    if folder is None:
        return None
    found: dict[str, Path] = {}
    for part, pattern in MODEL_PATTERNS.items():
        matches = sorted(folder.glob(pattern))
        if not matches:
            return None
        found[part] = matches[-1]  # the newest version when several are there (v4 sorts after v3)
    return found


@dataclass
class Models:
    """The three onnxruntime sessions and the recogniser's character list (index 0 is CTC's blank)."""

    det: Any
    cls: Any
    rec: Any
    characters: list[str]


def load(threads: int) -> Models:
    """The sessions on the models of :func:`model_files`; ``OSError`` when they are not there."""
    files = model_files()
    if files is None:
        raise OSError(f"PP-OCR models not found in the {MODEL_PACKAGE} package")
    det, cls, rec = (_session(files[part], threads) for part in ("det", "cls", "rec"))
    meta = rec.get_modelmeta().custom_metadata_map
    if "character" in meta:
        characters = meta["character"].splitlines()
    else:  # rapidocr before 1.4 shipped the list beside the model
        keys = files["rec"].with_name("ppocr_keys_v1.txt")
        if not keys.is_file():
            raise OSError(f"the recognition model {files['rec'].name} has no character list")
        characters = [line.rstrip("\r\n") for line in keys.read_text("utf-8").splitlines()]
    return Models(det, cls, rec, ["blank", *characters, " "])


def _session(path: Path, threads: int) -> Any:
    """An onnxruntime session on ``path`` whose waiting threads sleep instead of spinning."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4
    options.enable_cpu_mem_arena = False
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own errors (InvalidProtobuf, Fail, ...) derive from Exception only
        raise OSError(f"{path.name}: {exc}") from exc


def _run(session: Any, batch: np.ndarray) -> np.ndarray:
    result: np.ndarray = session.run(None, {session.get_inputs()[0].name: batch})[0]
    return result


def _normalised(img: np.ndarray) -> np.ndarray:
    """HWC uint8 → CHW float32 in [-1, 1], PP-OCR's (x / 255 - 0.5) / 0.5."""
    return (img.astype(np.float32).transpose(2, 0, 1) * np.float32(1 / 255) - np.float32(0.5)) / np.float32(0.5)


def resized(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """``img`` at ``width`` × ``height``: averaged over the covered pixels when shrinking a lot, bilinear else."""
    from PIL import Image

    if (width, height) == (img.shape[1], img.shape[0]):
        return img
    shrink = width < 0.75 * img.shape[1] and height < 0.75 * img.shape[0]
    resample = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(img).resize((width, height), resample))


# ---------------------------------------------------------------------------------------------- detection


def _det_size(width: int, height: int) -> tuple[int, int]:
    """rapidocr's DetPreProcess with limit_type "max": never enlarged, multiples of 32."""
    longest = max(width, height)
    limit = 960 if longest < 960 else 1500 if longest < 1500 else 2000
    ratio = limit / longest if longest > limit else 1.0
    return round(int(width * ratio) / 32) * 32, round(int(height * ratio) / 32) * 32


def detect(models: Models, img: np.ndarray, scale: float = 1.0) -> list[np.ndarray]:
    """The text lines of ``img`` as quads (4 × 2 float32, clockwise from top left, image pixels), sorted
    top to bottom and left to right; detection runs on the image scaled by ``scale`` (at most 1)."""
    height, width = img.shape[:2]
    small_w, small_h = (width, height) if scale == 1.0 else (max(1, round(width * scale)),
                                                             max(1, round(height * scale)))
    det_w, det_h = _det_size(small_w, small_h)
    if det_w <= 0 or det_h <= 0:
        return []
    pred = _run(models.det, _normalised(resized(img, det_w, det_h))[np.newaxis])[0, 0]
    boxes = []
    for found in _db_boxes(pred, small_w, small_h):
        box = _clockwise(found)
        box[:, 0] = np.clip(box[:, 0], 0, small_w - 1).astype(np.int32)
        box[:, 1] = np.clip(box[:, 1], 0, small_h - 1).astype(np.int32)
        if int(np.linalg.norm(box[0] - box[1])) <= 3 or int(np.linalg.norm(box[0] - box[3])) <= 3:
            continue
        boxes.append(box)
    quads = []
    for box in sorted_boxes(boxes):
        quad = box / np.float32(scale)
        quad[:, 0] = quad[:, 0].clip(0, width - 1)
        quad[:, 1] = quad[:, 1].clip(0, height - 1)
        quads.append(quad)
    return quads


def _db_boxes(pred: np.ndarray, dest_width: int, dest_height: int) -> list[np.ndarray]:
    """DB post-processing of the probability map ``pred``: one rectangle per connected text region, grown by
    the unclip ratio, in the coordinates of a ``dest_width`` × ``dest_height`` image."""
    height, width = pred.shape
    text = pred > DET_THRESH
    mask = text.copy()  # dilated by a 2 × 2 kernel, as rapidocr does
    mask[1:] |= text[:-1]
    mask[:, 1:] |= text[:, :-1]
    mask[1:, 1:] |= text[:-1, :-1]
    boxes = []
    for points in regions(mask)[:DET_MAX_CANDIDATES]:
        corners, short = min_area_box(points)
        if short < DET_MIN_SIZE:
            continue
        if _box_score(pred, corners) < DET_BOX_THRESH:
            continue
        grown = _unclip(corners)
        if len(grown) == 0:
            continue
        box, short = min_area_box(grown)
        if short < DET_MIN_SIZE + 2:
            continue
        box[:, 0] = np.clip(np.round(box[:, 0] / width * dest_width), 0, dest_width)
        box[:, 1] = np.clip(np.round(box[:, 1] / height * dest_height), 0, dest_height)
        boxes.append(box.astype(np.int32).astype(np.float32))
    return boxes


def regions(mask: np.ndarray) -> list[np.ndarray]:
    """The 8-connected regions of the boolean ``mask``, each as the ends of its row runs ((n, 2) x, y
    float64): the region's convex hull is theirs. Regions are listed by their first pixel, top to bottom."""
    height, width = mask.shape
    padded = np.zeros((height, width + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _rows, stops = np.nonzero(step == -1)
    ends = stops - 1  # last column of each run
    count = len(rows)
    if count == 0:
        return []
    # Runs of the row above that touch each run (8-connectivity: columns overlap or meet at a corner).
    # Keys order the runs by row, then column; a run's neighbours above are a contiguous range of them.
    span = width + 2
    start_keys = rows * span + starts
    end_keys = rows * span + ends
    lo = np.searchsorted(end_keys, (rows - 1) * span + starts - 1, side="left")
    hi = np.searchsorted(start_keys, (rows - 1) * span + ends + 1, side="right")
    links = np.maximum(hi - lo, 0)
    below = np.repeat(np.arange(count), links)
    offsets = np.arange(len(below)) - np.repeat(np.cumsum(links) - links, links)
    above = np.repeat(lo, links) + offsets
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(above.tolist(), below.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            if ra < rb:
                parent[rb] = ra
            else:
                parent[ra] = rb
    labels = np.fromiter((root(i) for i in range(count)), dtype=np.int64, count=count)
    order = np.argsort(labels, kind="stable")
    cuts = np.nonzero(np.diff(labels[order]))[0] + 1
    found = []
    for group in np.split(order, cuts):
        ys = rows[group].astype(np.float64)
        found.append(np.concatenate([np.stack([starts[group], ys], axis=1),
                                     np.stack([ends[group], ys], axis=1)]).astype(np.float64))
    return found


def convex_hull(points: np.ndarray) -> np.ndarray:
    """The convex hull of ``points`` ((n, 2)), counter-clockwise in x-right/y-up terms, without collinear
    points (Andrew's monotone chain); fewer than 3 points when they are all on one line."""
    unique = sorted({(float(x), float(y)) for x, y in points})
    if len(unique) < 3:
        return np.array(unique, dtype=np.float64).reshape(-1, 2)

    def half(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        chain: list[tuple[float, float]] = []
        for p in pts:
            while len(chain) >= 2:
                (ox, oy), (ax, ay) = chain[-2], chain[-1]
                if (ax - ox) * (p[1] - oy) - (ay - oy) * (p[0] - ox) > 0:
                    break
                chain.pop()
            chain.append(p)
        return chain

    lower, upper = half(unique), half(unique[::-1])
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def min_area_rect(points: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The smallest-area rectangle around ``points`` (rotating calipers over the convex hull's edges): its
    four corners (in order around it) and its two side lengths."""
    hull = convex_hull(points)
    if len(hull) == 0:
        return np.zeros((4, 2)), 0.0, 0.0
    if len(hull) < 3:  # a point or a segment: a rectangle of no width
        a, b = hull[0], hull[-1]
        return np.array([a, b, b, a]), float(np.linalg.norm(b - a)), 0.0
    edges = np.roll(hull, -1, axis=0) - hull
    lengths = np.hypot(edges[:, 0], edges[:, 1])
    keep = lengths > 0
    along = edges[keep] / lengths[keep, np.newaxis]
    across = np.stack([-along[:, 1], along[:, 0]], axis=1)
    u = hull @ along.T  # (points, edges)
    v = hull @ across.T
    u_min, u_max, v_min, v_max = u.min(axis=0), u.max(axis=0), v.min(axis=0), v.max(axis=0)
    best = int(np.argmin((u_max - u_min) * (v_max - v_min)))
    d, n = along[best], across[best]
    corners = np.array([u_min[best] * d + v_min[best] * n, u_max[best] * d + v_min[best] * n,
                        u_max[best] * d + v_max[best] * n, u_min[best] * d + v_max[best] * n])
    return corners, float(u_max[best] - u_min[best]), float(v_max[best] - v_min[best])


def min_area_box(points: np.ndarray) -> tuple[np.ndarray, float]:
    """rapidocr's get_mini_boxes: the minimum-area rectangle's corners as top left, top right, bottom
    right, bottom left (float32), and its shorter side."""
    corners, w, h = min_area_rect(points)
    pts = sorted(corners.astype(np.float32), key=lambda p: float(p[0]))
    first, fourth = (0, 1) if pts[1][1] > pts[0][1] else (1, 0)
    second, third = (2, 3) if pts[3][1] > pts[2][1] else (3, 2)
    return np.array([pts[first], pts[second], pts[third], pts[fourth]], dtype=np.float32), min(w, h)


def _box_score(pred: np.ndarray, box: np.ndarray) -> float:
    """Mean probability inside ``box`` (rapidocr's box_score_fast; the polygon filled with Pillow)."""
    from PIL import Image, ImageDraw

    h, w = pred.shape
    x0 = int(np.clip(np.floor(box[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(box[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(box[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(box[:, 1].max()), 0, h - 1))
    shape = Image.new("L", (x1 - x0 + 1, y1 - y0 + 1), 0)
    polygon = (box - np.array([x0, y0], dtype=np.float32)).astype(np.int32)
    ImageDraw.Draw(shape).polygon([(int(x), int(y)) for x, y in polygon], fill=1, outline=1)
    inside = np.asarray(shape, dtype=bool)
    if not inside.any():
        return 0.0
    return float(pred[y0:y1 + 1, x0:x1 + 1][inside].mean())


def _unclip(box: np.ndarray) -> np.ndarray:
    """``box`` grown outwards by area × ratio / perimeter (pyclipper, round joins), as (n, 2) points."""
    import pyclipper

    x, y = box[:, 0].astype(np.float64), box[:, 1].astype(np.float64)
    area = abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2
    perimeter = float(np.hypot(np.diff(x, append=x[:1]), np.diff(y, append=y[:1])).sum())
    if perimeter == 0:
        return np.zeros((0, 2))
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    paths = offset.Execute(area * DET_UNCLIP_RATIO / perimeter)
    if not paths:
        return np.zeros((0, 2))
    return np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in paths])


def _clockwise(pts: np.ndarray) -> np.ndarray:
    """The four corners as top left, top right, bottom right, bottom left."""
    by_x = pts[np.argsort(pts[:, 0], kind="stable")]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1], kind="stable")]
    tr, br = right[np.argsort(right[:, 1], kind="stable")]
    return np.array([tl, tr, br, bl], dtype=np.float32)


def sorted_boxes(boxes: list[np.ndarray]) -> list[np.ndarray]:
    """Top to bottom, then left to right among boxes whose tops are within 10 px (rapidocr's order)."""
    ordered = sorted(boxes, key=lambda b: (float(b[0][1]), float(b[0][0])))
    for i in range(len(ordered) - 1):
        for j in range(i, -1, -1):
            if abs(ordered[j + 1][0][1] - ordered[j][0][1]) < 10 and ordered[j + 1][0][0] < ordered[j][0][0]:
                ordered[j], ordered[j + 1] = ordered[j + 1], ordered[j]
            else:
                break
    return ordered


# -------------------------------------------------------------------------------------------------- crops


def perspective_coefficients(source: np.ndarray, target: np.ndarray) -> tuple[float, ...]:
    """The eight coefficients of the projective map taking each of the four ``source`` points to the
    corresponding ``target`` point (OpenCV's getPerspectiveTransform, as Pillow's PERSPECTIVE data)."""
    rows, values = [], []
    for (x, y), (u, v) in zip(source.astype(np.float64), target.astype(np.float64), strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    return tuple(float(c) for c in np.linalg.solve(np.array(rows), np.array(values)))


def crop(page: Any, quad: np.ndarray) -> np.ndarray:
    """The line inside ``quad`` (corners clockwise from top left) of ``page`` (a PIL image), straightened
    (rapidocr's get_rotate_crop_image: perspective warp, bicubic), turned upright when it stands."""
    from PIL import Image

    width = max(1, int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3]))))
    height = max(1, int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2]))))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    # Pillow maps output to input and puts pixel centres at +0.5; OpenCV's corners are pixel indices.
    try:
        coefficients = perspective_coefficients(target + 0.5, quad.astype(np.float64) + 0.5)
    except np.linalg.LinAlgError:  # corners on one line: the quad's bounding box instead
        x0, y0 = quad.min(axis=0)
        coefficients = (1.0, 0.0, float(x0), 0.0, 1.0, float(y0), 0.0, 0.0)
    out = page.transform((width, height), Image.Transform.PERSPECTIVE, coefficients,
                         resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
    line = np.asarray(out)
    if line.shape[0] / line.shape[1] >= 1.5:
        line = np.rot90(line)
    return np.ascontiguousarray(line)


# ----------------------------------------------------------------------------------- orientation and text


def upside_down_votes(models: Models, lines: list[np.ndarray]) -> int:
    """How many of ``lines`` the classifier finds turned by 180° with a score above its threshold."""
    if not lines:
        return 0
    channels, height, width = CLS_SHAPE
    batch = np.zeros((len(lines), channels, height, width), dtype=np.float32)
    for n, line in enumerate(lines):
        w = min(width, math.ceil(height * line.shape[1] / line.shape[0]))
        batch[n, :, :, :w] = _normalised(resized(line, w, height))
    probs = _run(models.cls, batch)
    labels = probs.argmax(axis=1)
    return sum(1 for n, label in enumerate(labels) if "180" in CLS_LABELS[label] and probs[n, label] > CLS_THRESH)


def recognise_line(models: Models, line: np.ndarray, height: int) -> tuple[str, float]:
    """The text of one straightened line and its score (mean probability of the characters kept), read at
    ``height`` px (rapidocr's resize_norm_img with a batch of one, and its CTC decoding)."""
    ratio = line.shape[1] / line.shape[0]
    padded_width = int(height * max(REC_WIDTH / height, ratio))
    w = min(padded_width, math.ceil(height * ratio))
    batch = np.zeros((1, 3, height, padded_width), dtype=np.float32)
    batch[0, :, :, :w] = _normalised(resized(line, w, height))
    probs = _run(models.rec, batch)[0]
    return ctc_decode(probs, models.characters)


def ctc_decode(probs: np.ndarray, characters: list[str]) -> tuple[str, float]:
    """Greedy CTC: the best class at each step, repeats merged, blanks (index 0) dropped."""
    best = probs.argmax(axis=1)
    score = probs.max(axis=1)
    keep = np.ones(len(best), dtype=bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    text = "".join(characters[i] for i in best[keep])
    return text, float(score[keep].mean()) if keep.any() else 0.0
