"""An approved project in the county's store (entered there on the community's behalf), at known dates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sanlian_desktop.declarations import drafts, workflow
from sanlian_desktop.kernel.vocab import Decision, Level, Role
from sanlian_desktop.models import Declaration, DeclarationVersion
from sanlian_desktop.offices.auth import Actor
from tests.helpers import Office, example_declaration, make_office

APPROVED_AT = datetime(2016, 9, 20, 2, 0, tzinfo=UTC)
GRANTED_FEN = 45_000_00
COMMUNITY = "620102001001"


@dataclass
class Project:
    office: Office
    decl_id: str

    def decl(self, s: object) -> Declaration:
        found = s.get(Declaration, self.decl_id)  # type: ignore[attr-defined]
        assert found is not None
        return found


def approve(s: object, decl: Declaration, granted_fen: int = GRANTED_FEN) -> None:
    """Freeze the declaration's version and write every level's approval, as received opinions would."""
    version = s.get(DeclarationVersion, (decl.id, 1))  # type: ignore[attr-defined]
    version.frozen, version.submitted_at = True, datetime(2016, 8, 1, tzinfo=UTC)
    for stage in workflow.stages_for(decl):
        workflow.add_opinion(s, decl, level=stage.level, office_code=stage.office_code, reviewer="rev",  # type: ignore[arg-type]
                             reviewer_name="", decision=Decision.APPROVE, text="同意", decided_on=APPROVED_AT.date(),
                             at=APPROVED_AT, granted_fen=granted_fen if stage.level is Level.PROVINCE else None)
    workflow.apply_derived_state(s, decl)  # type: ignore[arg-type]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    office = make_office(tmp_path / "county", "county", "620102", "城关区民政局")
    with office.session() as s:
        decl = drafts.create(s, office.clerk, example_declaration(
            period_start="2016-10-01", period_end="2017-09-30"), now=datetime(2016, 7, 30, tzinfo=UTC))
        approve(s, decl)
        decl_id = decl.id
    yield Project(office, decl_id)
    office.store.close()


def actor_at(code: str, level: Level, role: Role = Role.CLERK) -> Actor:
    """A clerk of another office (to test who may enter what)."""
    return Actor(username="other", display_name="", role=role, office_code=code, office_level=level, office_name="")
