"""The ``.sanlian`` package file: its format (``packfmt``), writing and opening it (``package``,
``reader``), the encrypted spool for large entries (``spool``) and signed receipts (``receipts``).

May import: kernel, models, store, sync.trust.
"""
