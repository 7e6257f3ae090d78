"""Property: whatever a registry record's body holds, applying it either works or refuses the package
(ValueError/KeyError/TypeError or a UserError) — never another exception, never a half-applied row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import CommunityOrganisation
from sanlian_desktop.registries import records as registrysync
from sanlian_desktop.sync.kinds.records import Record
from tests.helpers import Office

UID = "0b9c3d7e-2f1a-4c55-9a0e-1d2b3c4d5e6f"
STREET, COMMUNITY = "620102001", "620102001001"
GOOD: dict[str, Any] = {
    "uid": UID, "office": COMMUNITY, "name": "东岗书画社", "credit_code": None, "record_number": "城关备001",
    "kind": "文体娱乐类", "community_code": COMMUNITY, "has_social_workers": True, "hosts_agency": False,
    "created_at": "2026-01-01T00:00:00+00:00", "created_by": "clerk", "updated_at": "2026-01-02T00:00:00+00:00",
    "deleted_at": None}
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=60),
              st.sampled_from(["620103001001", "620102", "", "2026-13-01", "2026-01-01T00:00:00", "社区服务类"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=5)


@dataclass
class _Report:
    applied: int = 0
    already: int = 0


@dataclass(eq=False)  # hashed by identity, as the real importer is
class _Incoming:
    s: Any
    sender: str = STREET
    self_code: str = "620102"
    from_parent: bool = False
    package_id: str = "p"
    preview: bool = False
    paths: Any = None
    report: _Report = field(default_factory=_Report)
    conflicts: list[str] = field(default_factory=list)

    def conflict(self, record: Record, reason: str, declaration_id: str | None = None) -> None:
        self.conflicts.append(reason)

    def verify(self, data: bytes, kind: str, signers: set[str]) -> dict[str, Any]:
        raise AssertionError("not used")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(sorted([*GOOD, "version"])), json_values | st.integers(1, 9),
                              min_size=1, max_size=3),
       dropped=st.sets(st.sampled_from(sorted(GOOD)), max_size=1))
def test_any_organisation_body_applies_or_refuses(county: Office, changes: dict[str, Any], dropped: set[str]) -> None:
    body = {k: v for k, v in {**GOOD, **changes}.items() if k not in dropped}
    with county.store.session() as s:
        incoming = _Incoming(s)
        before = s.scalar(select(func.count()).select_from(CommunityOrganisation))
        try:
            registrysync.apply(incoming, Record("registry", f"org:{UID}", body))
        except (KeyError, TypeError, ValueError, UserError):
            s.rollback()
            assert s.scalar(select(func.count()).select_from(CommunityOrganisation)) == before
            return
        held = s.scalar(select(CommunityOrganisation).where(CommunityOrganisation.uid == UID))
        if incoming.report.applied:
            # What was stored is exactly what was sent.
            assert held is not None and registrysync.org_record(held).body == body
        s.rollback()
