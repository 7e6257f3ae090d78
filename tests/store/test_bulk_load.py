"""Loading many new rows at once (dialects.load_rows: COPY on PostgreSQL, executemany on SQLite) stores what
an INSERT of the same rows stores: every value converted by its column's type, defaults filled in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sanlian_desktop.models import AuditEntry, CommunityOrganisation, Region
from sanlian_desktop.store import dialects
from tests.helpers import Office

TABLES = Region.metadata.tables
AWKWARD = "引号\"、制表\t、反斜杠\\、换行\n、百分号%、空\\N"


@pytest.mark.engines
def test_rows_load_as_an_insert_stores_them(county: Office) -> None:
    at = datetime(2026, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)
    details = [{"text": AWKWARD, "none": None, "list": [1, "二", 3.5], "nested": {"b": True}}, {}, {"k": ""}]
    with county.session() as s:
        before = datetime.now(UTC)
        conn = s.connection()
        dialects.load_rows(conn, TABLES["audit_log"], [
            {"seq": 900 + n, "at": at, "office_code": "620102", "username": "clerk", "action": "test.load",
             "entity": "x", "entity_id": str(n), "details": d, "prev_hash": "0" * 64, "hash": f"{n:064d}"}
            for n, d in enumerate(details)])
        dialects.load_rows(conn, TABLES["region"], [
            {"code": "620102001009", "name": AWKWARD, "level": "community", "parent_code": "620102001",
             "population": None}])
        # Columns left out take their defaults: a value, a function (uid, utcnow) or the server's (the id).
        dialects.load_rows(conn, TABLES[CommunityOrganisation.__tablename__], [
            {"name": f"组织{n}", "kind": "社区社会组织", "community_code": "620102001009", "credit_code": None,
             "record_number": "备1", "deleted_at": None} for n in range(3)])
        dialects.load_rows(conn, TABLES["region"], [])  # nothing to load: nothing happens
    with county.session() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "test.load").order_by(AuditEntry.seq)))
        assert [e.details for e in entries] == details
        assert all(e.at == at for e in entries)
        region = s.get(Region, "620102001009")
        assert region is not None and region.name == AWKWARD and region.population is None
        assert region.special is False and region.retired is False and region.pinyin == ""
        orgs = list(s.scalars(select(CommunityOrganisation).where(
            CommunityOrganisation.community_code == "620102001009").order_by(CommunityOrganisation.id)))
        assert [o.name for o in orgs] == ["组织0", "组织1", "组织2"]
        assert len({o.uid for o in orgs}) == 3 and len({o.id for o in orgs}) == 3
        assert all(o.version == 1 and o.has_social_workers is False and o.created_at >= before for o in orgs)


@pytest.mark.engines
def test_rows_with_different_columns_are_refused(county: Office) -> None:
    with county.session() as s, pytest.raises(Exception, match=r"different columns|bind parameter"):
        dialects.load_rows(s.connection(), TABLES["region"], [
            {"code": "620102001008", "name": "甲", "level": "community", "parent_code": "620102001"},
            {"code": "620102001007", "name": "乙"}])
    with county.session() as s:
        assert s.get(Region, "620102001008") is None and s.get(Region, "620102001007") is None
