"""Offline synchronisation between neighbour offices, in layers of its own:

- ``sync.trust`` — suites, keys, certificates, chains and signed statements (no database);
- ``sync.transport`` — the ``.sanlian`` file: format, writer, reader, spool and receipts;
- ``sync.kinds`` — how a record kind travels, and the registry features add theirs to;
- ``sync.replication`` — applying received records, the ledger of what each neighbour holds,
  signing own records, fitting them into packages;
- ``sync.exchange`` — neighbours, export, import (with its backup ahead), status, conflicts.

Each subpackage's docstring says what it may import (``tests/architecture/test_layers.py`` checks).
"""
