"""Commands that keep an installation safe: ``backup``, ``restore`` and ``check``."""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sanlian_desktop.cli.main import Context, prompt_password
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Role

if TYPE_CHECKING:
    from sanlian_desktop.offices.auth import Actor
    from sanlian_desktop.store.backup import BackupInfo
    from sanlian_desktop.store.engine import Store


def register(sub: Any) -> None:
    """Add ``backup``, ``restore`` and ``check``."""
    p = sub.add_parser("backup", help="备份全部数据（数据库和附件）到一个文件")
    p.add_argument("--out", type=Path, help="备份文件（如 E:\\城关区-备份.zip）；不给出时存入数据目录的 backups 文件夹")
    p.set_defaults(handler=cmd_backup)
    p = sub.add_parser("restore", help="从备份文件恢复全部数据（管理员；恢复前自动备份现有数据）")
    p.add_argument("file", type=Path, help="备份文件")
    p.set_defaults(handler=cmd_restore)
    p = sub.add_parser("check", help="检查数据文件、审计日志和附件是否完好")
    p.set_defaults(handler=cmd_check)


def cmd_backup(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.store import backup

    ctx.actor()
    out: Path | None = args.out
    if out is not None:
        if out.suffix.lower() != ".zip":
            raise UserError("备份文件名应以 .zip 结尾", "the backup file name should end in .zip")
        if out.exists():
            raise UserError(f"{out} 已存在，请换一个文件名", f"{out} already exists")
    path, info = backup.take_checked(ctx.store(), reason="manual", out=out)
    ctx.emit({"path": str(path), "schema_revision": info.schema_revision, "attachments": info.attachments,
              "missing_attachments": info.missing_attachments, "size": path.stat().st_size},
             [f"已备份到 {path}（{_megabytes(path.stat().st_size)}）", info.summary()])
    return 0


def cmd_restore(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.kernel.paths import AppPaths
    from sanlian_desktop.store import backup, instance

    actor, info = _admin(ctx, args.file)
    backup.require_restorer(actor)
    ctx.close()
    ctx._store = None
    paths = AppPaths(ctx.home)
    with instance.acquire(paths):
        result = backup.restore(ctx.home, args.file, by=actor)
    lines = [f"已从 {args.file} 恢复：{info.summary()}"]
    if result.previous_backup is not None:
        lines.append(f"恢复前的数据已备份到 {result.previous_backup}")
    if result.previous_folder is not None:
        lines.append(f"原有数据无法备份（可能已损坏），原文件保留在 {result.previous_folder}")
    ctx.emit({"restored": str(args.file), "schema_revision": info.schema_revision,
              "previous_backup": str(result.previous_backup) if result.previous_backup else None,
              "previous_folder": str(result.previous_folder) if result.previous_folder else None}, lines)
    return 0


def cmd_check(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.store import health

    report = health.check(ctx.store())
    ctx.emit(report.as_dict(), report.lines())
    if not report.ok:
        raise UserError(f"检查发现 {len(report.problems)} 处问题", f"check found {len(report.problems)} problems")
    return 0


@dataclass(frozen=True)
class _Credentials:
    """A name and password to open an encrypted backup before anyone is signed in: the backup opens
    only for its own administrators, whom the caller then signs in against the backup's copy."""

    username: str
    password: str = field(repr=False)
    role: Role = Role.ADMIN


def _admin(ctx: Context, path: Path) -> tuple[Actor, BackupInfo]:
    """Sign in against this store; if it cannot be opened, against the backup (to restore a wreck).
    Returns the administrator and the checked backup (opened with their credentials when encrypted)."""
    from sanlian_desktop.kernel.paths import AppPaths
    from sanlian_desktop.store import backup
    from sanlian_desktop.store.engine import Store

    try:
        ctx.store()
    except Exception:
        # A missing or damaged store: restoring is what is needed, so an admin of the backup may do it.
        password = _password(ctx)
        with tempfile.TemporaryDirectory(prefix="sanlian-restore-") as work:
            info = backup.extract_database(path, Path(work), by=_Credentials(ctx.username or "", password))
            copy = Store(AppPaths(Path(work)))
            try:
                return _sign_in(ctx, copy, password), info
            finally:
                copy.close()
    if not backup.is_encrypted(path):
        info = backup.verify(path)  # a foreign or damaged file is refused before anyone is asked for a password
        return ctx.actor(), info
    actor = ctx.actor()
    backup.require_restorer(actor)
    return actor, backup.verify(path, by=actor, home=ctx.home)


def _password(ctx: Context) -> str:
    import os

    if not ctx.username:
        raise UserError("请用 --user 指定管理员用户名", "give --user NAME of an administrator")
    password = os.environ.get("SANLIAN_PASSWORD")
    if password is None:
        password = prompt_password(f"用户 {ctx.username} 的密码 / password: ")
    return password


def _sign_in(ctx: Context, store: Store, password: str) -> Actor:
    from sanlian_desktop.offices.auth import sign_in

    with store.session() as session:
        return sign_in(session, ctx.username or "", password)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} KB"
