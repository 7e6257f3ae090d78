"""Page images from the files a county has: scans and photos (PNG, JPEG, TIFF, BMP) and PDFs of scans."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from sanlian_desktop.kernel.errors import UserError

MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_PAGES = 20
MAX_PIXELS = 60_000_000  # a 50-megapixel phone photo passes; a decompression bomb does not
# Pages are read at about 200 dpi: an A4 page is 2339 px tall. Larger photos are scaled down.
TARGET_LONG_SIDE = 2400
PDF_DPI = 200
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}


def _size_check(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserError(f"无法读取文件“{path.name}”：{exc.strerror}", f"cannot read {path}") from None
    if size > MAX_FILE_BYTES:
        raise UserError(
            f"文件“{path.name}”过大（{size / 1024 / 1024:.1f} MB），请使用不超过 {MAX_FILE_BYTES // 1024 // 1024} MB "
            "的扫描件或照片（扫描 150–300 dpi 即可；手机照片可在相册中压缩后再导入）",
            f"file too large: {size} bytes",
        )
    if size == 0:
        raise UserError(f"文件“{path.name}”是空的", "empty file")


def _normalised(img: Any) -> Any:
    """RGB on white, upright per EXIF, the long side at most ``TARGET_LONG_SIDE``."""
    from PIL import Image, ImageOps

    img = ImageOps.exif_transpose(img)
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    img = img.convert("RGB")
    long_side = max(img.size)
    if long_side > TARGET_LONG_SIDE:
        scale = TARGET_LONG_SIDE / long_side
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS)
    return img


def _open_image(path: Path) -> list[Any]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_PIXELS:
                raise UserError(
                    f"图片“{path.name}”像素过多（{img.width}×{img.height}），请缩小后再导入",
                    "image has too many pixels",
                )
            frames = []
            for index in range(min(getattr(img, "n_frames", 1), MAX_PAGES + 1)):
                img.seek(index)
                frames.append(_normalised(img.copy()))
    except UserError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise UserError(f"无法识别文件“{path.name}”：不是可读取的图片", f"not a readable image: {path}") from None
    return frames


def _pdf_pages(path: Path) -> list[Any]:
    from PIL import Image

    tool = shutil.which("pdftoppm")
    if tool is None:
        raise UserError("读取 PDF 需要 poppler-utils（pdftoppm）；请安装它，或把扫描件另存为图片后再导入",
                        "pdftoppm not found")
    with tempfile.TemporaryDirectory(prefix="sanlian-ocr-") as tmp:
        try:
            subprocess.run(
                [tool, "-r", str(PDF_DPI), "-png", "-l", str(MAX_PAGES + 1), str(path), str(Path(tmp) / "p")],
                check=True, capture_output=True, timeout=300,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            raise UserError(f"无法读取 PDF 文件“{path.name}”：文件损坏或已加密", f"cannot render PDF {path}") from None
        pages = []
        for png in sorted(Path(tmp).glob("p*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[-1])):
            with Image.open(png) as img:
                pages.append(_normalised(img.copy()))
    return pages


def load_pages(path: str | Path) -> list[Any]:
    """The pages of ``path`` as RGB PIL images, in order; a clear ``UserError`` for anything unreadable."""
    path = Path(path)
    _size_check(path)
    with path.open("rb") as fh:
        head = fh.read(5)
    if head == b"%PDF-":
        pages = _pdf_pages(path)
    elif path.suffix.lower() in IMAGE_SUFFIXES or head[:2] in (b"\xff\xd8", b"\x89P", b"II", b"MM", b"BM"):
        pages = _open_image(path)
    else:
        raise UserError(f"不支持的文件类型“{path.suffix or path.name}”：请选择扫描件图片（PNG、JPEG、TIFF）或 PDF",
                        f"unsupported file type {path.suffix}")
    if not pages:
        raise UserError(f"文件“{path.name}”中没有页面", "no pages")
    if len(pages) > MAX_PAGES:
        raise UserError(f"文件“{path.name}”超过 {MAX_PAGES} 页，一份申报表不会这么长；请只导入这一份的页面",
                        "too many pages")
    return pages


def is_blank(img: Any) -> bool:
    """Whether a page carries (almost) no ink: fewer than 0.2% dark pixels after a grey threshold."""
    grey = img.convert("L").resize((max(1, img.width // 4), max(1, img.height // 4)))
    hist = grey.histogram()
    dark = sum(hist[:128])
    return dark < 0.002 * grey.width * grey.height
