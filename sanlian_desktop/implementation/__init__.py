"""Implementation of approved projects: tender, undertaking, social workers, disbursements and
progress reports (``service``), the warnings where a project drifts from its declaration (``warnings``),
and how these signed records travel (``records``).

May import: everything below it — kernel … selection.
"""
