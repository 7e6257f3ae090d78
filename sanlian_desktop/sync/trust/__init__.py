"""Trust without a database: algorithm suites (``suite``), office keys sealed under a user's
password (``keys``), certificates and requests (``certs``), chain validation and revocations
(``chain``), and signed statements (``statements``).

May import: kernel.
"""
