"""``sanlian decl read-scan FILE``: the fields read from a printed form's scan, with confidences; a draft
only with ``--create-draft``; bad input and a missing OCR component get a clear message and change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanlian_desktop.paperread import ocr_available
from tests.cli.test_cli import Cli, add_batch
from tests.paperread.helpers import known_fields, needs_ocr, print_pdf, rasterise


@pytest.fixture
def county(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    c = Cli(tmp_path / "county", capsys, monkeypatch)
    c.ok("init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin", user=None)
    c.ok("user", "add", "clerk", "--role", "clerk")
    add_batch(c)
    return c


def _declarations(c: Cli) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = c.json("decl", "list", "--limit", "0")["items"]
    return listed


@needs_ocr
@pytest.mark.slow
def test_the_fields_are_listed_and_a_draft_made_only_when_asked(county: Cli, tmp_path: Path) -> None:
    fields = known_fields(21)
    pdf = print_pdf(fields, tmp_path / "申报表.pdf")
    page = rasterise(pdf, 200, last=1)[0]
    scan = tmp_path / "scan.png"
    page.save(scan)

    out = tmp_path / "draft.json"
    read = county.json("decl", "read-scan", str(scan), "--out", str(out), user="clerk")
    assert read["draft"] is None and _declarations(county) == []
    written = json.loads(out.read_text("utf-8"))
    assert written["title"] == fields["title"] and written["community"] is None  # 东岗西路社区 is no official name
    by_path = {f["path"]: f for f in read["fields"]}
    assert by_path["title"]["value"] == fields["title"] and by_path["title"]["label"] == "项目名称"
    assert all(0 < f["confidence"] <= 1 for f in read["fields"] if f["value"] not in (None, "", []))
    assert read["unit_names"]["community"] == "东岗西路社区"

    text = county.ok("decl", "read-scan", str(scan), "--create-draft", "--community", "620102001001", user="clerk")
    assert "项目名称" in text and fields["title"][:10] in text and "%" in text and "已新建申报草稿" in text
    [held] = _declarations(county)
    assert held["title"] == fields["title"] and str(held["number"]) in text
    attachments = county.json("decl", "attachments", str(held["id"]), user="clerk")
    assert [(a["kind"], a["name"]) for a in attachments] == [("scan", "scan.png")]


def test_bad_input_gets_a_clear_message_and_nothing_is_made(county: Cli, tmp_path: Path) -> None:
    from PIL import Image

    if not ocr_available():  # without it, every file gets the message saying where to get OCR
        pytest.skip("OCR extra not installed")
    not_an_image = tmp_path / "scan.png"
    not_an_image.write_bytes(b"not a picture at all")
    big = tmp_path / "photo.jpg"
    with big.open("wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0")
        fh.truncate(50 * 1024 * 1024)
    blank = tmp_path / "blank.png"
    Image.new("RGB", (1240, 1754), "white").save(blank)
    for path, says in ((not_an_image, "scan.png"), (big, "过大"), (blank, "空白"),
                       (tmp_path / "missing.png", "无法读取")):
        message = county.refused("decl", "read-scan", str(path), "--create-draft", user="clerk")
        assert says in message and "Traceback" not in message, message
    assert _declarations(county) == []
    assert "--create-draft" in county.refused("decl", "read-scan", str(blank), "--community", "620102001001",
                                              user="clerk")


def test_without_the_ocr_component_the_message_says_how_to_get_it(county: Cli, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from sanlian_desktop import paperread

    monkeypatch.setattr(paperread, "ocr_available", lambda: False)
    scan = tmp_path / "scan.png"
    scan.write_bytes(b"\x89PNG")
    message = county.refused("decl", "read-scan", str(scan), user="clerk")
    assert "识别" in message and "pip install" in message and "OCR component is not installed" in message
    assert _declarations(county) == []


def test_the_community_printed_on_the_form_is_found_in_the_office(county: Cli) -> None:
    from sanlian_desktop.paperread.drafting import community_named
    from sanlian_desktop.store.engine import Store

    store = Store.open(county.home)
    try:
        with store.read_session() as s:
            # The official tree's names (a county's store holds them from the start), full or short.
            for name in ("桃树坪社区", "桃树坪社区居委会"):
                assert community_named(s, "620102", {"community": name, "street": "东岗街道"}) == "620102015001"
            assert community_named(s, "620102", {"community": "桃树坪社区", "street": "拱星墩街道"}) is None
            assert community_named(s, "620102", {"community": "东岗西路社区", "street": "东岗街道"}) is None
            assert community_named(s, "620102", {"community": "", "street": "东岗街道"}) is None
    finally:
        store.close()
