"""An office moves its keys into a SoftHSM2 token and keeps exchanging packages; bad tokens change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.models import OfficeKeyRing
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.sync.trust import tokens
from sanlian_desktop.sync.trust.custody import PKCS11, SOFTWARE_LOCATION
from tests.sync.helpers_service import ServiceOffice, fingerprint, open_chain
from tests.sync.helpers_token import SoftToken, plug_in, pull_out, softhsm

pytestmark = pytest.mark.suite_specific  # PKCS#11 tokens hold only SL1 keys; the 国密 refusal is tested by name

COUNTY, CITY = "620102", "620100"


@pytest.fixture
def chain(template: Path, tmp_path: Path) -> Iterator[dict[str, ServiceOffice]]:
    offices = open_chain(template, tmp_path / "chain")
    yield offices
    for office in offices.values():
        office.store.close()


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftToken:
    return softhsm(tmp_path, monkeypatch)


def _ring(office: ServiceOffice) -> bytes:
    with office.store.read_session() as s:
        ring = s.get(OfficeKeyRing, office.code)
        assert ring is not None
        return bytes(ring.sealed)


def _move(office: ServiceOffice, token: SoftToken, **kw: str) -> None:
    with office.store.session() as s:
        trust.move_keys_to_token(s, office.admin, token=kw.get("label", token.label), pin=kw.get("pin", token.pin),
                                 module=token.module)


def _exchange(offices: dict[str, ServiceOffice], sender: str, recipient: str, path: Path) -> None:
    export_package(offices[sender].store, offices[sender].admin, recipient, path)
    import_package(offices[recipient].store, offices[recipient].admin, path)


def test_keys_moved_into_the_token_keep_the_certificate_and_the_packages_flowing(
        chain: dict[str, ServiceOffice], token: SoftToken, tmp_path: Path) -> None:
    county = chain[COUNTY]
    with county.store.read_session() as s:
        assert trust.key_location(s) == SOFTWARE_LOCATION
        serial = trust.own_certificate(s).serial  # type: ignore[union-attr]
    _move(county, token)
    ring = _ring(county)
    current = cj.unb64(json.loads(ring)["current"], "", "")
    assert tokens.is_reference(current) and b'"sealed"' not in current  # no sealed private keys remain
    with county.store.read_session() as s:
        where = trust.key_location(s)
        assert where is not None and (where.kind, where.label) == (PKCS11, "硬件令牌“sanlian-test”")
        assert trust.describe(s)["key_location"]["label"] == "硬件令牌“sanlian-test”"
        assert trust.own_certificate(s).serial == serial  # type: ignore[union-attr]
    with county.store.session() as s:
        assert trust.own_keys_certified(s, county.admin)
    _exchange(chain, COUNTY, CITY, tmp_path / "up.sanlian")  # signed in the token
    _exchange(chain, CITY, COUNTY, tmp_path / "down.sanlian")  # envelope opened in the token
    with county.store.read_session() as s:
        assert trust.key_location(s).kind == PKCS11  # type: ignore[union-attr]


def test_wrong_pin_absent_or_locked_token_changes_nothing(
        chain: dict[str, ServiceOffice], token: SoftToken, monkeypatch: pytest.MonkeyPatch) -> None:
    county = chain[COUNTY]
    before, facts = _ring(county), fingerprint(county.store)
    with pytest.raises(UserError, match="PIN 码不正确"):
        _move(county, token, pin="999999")
    with pytest.raises(UserError, match="未找到硬件令牌“不存在的令牌”"):
        _move(county, token, label="不存在的令牌")
    with pytest.raises(PermissionDenied), county.store.session() as s:
        trust.move_keys_to_token(s, county.clerk, token=token.label, pin=token.pin, module=token.module)
    assert (_ring(county), fingerprint(county.store)) == (before, facts)
    with county.store.read_session() as s:
        assert trust.key_location(s) == SOFTWARE_LOCATION


def test_a_pulled_out_token_refuses_export_and_import_until_it_is_back(
        chain: dict[str, ServiceOffice], token: SoftToken, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    county = chain[COUNTY]
    _move(county, token)
    export_package(chain[CITY].store, chain[CITY].admin, COUNTY, tmp_path / "down.sanlian")
    pull_out(token, monkeypatch, tmp_path)
    before = fingerprint(county.store)
    with pytest.raises(UserError, match="未找到硬件令牌“sanlian-test”：请插入本单位的硬件令牌后重试"):
        export_package(county.store, county.admin, CITY, tmp_path / "up.sanlian")
    with pytest.raises(UserError, match="未找到硬件令牌“sanlian-test”"):
        import_package(county.store, county.admin, tmp_path / "down.sanlian")
    assert fingerprint(county.store) == before
    assert not (tmp_path / "up.sanlian").exists()
    plug_in(token, monkeypatch)
    import_package(county.store, county.admin, tmp_path / "down.sanlian")
    export_package(county.store, county.admin, CITY, tmp_path / "up.sanlian")


def test_new_keys_are_made_in_the_token_and_old_packages_still_open(
        chain: dict[str, ServiceOffice], token: SoftToken, tmp_path: Path) -> None:
    county = chain[COUNTY]
    _move(county, token)
    with county.store.session() as s:
        old = trust.office_keys(s, county.admin)
        trust.request_certificate(s, county.admin, tmp_path / "county.req", new_keys=True)
        new = trust.office_keys(s, county.admin)
        kept = trust.all_office_keys(s, county.admin)
    assert new.location.kind == PKCS11 and new.sign_public != old.sign_public
    assert [k.sign_public for k in kept] == [new.sign_public, old.sign_public]
    with tokens.token_session(token.module, token.label, token.pin) as session:
        assert len(list(session.get_objects())) == 6  # two moved private keys, two generated pairs


def test_a_gm_office_keeps_its_keys_in_the_software_store(tmp_path: Path, token: SoftToken) -> None:
    from sanlian_desktop.kernel.vocab import Level
    from sanlian_desktop.offices import auth
    from sanlian_desktop.offices.office import init_office
    from tests.helpers import PASSWORD

    store = init_office(tmp_path / "gm", level=Level.PROVINCE, region_code="620000", name="甘肃省民政厅",
                        admin="admin", admin_password=PASSWORD, suite="gm")
    try:
        with store.session() as s:
            admin = auth.sign_in(s, "admin", PASSWORD)
            before = bytes(s.get(OfficeKeyRing, "620000").sealed)  # type: ignore[union-attr]
        with pytest.raises(UserError, match="国密单位的密钥继续保存在本机密钥库"), store.session() as s:
            trust.move_keys_to_token(s, admin, token=token.label, pin=token.pin, module=token.module)
        with store.read_session() as s:
            assert bytes(s.get(OfficeKeyRing, "620000").sealed) == before  # type: ignore[union-attr]
            assert trust.key_location(s) == SOFTWARE_LOCATION
    finally:
        store.close()


def test_init_makes_the_keys_inside_the_token(tmp_path: Path, token: SoftToken) -> None:
    from sanlian_desktop.kernel.vocab import Level
    from sanlian_desktop.offices import auth
    from sanlian_desktop.offices.office import init_office
    from tests.helpers import PASSWORD

    store = init_office(tmp_path / "p", level=Level.PROVINCE, region_code="620000", name="甘肃省民政厅",
                        admin="admin", admin_password=PASSWORD, vault=token.vault())
    try:
        with store.session() as s:
            admin = auth.sign_in(s, "admin", PASSWORD)
            keys = trust.office_keys(s, admin)
            root = trust.pinned_roots(s)[0]
            assert trust.key_location(s).label == "硬件令牌“sanlian-test”"  # type: ignore[union-attr]
        assert root.matches_keys(keys) and keys.location.kind == PKCS11
    finally:
        store.close()
    with pytest.raises(UserError, match="PIN 码不正确"):
        init_office(tmp_path / "q", level=Level.PROVINCE, region_code="620000", name="甘肃省民政厅",
                    admin="admin", admin_password=PASSWORD, vault=token.vault(pin="000000"))
    assert not (tmp_path / "q" / "sanlian.db").exists()


def test_cli_moves_the_key_into_the_token_and_office_show_says_where_it_lives(
        tmp_path: Path, token: SoftToken, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sanlian_desktop.cli.main import main
    from tests.helpers import PASSWORD

    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
    monkeypatch.setenv("SANLIAN_NEW_PASSWORD", PASSWORD)

    def run(home: str, *args: str) -> tuple[int, str, str]:
        rc = main(["--home", str(tmp_path / home), *args])
        out, err = capsys.readouterr()
        return rc, out, err

    init = ["init", "--level", "province", "--region", "620000", "--name", "甘肃省民政厅", "--admin", "admin"]
    assert run("p", *init)[0] == 0
    rc, out, _ = run("p", "--user", "admin", "office", "show")
    assert rc == 0 and "本单位密钥：本机密钥库（口令保护）" in out
    monkeypatch.setenv("SANLIAN_TOKEN_PIN", "000000")
    rc, _, err = run("p", "--user", "admin", "office", "key-to-token", "--token", token.label, "--module", token.module)
    assert rc == 2 and "PIN 码不正确" in err and "数据没有任何改变" in err and "Traceback" not in err
    monkeypatch.setenv("SANLIAN_TOKEN_PIN", token.pin)
    rc, out, err = run("p", "--user", "admin", "office", "key-to-token", "--token", token.label,
                       "--module", token.module)
    assert rc == 0, err
    assert "本单位密钥已移入硬件令牌“sanlian-test”" in out
    rc, out, _ = run("p", "--user", "admin", "office", "show")
    assert "本单位密钥：硬件令牌“sanlian-test”" in out
    rc, _, err = run("p", "--user", "admin", "office", "key-to-token", "--token", token.label)
    assert rc == 2 and "已保存在硬件令牌" in err
    rc, out, err = run("q", *init, "--token", token.label, "--module", token.module)
    assert rc == 0, err
    assert "本单位密钥保存在硬件令牌“sanlian-test”" in out
    rc, _, err = run("r", *init, "--suite", "gm", "--token", token.label, "--module", token.module)
    assert rc == 2 and "SM2" in err and not (tmp_path / "r" / "sanlian.db").exists()


def test_new_keys_of_a_gm_office_are_gm_keys(tmp_path: Path) -> None:
    """A change of keys keeps the office's suite (it once fell back to the default suite, which the 国密
    parent then refused)."""
    from sanlian_desktop.kernel.vocab import Level
    from sanlian_desktop.offices import auth
    from sanlian_desktop.offices.office import init_office
    from sanlian_desktop.sync.trust.gm import GM_SUITE
    from tests.helpers import PASSWORD

    store = init_office(tmp_path / "c", level=Level.COUNTY, region_code=COUNTY, name="城关区民政局",
                        admin="admin", admin_password=PASSWORD, suite="gm")
    try:
        with store.session() as s:
            admin = auth.sign_in(s, "admin", PASSWORD)
            old = trust.office_keys(s, admin)
            trust.request_certificate(s, admin, tmp_path / "c.req", new_keys=True)
            new = trust.office_keys(s, admin)
        assert old.suite is new.suite is GM_SUITE and new.sign_public != old.sign_public
        assert trust.read_request(tmp_path / "c.req").code == COUNTY
    finally:
        store.close()
