"""Selection at the province: the shortlist, meters against a batch's quotas and budget, expert
scoring (``scoring``), public notices (公示) and how notices travel (``records``).

Provides the review chain's approval policy (:class:`service.BatchLimits`).

May import: everything below it — kernel … declarations.
"""
