"""The composition root: the one place that wires the features into the program.

Lower layers never import higher ones (see ``tests/architecture/test_layers.py``); where a lower layer
needs something a higher one provides, it offers a registry or a hook, and this module fills it:

- the record kinds that travel in packages besides the core ones (:mod:`sanlian_desktop.sync.kinds`);
- the province's approval policy for the review chain (selection's batch limits);
- how backups are encrypted (:mod:`sanlian_desktop.offices.backupseal` into :mod:`sanlian_desktop.store.backup`);
- near-duplicate screening after every save of a declaration;
- the command groups of ``sanlian`` (:mod:`sanlian_desktop.cli`);
- the pages of the main window (:mod:`sanlian_desktop.ui.pages`).

The command line and the desktop program start here (``cli_main``, ``gui_main``); every registration is
an explicit import, so a reader, a type checker and PyInstaller all see every arrow. The CLI's and the
GUI's modules are imported inside their functions, so the command line starts without Qt.
"""

from __future__ import annotations

from collections.abc import Sequence

from sanlian_desktop.declarations import drafts, workflow
from sanlian_desktop.evaluation import records as evaluation_records
from sanlian_desktop.implementation import records as implementation_records
from sanlian_desktop.offices import backupseal
from sanlian_desktop.registries import records as registry_records
from sanlian_desktop.registries import regionrecords as region_update_records
from sanlian_desktop.reports import records as report_records
from sanlian_desktop.screening import records as screening_records
from sanlian_desktop.screening import service as screening_service
from sanlian_desktop.selection import records as notice_records
from sanlian_desktop.selection.limits import BatchLimits
from sanlian_desktop.store import backup
from sanlian_desktop.sync.kinds import registry as kinds

_composed: list[bool] = []  # [True] once composed


def compose() -> None:
    """Register the services' record kinds and policies (idempotent)."""
    if _composed:
        return
    # Applied in this order: what others refer to first.
    report_records.register_kinds()
    implementation_records.register_kinds()
    notice_records.register_kinds()
    region_update_records.register_kinds()
    evaluation_records.register_kinds()
    registry_records.register_kinds()
    screening_records.register_kinds()
    kinds.mark_composed()
    workflow.set_approval_policy(BatchLimits())
    backup.set_protection(backupseal.SEAL)
    drafts.add_saved_hook(screening_service.refresh_quietly)
    _composed.append(True)


def compose_cli() -> None:
    """:func:`compose`, and the command groups of ``sanlian`` in the order ``--help`` lists them."""
    compose()
    from sanlian_desktop.cli import (
        administration,
        declarations,
        demo,
        evaluation,
        implementation,
        indicators,
        paper,
        registries,
        reports,
        scanread,
        screening,
        selection,
        shipping,
        sync,
    )
    from sanlian_desktop.cli.main import add_command_group

    for register in (administration.register, declarations.register, administration.register_audit, demo.register,
                     sync.register, paper.register, shipping.register, indicators.register, registries.register,
                     reports.register, implementation.register, selection.register, evaluation.register,
                     screening.register, scanread.register):
        add_command_group(register)


def compose_gui() -> None:
    """:func:`compose`, and the main window's pages in navigation order."""
    compose()
    from sanlian_desktop.ui.evaluation.page import EvaluationPage
    from sanlian_desktop.ui.implementation.page import ImplementationPage
    from sanlian_desktop.ui.inbox.page import DeclarationsPage, InboxPage
    from sanlian_desktop.ui.pages import add_page
    from sanlian_desktop.ui.paper.page import PaperPage
    from sanlian_desktop.ui.registries.page import RegistriesPage
    from sanlian_desktop.ui.selection.page import SelectionPage
    from sanlian_desktop.ui.settings.page import SettingsPage
    from sanlian_desktop.ui.stats.page import StatsPage
    from sanlian_desktop.ui.sync.page import SyncPage

    for key, page in (("inbox", InboxPage), ("selection", SelectionPage), ("declarations", DeclarationsPage),
                      ("implementation", ImplementationPage), ("sync", SyncPage), ("paper", PaperPage),
                      ("evaluation", EvaluationPage), ("stats", StatsPage), ("registries", RegistriesPage),
                      ("settings", SettingsPage)):
        add_page(key, page)


def cli_main(argv: Sequence[str] | None = None) -> int:
    """``sanlian``: the command line."""
    compose_cli()
    from sanlian_desktop.cli.main import main

    return main(argv)


def gui_main(argv: Sequence[str] | None = None) -> int:
    """``sanlian-desktop``: the desktop program."""
    compose_gui()
    from sanlian_desktop.ui.app import main

    return main(argv)
