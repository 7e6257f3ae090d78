"""Demo data for a first look, screenshots and benchmarks: generated declarations (``generate``), a
ready-made demo office (``office``) and demo registry entries (``registries``).

May import: every service package (kernel … sync.exchange); never cli or ui.
"""
