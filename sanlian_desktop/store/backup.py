"""Backups of one store: a single zip file with the database, the attachments it uses and a manifest.

A backup holds ``manifest.json``, ``sanlian.db`` (a copy made with SQLite's online backup API, so it
is consistent even while the program writes) and ``attachments/aa/<sha256>`` for every attachment the
copy refers to. The manifest names the schema revision, the office, the time, the reason and the
SHA-256 and size of every other member, so a damaged or foreign file is refused before anything is
replaced.

Automatic backups (``out`` not given) go to ``AppPaths.backups`` as
``sanlian-<UTC time>-<reason>.zip`` and only the newest ``KEEP_AUTOMATIC`` are kept. Callers:
``Store.open`` (before-upgrade), sync import (before-import), the GUI on exit (``take_daily``),
``restore`` (before-restore) and the ``backup`` command.

A store on a PostgreSQL server is backed up the same way, on the same occasions, with PostgreSQL's own
``pg_dump`` in place of the database copy (:mod:`.serverbackup`): the zip then holds ``sanlian.dump``
(attachments included, as the server keeps them in the database) and its manifest says so
(``format_version`` 2). Such a backup is restored onto the office's server only, a file store's onto a
file store only.

Encryption (issue 17, "at rest") belongs to a layer above the store, which registers a
:class:`Protection` (the composition root does, with :mod:`sanlian_desktop.offices.backupseal`). With
one registered, a backup of an office that has keys is the same zip sealed chunk by chunk under the
office's suite; it opens only with an administrator's credentials. Without one, or for a store
without keys, and for backups made by older programs, the zip stands in clear (``BackupInfo.encrypted``
is False and the summary says so).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from sanlian_desktop import __version__
from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.fileio import READ_PIECE, atomic_write, sha256_file, sha256_stream
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Role

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from sanlian_desktop.store.engine import Store



class Actor(Protocol):
    """Who restores or opens a backup (an :class:`sanlian_desktop.offices.auth.Actor`): the role decides
    who may restore; the name and password open an encrypted backup."""

    @property
    def role(self) -> Role: ...

    @property
    def username(self) -> str: ...

    @property
    def password(self) -> str: ...


class Sealing(Protocol):
    """One backup being encrypted, made by :meth:`Protection.sealer` from the database copy."""

    def writer(self, fh: IO[bytes]) -> contextlib.AbstractContextManager[IO[bytes]]:
        """A stream whose bytes land in ``fh`` encrypted; leaving the block writes the end of the file."""
        ...

    def reader(self, path: Path) -> contextlib.AbstractContextManager[IO[bytes]]:
        """The file just written, opened with the key it was sealed with (to check it), seekable."""
        ...


class Protection(Protocol):
    """Encrypts and opens backups; provided by a layer above the store (registered by the composition root)."""

    def sealer(self, database_copy: Path | Engine) -> Sealing | None:
        """How to encrypt a backup of this database copy (or of the store on this database server); None for
        an office without keys (written in clear)."""
        ...

    def is_sealed(self, path: Path) -> bool:
        """Whether ``path`` starts like an encrypted backup."""
        ...

    def opened(self, path: Path, by: Actor | None, home: Path | None) -> contextlib.AbstractContextManager[IO[bytes]]:
        """The plaintext zip of the encrypted backup ``path``, seekable, every chunk already authenticated.

        ``by`` must be an administrator of the backup's office (by the credentials the backup carries, or
        by those of the store in ``home``); a :class:`UserError` otherwise, or when the file is damaged."""
        ...


_protection: list[Protection] = []


def set_protection(protection: Protection | None) -> None:
    """Register how backups are encrypted (the composition root); None writes them in clear (tests only)."""
    _protection.clear()
    if protection is not None:
        _protection.append(protection)


def protection() -> Protection | None:
    """The registered :class:`Protection`, if any."""
    return _protection[0] if _protection else None


FORMAT = "sanlian-backup"
FORMAT_VERSION = 1
SERVER_FORMAT_VERSION = 2  # a PostgreSQL store's backup (serverbackup.py)
MANIFEST = "manifest.json"
DATABASE = "sanlian.db"
DUMP = "sanlian.dump"
KEEP_AUTOMATIC = 30
AUTO_PREFIX = "sanlian-"
_AUTO_NAME = re.compile(r"^sanlian-(\d{8}T\d{6}Z)(?:-(\d+))?-([a-z][a-z0-9-]*)\.zip$")
_ATTACHMENT_NAME = re.compile(r"^attachments/([0-9a-f]{2})/([0-9a-f]{64})$")
_REASON = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_MAX_MANIFEST = 64 * 1024 * 1024


@dataclass(frozen=True)
class BackupInfo:
    """What a verified backup holds."""

    path: Path
    created_at: datetime
    reason: str
    schema_revision: str
    office_code: str
    office_name: str
    app_version: str
    database_size: int
    attachments: int
    missing_attachments: list[str] = field(default_factory=list)
    encrypted: bool = False
    on_server: bool = False  # a pg_dump of a store on a PostgreSQL server

    def summary(self) -> str:
        """One Chinese line for the user: office, local time, reason and contents."""
        when = self.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        missing = f"，另有 {len(self.missing_attachments)} 个附件在备份时已缺失" if self.missing_attachments else ""
        return (f"{self.office_name}（{self.office_code}）{when} 的备份（{REASON_LABELS.get(self.reason, self.reason)}），"
                f"数据版本 {self.schema_revision}，附件 {self.attachments} 个{missing}；{self.protection_note()}")

    def protection_note(self) -> str:
        """Whether the backup is encrypted; an old clear one is named as such."""
        if self.encrypted:
            return "已加密，只有本单位管理员能打开"
        if self.on_server:
            return "注意：数据库服务器数据的备份未加密，请妥善保管存放它的U盘"
        return "注意：这份备份未加密（由旧版本程序制作，或当时本单位还没有密钥），请妥善保管存放它的U盘"


REASON_LABELS = {
    "manual": "手动备份", "daily": "每日自动备份", "before-upgrade": "升级前自动备份",
    "before-import": "导入前自动备份", "before-restore": "恢复前自动备份",
}


# -- taking a backup ---------------------------------------------------------------------------------


def take(store: Store, *, reason: str, out: Path | None = None, prune_old: bool = True) -> Path:
    return _take(store, reason=reason, out=out, prune_old=prune_old)[0]


def take_checked(store: Store, *, reason: str, out: Path | None = None) -> tuple[Path, BackupInfo]:
    """:func:`take`, then the new file checked completely (with the key it was sealed with: no sign-in needed)."""
    path, sealing = _take(store, reason=reason, out=out, prune_old=True)
    if sealing is None:
        return path, verify(path)
    with tempfile.TemporaryDirectory(prefix="sanlian-verify-") as work, sealing.reader(path) as plain:
        return path, _unpack_zip(path, plain, Path(work), extract_attachments=False, encrypted=True)


def _take(store: Store, *, reason: str, out: Path | None, prune_old: bool) -> tuple[Path, Sealing | None]:
    """Write one backup of ``store`` and return its path.

    Without ``out`` it is an automatic backup in the store's backups folder, named with the UTC time
    and ``reason``, and older automatic backups beyond the newest ``KEEP_AUTOMATIC`` are deleted.
    The file is written as ``name.tmp``, synced and renamed, so a crash never leaves half a backup
    under the real name. ``prune_old=False`` leaves the older ones for the caller to prune once it
    keeps the new one.
    """
    if not _REASON.match(reason):
        raise ValueError(f"reason must be short lowercase ASCII: {reason!r}")
    paths = store.paths
    now = datetime.now(UTC)
    automatic = out is None
    target = _automatic_name(paths, now, reason) if out is None else Path(out)
    if not target.parent.is_dir():
        raise UserError(f"备份的目标文件夹 {target.parent} 不存在", f"folder {target.parent} does not exist")
    try:
        sealing = _take_server(store, target, now, reason) if store.on_server else _take_into(paths, target, now, reason)
    except OSError as exc:
        raise UserError(f"无法写入备份文件 {target}：{exc.strerror or exc}（磁盘空间不足或没有写入权限？）",
                        f"cannot write the backup {target}: {exc}") from None
    _sync_folder(target.parent)
    if automatic and prune_old:
        prune(paths)
    return target, sealing


def _take_into(paths: AppPaths, target: Path, now: datetime, reason: str) -> Sealing | None:
    from sanlian_desktop.store.attachments import blob_path  # brings SQLAlchemy: not at import time

    # The copy of the database is made beside the store, never beside the target (a USB stick would
    # keep the clear copy's sectors after it is deleted).
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=paths.home) as work:
        copy = Path(work) / DATABASE
        _copy_database(paths.database, copy)
        revision, office_code, office_name, shas = _describe_copy(copy)
        members: list[dict[str, Any]] = [{"name": DATABASE, **_hash_file(copy)}]
        missing: list[str] = []
        for sha in shas:
            blob = blob_path(paths, sha)
            if blob.is_file():
                members.append({"name": f"attachments/{sha[:2]}/{sha}", "sha256": sha,
                                "size": blob.stat().st_size})
            else:
                missing.append(sha)
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "app_version": __version__,
            "created_at": now.isoformat(timespec="seconds"), "reason": reason,
            "schema_revision": revision, "office": {"code": office_code, "name": office_name},
            "members": members, "missing_attachments": missing,
        }
        guard = protection()
        sealing = guard.sealer(copy) if guard is not None else None
        with atomic_write(target) as fh:
            if sealing is None:
                _write_zip(fh, manifest, copy, paths)
            else:
                with sealing.writer(fh) as sealed:
                    _write_zip(sealed, manifest, copy, paths)
        return sealing


def _take_server(store: Store, target: Path, now: datetime, reason: str) -> Sealing | None:
    """A server's backup (pg_dump), encrypted as a file store's is, with the office's keys on the server."""
    from sanlian_desktop.store import serverbackup

    guard = protection()
    sealing = guard.sealer(store.engine) if guard is not None else None
    # The dump is written beside the store's home, never beside the target (see _take_into).
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=store.paths.home) as work:
        serverbackup.take_into(store, Path(work), target, now, reason, sealing)
    return sealing


def take_daily(store: Store) -> Path | None:
    """The GUI's backup on exit: at most one a local calendar day; None when today's exists."""
    today = datetime.now().astimezone().date()
    for _path, at, reason in automatic_backups(store.paths):
        if reason == "daily" and at.astimezone().date() == today:
            return None
    return take(store, reason="daily")


def automatic_backups(paths: AppPaths) -> list[tuple[Path, datetime, str]]:
    """The automatic backups in the backups folder, oldest first: (path, UTC time, reason)."""
    found: list[tuple[datetime, int, Path, str]] = []
    if not paths.backups.is_dir():
        return []
    for path in paths.backups.iterdir():
        match = _AUTO_NAME.match(path.name)
        if match and path.is_file():
            at = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            # Backups within one second are numbered -2, -3, ...: order by time, then number.
            found.append((at, int(match.group(2) or 1), path, match.group(3)))
    found.sort(key=lambda item: (item[0], item[1]))
    return [(path, at, reason) for at, _n, path, reason in found]


def prune(paths: AppPaths, keep: int = KEEP_AUTOMATIC) -> list[Path]:
    """Delete automatic backups beyond the newest ``keep``; backups written elsewhere are never touched."""
    backups = automatic_backups(paths)
    removed = []
    for path, _at, _reason in backups[: max(0, len(backups) - keep)]:
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _automatic_name(paths: AppPaths, now: datetime, reason: str) -> Path:
    """A new name after every automatic backup of the same second (never reusing a pruned one)."""
    paths.backups.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    taken = [int(m.group(2) or 1) for p in paths.backups.iterdir()
             if (m := _AUTO_NAME.match(p.name)) and m.group(1) == stamp]
    if not taken:
        return paths.backups / f"{AUTO_PREFIX}{stamp}-{reason}.zip"
    return paths.backups / f"{AUTO_PREFIX}{stamp}-{max(taken) + 1}-{reason}.zip"


def _copy_database(source: Path, target: Path) -> None:
    """Copy a live store with the online backup API; the copy is a single file (no WAL)."""
    if not source.is_file():
        raise UserError(f"没有找到数据文件 {source}", f"no store at {source}")
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        dst.commit()
    except sqlite3.OperationalError as exc:
        if "full" in str(exc) or "unable to open" in str(exc) or "I/O" in str(exc):
            raise OSError(0, f"SQLite: {exc}") from None
        raise UserError(f"无法读取数据文件（{exc}）；请关闭其他正在使用数据的程序后重试",
                        f"cannot read the store ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise UserError(f"无法读取数据文件，可能已损坏（{exc}）；请从备份恢复",
                        f"cannot read the store ({exc}); restore from a backup") from None
    finally:
        dst.close()
        src.close()


def _describe_copy(copy: Path) -> tuple[str, str, str, list[str]]:
    """Schema revision, own office code and name, and the referenced attachment hashes of a copy."""
    conn = sqlite3.connect(copy)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        office = conn.execute("SELECT region_code, name FROM office WHERE is_self = 1").fetchone()
        shas = [r[0] for r in conn.execute("SELECT sha256 FROM attachment ORDER BY sha256")]
    except sqlite3.DatabaseError as exc:
        raise UserError(f"数据文件不完整，无法备份（{exc}）", f"the store is incomplete ({exc})") from None
    finally:
        conn.close()
    code, name = (str(office[0]), str(office[1])) if office else ("", "")
    return (str(row[0]) if row else ""), code, name, shas


def _write_zip(fh: IO[bytes], manifest: dict[str, Any], copy: Path, paths: AppPaths) -> None:
    from sanlian_desktop.store.attachments import blob_path  # brings SQLAlchemy: not at import time

    # The fastest deflate level: an automatic backup is taken before every package import, and level 1
    # packs a store about as small (a fifth larger) in half the time of the default. The store is
    # copied in pieces of 1 MiB (zipfile's own pieces are 8 KiB), which spares an import going on at
    # the same time most of the switching between the two threads.
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=1) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1), zipfile.ZIP_DEFLATED)
        with copy.open("rb") as src, zf.open(DATABASE, "w", force_zip64=True) as dst:
            shutil.copyfileobj(src, dst, READ_PIECE)
        for member in manifest["members"][1:]:
            sha = member["sha256"]
            # Photos and scans are already compressed; storing them is as small and much faster.
            zf.write(blob_path(paths, sha), member["name"], zipfile.ZIP_STORED)


def _hash_file(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_file(path), "size": path.stat().st_size}


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no directory handles to sync."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- checking a backup -------------------------------------------------------------------------------


def damaged(path: Path, why: str, en: str) -> UserError:
    return UserError(f"备份文件 {path.name} 已损坏或不完整（{why}），不能用于恢复",
                     f"the backup {path.name} is damaged or incomplete ({en})")


def foreign(path: Path) -> UserError:
    return UserError(f"{path.name} 不是本程序的备份文件", f"{path.name} is not a backup of this program")


def verify(path: Path, *, by: Actor | None = None, home: Path | None = None) -> BackupInfo:
    """Check a backup completely without changing anything: manifest, every hash, the database.

    Refuses (``UserError``) a missing, truncated, corrupt or foreign file, and a backup made by a
    newer program. An encrypted backup opens only for ``by``, an administrator of its office (of the
    backup itself, or of the store in ``home``).
    """
    with tempfile.TemporaryDirectory(prefix="sanlian-verify-") as work:
        return _unpack(Path(path), Path(work), extract_attachments=False, by=by, home=home)


def is_encrypted(path: Path) -> bool:
    """Whether ``path`` is an encrypted backup (by its first bytes; nothing is checked)."""
    guard = protection()
    return guard is not None and Path(path).is_file() and guard.is_sealed(Path(path))


def extract_database(path: Path, folder: Path, *, by: Actor | None = None) -> BackupInfo:
    """Verify ``path`` and leave its database as ``folder/sanlian.db`` (to sign in against it)."""
    info = _unpack(Path(path), Path(folder), extract_attachments=False, by=by, home=None)
    if info.on_server:
        raise _server_backup_here(Path(path))
    return info


def _server_backup_here(path: Path) -> UserError:
    return UserError(f"{path.name} 是数据库服务器上数据的备份，只能在数据保存在该服务器上的电脑上恢复；数据未作任何改动",
                     f"{path.name} is a backup of a database server's store: restore it onto the server")


def _unpack(path: Path, work: Path, *, extract_attachments: bool, by: Actor | None, home: Path | None) -> BackupInfo:
    """Verify ``path``; the database (and with ``extract_attachments`` the attachments) land in ``work``."""
    if not path.is_file():
        raise UserError(f"找不到备份文件 {path}", f"backup file not found: {path}")
    guard = protection()
    if guard is not None and guard.is_sealed(path):
        with guard.opened(path, by, home) as plain:
            return _unpack_zip(path, plain, work, extract_attachments=extract_attachments, encrypted=True)
    return _unpack_zip(path, None, work, extract_attachments=extract_attachments, encrypted=False)


def _unpack_zip(path: Path, plain: IO[bytes] | None, work: Path, *, extract_attachments: bool,
                encrypted: bool) -> BackupInfo:
    """Verify the zip at ``path`` (or its decrypted bytes ``plain``); see :func:`_unpack`."""
    from sanlian_desktop.store.engine import KNOWN_REVISIONS

    try:
        with zipfile.ZipFile(plain if plain is not None else path) as zf:
            manifest = _read_manifest(path, zf)
            on_server = manifest.get("format_version") == SERVER_FORMAT_VERSION
            db_name = DUMP if on_server else DATABASE
            members = _check_members(path, zf, manifest, db_name)
            for name, (sha, size) in members.items():
                if name == db_name:
                    target = work / db_name
                elif extract_attachments:
                    target = work / name
                else:
                    target = None
                _check_member(path, zf, name, sha, size, target)
    except (zipfile.BadZipFile, zlib.error):
        if plain is None and not _starts_like_zip(path):
            raise foreign(path) from None
        raise damaged(path, "不是完整的压缩文件", "not a complete zip file") from None
    except (OSError, EOFError, zipfile.LargeZipFile) as exc:
        raise damaged(path, f"读取失败：{exc}", str(exc)) from None
    revision = str(manifest.get("schema_revision", ""))
    if revision not in KNOWN_REVISIONS:
        raise UserError(f"备份 {path.name} 由更新版本的程序创建（数据版本 {revision}），请升级本程序后再恢复",
                        f"the backup was made by a newer version (schema {revision}); upgrade the program")
    if on_server:
        from sanlian_desktop.store import serverbackup

        db_revision = serverbackup.check_dump(path, work / DUMP)
    else:
        db_revision = _check_database(path, work / DATABASE)
    if db_revision != revision:
        raise damaged(path, "数据版本与清单不符", "schema revision differs from the manifest")
    office = manifest.get("office") or {}
    try:
        created = datetime.fromisoformat(str(manifest.get("created_at")))
    except ValueError:
        raise damaged(path, "清单中的时间无效", "bad time in the manifest") from None
    return BackupInfo(
        path=path, created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
        reason=str(manifest.get("reason", "")), schema_revision=revision,
        office_code=str(office.get("code", "")), office_name=str(office.get("name", "")),
        app_version=str(manifest.get("app_version", "")), database_size=members[db_name][1],
        attachments=_int(manifest.get("attachments")) if on_server else len(members) - 1,
        missing_attachments=[str(s) for s in manifest.get("missing_attachments", [])],
        encrypted=encrypted, on_server=on_server,
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _starts_like_zip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _read_manifest(path: Path, zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise foreign(path) from None
    if info.file_size > _MAX_MANIFEST:
        raise foreign(path)
    try:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise foreign(path) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise foreign(path)
    if manifest.get("format_version") == SERVER_FORMAT_VERSION and manifest.get("engine") != "postgresql":
        raise foreign(path)
    if manifest.get("format_version") not in (FORMAT_VERSION, SERVER_FORMAT_VERSION):
        raise UserError(f"备份 {path.name} 的格式由更新版本的程序创建，请升级本程序后再恢复",
                        "the backup format is newer than this program; upgrade the program")
    return manifest


def _check_members(path: Path, zf: zipfile.ZipFile, manifest: dict[str, Any],
                   db_name: str) -> dict[str, tuple[str, int]]:
    """The members the manifest lists, by name: (sha256, size); names are checked against a strict shape
    (``db_name``: the database copy, or a server's dump, which holds the attachments itself)."""
    listed: dict[str, tuple[str, int]] = {}
    raw = manifest.get("members")
    if not isinstance(raw, list):
        raise damaged(path, "清单不完整", "manifest lacks members")
    for item in raw:
        if not isinstance(item, dict):
            raise damaged(path, "清单格式有误", "bad manifest entry")
        name, sha, size = item.get("name"), item.get("sha256"), item.get("size")
        if not isinstance(name, str) or not isinstance(sha, str) or not isinstance(size, int) or size < 0:
            raise damaged(path, "清单格式有误", "bad manifest entry")
        match = _ATTACHMENT_NAME.match(name) if db_name == DATABASE else None
        if name != db_name and not (match and match.group(2) == sha and match.group(1) == sha[:2]):
            raise damaged(path, f"清单中有不认识的文件 {name[:80]}", "unexpected member name")
        listed[name] = (sha, size)
    if db_name not in listed:
        raise damaged(path, "缺少数据文件", "no database in the backup")
    present = set(zf.namelist()) - {MANIFEST}
    if present - set(listed):
        raise damaged(path, "含有清单以外的文件", "members not in the manifest")
    absent = set(listed) - present
    if absent:
        raise damaged(path, f"缺少 {len(absent)} 个文件", f"{len(absent)} members missing")
    return listed


def _check_member(path: Path, zf: zipfile.ZipFile, name: str, sha: str, size: int, target: Path | None) -> None:
    if zf.getinfo(name).file_size != size:
        raise damaged(path, f"{_label(name)}大小与清单不符", f"{name}: size differs")
    out: IO[bytes] | None = None
    try:
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            out = target.open("wb")
    except OSError as exc:
        raise _unwritable(target, exc) from None

    def write(piece: bytes) -> None:
        assert out is not None
        try:
            out.write(piece)
        except OSError as exc:
            raise _unwritable(target, exc) from None

    try:
        with zf.open(name) as fh:
            digest = sha256_stream(fh, write if out is not None else None)
        if out is not None:
            out.flush()
            os.fsync(out.fileno())
    except (zipfile.BadZipFile, zlib.error):
        raise damaged(path, f"{_label(name)}无法解压", f"{name}: bad data") from None
    finally:
        if out is not None:
            out.close()
    if digest != sha:
        raise damaged(path, f"{_label(name)}校验值与清单不符", f"{name}: SHA-256 differs")


def _unwritable(target: Path | None, exc: OSError) -> UserError:
    folder = target.parent if target is not None else "?"
    return UserError(f"无法在 {folder} 写入文件（{exc.strerror or exc}），可能磁盘空间不足；现有数据未改动",
                     f"cannot write in {folder}: {exc}; nothing was changed")


def _label(name: str) -> str:
    return "数据文件" if name in (DATABASE, DUMP) else f"附件 {name.rsplit('/', 1)[-1][:12]}… "


def _check_database(path: Path, db: Path) -> str:
    """The schema revision of the extracted database after ``PRAGMA integrity_check``."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise damaged(path, "数据文件未通过完整性检查", f"integrity_check: {result[0]}")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"alembic_version", "office", "attachment"} <= tables:
            raise foreign(path)
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return "" if row is None else str(row[0])
    except sqlite3.DatabaseError as exc:
        raise damaged(path, "数据文件无法读取", str(exc)) from None
    finally:
        conn.close()


# -- restoring ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did: the backup restored and where the previous data were kept."""

    restored: BackupInfo
    previous_backup: Path | None
    previous_folder: Path | None


def restore(home: Path, path: Path, *, by: Actor | None = None, allow_other_office: bool = False) -> RestoreResult:
    """Replace the store in ``home`` with the backup at ``path``.

    ``by`` is the signed-in user, who must be an administrator (of the current store, or of the
    backup when the current store cannot be opened); an encrypted backup opens only with their
    credentials (see :class:`Protection`). A backup of another office is refused unless
    ``allow_other_office``.

    The backup is verified and unpacked into a folder beside the store first; then the current store
    is backed up (reason ``before-restore``) and only then are the database and the attachments
    swapped by renames. Any failure before the swap leaves the current store as it was; a failure
    during the swap puts the old files back. If the current store is too damaged to back up, its
    files are kept, renamed, in ``backups/replaced-<time>``.

    The caller makes sure no other process has the store open (the GUI holds the instance lock).
    """
    if by is not None:
        require_restorer(by)
    paths = AppPaths(Path(home))
    if paths.server_settings.exists():
        return _restore_server(paths, Path(path), allow_other_office, by)
    try:
        paths.ensure()
        return _restore(paths, Path(path), allow_other_office, by)
    except OSError as exc:
        raise UserError(f"恢复失败：无法读写数据目录 {paths.home}（{exc.strerror or exc}）；现有数据未改动",
                        f"restore failed: cannot use {paths.home} ({exc}); nothing was changed") from None


def _restore(paths: AppPaths, path: Path, allow_other_office: bool, by: Actor | None) -> RestoreResult:
    from sanlian_desktop.store.engine import Store

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with _staging(paths.home, ".restore-") as staging:
        info = _unpack(Path(path), staging, extract_attachments=True, by=by, home=paths.home)
        if info.on_server:
            raise _server_backup_here(Path(path))
        current = current_office(paths)
        if current and info.office_code and current != info.office_code and not allow_other_office:
            raise UserError(f"这份备份属于 {info.office_name}（{info.office_code}），不是本单位的数据，不能恢复",
                            f"the backup belongs to office {info.office_code}, not {current}")
        (staging / "attachments").mkdir(exist_ok=True)
        previous_backup: Path | None = None
        if paths.database.exists():
            try:
                store = Store.open(paths.home, migrate=False)
                try:
                    previous_backup = take(store, reason="before-restore")
                finally:
                    store.close()
            except UserError:
                previous_backup = None
        with _staging(paths.home, ".replaced-") as old:
            _swap(paths, staging, old)
            kept: Path | None = None
            if previous_backup is None and any(old.iterdir()):
                # The swap is done: failing to keep the wreck must not report the restore as failed.
                try:
                    kept = paths.backups / f"replaced-{stamp}"
                    old.rename(kept)
                    old.mkdir()
                except OSError:
                    kept = None
    _sync_folder(paths.home)
    return RestoreResult(info, previous_backup, kept)


def _restore_server(paths: AppPaths, path: Path, allow_other_office: bool, by: Actor | None) -> RestoreResult:
    """:func:`restore` for a store on a PostgreSQL server: the dump is checked whole, the current data
    backed up, then the server's database replaced in one transaction (see :mod:`.serverbackup`)."""
    from sqlalchemy import select

    from sanlian_desktop.models import Office
    from sanlian_desktop.store import serverbackup
    from sanlian_desktop.store.engine import Store

    store = Store.open(paths.home, migrate=False)
    try:
        with _staging(paths.home, ".restore-") as staging:
            info = _unpack(path, staging, extract_attachments=False, by=by, home=paths.home)
            if not info.on_server:
                raise UserError(f"{path.name} 是单机数据（本机数据文件）的备份，不能恢复到数据库服务器；"
                                "请在单机上恢复后用“迁移到服务器”；数据未作任何改动",
                                f"{path.name} is a backup of a file store: it cannot be restored onto a server")
            with store.read_session() as s:
                current = s.scalar(select(Office.region_code).where(Office.is_self))
            if current and info.office_code and current != info.office_code and not allow_other_office:
                raise UserError(f"这份备份属于 {info.office_name}（{info.office_code}），不是本单位的数据，不能恢复",
                                f"the backup belongs to office {info.office_code}, not {current}")
            previous = take(store, reason="before-restore") if current else None
            serverbackup.load(store, staging / DUMP, staging)
        store.migrate()  # a dump of an older schema is brought to this program's
    finally:
        store.close()
    return RestoreResult(info, previous, None)


def require_restorer(actor: Actor) -> None:
    """Refuse anyone but an administrator: restoring replaces every record of the office."""
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("只有管理员可以恢复备份", "only an administrator may restore a backup")


def current_office(paths: AppPaths) -> str | None:
    """The own office code of the store in ``paths``, or None when there is none or it is unreadable."""
    if not paths.database.exists():
        return None
    try:
        conn = sqlite3.connect(f"{paths.database.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT region_code FROM office WHERE is_self = 1").fetchone()
        return None if row is None else str(row[0])
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


@contextlib.contextmanager
def _staging(home: Path, prefix: str) -> Iterator[Path]:
    """A folder inside ``home`` (same file system, so renames are atomic), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=home))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _swap(paths: AppPaths, staging: Path, old: Path) -> None:
    """Move the current database, its WAL files and attachments to ``old``; move the staged ones in."""
    moves: list[tuple[Path, Path]] = []
    for name in (DATABASE, DATABASE + "-wal", DATABASE + "-shm", DATABASE + "-journal"):
        moves.append((paths.home / name, old / name))
    moves.append((paths.attachments, old / "attachments"))
    moves.append((staging / DATABASE, paths.database))
    moves.append((staging / "attachments", paths.attachments))
    done: list[tuple[Path, Path]] = []
    try:
        for source, target in moves:
            if source.exists():
                source.rename(target)
                done.append((source, target))
    except OSError as exc:
        for source, target in reversed(done):
            with contextlib.suppress(OSError):
                target.rename(source)
        raise UserError(f"恢复时无法替换数据文件（{exc.strerror or exc}），现有数据未改动；请关闭所有本程序的窗口后重试",
                        f"could not swap the store ({exc}); nothing was changed") from None
