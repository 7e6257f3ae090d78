"""Applying received records to the store, and the ledger of what each neighbour holds.

May import: everything below it — kernel … reports.
"""
