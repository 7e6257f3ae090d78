"""The 申报表 and its journey: the form's fields and rules (``fields``), drafts, attachments and
submission (``drafts``), finding one and reading it out (``lookup``), the review chain (``workflow``),
batches (``batches``), lists and their queries (``listing``), printing and matching paper copies
(``paper``) and the Excel ledger, template and intake (``workbooks``).

The review chain asks the province's batch limits through :class:`workflow.ApprovalPolicy`, which
selection provides and :mod:`sanlian_desktop.app` installs.

May import: kernel, models, store, sync.trust, sync.transport, offices, sync.kinds, documents.
"""
