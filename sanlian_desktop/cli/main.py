"""Parsing, signing in, output and error handling shared by every command."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from sanlian_desktop.kernel.errors import UserError

if TYPE_CHECKING:  # imported where first used: a command that needs no store starts faster
    from sanlian_desktop.offices.auth import Actor
    from sanlian_desktop.store.engine import Store

EXIT_OK, EXIT_INTERNAL, EXIT_REFUSED = 0, 1, 2

Handler = Callable[["Context", argparse.Namespace], int]


class ArgumentError(UserError):
    """A command-line argument that does not parse."""


class Parser(argparse.ArgumentParser):
    """argparse whose complaints are a Chinese line with the English after it, exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentError(f"命令行参数有误：{message}（用 --help 查看用法）", f"bad arguments: {message}")


@dataclass
class Context:
    """What a command runs with: the home folder, who signs in and how to print."""

    home: Path
    username: str | None
    as_json: bool
    out: TextIO | None = None
    _store: Store | None = None
    _actor: Actor | None = None

    def store(self) -> Store:
        """The opened (and migrated) store of this home."""
        from sanlian_desktop.store.engine import Store

        if self._store is None:
            from sanlian_desktop.kernel.paths import AppPaths
            from sanlian_desktop.store.engine import read_server_url

            url = read_server_url(AppPaths(self.home))
            if url is not None:
                server_password(url)
            self._store = Store.open(self.home)
        return self._store

    def actor(self) -> Actor:
        """Sign in with ``--user`` and the password from SANLIAN_PASSWORD or a prompt."""
        if self._actor is not None:
            return self._actor
        from sanlian_desktop.offices.auth import sign_in

        if not self.username:
            raise UserError("请用 --user 指定用户名（或设置 SANLIAN_USER）", "give --user NAME (or set SANLIAN_USER)")
        password = os.environ.get("SANLIAN_PASSWORD")
        if password is None:
            password = prompt_password(f"用户 {self.username} 的密码 / password: ")
        with self.store().session() as session:
            actor = sign_in(session, self.username, password)
        self._actor = actor
        return actor

    def emit(self, data: Any, text: str | Sequence[str]) -> None:
        """Print ``data`` as JSON with --json, else the human-readable ``text``."""
        out = self.out or sys.stdout
        if self.as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2, default=str), file=out)
        else:
            lines = [text] if isinstance(text, str) else list(text)
            for line in lines:
                print(line, file=out)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def prompt_password(prompt: str, *, confirm: bool = False) -> str:
    """Ask for a password on the terminal; refuse when there is no terminal to ask on."""
    if not sys.stdin or not sys.stdin.isatty():
        raise UserError(
            "需要密码：请在终端中运行，或设置环境变量 SANLIAN_PASSWORD / SANLIAN_NEW_PASSWORD",
            "a password is needed: run in a terminal or set SANLIAN_PASSWORD / SANLIAN_NEW_PASSWORD",
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("再输入一次 / again: ") != first:
        raise UserError("两次输入的密码不一致", "the passwords differ")
    return first


def server_password(url: str) -> None:
    """Make the database server's password known to the driver: PGPASSWORD, else asked on the terminal
    (kept in this process only). A password written into the address is refused: it would stay in the
    shell's history and the process list."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        in_url = make_url(url).password
    except ArgumentError:
        return  # the store refuses the address with its own message
    if in_url is not None:
        raise UserError("请不要把数据库密码写在地址里：设置环境变量 PGPASSWORD，或在提示时输入",
                        "do not put the password in the database URL: set PGPASSWORD or type it when asked")
    if os.environ.get("PGPASSWORD") is not None or not sys.stdin or not sys.stdin.isatty():
        return  # no terminal: the server may trust this user, or ~/.pgpass holds it
    from sanlian_desktop.store.server import use_password

    use_password(getpass.getpass("数据库服务器密码（无需密码直接回车）/ database password: "))


def new_password(label: str) -> str:
    """A new password from SANLIAN_NEW_PASSWORD or a prompt (asked twice)."""
    value = os.environ.get("SANLIAN_NEW_PASSWORD")
    return value if value is not None else prompt_password(f"{label}的新密码 / new password: ", confirm=True)


def token_pin(label: str) -> str:
    """A PKCS#11 token's user PIN from SANLIAN_TOKEN_PIN or a prompt (never from the command line)."""
    value = os.environ.get("SANLIAN_TOKEN_PIN")
    if value is not None:
        return value
    if not sys.stdin or not sys.stdin.isatty():
        raise UserError(
            f"需要硬件令牌“{label}”的 PIN 码：请在终端中运行，或设置 SANLIAN_TOKEN_PIN",
            "a token PIN is needed: run in a terminal or set SANLIAN_TOKEN_PIN",
        )
    return getpass.getpass(f"硬件令牌“{label}”的 PIN 码 / token PIN: ")


def date_arg(text: str) -> date:
    """An argument that is a date written 2016-07-01."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期（应写成 2016-07-01）/ not a date") from None


def money_arg(text: str) -> Decimal:
    """An argument that is an amount of money."""
    from sanlian_desktop.kernel.money import MoneyError, parse_money

    try:
        return parse_money(text)
    except MoneyError as exc:
        raise argparse.ArgumentTypeError(f"{exc} / not an amount") from None


def positive_arg(text: str) -> int:
    """An argument that is a positive whole number."""
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"“{text}”应为正整数 / not a positive whole number")
    return int(text)


def count_arg(text: str) -> int:
    """An argument that is a whole number, zero or more."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"“{text}”应为非负整数 / not a whole number")
    return int(text)


def build_parser() -> Parser:
    """The full command-line grammar."""
    parser = Parser(prog="sanlian", description="甘肃省“三社联动”试点项目申报系统 命令行")
    parser.add_argument("--home", type=Path, help="数据目录（默认为用户数据目录，或环境变量 SANLIAN_HOME）")
    parser.add_argument("--user", help="用户名（或环境变量 SANLIAN_USER）；密码取自 SANLIAN_PASSWORD 或提示输入")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    if not _COMMAND_GROUPS:  # the grammar would silently lack every feature's commands
        raise RuntimeError("no command groups registered: call sanlian_desktop.app.compose_cli() first")
    for register in _COMMAND_GROUPS:
        register(sub)
    return parser


# The command groups (office, declarations, …, sync, paper, selection …), added by the composition root in order.
_COMMAND_GROUPS: list[Callable[[Any], None]] = []


def add_command_group(register: Callable[[Any], None]) -> None:
    """Add a feature's ``register(subparsers)`` to the grammar (once; see :mod:`sanlian_desktop.app`)."""
    if register not in _COMMAND_GROUPS:
        _COMMAND_GROUPS.append(register)


def _log_internal_error(home: Path | None) -> Path | None:
    try:
        from sanlian_desktop.kernel.paths import AppPaths, default_home

        logs = AppPaths(home or default_home()).logs
        logs.mkdir(parents=True, exist_ok=True)
        path = logs / "cli-errors.log"
        logging.basicConfig(filename=path, level=logging.ERROR)
        logging.getLogger("sanlian").error("internal error\n%s", traceback.format_exc())
        return path
    except Exception:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 2 on bad input or a refused action, 1 on an internal fault."""
    ctx: Context | None = None
    home: Path | None = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        from sanlian_desktop.kernel.paths import default_home

        home = args.home or default_home()
        ctx = Context(home=home, username=args.user or os.environ.get("SANLIAN_USER"), as_json=args.json)
        handler: Handler = args.handler
        return handler(ctx, args)
    except UserError as exc:
        print(exc.line(), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("已取消 / cancelled", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        log = _log_internal_error(home)
        where = f"，详情见 {log}" if log else ""
        print(f"程序内部错误（{type(exc).__name__}），操作未完成{where} / internal error, nothing was changed",
              file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if ctx is not None:
            ctx.close()
