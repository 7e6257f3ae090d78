"""The arrows of the package point down only: every import, even one inside a function or under
``TYPE_CHECKING``, goes from a unit to a unit of a lower layer (or stays inside its own unit).

``LAYERS`` is the architecture, lowest first; README's developer section draws the same picture.
Units of one layer are siblings and know nothing of each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sanlian_desktop"

LAYERS: list[tuple[str, ...]] = [
    ("kernel",),  # errors, vocabularies, money, checks, safe files, paths, the canonical encoder, region codes
    ("models",),  # the ORM
    ("store",),  # engine and sessions, migrations, backups, the instance lock, health, audit log, attachment files
    ("sync.trust",),  # algorithm suites, keys, certificates, chains, signed statements
    ("sync.transport",),  # the .sanlian file: format, writer, reader, spool, receipts
    ("offices",),  # users and sign-in, this office, regions, key custody
    ("sync.kinds",),  # how a record kind travels: the registry, records, signed kinds
    ("documents",),  # printing and spreadsheets: the renderers, given plain data
    ("declarations",),  # the form, the declaration service, the review chain, batches, listing, paper
    ("paperread",),  # reading a scanned paper form back into the form's fields (OCR, optional extra)
    ("selection",),
    ("screening",),  # near-duplicate declarations: reads declarations' content; lists and the review show it
    ("implementation",),
    ("evaluation", "registries"),
    ("indicators",),
    ("reports",),
    ("sync.replication",),  # applying received records, what each neighbour holds
    ("sync.exchange",),  # export, import, status
    ("demo",),
    ("cli", "ui"),  # the command line and the desktop program, each keeping its own inside shape
    ("app",),  # the composition root: registers record kinds, policies, command groups and pages
    ("smoke", "__main__", "ui.__main__"),  # entry points
]

ROOT_MODULES = {"sanlian_desktop", "sanlian_desktop.sync"}  # package docstrings and __version__ only


def unit_of(module: str) -> str:
    """The unit a dotted module belongs to: the longest declared name that prefixes it."""
    if module in ROOT_MODULES:
        return ""
    tail = module.removeprefix("sanlian_desktop.")
    names = [name for layer in LAYERS for name in layer]
    matches = [name for name in names if tail == name or tail.startswith(name + ".")]
    assert matches, f"{module} belongs to no declared layer: add it to LAYERS"
    return max(matches, key=len)


def rank(unit: str) -> int:
    if unit == "":
        return -1
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every ``sanlian_desktop`` module this file imports, with the line it does so on."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                if path.name != "__init__.py":
                    base.pop()
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                as_path = PACKAGE.parent / candidate.replace(".", "/")
                is_module = as_path.with_suffix(".py").exists() or as_path.is_dir()
                found.append((node.lineno, candidate if is_module else module))
    return [(line, name) for line, name in found if name == "sanlian_desktop" or name.startswith("sanlian_desktop.")]


def upward_arrows() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        here = module_name(path)
        mine = unit_of(here)
        for line, target in imported_modules(path):
            theirs = unit_of(target)
            if theirs in (mine, ""):
                continue
            if rank(theirs) >= rank(mine):
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {mine} -> {theirs} ({target})")
    return problems


def test_every_arrow_points_down() -> None:
    problems = upward_arrows()
    assert not problems, "imports that point up or sideways:\n" + "\n".join(problems)


def test_every_module_belongs_to_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "migrations" not in path.parts:
            unit_of(module_name(path))


def test_the_checker_sees_function_local_and_type_checking_imports(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sanlian_desktop.ui import app\n"
        "def f():\n    from sanlian_desktop.declarations import workflow\n"
    )
    probe = PACKAGE / "kernel" / "_layer_probe.py"
    probe.write_text(source, encoding="utf-8")
    try:
        arrows = [p for p in upward_arrows() if "_layer_probe" in p]
    finally:
        probe.unlink()
    assert len(arrows) == 2, arrows
