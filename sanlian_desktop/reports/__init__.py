"""Periodic progress reports (进展情况): computed and kept immutable (``service``), as titled tables of
text (``text``), as PDF (``pdf``) and Excel (``workbook``), and how they travel up (``records``).

May import: everything below it — kernel … indicators.
"""
