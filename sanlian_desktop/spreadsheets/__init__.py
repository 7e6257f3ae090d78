"""Spreadsheets: the ledger (台账) export, the fill-in template for communities and its intake.

No Qt and no database here: callers pass plain data and callbacks.
"""

from sanlian_desktop.spreadsheets.ledger import LedgerRow, ReviewMark, write_ledger

__all__ = ["LedgerRow", "ReviewMark", "write_ledger"]
