"""Trust without a database: algorithm suites (``suite``; the 国密 one in ``gm``), office keys sealed under a user's
password (``keys``), certificates and requests (``certs``), chain validation and revocations
(``chain``), and signed statements (``statements``).

May import: kernel.
"""

# Every suite this program ships is known by name before any file is read.
from sanlian_desktop.sync.trust import gm as _gm  # noqa: F401
