"""Moving a store between a server and a file is all or nothing: a copy whose audit chain does not
verify is undone, and the home stays as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.store.moving import move_to_file
from tests.helpers import Office

on_server = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)


@on_server
def test_a_changed_audit_chain_stops_the_move_back(county: Office) -> None:
    with county.store.session() as s:
        s.execute(text("UPDATE audit_log SET username = 'mallory' WHERE seq = 1"))
    county.store.close()
    before = sorted(p.name for p in county.home.iterdir())
    with pytest.raises(UserError, match="审计日志核对未通过"):
        move_to_file(county.home, user="admin")
    assert sorted(p.name for p in county.home.iterdir()) == before  # no data file, the address kept


@on_server
def test_a_home_with_a_data_file_is_not_overwritten(county: Office) -> None:
    county.store.close()
    county.store.paths.database.write_bytes(b"an older file kept here")
    with pytest.raises(UserError, match="已有数据文件"):
        move_to_file(county.home, user="admin")
    assert county.store.paths.database.read_bytes() == b"an older file kept here"
