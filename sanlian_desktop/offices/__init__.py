"""This office and the people in it: users, roles and signing in (``auth``), setting the office up
(``office``), the region tree and jurisdiction (``regions``), and the custody of the office's keys and
certificates in the store (``custody``).

May import: kernel, models, store, sync.trust, sync.transport.
"""
