"""Export and import of packages between neighbour offices, receipts, status and conflicts.

- ``neighbours`` — the parent and the certified children this office exchanges packages with;
- ``export`` — writing a package to a neighbour with everything it has not acknowledged;
- ``importing`` — verifying a package whole, then applying it in one transaction (or previewing it);
- ``package_records`` — a verified package's entries read as a stream of records, in applying order;
- ``backup_ahead`` — the before-import backup, taken on a second thread while the package is applied;
- ``files`` — package file names, the ``.sanlian`` extension, a file's SHA-256;
- ``status`` — the channel to each neighbour: waiting, sent, acknowledged, missing packages;
- ``conflicts`` — records kept aside for a person to decide, and closing them.

Callers import from the module that does the job; this package re-exports nothing.

May import: everything below it — kernel … sync.replication.
"""
