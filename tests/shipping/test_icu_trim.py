"""scripts/icu_trim.py: the Linux bundle's ICU data keeps Chinese, English and root, and Qt still works on it."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("icu_trim", ROOT / "scripts" / "icu_trim.py")
assert _spec is not None and _spec.loader is not None
icu_trim = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(icu_trim)


def _qt_icu_data() -> Path | None:
    import PySide6

    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    return found[0] if found else None


needs_toolchain = pytest.mark.skipif(
    not sys.platform.startswith("linux") or _qt_icu_data() is None
    or not all(shutil.which(tool) for tool in ("readelf", "as", "ld")),
    reason="Qt's own ICU and binutils exist only in a Linux build environment")


@pytest.mark.parametrize(("item", "kept"), [
    ("icudt73l/coll/zh.res", True),
    ("icudt73l/coll/root.res", True),
    ("icudt73l/coll/ucadata.icu", True),
    ("icudt73l/zone/zh_Hans_CN.res", True),
    ("icudt73l/en_US_POSIX.res", True),
    ("icudt73l/root.res", True),
    ("icudt73l/res_index.res", True),
    ("icudt73l/lang/pool.res", True),
    ("icudt73l/supplementalData.res", True),
    ("icudt73l/zoneinfo64.res", True),
    ("icudt73l/nfkc.nrm", True),
    ("icudt73l/brkitr/cjdict.dict", True),
    ("icudt73l/brkitr/line.brk", True),
    ("icudt73l/gb18030.cnv", True),
    ("icudt73l/cnvalias.icu", True),
    ("icudt73l/coll/ja.res", False),
    ("icudt73l/de.res", False),
    ("icudt73l/zone/zh_Hant_TW.res", False),
    ("icudt73l/translit/el.res", False),
    ("icudt73l/brkitr/thaidict.dict", False),
    ("icudt73l/ibm-943_P15A-2003.cnv", False),
])
def test_what_stays(item: str, kept: bool) -> None:
    assert icu_trim.keep(item) is kept


def test_a_converter_keeps_the_base_table_it_extends() -> None:
    gbk = b"\x10\x00windows-936-2000\x00extends ibm-1386_P100-2001\x00"
    items = [("icudt73l/ibm-1386_P100-2001.cnv", b"base" * 4), ("icudt73l/ibm-37_P100-1995.cnv", b"x" * 16),
             ("icudt73l/windows-936-2000.cnv", gbk + b"\0" * (-len(gbk) % 16)), ("icudt73l/zh.res", b"z" * 16)]
    assert [name for name, _ in icu_trim.select(items)] == [
        "icudt73l/ibm-1386_P100-2001.cnv", "icudt73l/windows-936-2000.cnv", "icudt73l/zh.res"]


def test_a_package_that_is_not_icu_data_is_refused() -> None:
    with pytest.raises(ValueError, match="not an ICU"):
        icu_trim.split_package(b"\x20\x00\xda\x28" + b"\0" * 60)


@needs_toolchain
def test_the_package_splits_and_joins_back_byte_for_byte() -> None:
    library = _qt_icu_data()
    assert library is not None
    _soname, symbol, data = icu_trim.read_library(library)
    header, items = icu_trim.split_package(data)
    assert symbol.startswith("icudt") and len(items) > 3000
    assert icu_trim.join_package(header, items) == data


PROBE = r"""
import json
from PySide6.QtCore import QCollator, QLocale, QStringDecoder, QTimeZone
china = QLocale(QLocale.Language.Chinese, QLocale.Country.China)
numeric = QCollator(china)
numeric.setNumericMode(True)
zone = QTimeZone(b"Asia/Shanghai")
loaded = [line.split()[-1] for line in open("/proc/self/maps") if "libicudata" in line]
print(json.dumps({
    "loaded": sorted(set(loaded)),
    "pinyin": sorted(["郑州", "兰州", "北京", "甘肃", "安徽", "七里河区", "城关区"], key=QCollator(china).sortKey),
    "numeric": sorted(["第10号", "第9号", "第100号"], key=numeric.sortKey),
    "upper_tr": QLocale(QLocale.Language.Turkish).toUpper("istanbul"),
    "codecs": {name: QStringDecoder(name).isValid() for name in ("GB18030", "GBK", "GB2312", "Big5", "windows-1252",
                                                                 "Shift_JIS", "EUC-KR")},
    "zone_zh": zone.displayName(QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName, china),
    "zone_en": zone.displayName(QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName,
                                QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)),
    "zone_valid": zone.isValid(),
}, ensure_ascii=False))
"""


def _probe(library_dir: Path | None) -> dict[str, object]:
    env = dict(os.environ)
    if library_dir is not None:
        # LD_LIBRARY_PATH wins over the $ORIGIN run path of Qt's libraries.
        env["LD_LIBRARY_PATH"] = str(library_dir)
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120,
                          check=True)
    return dict(json.loads(proc.stdout))


@needs_toolchain
def test_qt_on_the_trimmed_data_sorts_names_and_codes_chinese_as_before(tmp_path: Path) -> None:
    library = _qt_icu_data()
    assert library is not None
    trimmed = tmp_path / library.name
    before, after, dropped = icu_trim.trim(library, trimmed)
    assert after < before / 10 and "icudt73l/coll/ja.res" in dropped
    assert trimmed.stat().st_size < library.stat().st_size / 3

    full, cut = _probe(None), _probe(tmp_path)
    assert cut["loaded"] == [str(trimmed)] and full["loaded"] == [str(library.resolve())]
    assert cut["pinyin"] == ["安徽", "北京", "城关区", "甘肃", "兰州", "七里河区", "郑州"] == full["pinyin"]
    assert cut["numeric"] == ["第9号", "第10号", "第100号"] == full["numeric"]
    assert cut["upper_tr"] == full["upper_tr"] == "İSTANBUL"
    codecs = cut["codecs"]
    assert isinstance(codecs, dict)
    assert all(codecs[name] for name in ("GB18030", "GBK", "GB2312", "Big5", "windows-1252"))
    assert not codecs["Shift_JIS"] and not codecs["EUC-KR"]
    if full["zone_valid"]:
        assert cut["zone_zh"] == full["zone_zh"] == "中国标准时间"
        assert cut["zone_en"] == full["zone_en"] == "China Standard Time"
