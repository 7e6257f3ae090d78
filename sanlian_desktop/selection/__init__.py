"""Selection at the province: the batch's limits, its meters and the approval guard (``limits``), the
shortlist, approval and the selection view (``shortlist``), expert scoring (``scoring``), public
notices (公示, ``notices``) and how notices travel (``records``).

Provides the review chain's approval policy (:class:`limits.BatchLimits`).

May import: everything below it — kernel … declarations.
"""
