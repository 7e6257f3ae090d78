"""Printed and spreadsheet documents: the renderers and their building blocks, given plain data.

``printing`` draws PDFs with reportlab (fonts, layout, the 申报表, QR codes, the notice); ``spreadsheets``
reads and writes workbooks (the ledger, the template, intake, the notice, the registry book). A
feature's own report renderer lives in its feature (``indicators.pdf``, ``reports.workbook`` …).

May import: kernel, models, store, sync.trust, sync.transport, offices, sync.kinds.
"""
