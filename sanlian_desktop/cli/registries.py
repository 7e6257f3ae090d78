"""The ``registry`` commands: community social organisations, social workers, community and area facts."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sanlian_desktop.cli.main import Context
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import CERTIFICATE_LEVELS

_YES = {"yes": True, "是": True, "有": True, "1": True, "true": True,
        "no": False, "否": False, "无": False, "0": False, "false": False}


def _yes_no(text: str) -> bool:
    value = _YES.get(text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"“{text}”应为 是/否（yes/no）/ not yes or no")
    return value


# set-community --clear NAME: the service's name of the fact.
_COMMUNITY_CLEAR = {"workroom": "has_workroom", "federation": "in_federation", "volunteers": "registered_volunteers",
                    "election": "election"}


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"“{text}”应为非负整数 / not a whole number")
    return int(text)


def register(sub: Any) -> None:
    """Add the ``registry`` commands to the parser."""
    reg = sub.add_parser("registry", help="社区社会组织、社工、社区与试点地区台账").add_subparsers(
        dest="sub", required=True)
    p = reg.add_parser("add-org", help="登记社区社会组织")
    p.add_argument("--community", required=True, help="所属社区代码（12位）")
    p.add_argument("--name", required=True)
    p.add_argument("--kind", required=True, help="组织类别，如 社区服务类、公益慈善类、专业社工机构")
    p.add_argument("--credit-code", help="统一社会信用代码（已登记的组织）")
    p.add_argument("--record-number", help="备案编号（备案的社区社会组织）")
    p.add_argument("--social-workers", action="store_true", help="有专兼职专业社工")
    p.add_argument("--agency", action="store_true", help="接纳民办社工机构开展服务")
    p.set_defaults(handler=cmd_add_org)

    p = reg.add_parser("edit-org", help="修改社区社会组织（未给出的项保持不变）")
    p.add_argument("ref", help="组织编号（list orgs 中的编号或 uid）")
    p.add_argument("--community", help="所属社区代码（12位）")
    p.add_argument("--name")
    p.add_argument("--kind")
    p.add_argument("--credit-code", help="统一社会信用代码（改为备案的组织时给出 --record-number）")
    p.add_argument("--record-number")
    p.add_argument("--social-workers", type=_yes_no, help="有专兼职专业社工：是/否")
    p.add_argument("--agency", type=_yes_no, help="接纳民办社工机构开展服务：是/否")
    p.set_defaults(handler=cmd_edit_org)

    p = reg.add_parser("delete-org", help="删除社区社会组织（删除随同步包报送上级）")
    p.add_argument("ref", help="组织编号或 uid")
    p.set_defaults(handler=cmd_delete_org)

    p = reg.add_parser("add-worker", help="登记社会工作者")
    p.add_argument("--community", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--certificate", help=f"证书等级：{'、'.join(CERTIFICATE_LEVELS)}（无证书可不填）")
    p.add_argument("--certificate-number", default="")
    p.add_argument("--employer", default="")
    p.set_defaults(handler=cmd_add_worker)

    p = reg.add_parser("edit-worker", help="修改社会工作者（未给出的项保持不变）")
    p.add_argument("ref", help="社工编号（list workers 中的编号或 uid）")
    p.add_argument("--community")
    p.add_argument("--name")
    p.add_argument("--certificate", help=f"证书等级：{'、'.join(CERTIFICATE_LEVELS)} 或 无")
    p.add_argument("--certificate-number")
    p.add_argument("--employer")
    p.set_defaults(handler=cmd_edit_worker)

    p = reg.add_parser("delete-worker", help="删除社会工作者（删除随同步包报送上级）")
    p.add_argument("ref", help="社工编号或 uid")
    p.set_defaults(handler=cmd_delete_worker)

    p = reg.add_parser("set-community", help="登记社区情况（未给出的项保持不变）")
    p.add_argument("community")
    p.add_argument("--workroom", type=_yes_no, help="设有社会工作室：是/否")
    p.add_argument("--federation", type=_yes_no, help="加入社区社会组织联合会：是/否")
    p.add_argument("--volunteers", type=_count, help="注册志愿者人数")
    p.add_argument("--election", choices=["direct", "indirect"], help="居委会选举方式：直接/间接")
    p.add_argument("--clear", action="append", choices=list(_COMMUNITY_CLEAR), default=[],
                   help="把这一项改回“未登记”（可重复）")
    p.set_defaults(handler=cmd_set_community)

    p = reg.add_parser("set-area", help="登记县级区划是否为试点地区、是否建立社会工作协会")
    p.add_argument("region")
    p.add_argument("--association", type=_yes_no, help="建立社会工作协会：是/否")
    p.add_argument("--pilot", type=_yes_no, help="是否为试点地区：是/否（未登记的县级区划均按试点地区计）")
    p.add_argument("--clear", action="append", choices=["association"], default=[],
                   help="把社会工作协会改回“未登记”")
    p.set_defaults(handler=cmd_set_area)

    p = reg.add_parser("template", help="导出台账 Excel 模板（社会组织、社工、社区情况、试点地区各一张表）")
    p.add_argument("--out", required=True, help="模板文件 .xlsx")
    p.set_defaults(handler=cmd_template)

    p = reg.add_parser("import-excel", help="从填好的台账模板导入（有任何错误的行则全部不导入，并列出错误）")
    p.add_argument("file", help="台账 .xlsx 文件")
    p.set_defaults(handler=cmd_import_excel)

    p = reg.add_parser("list", help="列出台账")
    p.add_argument("what", choices=["orgs", "workers", "communities", "areas"])
    p.add_argument("--region", help="只列该区划以下（默认为本单位辖区）")
    p.set_defaults(handler=cmd_list)


def _org_json(o: Any) -> dict[str, Any]:
    return {"id": o.id, "uid": o.uid, "office": o.office_code, "name": o.name, "kind": o.kind, "community": o.community_code, "credit_code": o.credit_code,
            "record_number": o.record_number, "has_social_workers": o.has_social_workers,
            "hosts_agency": o.hosts_agency}


def _worker_json(w: Any) -> dict[str, Any]:
    return {"id": w.id, "uid": w.uid, "office": w.office_code, "name": w.name, "certificate_level": w.certificate_level,
            "certificate_number": w.certificate_number, "employer": w.employer, "community": w.community_code}


def _facts_json(f: Any) -> dict[str, Any]:
    return {"community": f.community_code, "has_workroom": f.has_workroom, "in_federation": f.in_federation,
            "registered_volunteers": f.registered_volunteers, "election": f.election}


def cmd_add_org(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.registries import service as registries

    actor = ctx.actor()
    with ctx.store().session() as s:
        org = registries.add_organisation(
            s, actor, name=args.name, community_code=args.community, kind=args.kind, credit_code=args.credit_code,
            record_number=args.record_number, has_social_workers=args.social_workers, hosts_agency=args.agency)
        ctx.emit(_org_json(org), f"已登记社区社会组织 {org.name}（编号 {org.id}）")
    return 0


def cmd_edit_org(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.registries import service as registries

    actor = ctx.actor()
    changes = {key: value for key, value in (
        ("community_code", args.community), ("name", args.name), ("kind", args.kind),
        ("credit_code", args.credit_code), ("record_number", args.record_number),
        ("has_social_workers", args.social_workers), ("hosts_agency", args.agency)) if value is not None}
    if not changes:
        raise UserError("请至少给出一项要修改的内容", "give at least one field to change")
    with ctx.store().session() as s:  # (a credit code given clears a record number, and the reverse)
        org = registries.update_organisation(s, actor, args.ref, **changes)
        ctx.emit(_org_json(org), f"已修改社区社会组织 {org.name}（编号 {org.id}）")
    return 0


def cmd_delete_org(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.registries import service as registries

    actor = ctx.actor()
    with ctx.store().session() as s:
        org = registries.delete_organisation(s, actor, args.ref)
        ctx.emit(_org_json(org), f"已删除社区社会组织 {org.name}（编号 {org.id}）")
    return 0


def cmd_edit_worker(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.registries import service as registries

    actor = ctx.actor()
    changes = {key: value for key, value in (
        ("community_code", args.community), ("name", args.name), ("certificate_level", args.certificate),
        ("certificate_number", args.certificate_number), ("employer", args.employer)) if value is not None}
    if not changes:
        raise UserError("请至少给出一项要修改的内容", "give at least one field to change")
    with ctx.store().session() as s:
        worker = registries.update_worker(s, actor, args.ref, **changes)
        ctx.emit(_worker_json(worker), f"已修改社会工作者 {worker.name}（编号 {worker.id}）")
    return 0


def cmd_delete_worker(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.registries import service as registries

    actor = ctx.actor()
    with ctx.store().session() as s:
        worker = registries.delete_worker(s, actor, args.ref)
        ctx.emit(_worker_json(worker), f"已删除社会工作者 {worker.name}（编号 {worker.id}）")
    return 0


def cmd_add_worker(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.registries import service as registries

    actor = ctx.actor()
    with ctx.store().session() as s:
        worker = registries.add_worker(s, actor, name=args.name, community_code=args.community,
                                       certificate_level=args.certificate,
                                       certificate_number=args.certificate_number, employer=args.employer)
        ctx.emit(_worker_json(worker), f"已登记社会工作者 {worker.name}（编号 {worker.id}）")
    return 0


def cmd_set_community(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.registries import service as registries

    actor = ctx.actor()
    if (args.workroom is None and args.federation is None and args.volunteers is None and args.election is None
            and not args.clear):
        raise UserError("请至少给出一项：--workroom、--federation、--volunteers、--election 或 --clear",
                        "give at least one of --workroom, --federation, --volunteers, --election, --clear")
    with ctx.store().session() as s:
        facts = registries.set_community_facts(s, actor, args.community, has_workroom=args.workroom,
                                               in_federation=args.federation,
                                               registered_volunteers=args.volunteers, election=args.election,
                                               clear=[_COMMUNITY_CLEAR[c] for c in args.clear])
        ctx.emit(_facts_json(facts), f"已登记社区 {facts.community_code} 的情况")
    return 0


def cmd_set_area(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.registries import service as registries

    actor = ctx.actor()
    if args.association is None and args.pilot is None and not args.clear:
        raise UserError("请至少给出一项：--association、--pilot 或 --clear association",
                        "give --association, --pilot or --clear association")
    with ctx.store().session() as s:
        facts = registries.set_area_facts(s, actor, args.region, has_association=args.association, pilot=args.pilot,
                                          clear=["has_association"] if args.clear else [])
        ctx.emit(_area_json(facts), f"已登记 {facts.region_code}：{_area_text(facts)}")
    return 0


def _area_json(a: Any) -> dict[str, Any]:
    return {"region": a.region_code, "pilot": a.pilot, "has_association": a.has_association}


def _area_text(a: Any) -> str:
    association = {True: "已建立社会工作协会", False: "未建立社会工作协会", None: "社会工作协会未登记"}[a.has_association]
    return ("试点地区" if a.pilot else "非试点地区") + "，" + association


def cmd_template(ctx: Context, args: argparse.Namespace) -> int:

    from sanlian_desktop.registries import workbook as registryexcel

    actor = ctx.actor()
    with ctx.store().read_session() as s:
        path = registryexcel.write_registry_template(s, actor, Path(args.out))
    ctx.emit({"file": str(path)}, f"已导出台账模板：{path}")
    return 0


def cmd_import_excel(ctx: Context, args: argparse.Namespace) -> int:

    from sanlian_desktop.registries import workbook as registryexcel

    actor = ctx.actor()
    try:
        result = registryexcel.import_registry_workbook(ctx.store(), actor, Path(args.file))
    except registryexcel.RegistryRowsInvalid as exc:
        # Every bad row goes to the output; the one-line refusal follows on stderr (exit 2).
        marked = [f"错误已标注在：{exc.errors_file}"] if exc.errors_file else []
        ctx.emit({"imported": False, "errors_file": str(exc.errors_file) if exc.errors_file else None, "problems": [
            {"sheet": p.sheet, "row": p.row, "column": p.column, "header": p.header, "message": p.message}
            for p in exc.problems]}, [p.line() for p in exc.problems] + marked)
        raise
    ctx.emit({"imported": True, **result.as_dict()}, result.lines())
    return 0


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.registries import service as registries

    actor = ctx.actor()
    with ctx.store().read_session() as s:
        if args.what == "orgs":
            orgs = registries.list_organisations(s, actor, within=args.region)
            ctx.emit([_org_json(o) for o in orgs],
                     [f"{o.id}\t{o.community_code}\t{o.name}\t{o.kind}\t{o.credit_code or o.record_number}"
                      + ("\t有专业社工" if o.has_social_workers else "") + ("\t接纳社工机构" if o.hosts_agency else "")
                      for o in orgs] or ["（没有登记的社区社会组织）"])
        elif args.what == "workers":
            workers = registries.list_workers(s, actor, within=args.region)
            ctx.emit([_worker_json(w) for w in workers],
                     [f"{w.id}\t{w.community_code}\t{w.name}\t{w.certificate_level or '无证书'}\t{w.employer}"
                      for w in workers] or ["（没有登记的社会工作者）"])
        elif args.what == "communities":
            rows = registries.list_community_facts(s, actor, within=args.region)
            yes = {True: "是", False: "否", None: "未登记"}
            ctx.emit([_facts_json(f) for f in rows],
                     [f"{f.community_code}\t社会工作室 {yes[f.has_workroom]}\t联合会 {yes[f.in_federation]}\t"
                      f"志愿者 {'未登记' if f.registered_volunteers is None else f.registered_volunteers}\t"
                      f"选举 {registries.ELECTION_METHODS.get(f.election or '', '未登记')}" for f in rows]
                     or ["（没有登记的社区情况）"])
        else:
            areas = registries.list_area_facts(s, actor)
            ctx.emit([_area_json(a) for a in areas], [f"{a.region_code}\t{_area_text(a)}" for a in areas]
                     or ["（没有登记的试点地区情况）"])
    return 0
