"""How a record travels: the registry of record kinds that features add (``registry``), the core
records and which of them a neighbour should receive (``records``), and record kinds signed by the
office that wrote them (``signed``).

May import: kernel, models, store, sync.trust, sync.transport, offices.
"""
