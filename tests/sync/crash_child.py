"""Child process for the crash test: import one package into one store, saying when it starts.

Run as ``python -m tests.sync.crash_child HOME PACKAGE``; prints ``go`` just before the import and the
import's seconds when it has committed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sanlian_desktop import app
from sanlian_desktop.offices.auth import sign_in
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.importing import import_package
from tests.helpers import PASSWORD


def main(home: str, package: str) -> None:
    app.compose()
    store = Store.open(Path(home))
    with store.session() as s:
        actor = sign_in(s, "admin", PASSWORD)
    print("go", flush=True)
    start = time.perf_counter()
    import_package(store, actor, Path(package))
    print(f"{time.perf_counter() - start:.3f}", flush=True)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
