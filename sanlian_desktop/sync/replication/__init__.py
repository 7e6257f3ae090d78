"""Applying received records to the store, and the ledger of what each neighbour holds.

- ``apply`` — the :class:`~sanlian_desktop.sync.replication.apply.Applier`: a package's records,
  window by window, in the caller's transaction; disagreeing records kept aside as conflicts;
- ``ledger`` — what each neighbour was sent and has acknowledged (``sync_item``), and what it has not;
- ``signing`` — signing this office's own opinions, versions and registered kinds before they leave;
- ``fitting`` — fitting pending records into one package's limits, whole declarations at a time;
- ``grouping`` — the declaration a record travels with, and key lists cut into query-sized chunks.

Nothing here knows of package files or neighbours' certificates: ``sync.exchange`` drives it.

May import: everything below it — kernel … reports.
"""
