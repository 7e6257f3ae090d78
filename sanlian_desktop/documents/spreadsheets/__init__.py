"""Spreadsheets: the ledger (台账) export, the fill-in template for communities and its intake.

No Qt and no database here: callers pass plain data and callbacks.
"""

from sanlian_desktop.documents.spreadsheets.intake import IntakeResult, IntakeRow, RowError, read_declarations
from sanlian_desktop.documents.spreadsheets.ledger import LedgerRow, ReviewMark, write_ledger
from sanlian_desktop.documents.spreadsheets.template import write_template

__all__ = [
    "IntakeResult",
    "IntakeRow",
    "LedgerRow",
    "ReviewMark",
    "RowError",
    "read_declarations",
    "write_ledger",
    "write_template",
]
