"""Third-party evaluation: evaluator offices, assignments and their withdrawal, follow-up visits and
effect evaluations (``service``), and how they travel between the province and the evaluator
(``records``).

May import: everything below it — kernel … implementation (not registries, its sibling).
"""
