"""Fail when any ELF file under the given folders needs a glibc or libstdc++ newer than the oldest target.

    python scripts/check_glibc.py dist/三社联动申报系统 [--max-glibc 2.28] [--max-glibcxx 3.4.25]

The targets: 统信 UOS 20 has glibc 2.28 and gcc 8's libstdc++ (GLIBCXX_3.4.25); 麒麟 V10 has 2.28-2.31.
Every ELF file (executables, shared libraries, extension modules) is read with ``objdump -T``; the
versioned symbols it imports (``*UND*``) are what the loader demands. Exit code 1 names the offenders.
Standard library only: it also runs with the compat interpreter that scripts/build_compat_python.sh builds.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

Version = tuple[int, ...]
NEED = re.compile(r"\*UND\*.*?\b(GLIBC|GLIBCXX|CXXABI)_(\d+(?:\.\d+)+)\b")


def parse(text: str) -> Version:
    return tuple(int(n) for n in text.split("."))


def show(version: Version) -> str:
    return ".".join(map(str, version))


def elf_files(folder: Path) -> list[Path]:
    """Regular (non-link) files under ``folder`` (or ``folder`` itself) that start with the ELF magic."""
    paths = [folder] if folder.is_file() else sorted(folder.rglob("*"))
    found = []
    for path in paths:
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as fh:
            if fh.read(4) == b"\x7fELF":
                found.append(path)
    return found


def needs(path: Path) -> dict[str, Version]:
    """The newest GLIBC_ / GLIBCXX_ / CXXABI_ version ``path`` imports, by family."""
    out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True, check=False).stdout
    newest: dict[str, Version] = {}
    for family, version in NEED.findall(out):
        v = parse(version)
        if v > newest.get(family, (0,)):
            newest[family] = v
    return newest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--max-glibc", default="2.28")
    parser.add_argument("--max-glibcxx", default="3.4.25")
    parser.add_argument("--quiet", action="store_true", help="print only offenders")
    args = parser.parse_args(argv)
    limits = {"GLIBC": parse(args.max_glibc), "GLIBCXX": parse(args.max_glibcxx)}
    top: dict[str, tuple[Version, str]] = {}
    offenders: list[str] = []
    count = 0
    for folder in args.folders:
        for path in elf_files(folder):
            count += 1
            for family, version in needs(path).items():
                if version > top.get(family, ((0,), ""))[0]:
                    top[family] = (version, str(path))
                limit = limits.get(family)
                if limit is not None and version > limit:
                    offenders.append(f"{path}: {family}_{show(version)} > {show(limit)}")
    for line in offenders:
        print(f"too new: {line}")
    if not args.quiet:
        for family, (version, where) in sorted(top.items()):
            print(f"highest {family}_{show(version)} in {where}")
        print(f"{count} ELF files checked; limits GLIBC_{args.max_glibc}, GLIBCXX_{args.max_glibcxx}: "
              f"{'FAILED' if offenders else 'ok'}")
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
