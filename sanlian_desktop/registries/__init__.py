"""The registries the pilot's indicators count: community social organisations, social workers,
community and area facts (``service``), their Excel template and import (``workbook``) and how they
travel up (``records``).

May import: everything below it — kernel … implementation (not evaluation, its sibling).
"""
