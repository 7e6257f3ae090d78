"""Export and import of packages between neighbour offices, receipts, status and conflicts.

May import: everything below it — kernel … sync.replication.
"""
