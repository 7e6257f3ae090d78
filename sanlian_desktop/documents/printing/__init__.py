"""Printing services: the declaration form as PDF, its fonts and its QR code (no Qt, no database)."""

from sanlian_desktop.documents.printing.fonts import FontChoice, clear_font_cache, find_cjk_font
from sanlian_desktop.documents.printing.form import (
    PrintableDeclaration,
    PrintableOpinion,
    render_blank,
    render_declarations,
)
from sanlian_desktop.documents.printing.qr import parse_qr_payload, qr_payload

__all__ = [
    "FontChoice",
    "PrintableDeclaration",
    "PrintableOpinion",
    "clear_font_cache",
    "find_cjk_font",
    "parse_qr_payload",
    "qr_payload",
    "render_blank",
    "render_declarations",
]
