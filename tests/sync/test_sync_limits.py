"""Issue 20, items 3 and 4: a package is held to limits on its shape, and refused whole — no row, no
attachment file, no temporary file left behind, nothing written outside the store's folder.

The packages are written the way an insider would: a certified street, with the program's own writer
and its own real key, sends its county records it made itself and then altered. ``sync verify`` (the
import's preview) refuses each of them exactly as ``sync import`` does.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sanlian_desktop.cli import main
from sanlian_desktop.declarations import drafts, workflow
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Decision
from sanlian_desktop.models import Attachment, DeclarationAttachment, SyncConflict
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices.auth import Actor, sign_in, this_office
from sanlian_desktop.store import staging
from sanlian_desktop.store.attachments import blob_path, verify_blob
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.export import export_package, pending_records
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.sync.exchange.neighbours import neighbour
from sanlian_desktop.sync.replication import limits
from sanlian_desktop.sync.transport.package import PackageWriter
from sanlian_desktop.sync.trust.certs import Cert
from sanlian_desktop.sync.trust.keys import OfficeKeys
from sanlian_desktop.sync.trust.statements import sign_statement
from tests.helpers import PASSWORD, example_declaration
from tests.sync.helpers_service import fingerprint, open_chain

STREET, COUNTY = "620102001", "620102"
Entry = tuple[str, str, int, bytes]


@dataclass
class Setting:
    """What the street sends its county: a declaration it entered for a community, submitted, with a
    file and its own approval — as records, with the street's keys to sign altered ones."""

    records: list[Entry]
    keys: OfficeKeys
    chain: list[Cert]
    county_cert: Cert
    county_home: Path

    def find(self, kind: str) -> int:
        return next(i for i, (k, *_) in enumerate(self.records) if k == kind)

    def statement(self, kind: str, **changes: Any) -> list[Entry]:
        """The records with the street's ``kind`` statement re-signed with ``changes`` to its body."""
        i = self.find(kind)
        k, key, version, data = self.records[i]
        body = {**json.loads(data)["statement"]["body"], **changes}
        records = list(self.records)
        records[i] = (k, key, version, sign_statement(kind, body, self.keys, self.chain))
        return records

    def json_record(self, kind: str, body: Any) -> list[Entry]:
        """The records with the ``kind`` record's body replaced (encoded as given when it is bytes)."""
        i = self.find(kind)
        k, key, version, _ = self.records[i]
        records = list(self.records)
        records[i] = (k, key, version, body if isinstance(body, bytes) else json.dumps(body).encode())
        return records

    def write(self, path: Path, records: list[Entry]) -> Path:
        with PackageWriter(path, self.keys, self.chain, self.county_cert, 1) as writer:
            for entry in records:
                writer.add_entry(*entry)
        return path


@pytest.fixture(scope="module")
def setting(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setting]:
    root = tmp_path_factory.mktemp("limits")
    offices = open_chain(template, root)
    street = offices[STREET]
    minutes = root / "会议纪要.txt"
    minutes.write_text("居民议事会会议纪要", encoding="utf-8")
    with street.store.session() as s:
        decl = drafts.create(s, street.clerk, example_declaration(title="街道代录的试点项目"))
        drafts.attach(s, street.clerk, decl, street.store.paths, minutes)
        decl = drafts.submit(s, street.clerk, decl, street.store.paths)
        workflow.review(s, street.rev, decl, decision=Decision.APPROVE, text="同意上报")
    export_package(street.store, street.admin, COUNTY, root / "signs-them.sanlian")  # signs its records
    with street.store.session() as s:
        me, n = this_office(s), neighbour(s, COUNTY)
        records: list[Entry] = []
        for r in pending_records(s, street.store, me, n):
            if r.blob is not None:
                with r.blob() as fh:
                    records.append((r.kind, r.key, r.version, fh.read()))
            else:
                records.append((r.kind, r.key, r.version, r.data))
        keys, chain, county_cert = trust.office_keys(s, street.admin), trust.own_chain(s), trust.cert_for(s, COUNTY)
    assert county_cert is not None
    assert {k for k, *_ in records} >= {"attachment", "declaration", "version", "opinion", "attachment_link"}
    for office in offices.values():
        office.store.close()
    yield Setting(records, keys, chain, county_cert, root / COUNTY)


@dataclass
class County:
    home: Path
    store: Store
    actor: Actor


@pytest.fixture
def county(setting: Setting, tmp_path: Path) -> Iterator[County]:
    home = tmp_path / "stores" / COUNTY
    shutil.copytree(setting.county_home, home)
    store = Store.open(home)
    with store.session() as s:
        actor = sign_in(s, "admin", PASSWORD)
    yield County(home, store, actor)
    store.close()


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def refused(county: County, path: Path, *needles: str) -> str:
    """``sync verify`` and ``sync import`` both refuse ``path`` with a message holding ``needles``;
    the store's rows and the files in its folder are as they were."""
    before, files = fingerprint(county.store), listing(county.home)
    messages = []
    for preview in (True, False):
        with pytest.raises(UserError) as exc:
            import_package(county.store, county.actor, path, preview=preview)
        messages.append(exc.value.zh)
        assert all(n in exc.value.zh for n in needles), exc.value.zh
    assert messages[0] == messages[1]
    assert fingerprint(county.store) == before
    assert listing(county.home) == files
    return messages[0]


def test_the_unaltered_package_is_accepted(setting: Setting, county: County, tmp_path: Path) -> None:
    """The baseline every refusal below departs from: the street's own package imports, file included."""
    path = setting.write(tmp_path / "good.sanlian", setting.records)
    import_package(county.store, county.actor, path, preview=True)
    result = import_package(county.store, county.actor, path)
    assert result.report.applied >= 5 and result.report.conflicts == 0
    sha = setting.records[setting.find("attachment")][1]
    assert verify_blob(county.store.paths, sha)
    assert not staging.staging_root(county.store.paths).exists()


# -- item 4: limits on shape ------------------------------------------------------------------------


def test_a_six_megabyte_opinion_is_refused(setting: Setting, county: County, tmp_path: Path) -> None:
    path = setting.write(tmp_path / "big.sanlian", setting.statement("opinion", text="意见" + "x" * 6_000_000))
    message = refused(county, path, "opinion", "超过单条记录上限")
    assert setting.records[setting.find("opinion")][1] in message


def test_an_opinion_longer_than_the_form_allows_is_refused(setting: Setting, county: County,
                                                             tmp_path: Path) -> None:
    text = "同" * (workflow.MAX_OPINION + 1)
    path = setting.write(tmp_path / "long.sanlian", setting.statement("opinion", text=text))
    refused(county, path, "opinion", f"超过表单上限 {workflow.MAX_OPINION} 字")
    # At the form's limit it is accepted.
    path = setting.write(tmp_path / "limit.sanlian", setting.statement("opinion", text=text[1:]))
    assert import_package(county.store, county.actor, path).report.conflicts == 0


def test_a_version_longer_than_the_form_allows_is_refused_not_kept_aside(setting: Setting, county: County,
                                                                          tmp_path: Path) -> None:
    """A field over the form's limit was kept aside as a conflict (exit 0, the text stored): refused."""
    i = setting.find("version")
    body = json.loads(setting.records[i][3])["statement"]["body"]
    fields = {**body["fields"], "needs_analysis": "需" * 3001}
    path = setting.write(tmp_path / "v.sanlian", setting.statement("version", fields=fields))
    refused(county, path, "version", "超过表单上限 3000 字")
    with county.store.read_session() as s:
        assert s.scalars(select(SyncConflict)).first() is None


@pytest.mark.parametrize("name", ["../../x", "a/b.txt", "a\\b.txt", "..", "纪要\x00.txt", "x" * 256])
def test_an_attachment_name_must_be_a_label(setting: Setting, county: County, tmp_path: Path, name: str) -> None:
    i = setting.find("attachment_link")
    body = {**json.loads(setting.records[i][3]), "original_name": name}
    path = setting.write(tmp_path / "name.sanlian", setting.json_record("attachment_link", body))
    refused(county, path, "attachment_link", "文件名")


@pytest.mark.parametrize("depth", [40, 100_000])
def test_a_deeply_nested_record_is_refused_not_a_crash(setting: Setting, county: County, tmp_path: Path,
                                                       depth: int) -> None:
    i = setting.find("attachment_link")
    body = json.dumps(json.loads(setting.records[i][3]))
    nested = body[:-1] + ',"kind":' + "[" * depth + "]" * depth + "}"
    path = setting.write(tmp_path / "deep.sanlian", setting.json_record("attachment_link", nested.encode()))
    refused(county, path, "attachment_link", "嵌套层数超过上限")


def test_a_deeply_nested_statement_is_refused(setting: Setting, county: County, tmp_path: Path) -> None:
    deep: Any = "x"
    for _ in range(40):
        deep = {"k": deep}
    path = setting.write(tmp_path / "deep.sanlian", setting.statement("opinion", extra=deep))
    with pytest.raises(UserError, match=r"nested too deeply|嵌套"):
        import_package(county.store, county.actor, path)


def _attachment_with_id(setting: Setting, new_id: str) -> list[Entry]:
    i = setting.find("attachment")
    records = list(setting.records)
    kind, _, version, data = records[i]
    records[i] = (kind, new_id, version, data)
    return records


@pytest.mark.parametrize("shape", ["../../outside", "absolute", "x/../../y", "ABCDEF" + "0" * 58, "0" * 63])
def test_an_attachment_id_is_never_a_path(setting: Setting, county: County, tmp_path: Path, shape: str) -> None:
    """Such an id made folders outside the store and truncated or deleted ``*.tmp`` files wherever the
    user may write, before the content's digest was checked."""
    attachment_id = str(tmp_path / "victim" / "folder" / "file") if shape == "absolute" else shape
    paths = county.store.paths
    where = paths.attachments / attachment_id[:2] / attachment_id  # where the id pointed
    canary = where.with_name(where.name + ".tmp")
    if canary.resolve().is_relative_to(tmp_path):
        canary.parent.mkdir(parents=True, exist_ok=True)
        canary.write_text("someone's work", encoding="utf-8")
    around = listing(tmp_path)
    path = setting.write(tmp_path / "id.sanlian", _attachment_with_id(setting, attachment_id))
    around.append(str(path.relative_to(tmp_path)))
    refused(county, path, "attachment", "SHA-256")
    assert sorted(around) == listing(tmp_path)  # no folder made anywhere, no file touched or removed
    if canary.exists():
        assert canary.read_text(encoding="utf-8") == "someone's work"


def test_an_attachment_whose_content_is_not_its_id_is_refused(setting: Setting, county: County,
                                                               tmp_path: Path) -> None:
    path = setting.write(tmp_path / "other.sanlian", _attachment_with_id(setting, "ab" * 32))
    refused(county, path, "attachment", "不符")


@pytest.mark.parametrize(("bound", "needle"), [
    ({"max_records": 3}, "条记录，超过上限 3 条"),
    ({"max_attachments": 0}, "个附件，超过上限 0 个"),
    ({"max_attachment": 5}, "超过附件上限 5 字节"),
    ({"max_record": 200}, "超过单条记录上限 200 字节"),
    ({"max_total": 1000}, "超过上限 1000 字节"),
])
def test_over_count_and_over_size_packages_are_refused(setting: Setting, county: County, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, bound: dict[str, int],
                                                       needle: str) -> None:
    monkeypatch.setattr(limits, "LIMITS", limits.ShapeLimits(**bound))
    refused(county, setting.write(tmp_path / "many.sanlian", setting.records), needle)


def test_attachments_that_do_not_fit_on_the_disk_are_refused(setting: Setting, county: County, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(limits.shutil, "disk_usage", lambda _: usage._replace(free=1024))
    refused(county, setting.write(tmp_path / "full.sanlian", setting.records), "磁盘", "剩余空间")


def test_the_command_line_verify_refuses_as_import_does(setting: Setting, county: County, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
    path = setting.write(tmp_path / "id.sanlian", _attachment_with_id(setting, "../../outside"))
    county.store.close()
    for command in ("verify", "import"):
        rc = main(["--home", str(county.home), "--user", "admin", "sync", command, str(path)])
        _, err = capsys.readouterr()
        assert rc == 2 and "SHA-256" in err and "Traceback" not in err


# -- item 3: all or nothing, files included ---------------------------------------------------------


def test_a_refused_package_leaves_no_file_behind(setting: Setting, county: County, tmp_path: Path) -> None:
    """The new file arrives before the bad opinion: it was left in the store's folder."""
    records = setting.statement("opinion", text="同" * (workflow.MAX_OPINION + 1))
    kinds = [k for k, *_ in records]
    assert kinds.index("attachment") < kinds.index("opinion")
    refused(county, setting.write(tmp_path / "bad.sanlian", records), "opinion")
    with county.store.read_session() as s:
        assert s.scalars(select(Attachment)).first() is None
    assert not any(county.store.paths.attachments.rglob("*")), listing(county.store.paths.attachments)


def test_a_failure_after_the_file_is_staged_leaves_nothing(setting: Setting, county: County, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Any failure after a file is staged (here the last record's handler) rolls back and deletes it."""
    from sanlian_desktop.sync.replication import apply

    def broken(self: Any, record: Any) -> None:
        raise UserError("模拟的失败", "simulated failure")

    monkeypatch.setattr(apply.Applier, "_attachment_link", broken)
    refused(county, setting.write(tmp_path / "p.sanlian", setting.records), "模拟的失败")


def test_a_stop_between_commit_and_move_loses_nothing(setting: Setting, county: County, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The program stops after the commit, before the staged file is moved: the next import moves it."""
    sha = setting.records[setting.find("attachment")][1]
    held: list[staging.Staging] = []

    def stop(self: staging.Staging) -> None:  # what a crash leaves: the files, and the lock released
        held.append(self)
        assert self._handle is not None
        self._handle.close()

    monkeypatch.setattr(staging.Staging, "settle", stop)
    import_package(county.store, county.actor, setting.write(tmp_path / "p.sanlian", setting.records))
    monkeypatch.undo()
    assert not blob_path(county.store.paths, sha).exists()
    folder = held[0].folder
    assert folder is not None and (folder / sha).is_file()
    # A file of a package that was never committed, left in another abandoned folder: deleted.
    other = staging.staging_root(county.store.paths) / "abandoned"
    other.mkdir()
    (other / staging.LOCK_NAME).touch()
    (other / ("cd" * 32)).write_bytes(b"never committed")
    (other / "partial.tmp").write_bytes(b"half")
    # A running import's folder (its lock held) is left alone.
    running = staging.Staging(county.store.paths, county.store.read_session)
    content = b"still being imported"
    running_sha = hashlib.sha256(content).hexdigest()
    running.put(running_sha, io.BytesIO(content))
    assert running.folder is not None
    # The next import (of anything) settles what was left.
    again = import_package(county.store, county.actor, tmp_path / "p.sanlian")
    assert again.already_imported
    assert verify_blob(county.store.paths, sha)
    assert not folder.exists() and not other.exists()
    assert (running.folder / running_sha).read_bytes() == content
    with county.store.read_session() as s:
        assert s.scalars(select(DeclarationAttachment)).first() is not None
    running.settle()  # it was never committed: its file goes, and the staging folder with it
    assert not staging.staging_root(county.store.paths).exists()
    assert not blob_path(county.store.paths, running_sha).exists()
