"""The opinion box keeps room for a seal; progress reports and cancelling a long print."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph

from sanlian_desktop.documents.printing import find_cjk_font, render_declarations
from sanlian_desktop.documents.printing._boxes import SEAL_ROOM, SealBox
from sanlian_desktop.documents.printing.layout import SEAL_BOX_HEIGHT, make_styles
from tests.documents.printing.helpers import make_declaration


def test_seal_room_under_any_opinion() -> None:
    st = make_styles(find_cjk_font().name)
    empty = SealBox([], font=st.font, size=st.body_size, min_height=SEAL_BOX_HEIGHT)
    assert empty.wrap(380, 10_000)[1] == pytest.approx(SEAL_BOX_HEIGHT)
    assert 35 * mm <= SEAL_BOX_HEIGHT

    body = [Paragraph("经审核，同意推荐。" * 12, st.body) for _ in range(3)]
    signer = ["审核人：赵敏"]
    box = SealBox(body, font=st.font, size=st.body_size, min_height=SEAL_BOX_HEIGHT, signer_lines=signer)
    height = box.wrap(380, 10_000)[1]
    text_height = sum(p.wrap(380, 10_000)[1] for p in body)
    assert height >= text_height + SEAL_ROOM


def test_progress_reports_each_declaration(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    decls = [make_declaration(number=f"2016-620102-{i:04d}") for i in range(3)]
    render_declarations(decls, tmp_path / "three.pdf", progress=lambda *step: seen.append(step))
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_cancel_from_progress_leaves_nothing(tmp_path: Path) -> None:
    class CancelledError(Exception):
        pass

    def progress(done: int, total: int) -> None:
        if done == 2:
            raise CancelledError

    out = tmp_path / "three.pdf"
    decls = [make_declaration(number=f"2016-620102-{i:04d}") for i in range(3)]
    with pytest.raises(CancelledError):
        render_declarations(decls, out, progress=progress)
    assert list(tmp_path.iterdir()) == []
