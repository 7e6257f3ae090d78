"""The ``sanlian`` command line."""

from sanlian_desktop.cli.main import main

__all__ = ["main"]
