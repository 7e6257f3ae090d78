"""Commands for the trust chain and sync packages: office request/certify/install/revoke, sync …"""

from __future__ import annotations

import argparse
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sanlian_desktop.cli.main import Context
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import status_text

if TYPE_CHECKING:
    from sanlian_desktop.offices.certack import OfficeCertificate


def register(sub: Any) -> None:
    """Add ``office …`` and ``sync …``."""
    office = sub.add_parser("office", help="本单位与证书").add_subparsers(dest="sub", required=True)
    p = office.add_parser("request", help="生成证书申请文件，交上级单位签发（证书被吊销后自动使用新密钥）")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--new-keys", action="store_true", help="为本单位生成新的密钥（密钥可能泄露时）")
    p.add_argument("--suite", help="改用的算法套件（省民政厅更换算法套件后：gm 为国密），同时生成新的密钥")
    p.set_defaults(handler=cmd_request)
    p = office.add_parser("migrate-suite", help="（省民政厅）把整条证书链改用另一种算法套件：生成新根证书，规定过渡期")
    p.add_argument("--to", required=True, help="新的算法套件（gm：国密；sl1：国际通用算法）")
    p.add_argument("--until", required=True, help="过渡期的最后一天（YYYY-MM-DD，北京时间当天结束时过渡期结束）")
    p.set_defaults(handler=cmd_migrate_suite)
    p = office.add_parser("certify", help="为下级单位签发证书")
    p.add_argument("request", type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--days", type=int, default=1095, help="有效天数（默认三年）")
    p.set_defaults(handler=cmd_certify)
    p = office.add_parser("install", help="安装上级单位签发的证书")
    p.add_argument("cert", type=Path)
    p.set_defaults(handler=cmd_install)
    p = office.add_parser("revoke", help="吊销下级单位的证书（按证书编号，或按单位代码吊销其现行证书）")
    p.add_argument("code", help="证书编号，或下级单位的区划代码")
    p.add_argument("--reason", required=True)
    p.add_argument("--last-package", type=int, default=None,
                   help="该证书仍予接受的最后一个数据包编号（默认：本单位已收到的最大编号）")
    p.set_defaults(handler=cmd_revoke)
    office.add_parser("show", help="本单位与证书信息").set_defaults(handler=cmd_show)
    p = office.add_parser("key-to-token",
                          help="把本单位密钥移入硬件令牌（PKCS#11；PIN 码取自 SANLIAN_TOKEN_PIN 或提示）")
    p.add_argument("--token", required=True, help="硬件令牌的标签")
    p.add_argument("--module", help="令牌驱动（PKCS#11 模块）的路径，默认 SANLIAN_PKCS11_MODULE 或 SoftHSM2")
    p.set_defaults(handler=cmd_key_to_token)

    sync = sub.add_parser("sync", help="同步包（U 盘或电子邮件传递）").add_subparsers(dest="sub", required=True)
    p = sync.add_parser("export", help="导出同步包")
    p.add_argument("--to", help="接收单位的区划代码（不填则为每个有待发内容的相邻单位各导出一个文件）")
    p.add_argument("--out", required=True, type=Path, help="文件名（用 --to 时）或文件夹")
    p.set_defaults(handler=cmd_export)
    p = sync.add_parser("verify", help="检查同步包但不导入")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_verify)
    p = sync.add_parser("import", help="导入同步包")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_import)
    sync.add_parser("status", help="与各相邻单位的收发情况").set_defaults(handler=cmd_status)
    sync.add_parser("conflicts", help="待处理的同步冲突").set_defaults(handler=cmd_conflicts)
    p = sync.add_parser("resolve", help="处理一条冲突（保留本单位的记录）")
    p.add_argument("id", type=int)
    p.add_argument("--note", required=True)
    p.set_defaults(handler=cmd_resolve)


def cmd_request(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices import custody as trust
    from sanlian_desktop.sync.trust.suite import suite_by_short

    suite = suite_by_short(args.suite.strip()) if args.suite else None
    actor = ctx.actor()
    with ctx.store().session() as s:
        trust.request_certificate(s, actor, args.out, new_keys=args.new_keys, suite=suite)
        rekeyed = trust.own_certificate(s) is not None and not trust.own_keys_certified(s, actor)
    ctx.emit({"out": str(args.out), "new_keys": rekeyed},
             f"已生成证书申请 {args.out}{'（使用新生成的密钥）' if rekeyed else ''}，请交上级民政部门签发")
    return 0


def cmd_certify(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices import custody as trust

    actor = ctx.actor()
    with ctx.store().session() as s:
        done = trust.certify_child(s, actor, args.request, args.out, valid_days=args.days)
    ctx.emit({"office": done.office.code, "name": done.office.name, "serial": done.cert.serial,
              "not_after": done.cert.not_after.isoformat(), "out": str(args.out)},
             f"已为 {done.office.label()} 签发证书（有效期至 {done.cert.not_after:%Y-%m-%d}），文件 {args.out}")
    return 0


def cmd_install(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices import custody as trust

    actor = ctx.actor()
    with ctx.store().session() as s:
        cert = trust.install_certificate(s, actor, args.cert)
    ctx.emit({"serial": cert.serial, "not_after": cert.not_after.isoformat()},
             f"已安装本单位证书（有效期至 {cert.not_after:%Y-%m-%d}），可以收发同步包了")
    return 0


def cmd_revoke(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices import custody as trust

    actor = ctx.actor()
    with ctx.store().session() as s:
        record = trust.revoke_child(s, actor, args.code.strip(), args.reason, last_seq=args.last_package)
    ctx.emit({"serial": record.serial, "code": record.code, "last_package": record.last_seq},
             f"已吊销 {record.code} 的证书（编号 {record.serial[:12]}…）；该证书第 {record.last_seq} 号以后的数据包"
             "一律拒收；吊销记录将随同步包上报和下发")
    return 0


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices import certack
    from sanlian_desktop.offices import custody as trust
    from sanlian_desktop.offices.auth import this_office
    from sanlian_desktop.sync.exchange.neighbours import neighbours

    ctx.actor()
    with ctx.store().session() as s:
        office = this_office(s)
        facts = trust.describe(s)
        near = neighbours(s)
        theirs = certack.office_certificates(s, [n.code for n in near])
    data = {"code": office.region_code, "name": office.name, "level": office.level, **facts,
            "neighbours": [{"code": n.code, "name": n.name, "is_parent": n.is_parent,
                            **_neighbour_certificate(theirs[n.code])} for n in near]}
    cert = facts["certificate"]
    state = "尚未安装" if not cert else (f"编号 {cert['serial']}，有效期至 {cert['not_after'][:10]}"
                                      + ("（已被吊销，请重新申请证书）" if cert["revoked"] else ""))
    where = facts["key_location"]["label"] if facts["key_location"] else "尚未生成"
    ctx.emit(data, [f"{office.name}（{office.region_code}）",
                    f"证书：{state}",
                    f"本单位密钥：{where}",
                    *[f"{'上级' if n.is_parent else '下级'}：{n.name}（{n.code}）"
                      + ("" if n.is_parent else _child_state(theirs[n.code])) for n in near]])
    return 0


def _neighbour_certificate(facts: OfficeCertificate) -> dict[str, Any]:
    cert = facts.cert
    return {"certificate": None if cert is None else cert.serial, "revoked": facts.revoked,
            "installed": facts.installed, "installed_serial": facts.acknowledged_serial}


def _child_state(facts: OfficeCertificate) -> str:
    """A child's newest certificate and whether it has installed it (issue 14): a package signed under it
    reached this office."""
    cert = facts.cert
    if cert is None:
        return "，尚无证书"
    if facts.revoked:
        return f"，证书 {cert.serial[:12]}… 已吊销"
    return f"，证书 {cert.serial[:12]}…（有效期至 {cert.not_after:%Y-%m-%d}）{facts.install_label}"


def cmd_key_to_token(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.cli.main import token_pin
    from sanlian_desktop.offices import custody as trust

    actor = ctx.actor()
    pin = token_pin(args.token)
    with ctx.store().session() as s:
        where = trust.move_keys_to_token(s, actor, token=args.token, pin=pin, module=args.module)
    ctx.emit({"kind": where.kind, "label": where.label, "token": where.token},
             f"本单位密钥已移入{where.label}，本机密钥库中不再保存其副本；证书不变。请妥善保管令牌。")
    return 0


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.sync.exchange.export import export_all, export_package
    from sanlian_desktop.sync.exchange.files import EXTENSION

    actor = ctx.actor()
    store = ctx.store()
    if args.to:
        if args.out.suffix != EXTENSION:
            raise UserError(f"同步包文件名应以 {EXTENSION} 结尾", f"the file should end in {EXTENSION}")
        if not args.out.parent.is_dir():
            raise UserError(f"文件夹 {args.out.parent} 不存在", f"folder {args.out.parent} does not exist")
        results = [export_package(store, actor, args.to.strip(), args.out)]
    else:
        results = export_all(store, actor, args.out)
    data = [{"to": r.neighbour.code, "file": str(r.path) if r.path else None, "package_id": r.package_id,
             "records": r.records, "receipts": r.receipts, "by_kind": r.by_kind, "left_out": r.left_out}
            for r in results]
    lines = [f"已导出给 {r.neighbour.name}（{r.neighbour.code}）：{r.path}，{r.records} 条记录、{r.receipts} 份回执"
             for r in results if r.path] or ["没有需要发送的内容"]
    lines += [f"给 {r.neighbour.name}（{r.neighbour.code}）：{r.left_out_note}。" for r in results if r.left_out]
    ctx.emit(data if not args.to else data[0], lines)
    return 0


def _titled(title: tuple[str, str] | None) -> str:
    """``项目名称（社区）`` of a declaration in an import's report."""
    if title is None:
        return ""
    name, community = title
    return f"{name}（{community}）" if community else name


def _result_lines(result: Any, verb: str) -> list[str]:
    if result.already_imported:
        return [f"这个数据包（来自 {result.sender_name}）已经导入过，本次没有任何改动"]
    r = result.report
    lines = [f"{verb}来自 {result.sender_name}（{result.sender_code}）的第 {result.channel_seq} 号数据包：",
             f"  新记录 {r.applied} 条，已有 {r.already} 条，冲突 {r.conflicts} 条；回执 {result.receipts} 份"]
    lines += [f"  {n} {_titled(r.titles.get(n))}：{status_text(a)} → {status_text(b)}"
              for n, a, b in r.state_changes[:30]]
    if len(r.state_changes) > 30:
        lines.append(f"  ……另有 {len(r.state_changes) - 30} 份申报的状态有变化（--json 列出全部）")
    if result.missing_seqs:
        lines.append(f"  注意：尚未收到该单位的第 {'、'.join(map(str, result.missing_seqs))} 号数据包")
    if r.conflicts:
        lines.append("  有冲突的记录已另行保存，请用 sync conflicts 查看处理")
    return lines


def cmd_verify(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.sync.exchange.importing import import_package

    actor = ctx.actor()
    result = import_package(ctx.store(), actor, args.file, preview=True)
    ctx.emit(result.as_dict(), ["数据包完好，签名有效。", *_result_lines(result, "导入后将应用")])
    return 0


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.sync.exchange.importing import import_package

    actor = ctx.actor()
    result = import_package(ctx.store(), actor, args.file)
    from sanlian_desktop.screening.service import refresh_store

    refresh_store(ctx.store())  # the declarations received are screened for near-duplicates
    # The certificate the sender used: a child's newest shows here once it has installed it.
    ctx.emit({**result.as_dict(), "sender_serial": result.sender_serial}, _result_lines(result, "已导入"))
    return 0


def cmd_status(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.sync.exchange.status import status

    ctx.actor()
    rows = status(ctx.store())
    lines = []
    for st in rows:
        n = st.neighbour
        lines.append(f"{'上级' if n.is_parent else '下级'} {n.name}（{n.code}）：待发送 {st.waiting} 条，"
                     f"已发送未确认 {st.sent_unacknowledged} 条，已确认 {st.acknowledged} 条，待回执 {st.receipts_waiting} 份"
                     + (f"；缺少对方第 {'、'.join(map(str, st.missing_seqs))} 号数据包" if st.missing_seqs else ""))
    ctx.emit([st.as_dict() for st in rows], lines or ["本单位还没有可交换数据的相邻单位（请先完成证书签发）"])
    return 0


def cmd_conflicts(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.sync.exchange.conflicts import conflicts

    ctx.actor()
    with ctx.store().session() as s:
        rows = conflicts(s)
        ctx.emit([{"id": c.id, "kind": c.kind, "key": c.key, "declaration_id": c.declaration_id, "reason": c.reason,
                   "from": c.from_office, "at": c.at.isoformat()} for c in rows],
                 [f"#{c.id} {c.kind} {c.key[:24]}：{c.reason}（来自 {c.from_office}）" for c in rows] or ["没有待处理的冲突"])
    return 0


def cmd_resolve(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.sync.exchange.conflicts import resolve_conflict

    actor = ctx.actor()
    with ctx.store().session() as s:
        resolve_conflict(s, actor, args.id, args.note)
    ctx.emit({"id": args.id, "resolution": "keep_local"}, f"冲突 #{args.id} 已处理（保留本单位记录）")
    return 0


def cmd_migrate_suite(ctx: Context, args: argparse.Namespace) -> int:
    from datetime import date, datetime, time, timedelta, timezone

    from sanlian_desktop.offices import custody as trust
    from sanlian_desktop.sync.trust.certs import show_date
    from sanlian_desktop.sync.trust.suite import suite_by_short, suite_label

    suite = suite_by_short(args.to.strip())
    try:
        last_day = date.fromisoformat(args.until.strip())
    except ValueError:
        raise UserError(f"过渡期的最后一天“{args.until[:20]}”不是有效日期，请按 YYYY-MM-DD 填写",
                        f"--until {args.until[:20]!r} is not a date (YYYY-MM-DD)") from None
    beijing = timezone(timedelta(hours=8))  # the day ends at midnight in Beijing
    until = datetime.combine(last_day + timedelta(days=1), time(0, 0), beijing).astimezone(UTC)
    actor = ctx.actor()
    with ctx.store().session() as s:
        record = trust.migrate_suite(s, actor, suite, until)
    ctx.emit({"from": record.old_suite, "to": record.new_root.suite, "new_root": record.new_root.serial,
              "until": record.until.isoformat()},
             [f"已生成“{suite_label(record.new_root.suite)}”的新根证书（编号 {record.new_root.serial[:12]}…），"
              f"过渡期至 {last_day.isoformat()} 当天结束（{show_date(record.until)} 起不再采信原算法套件）。",
              "根证书更替声明将随证书文件和同步包逐级下发；各下级单位收到后用 "
              f"office request --suite {suite.short} 重新申请证书，由上级签发后安装。",
              f"过渡期结束后，“{suite_label(record.old_suite)}”的数据包、证书和签名一律不再采信。"])
    return 0
