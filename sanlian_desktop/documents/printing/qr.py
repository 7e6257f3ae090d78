"""The QR code printed on every page: a compact reference back to the declaration's stored version."""

from __future__ import annotations

import itertools
import re

from reportlab.graphics.barcode import qrencoder
from reportlab.pdfgen.canvas import Canvas

from sanlian_desktop.kernel.errors import UserError

QR_PREFIX = "SL1"
HASH_PREFIX_LEN = 16
QUIET_ZONE = 2  # modules of white around the code; scanners cope with 2 on white paper
# Declaration numbers: anything without the separator or spaces, so the numbering scheme can evolve.
_NUMBER_RE = re.compile(r"[^|\s]{1,64}")
_HASH_RE = re.compile(r"[0-9a-f]{16}")


def qr_payload(number: str, version: int, content_hash: str) -> str:
    """``SL1|<number>|<version>|<first 16 hex of the content hash>`` for the page's QR code.

    Raises ``UserError`` if a part cannot be carried (separator or space in the number, version
    below 1, fewer than 16 hex digits of hash).
    """
    # Tolerate an algorithm tag ("sha256:…") in front of the hex digest.
    prefix = content_hash.strip().lower().rpartition(":")[2][:HASH_PREFIX_LEN]
    if not _NUMBER_RE.fullmatch(number):
        raise UserError(f"申报编号“{number}”无法写入二维码", f"declaration number {number!r} is not QR-safe")
    if version < 1:
        raise UserError(f"版本号 {version} 无效，应为正整数", f"version {version} must be a positive integer")
    if not _HASH_RE.fullmatch(prefix):
        raise UserError("内容摘要应为至少 16 位十六进制数字", "content hash must start with 16 hex digits")
    return f"{QR_PREFIX}|{number}|{version}|{prefix}"


def parse_qr_payload(text: str) -> tuple[str, int, str]:
    """Read a scanned payload back into ``(number, version, hash_prefix)``.

    Raises ``UserError`` for anything that is not a payload written by ``qr_payload``.
    """
    parts = text.strip().split("|")
    if len(parts) != 4 or parts[0] != QR_PREFIX:
        raise UserError(
            "二维码内容不是本系统打印的申报表标识",
            f"QR payload is not a {QR_PREFIX} declaration reference: {text[:60]!r}",
        )
    _, number, version_text, prefix = parts
    if not _NUMBER_RE.fullmatch(number):
        raise UserError("二维码中的申报编号格式不正确", f"malformed declaration number in QR: {number!r}")
    if not version_text.isascii() or not version_text.isdigit() or int(version_text) < 1:
        raise UserError("二维码中的版本号格式不正确", f"malformed version in QR payload: {version_text!r}")
    if not _HASH_RE.fullmatch(prefix):
        raise UserError("二维码中的内容摘要格式不正确", f"malformed hash prefix in QR payload: {prefix!r}")
    return number, int(version_text), prefix


def qr_modules(payload: str) -> list[list[bool]]:
    """The QR code's dark modules, row by row from the top (error correction level M)."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    code.make()
    return [[bool(m) for m in row] for row in code.modules]


def draw_qr(canvas: Canvas, modules: list[list[bool]], x: float, y: float, size: float) -> None:
    """Draw a QR code with its lower-left corner at (x, y), ``size`` points square incl. quiet zone.

    The modules come from the encoder behind reportlab's ``QrCodeWidget``; they are drawn as one
    path of row runs because the widget builds a shape object per module (≈ 35 ms a code).
    """
    count = len(modules)
    box = size / (count + 2 * QUIET_ZONE)
    path = canvas.beginPath()
    for r, row in enumerate(modules):
        top = y + size - (r + QUIET_ZONE + 1) * box
        c = 0
        for dark, run in itertools.groupby(row):
            n = len(list(run))
            if dark:
                path.rect(x + (c + QUIET_ZONE) * box, top, n * box, box)
            c += n
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
