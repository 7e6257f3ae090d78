"""The local store: the database engine and sessions, schema migrations, backups, the one-program
instance lock, the health check, the hash-chained audit log and the attachment files kept by SHA-256.

The ORM itself lives in :mod:`sanlian_desktop.models`.

May import: kernel, models.
"""
