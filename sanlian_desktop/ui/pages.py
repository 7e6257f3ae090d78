"""The pages of the main window and how they are found.

The contract every page follows:

- a ``QWidget`` subclass constructed as ``Page(ctx: UiContext, parent: QWidget | None = None)``;
- a class attribute ``title: str`` — the Chinese name shown in the navigation (待办, 申报 …);
- optionally ``refresh(self) -> None``, called when the page is shown again or the data changed;
- optionally ``focus_search(self) -> None``, called for Ctrl+F;
- optionally a class attribute ``levels`` — the office levels the page is for (the 遴选 page only at
  the province); a page without it is shown at every office.

Pages are listed here by module path and imported only when the main window is built, so a page
whose module does not exist yet (a feature not merged) is simply left out.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol, cast

from PySide6.QtWidgets import QWidget

from sanlian_desktop.auth import Actor
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.vocab import Level

# key → "module:Class", in navigation order.
PAGE_REGISTRY: list[tuple[str, str]] = [
    ("inbox", "sanlian_desktop.ui.inbox.page:InboxPage"),
    ("selection", "sanlian_desktop.ui.selection.page:SelectionPage"),
    ("declarations", "sanlian_desktop.ui.inbox.page:DeclarationsPage"),
    ("implementation", "sanlian_desktop.ui.implementation.page:ImplementationPage"),
    ("sync", "sanlian_desktop.ui.sync.page:SyncPage"),
    ("paper", "sanlian_desktop.ui.paper.page:PaperPage"),
    ("evaluation", "sanlian_desktop.ui.evaluation.page:EvaluationPage"),
    ("stats", "sanlian_desktop.ui.stats.page:StatsPage"),
    ("registries", "sanlian_desktop.ui.registries.page:RegistriesPage"),
    ("settings", "sanlian_desktop.ui.settings.page:SettingsPage"),
]


# An evaluator office (Level.EVALUATOR) reviews and enters nothing: it gets only these pages.
EVALUATOR_PAGES = ("evaluation", "sync", "settings")


class PageFactory(Protocol):
    """A page class: what the registry points at."""

    title: str

    def __call__(self, ctx: UiContext, parent: QWidget | None = None) -> QWidget: ...


@dataclass(frozen=True)
class PageEntry:
    """One available page: its key, its class and its navigation title."""

    key: str
    factory: PageFactory

    @property
    def title(self) -> str:
        return self.factory.title


def load_page(target: str) -> PageFactory | None:
    """The page class at ``"module:Class"``, or None when its module is not part of this build.

    Only a missing page module (or its feature package) counts as absent; any other import error is
    a bug in the page and is raised.
    """
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        feature_or_page = missing == module_name or module_name.startswith(missing + ".")
        if feature_or_page and missing.startswith("sanlian_desktop.ui."):
            return None
        raise
    return cast(PageFactory, getattr(module, class_name))


def available_pages(registry: list[tuple[str, str]] | None = None, level: Level | None = None) -> list[PageEntry]:
    """The registry's pages whose modules exist, in order; for an evaluator office only :data:`EVALUATOR_PAGES`."""
    entries = []
    for key, target in PAGE_REGISTRY if registry is None else registry:
        if level is Level.EVALUATOR and key not in EVALUATOR_PAGES:
            continue
        factory = load_page(target)
        if factory is not None:
            entries.append(PageEntry(key, factory))
    return entries


def shown_to(entry: PageEntry, actor: Actor) -> bool:
    """Whether the page is for the actor's office (a page's ``levels``, when it has them, say which)."""
    levels = getattr(entry.factory, "levels", None)
    return levels is None or actor.office_level in levels


def refresh_page(page: QWidget) -> None:
    """Call the page's ``refresh()`` if it has one."""
    refresh = getattr(page, "refresh", None)
    if callable(refresh):
        refresh()


def focus_page_search(page: QWidget) -> bool:
    """Call the page's ``focus_search()`` if it has one; whether it had."""
    focus = getattr(page, "focus_search", None)
    if callable(focus):
        focus()
        return True
    return False
