"""``--smoke``: prove a built bundle works end to end, offscreen, in a throw-away store.

It initialises a county office with demo data, takes the instance lock, builds the real main window
(``sanlian_desktop.ui.mainwindow.MainWindow``, constructed as ``ui/app.py`` does), prints one
declaration to PDF, opens it in the print preview and renders its first page (QtPdf), checks Qt's
Chinese locale data (collation, codecs, zone names), writes an Excel file, computes the indicators and
exports them (Excel, and a PDF with charts), backs up and checks the store. The OCR step says whether the
OCR add-on is there (without it, that the message names where to get it); ``--smoke --ocr`` demands the
add-on and reads the printed declaration back from its pages (rendered by QtPdf), field by field.
Each step prints a line; any failure prints the traceback and makes the exit code 1. A missing
main window is a failure, never skipped: a bundle without its window is not a program.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

PASSWORD = "smoke-test-password-1"


def run(keep: bool = False, ocr: bool = False) -> int:
    """Run every step; 0 when all passed. ``ocr``: the OCR add-on must be there and read the printed form."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from sanlian_desktop import app

    app.compose_cli()
    app.compose_gui()
    work = Path(tempfile.mkdtemp(prefix="sanlian-smoke-"))
    state: dict[str, Any] = {"home": work / "home", "require_ocr": ocr}
    steps: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("store", _store), ("lock", _lock), ("window", _window), ("pdf", _pdf), ("preview", _preview),
        ("locale", _locale), ("excel", _excel),
        ("indicators", _indicators), ("similar", _similar), ("backup", _backup), ("check", _check), ("worker", _worker),
        ("ocr", _ocr),
    ]
    print(f"smoke: {sys.executable} (frozen={getattr(sys, 'frozen', False)}), work folder {work}", flush=True)
    code = 0
    try:
        for name, step in steps:
            start = time.perf_counter()
            try:
                said = step(state)
            except BaseException:
                print(f"FAIL {name}", flush=True)
                traceback.print_exc()
                code = 1
                break
            print(f"ok   {name:10s} {time.perf_counter() - start:6.2f} s  {said}", flush=True)
    finally:
        for closer in reversed(state.get("closers", [])):
            try:
                closer()
            except Exception:
                traceback.print_exc()
        if not keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    print("smoke: passed" if code == 0 else "smoke: FAILED", flush=True)
    return code


def _store(state: dict[str, Any]) -> str:
    from sanlian_desktop.demo import generate as demo
    from sanlian_desktop.kernel.vocab import Level
    from sanlian_desktop.offices import auth
    from sanlian_desktop.offices.office import init_office

    store = init_office(state["home"], level=Level.COUNTY, region_code="620102", name="城关区民政局",
                        admin="admin", admin_password=PASSWORD)
    state.setdefault("closers", []).append(store.close)
    with store.session() as session:
        actor = auth.sign_in(session, "admin", PASSWORD)
    counts = demo.generate(store, actor, count=20)
    state.update(store=store, actor=actor)
    return f"county office 620102 with demo data {counts}"


def _lock(state: dict[str, Any]) -> str:
    from sanlian_desktop.kernel.errors import UserError
    from sanlian_desktop.store import instance

    lock = instance.acquire(state["store"].paths)
    state["closers"].append(lock.release)
    try:
        instance.acquire(state["store"].paths).release()
    except UserError:
        return f"held {lock.path}; a second acquire is refused"
    raise AssertionError("a second instance lock was granted")


def _own_module(name: str) -> Any:
    """Import ``name`` from this very package, or None when this build lacks it.

    An editable install of another checkout can supply a submodule this checkout does not have; that
    would make the smoke test pass on code it is not testing, so it counts as missing.
    """
    import importlib

    import sanlian_desktop

    package = Path(sanlian_desktop.__file__).resolve().parent
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise
    where = Path(getattr(module, "__file__", "") or "").resolve()
    return module if package in where.parents else None


def _window(state: dict[str, Any]) -> str:
    # A bundle (or branch) without the main window fails here, loudly.
    if _own_module("sanlian_desktop.ui.mainwindow") is None:
        raise ModuleNotFoundError("this build has no main window (sanlian_desktop.ui.mainwindow)",
                                  name="sanlian_desktop.ui.mainwindow")
    from PySide6.QtCore import QSettings

    from sanlian_desktop.ui.app import make_application
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.jobs import JobRunner
    from sanlian_desktop.ui.mainwindow import MainWindow

    app = make_application([])
    settings = QSettings(str(state["home"] / "smoke-settings.ini"), QSettings.Format.IniFormat)
    jobs = JobRunner(app)
    window = MainWindow(UiContext(store=state["store"], actor=state["actor"], settings=settings, jobs=jobs))
    window.show()
    app.processEvents()
    # Pages are built on first view; build each now so that a module missing from the bundle shows.
    keys = list(window.page_keys()) if hasattr(window, "page_keys") else []
    for key in keys:
        window.show_page(key)
        app.processEvents()
    title = window.windowTitle()
    window.close()
    app.processEvents()
    jobs.cancel_all()
    jobs.wait(10_000)
    window.deleteLater()
    app.processEvents()
    return f"main window '{title}', pages built: {', '.join(keys) or 'none'} ({app.platformName()})"


def _pdf(state: dict[str, Any]) -> str:
    from sanlian_desktop.declarations import listing, paper

    out = state["home"] / "smoke.pdf"
    with state["store"].read_session() as session:
        first = session.scalars(listing.list_query(state["actor"])).first()
        if first is None:
            raise AssertionError("demo data made no declaration")
        warnings = paper.print_declarations(session, state["actor"], out, keys=[first.id])
    head = out.read_bytes()[:5]
    if head != b"%PDF-":
        raise AssertionError(f"not a PDF: {head!r}")
    state["pdf"], state["printed"] = out, first.id
    return f"{out.name} {out.stat().st_size} bytes" + (f"; {'; '.join(warnings)}" if warnings else "")


def _preview(state: dict[str, Any]) -> str:
    # The print preview needs QtPdf (pdfium) and its libraries; a trimmed bundle that lost them fails here.
    preview = _own_module("sanlian_desktop.ui.paper.preview")
    if preview is None:
        raise ModuleNotFoundError("this build has no print preview (sanlian_desktop.ui.paper.preview)",
                                  name="sanlian_desktop.ui.paper.preview")
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        raise AssertionError("no application: the window step did not run")
    settings = QSettings(str(state["home"] / "smoke-settings.ini"), QSettings.Format.IniFormat)
    window = preview.PrintPreview(state["pdf"], None, "smoke", [], settings)
    window.show()
    app.processEvents()
    pages = window.page_count()
    gray = preview.page_image(window.document, 0, 36).convertToFormat(QImage.Format.Format_Grayscale8)
    window.close()
    app.processEvents()
    data, line = bytes(gray.constBits()), gray.bytesPerLine()
    width, height = gray.width(), gray.height()
    inked = sum(1 for y in range(height) for value in data[y * line:y * line + width] if value < 128)
    if pages < 1 or inked < 0.005 * width * height:
        raise AssertionError(f"preview rendered {pages} pages, page 1 has {inked} dark pixels of {width}x{height}")
    return f"{pages} page(s); page 1 rendered {width}x{height} with {inked} dark pixels (QtPdf)"


def _locale(state: dict[str, Any]) -> str:
    # The Linux bundle carries Qt's ICU with only the Chinese, English and root locales (scripts/icu_trim.py);
    # pinyin collation (the file dialogs sort with it), the Chinese codecs and zone names must survive.
    from PySide6.QtCore import QCollator, QLocale, QStringDecoder, QTimeZone

    china = QLocale(QLocale.Language.Chinese, QLocale.Country.China)
    order = sorted(["郑州", "兰州", "北京", "甘肃", "安徽"], key=QCollator(china).sortKey)
    codecs = [name for name in ("GB18030", "GBK", "Big5") if QStringDecoder(name).isValid()]
    zone = QTimeZone(b"Asia/Shanghai")
    zone_name = zone.displayName(QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName, china) \
        if zone.isValid() else "(no time zone data)"
    said = f"collation {''.join(name[0] for name in order)}, codecs {', '.join(codecs)}, {zone_name}"
    # Windows sorts and names zones with its own services; only Qt's ICU on Linux is checked strictly.
    if sys.platform.startswith("linux") and (
            order != ["安徽", "北京", "甘肃", "兰州", "郑州"] or len(codecs) != 3
            or (zone.isValid() and zone_name != "中国标准时间")):
        raise AssertionError(f"Qt's ICU lost Chinese data: {said}")
    return said


def _indicators(state: dict[str, Any]) -> str:
    from sanlian_desktop.indicators import service as indicators

    with state["store"].read_session() as session:
        report = indicators.compute(session, "620102")
    county = report.region("620102")
    if not county.communities or len(county.targets) < 8:
        raise AssertionError(f"indicators incomplete: {county}")
    met = sum(1 for t in county.targets if t.met)
    said = f"{len(report.regions)} regions, {county.communities} communities, {met}/{len(county.targets)} targets met"
    indicatorfiles = _own_module("sanlian_desktop.indicators.files")
    if indicatorfiles is None:
        return said
    # The exports: the PDF's charts need reportlab.graphics inside the bundle.
    from openpyxl import load_workbook

    xlsx = indicatorfiles.write_xlsx(report, state["home"] / "smoke-indicators.xlsx")
    sheets = load_workbook(xlsx, read_only=True).sheetnames
    pdf = state["home"] / "smoke-indicators.pdf"
    warnings = indicatorfiles.write_pdf(report, pdf)
    head = pdf.read_bytes()[:5]
    if head != b"%PDF-" or len(sheets) < 8:
        raise AssertionError(f"indicator exports incomplete: {head!r}, sheets {sheets}")
    return f"{said}; exports {len(sheets)} sheets, PDF {pdf.stat().st_size} bytes" + (
        f" ({warnings[0]})" if warnings else "")


def _excel(state: dict[str, Any]) -> str:
    from openpyxl import Workbook, load_workbook

    sheets = _own_module("sanlian_desktop.declarations.workbooks")
    if sheets is not None:
        out = state["home"] / "smoke-ledger.xlsx"
        with state["store"].read_session() as session:
            written = sheets.export_ledger(session, state["actor"], out)
        names = load_workbook(out, read_only=True).sheetnames
        return f"ledger {out.name}: {written} declarations, sheets {names}"

    from sanlian_desktop.declarations import listing
    from sanlian_desktop.kernel.fileio import atomic_write

    out = state["home"] / "smoke.xlsx"
    book = Workbook(write_only=True)
    sheet = book.create_sheet("申报")
    sheet.append(["编号", "项目名称", "状态"])
    with state["store"].read_session() as session:
        rows = list(session.scalars(listing.list_query(state["actor"])))
        for decl in rows:
            sheet.append([decl.number, decl.title, decl.status])
    with atomic_write(out) as fh:
        book.save(fh)
    back = load_workbook(out, read_only=True)
    count = sum(1 for _ in back["申报"].iter_rows(values_only=True))
    back.close()
    if count != len(rows) + 1:
        raise AssertionError(f"wrote {len(rows) + 1} rows, read back {count}")
    return f"{out.name} with {count} rows (header and {len(rows)} declarations; no ledger service in this build)"


def _backup(state: dict[str, Any]) -> str:
    from sanlian_desktop.store import backup

    path, info = backup.take_checked(state["store"], reason="manual", out=state["home"] / "smoke-backup.zip")
    return f"{path.name} {path.stat().st_size} bytes, schema {info.schema_revision}"


def _check(state: dict[str, Any]) -> str:
    from sanlian_desktop.store import health

    report = health.check(state["store"])
    if not report.ok:
        raise AssertionError("; ".join(report.lines()))
    return f"integrity ok, {report.audit_entries} audit entries"


def _worker(_state: dict[str, Any]) -> str:
    # A large import verifies statements in a second process: this executable started again ("spawn").
    from sanlian_desktop.sync.trust.ahead import probe

    return f"the verifying worker started, answered and ended in {probe():.1f} s"


def _similar(state: dict[str, Any]) -> str:
    # Near-duplicate screening's computing half (numpy, rapidfuzz) as the bundle carries it: the Linux bundle's
    # numpy is built without OpenBLAS and rapidfuzz has no C++ distance metrics (build.spec). On Windows numpy
    # comes with the OCR component (installed by default): with it screening must work, without it it is absent.
    from sqlalchemy import select

    from sanlian_desktop.models import Declaration
    from sanlian_desktop.screening import available, service

    if not available():
        if sys.platform == "win32" and importlib.util.find_spec("numpy") is None:
            return "not in this Windows installation (numpy comes with the OCR component, not installed)"
        raise AssertionError("near-duplicate screening cannot load numpy and rapidfuzz")
    with state["store"].session() as session:
        screened = service.refresh(session)
        ids = list(session.scalars(select(Declaration.id)))
        limit = service.threshold(session)
        scores = service.best_scores(session, ids, minimum=0)
    if screened != len(ids):
        raise AssertionError(f"screened {screened} of {len(ids)} declarations")
    similar = sum(1 for value in scores.values() if value >= limit)
    # The scoring itself (rapidfuzz's cdist, numpy's reductions) on a copy and on another text.
    from sanlian_desktop.screening import score

    copy = ["入户调查居民表示缺少日常照料和陪伴", "每月开展小组活动对高风险对象开展个案跟进"]
    other = ["组织青少年课后辅导提升学习兴趣", "联合辖区单位链接资源形成长效服务机制"]
    got = score.scores(copy, [copy, other, copy[::-1]])
    if got[0] != 100 or got[2] != 100 or got[1] >= score.PASSAGE_FLOOR:
        raise AssertionError(f"scores of a copy, another text and a reordered copy: {got}")
    return (f"{screened} declarations screened ({len(scores)} with a scored pair, {similar} at {limit} % or more); "
            f"a copy scores {got[0]}, another text {got[1]}")


# Of the printed declaration's fields, at least this share must read back exactly (bench/bench_ocr.py's goal
# on clean pages is 95 %); every amount must.
OCR_SMOKE_RATE = 0.9


def _ocr(state: dict[str, Any]) -> str:
    from sanlian_desktop.paperread import OCR_HELP, addon, ocr_available

    if not ocr_available():
        if state["require_ocr"]:
            raise AssertionError(f"--ocr: the OCR add-on is not installed (looked for {addon.folder()})")
        for needed in (addon.DEB_PACKAGE, addon.WINDOWS_COMPONENT, "pip install"):
            if needed not in OCR_HELP:
                raise AssertionError(f"the message without OCR does not name {needed!r}: {OCR_HELP}")
        return f"add-on not installed ({addon.folder()}); the form says where to get it"
    if not state["require_ocr"]:
        return "available (--smoke --ocr reads a printed page)"
    from PIL import Image
    from PySide6.QtCore import QObject, QSize
    from PySide6.QtPdf import QPdfDocument

    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.declarations.fields import flatten, normalise
    from sanlian_desktop.models import Declaration
    from sanlian_desktop.paperread import read

    owner = QObject()
    document = QPdfDocument(owner)
    document.load(str(state["pdf"]))
    images = []
    for page in range(document.pageCount()):
        points = document.pagePointSize(page)
        dpi = 200
        image = document.render(page, QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72)))
        png = state["home"] / f"smoke-scan-{page + 1}.png"
        if not image.save(str(png)):
            raise AssertionError(f"QtPdf's page {page + 1} could not be saved as {png}")
        with Image.open(png) as rendered:
            rgba = rendered.convert("RGBA")  # QtPdf leaves the paper transparent: put it on white
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        images.append(paper)
    document.close()
    start = time.perf_counter()
    proposal = read.read_pages(images)
    seconds = time.perf_counter() - start
    with state["store"].read_session() as session:
        decl = session.get(Declaration, state["printed"])
        if decl is None:
            raise AssertionError("the printed declaration is gone")
        want = flatten(lookup.current_fields(session, decl))
    got = flatten(normalise({**proposal.fields, "community": want.get("community"), "batch": want.get("batch")},
                            for_submit=False).fields)
    compared = [key for key, value in want.items() if key not in ("batch", "community") and value]
    misses = [f"{key}: {want[key]!r} read as {got.get(key)!r}" for key in compared if got.get(key) != want[key]]
    amounts = [key for key in compared if key in ("budget_total", "subsidy_requested", "funding_sources")]
    rate = 1 - len(misses) / max(1, len(compared))
    if rate < OCR_SMOKE_RATE or any(m.split(":")[0] in amounts for m in misses):
        raise AssertionError(f"read {rate:.0%} of {len(compared)} fields exactly: " + "; ".join(misses[:8]))
    return (f"{len(images)} page(s) read in {seconds:.1f} s: {len(compared) - len(misses)} of {len(compared)} "
            f"fields exact, amounts exact ({addon.folder() if getattr(sys, 'frozen', False) else 'extra'})")
