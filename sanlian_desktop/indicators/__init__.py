"""The pilot's targets measured on the registries (``service``), the declaration pipeline's figures
(``pipeline``), the report as people read it (``views``), and its files: Excel (``workbook``), PDF
(``pdf``, ``charts``) and writing them (``files``).

May import: everything below it — kernel … registries.
"""
