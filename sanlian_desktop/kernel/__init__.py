"""The kernel: what every other part of the program stands on, and that knows nothing of them.

Owns errors that carry a Chinese message (``errors``), the pilot's fixed vocabularies (``vocab``), exact
money (``money``), checks of entered identifiers and text (``checks``), safe file writing and streaming
hashes (``fileio``), key lists cut for SQL ``IN`` (``chunks``), where data lives
(``paths``), lookups by id prefix (``idprefix``), the one canonical encoder for whatever is hashed or
signed (``canonical``) and region codes as segments (``codes``).

May import: the standard library and third-party libraries only (and ``sanlian_desktop.__version__``).
"""
