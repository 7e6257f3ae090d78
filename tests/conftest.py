"""Shared fixtures: offscreen Qt, a fresh temporary home per test, and offices ready to use."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from sanlian_desktop import app
from tests import cheaphash, helpers, pgserver
from tests.helpers import Office, make_office

cheaphash.install()
# ``pytest --hypothesis-profile=nightly``: many more examples, no deadline (costly property tests scale
# with it through tests.sync.helpers.examples).
settings.register_profile("nightly", max_examples=1000, deadline=None)
app.compose_cli()
app.compose_gui()

DATA = Path(__file__).parent / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--suite", choices=["sl1", "gm"], default=None,
        help="algorithm suite the sync tests set their offices up in (tests/suites.py; default: "
             "$SANLIAN_TEST_SUITE or sl1); tests marked suite_specific run only under sl1",
    )


def pytest_configure(config: pytest.Config) -> None:
    from tests import suites

    config.addinivalue_line(
        "markers", "suite_specific: the test chooses its algorithm suite itself (vectors, interop, golden "
                   "bytes); it runs once, in the default suite, not again under --suite=gm")
    chosen = config.getoption("--suite")
    if chosen:
        os.environ[suites.ENV] = chosen
    suites.suite_short()  # a wrong SANLIAN_TEST_SUITE fails here, before any test


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under a suite other than the default, leave out the tests that chose their suite themselves, and
    run tests parametrised over ``suite_chain`` only in the chosen suite."""
    from tests import suites

    if suites.is_default():
        return
    chosen = suites.suite_short()
    kept, left = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        other = callspec is not None and callspec.params.get("suite_chain", chosen) != chosen
        (left if item.get_closest_marker("suite_specific") or other else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
EXAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "declaration.example.json"


@pytest.fixture(autouse=True, scope="session")
def _migrated_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A new store gets its schema by copying a store that every migration made once in this test run,
    not by running the migrations again (a third of a second each, for hundreds of offices). Stores
    that exist already migrate as they would; tests/store/test_store.py runs the migrations themselves."""
    import sqlite3

    from sanlian_desktop.kernel.paths import AppPaths
    from sanlian_desktop.store.engine import Store

    real = Store.migrate
    template = tmp_path_factory.mktemp("migrated") / "empty.db"

    def migrate(self: Store, before_upgrade: Any = None) -> None:
        if self.schema_revision() is not None or not self.url.startswith("sqlite:///"):
            real(self, before_upgrade)
            return
        if not template.exists():
            made = Store(AppPaths(template.parent / "home"))
            made.paths.ensure()
            real(made)
            made.close()
            source = sqlite3.connect(made.paths.database)
            target = sqlite3.connect(template)
            source.backup(target)
            target.close()
            source.close()
        raw = self.engine.raw_connection()
        try:
            source = sqlite3.connect(template)
            source.backup(raw.driver_connection)  # type: ignore[arg-type]
            source.close()
        finally:
            raw.close()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Store, "migrate", migrate)
        yield


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever touches the real per-user data folder."""
    monkeypatch.setenv("SANLIAN_HOME", str(tmp_path / "default-home"))
    monkeypatch.delenv("SANLIAN_USER", raising=False)
    monkeypatch.delenv("SANLIAN_PASSWORD", raising=False)
    monkeypatch.delenv("SANLIAN_NEW_PASSWORD", raising=False)


# -- the two database engines ----------------------------------------------------------------------

ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``engines`` runs once on SQLite and once on PostgreSQL (the offices it makes, through
    the ``county`` fixture or ``make_office``, keep their stores on that engine)."""
    if metafunc.definition.get_closest_marker("engines") and "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.PgServer]:
    """A PostgreSQL server of this test run (a temporary cluster on a unix socket), stopped at its end."""
    reason = pgserver.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    server = pgserver.PgServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The database engine of this test: SQLite unless the test is marked ``engines``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def database(engine: str, request: pytest.FixtureRequest,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], str | None]]:
    """Makes the store of a new office: None (the SQLite file in its home) or a fresh PostgreSQL database
    at the schema head, dropped after the test."""
    if engine == "sqlite":
        yield helpers.new_database
        return
    server: pgserver.PgServer = request.getfixturevalue("pg_server")
    made: list[str] = []

    def new() -> str:
        made.append(server.new_database())
        return made[-1]

    monkeypatch.setattr(helpers, "new_database", new)
    yield new
    for url in made:
        server.drop_database(url)


@pytest.fixture
def county(tmp_path: Path, database: Callable[[], str | None]) -> Iterator[Office]:
    """城关区民政局 (620102) with a street, a community, a clerk, a reviewer and an open batch."""
    office = make_office(tmp_path / "county", "county", "620102", "城关区民政局")
    yield office
    office.store.close()


@pytest.fixture
def example() -> dict[str, Any]:
    """The example declaration, with its batch and dates fitting an open batch of today."""
    from tests.helpers import example_declaration

    return example_declaration()


@pytest.fixture
def today() -> date:
    return date.today()


@pytest.fixture
def yesterday() -> date:
    return date.today() - timedelta(days=1)
