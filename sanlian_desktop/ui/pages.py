"""The pages of the main window and how they are found.

The contract every page follows:

- a ``QWidget`` subclass constructed as ``Page(ctx: UiContext, parent: QWidget | None = None)``;
- a class attribute ``title: str`` — the Chinese name shown in the navigation (待办, 申报 …);
- optionally ``refresh(self) -> None``, called when the page is shown again or the data changed;
- optionally ``focus_search(self) -> None``, called for Ctrl+F;
- optionally a class attribute ``levels`` — the office levels the page is for (the 遴选 page only at
  the province); a page without it is shown at every office.

Pages are added in navigation order by the composition root (:func:`sanlian_desktop.app.compose_gui`),
which imports each page module explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PySide6.QtWidgets import QWidget

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.ui.context import UiContext

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


# key → page class, in navigation order (filled by :func:`sanlian_desktop.app.compose_gui`).
PAGES: list[PageEntry] = []


def add_page(key: str, factory: PageFactory) -> None:
    """Add a page to the navigation, after those added before it (a key only once)."""
    if all(entry.key != key for entry in PAGES):
        PAGES.append(PageEntry(key, factory))


def available_pages(level: Level | None = None) -> list[PageEntry]:
    """The pages in navigation order; for an evaluator office only :data:`EVALUATOR_PAGES`."""
    if not PAGES:
        raise RuntimeError("no pages registered: call sanlian_desktop.app.compose_gui() first")
    return [entry for entry in PAGES if level is not Level.EVALUATOR or entry.key in EVALUATOR_PAGES]


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
