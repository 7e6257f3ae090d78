"""The server's address as a form gives it, and what the driver's words on a failed connection mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.store.engine import connection_failure
from sanlian_desktop.store.server import ServerAddress

URL = "postgresql+psycopg://sanlian_app@192.168.1.10:5432/sanlian"


def test_an_address_becomes_a_url_without_a_password_and_back() -> None:
    address = ServerAddress(host=" 192.168.1.10 ", port=5432, database="sanlian ", user=" sanlian_app")
    assert address.url() == URL
    assert ServerAddress.from_url(URL) == ServerAddress("192.168.1.10", 5432, "sanlian", "sanlian_app")
    assert ServerAddress.from_url(URL).label() == "192.168.1.10:5432/sanlian（用户 sanlian_app）"
    assert ServerAddress("db.office", None, "sanlian", "u").label() == "db.office:5432/sanlian（用户 u）"


def test_a_socket_folder_goes_in_the_query() -> None:
    address = ServerAddress(host="/run/postgresql", port=5433, database="sanlian", user="me")
    url = address.url()
    assert url == "postgresql+psycopg://me@/sanlian?host=%2Frun%2Fpostgresql&port=5433"
    assert ServerAddress.from_url(url) == address


@pytest.mark.parametrize(("address", "said"), [
    (ServerAddress("", 5432, "sanlian", "u"), "请填写数据库服务器的地址"),
    (ServerAddress("h", 5432, " ", "u"), "请填写数据库名"),
    (ServerAddress("h", 5432, "sanlian", ""), "请填写连接数据库的用户名"),
    (ServerAddress("h", 70000, "sanlian", "u"), "端口 70000 不对"),
])
def test_an_incomplete_address_is_refused(address: ServerAddress, said: str) -> None:
    with pytest.raises(UserError, match=said):
        address.url()


@pytest.mark.parametrize(("driver", "meaning"), [
    ('connection failed: FATAL:  password authentication failed for user "u"', "服务器拒绝了用户 u 的密码"),
    ("connection failed: fe_sendauth: no password supplied", "服务器要求用户 u 的密码"),
    ('FATAL:  no pg_hba.conf entry for host "192.168.1.20", user "u", database "db", no encryption',
     "服务器不允许这台电脑连接"),
    ('FATAL:  database "db" does not exist', "服务器上没有名为 db 的数据库"),
    ('FATAL:  role "u" does not exist', "服务器上没有用户 u"),
    ('connection to server at "10.0.0.9", port 5432 failed: Connection refused', "连接不上服务器 10.0.0.9"),
    ('failed to resolve host \'nohost\': could not translate host name "nohost"', "连接不上服务器 10.0.0.9"),
    ("connection timeout expired", "连接不上服务器 10.0.0.9"),
    ('connection to server at "10.0.0.9", port 5432 failed: received invalid response to SSL negotiation: H',
     "服务器 10.0.0.9 的端口 5432 上回答的不是 PostgreSQL 数据库"),
    ("FATAL:  sorry, too many clients already", "FATAL:  sorry, too many clients already（请检查"),
])
def test_the_drivers_words_are_said_in_chinese(driver: str, meaning: str) -> None:
    assert meaning in connection_failure(driver, "postgresql+psycopg://u@10.0.0.9:5432/db")


def test_a_build_without_the_driver_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from sanlian_desktop.store import server
    from sanlian_desktop.store.engine import Store

    assert server.driver_problem() is None
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as where psycopg or its libpq is missing: ImportError
    assert "未包含 PostgreSQL 数据库驱动" in (server.driver_problem() or "")
    with pytest.raises(UserError, match="本程序未包含 PostgreSQL 的驱动"):
        Store.connect(AppPaths(Path("/nonexistent-home")), URL)
