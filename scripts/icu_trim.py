"""Trim the ICU data library that PySide6's Qt carries on Linux (libicudataNN.so, 32 MB) to what the
program can use: Chinese, English and the root locale.

QtCore is the only user of ICU in the bundle. It calls ICU for collation (QCollator, the file dialog's
sorting), locale-aware case mapping, time-zone display names and text codecs by name (QStringConverter).
Those read locale data, converter tables and the core tables (normalisation, properties, time zones).
This keeps, from ICU's data package:

- every kind of data (collation, zone, language and region names, currencies, units, number spell-out,
  transliteration, break rules), but only for the locales ``KEEP_LOCALES`` and the root locale, which
  every other locale falls back to;
- the break-iterator dictionary for Chinese and Japanese (cjdict); not those for Thai, Lao, Khmer, Burmese;
- the converters for Chinese (GB 18030, GBK, GB 2312, Big5) and Windows-1252, with the base tables they
  extend; the others (EBCDIC, Mac, Japanese, Korean code pages) go, so QStringDecoder reports them
  invalid (UTF-8/16/32, Latin-1 and ASCII are built into Qt and ICU and need no table);
- everything that is not per locale: time zones, likely subtags, plural rules, normalisation, ...

The result is a new ``libicudataNN.so`` with the same soname and the same exported symbol
(``icudtNN_dat``), assembled from the filtered package with binutils' ``as`` and ``ld`` (PyInstaller needs
binutils on Linux anyway). ``python scripts/icu_trim.py LIB OUT`` does it by hand and prints the sizes.

The package format (ICU's "common data", ``CmnD``): a data header, then a table of contents — a count and
(name offset, data offset) pairs relative to the table, names sorted — then the names, then the items,
each aligned to 16 bytes.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

KEEP_LOCALES = frozenset({"root", "en", "en_US", "en_US_POSIX", "zh", "zh_CN", "zh_Hans", "zh_Hans_CN"})
KEEP_DICTIONARIES = frozenset({"cjdict.dict"})
KEEP_CONVERTERS = frozenset({
    "gb18030.cnv",  # GB 18030
    "windows-936-2000.cnv",  # GBK
    "ibm-1383_P110-1999.cnv",  # EUC-CN (GB 2312)
    "ibm-5478_P100-1995.cnv",  # GB_2312-80
    "windows-950-2000.cnv",  # Big5
    "ibm-5348_P100-1997.cnv",  # Windows-1252
})
# A resource bundle named for a locale: "zh", "zh_Hans_CN", "en_US_POSIX", "root". Other bundles
# ("supplementalData", "metaZones", "pool", "res_index", ...) are not per locale and stay.
_LOCALE_BUNDLE = re.compile(r"^(root|[a-z]{2,3}(_[A-Za-z0-9]+)*)\.res$")
_NOT_LOCALES = frozenset({"res_index.res", "pool.res"})
_ALIGN = 16
_PAD = b"\xaa"  # what ICU's own packager fills alignment gaps with


def keep(item: str) -> bool:
    """Whether an item of the package (``icudt73l/coll/zh.res``) stays."""
    parts = item.split("/")
    name = parts[-1]
    if name.endswith(".cnv"):
        return name in KEEP_CONVERTERS
    if name.endswith(".dict"):
        return name in KEEP_DICTIONARIES
    if name in _NOT_LOCALES or not _LOCALE_BUNDLE.match(name):
        return True
    return name.removesuffix(".res") in KEEP_LOCALES


def split_package(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A common-data package as (its data header, [(item name, item bytes), ...]) in table order."""
    header_size, magic1, magic2 = struct.unpack_from("<HBB", data, 0)
    if (magic1, magic2) != (0xDA, 0x27) or data[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package")
    if data[8] != 0:
        raise ValueError("only little-endian ICU data is handled")
    count = struct.unpack_from("<I", data, header_size)[0]
    table = [struct.unpack_from("<II", data, header_size + 4 + 8 * i) for i in range(count)]
    end = len(data) - header_size
    items = []
    for i, (name_offset, data_offset) in enumerate(table):
        start = header_size + name_offset
        name = data[start:data.index(b"\0", start)].decode("ascii")
        stop = table[i + 1][1] if i + 1 < count else end
        items.append((name, data[header_size + data_offset:header_size + stop]))
    return data[:header_size], items


def join_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """The inverse of ``split_package`` (byte for byte): items keep their order, aligned to 16 bytes."""
    count = len(items)
    names = [name.encode("ascii") + b"\0" for name, _ in items]
    blobs = [blob + _PAD * (-len(blob) % _ALIGN) for _, blob in items]
    toc_size = 4 + 8 * count + sum(map(len, names))
    pad = -(len(header) + toc_size) % _ALIGN
    table, name_at, data_at = [struct.pack("<I", count)], 4 + 8 * count, toc_size + pad
    for name, blob in zip(names, blobs, strict=True):
        table.append(struct.pack("<II", name_at, data_at))
        name_at += len(name)
        data_at += len(blob)
    return b"".join([header, *table, *names, _PAD * pad, *blobs])


def read_library(path: Path) -> tuple[str, str, bytes]:
    """(soname, data symbol, package bytes) of an ICU data library, read with readelf."""
    soname = re.search(r"\(SONAME\).*\[(.+?)\]", _run("readelf", "-dW", str(path)))
    symbols = re.findall(r"^\s*\d+:\s+([0-9a-f]+)\s+(\S+)\s+OBJECT\s+GLOBAL\s+\S+\s+(\d+)\s+(icudt\d+_dat)\s*$",
                         _run("readelf", "-sW", "--dyn-syms", str(path)), re.MULTILINE)
    if soname is None or not symbols:
        raise ValueError(f"{path} is not an ICU data library")
    address, size, section, symbol = symbols[0]
    sections = re.findall(r"^\s*\[\s*(\d+)\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s",
                          _run("readelf", "-SW", str(path)), re.MULTILINE)
    base = next((int(addr, 16), int(off, 16)) for nr, addr, off in sections if nr == section)
    offset = int(address, 16) - base[0] + base[1]
    length = int(size, 16) if size.startswith("0x") else int(size)
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    return soname.group(1), symbol, data


def write_library(out: Path, soname: str, symbol: str, package: bytes) -> None:
    """A shared library ``out`` exporting ``symbol`` = ``package``, read-only, with ``soname``."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "data.bin").write_bytes(package)
        (work / "data.s").write_text(
            f'\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign 16\n'
            f'{symbol}:\n\t.incbin "data.bin"\n\t.size {symbol}, . - {symbol}\n'
            '\t.section .note.GNU-stack,"",@progbits\n')
        _run("as", "-o", "data.o", "data.s", cwd=work)
        _run("ld", "-shared", "-s", "-soname", soname, "-z", "noexecstack", "-z", "relro", "--hash-style=gnu",
             "-o", str(out.resolve()), "data.o", cwd=work)


def select(items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The items that stay: those ``keep`` wants, and the base tables of the converters among them.

    Some converters are only an extension of another's table (windows-936-2000, GBK, extends
    ibm-1386_P100-2001) and name that base inside; without it they fail to open.
    """
    converters = {name.rsplit("/", 1)[-1].removesuffix(".cnv"): name for name, _ in items if name.endswith(".cnv")}
    blobs = dict(items)
    wanted = {name for name, _ in items if keep(name)}
    todo = [name for name in wanted if name.endswith(".cnv")]
    while todo:
        blob = blobs[todo.pop()]
        for base in re.findall(rb"[A-Za-z0-9_.-]{3,}", blob[:4096]):
            other = converters.get(base.decode("ascii"))
            if other is not None and other not in wanted:
                wanted.add(other)
                todo.append(other)
    return [(name, blob) for name, blob in items if name in wanted]


def trim(library: Path, out: Path) -> tuple[int, int, list[str]]:
    """Write the trimmed copy of ``library`` to ``out``; (items before, items after, dropped names)."""
    soname, symbol, data = read_library(library)
    header, items = split_package(data)
    kept = select(items)
    write_library(out, soname, symbol, join_package(header, kept))
    names = {name for name, _ in kept}
    return len(items), len(kept), [name for name, _ in items if name not in names]


def _run(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, cwd=cwd).stdout


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    before, after, _dropped = trim(source, target)
    print(f"{source.name}: {before} items, {source.stat().st_size} bytes -> {after} items, "
          f"{target.stat().st_size} bytes")
