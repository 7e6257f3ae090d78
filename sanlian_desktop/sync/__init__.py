"""Trust and the ``.sanlian`` package file: region codes, algorithm suites, office keys, certificates,
chain validation, the encrypted signed package and receipts. No database and no Qt here; the store
wires these to its records.
"""
