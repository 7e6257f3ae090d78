"""``check``: is this store whole? The database file, the audit log and every attachment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from sanlian_desktop.models import Attachment
from sanlian_desktop.store import attachments, audit, dialects

if TYPE_CHECKING:
    from sanlian_desktop.store.engine import Store

MAX_LISTED = 50


@dataclass(frozen=True)
class Problem:
    """One thing found wrong: a machine-readable kind, a subject and a sentence for the user."""

    kind: str  # "database", "audit", "attachment-missing", "attachment-damaged"
    subject: str
    message: str


@dataclass
class HealthReport:
    """What ``check`` found; ``ok`` when nothing is wrong."""

    database_ok: bool = True
    audit_entries: int = 0
    attachments_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The readable report, in Chinese, one finding a line."""
        out = [
            "数据文件完整性：" + ("正常" if self.database_ok else "有问题"),
            f"审计日志：共 {self.audit_entries} 条，"
            + ("未发现改动" if not self._of("audit") else f"发现 {len(self._of('audit'))} 处问题"),
            f"附件：检查了 {self.attachments_checked} 个，缺失 {len(self._of('attachment-missing'))} 个，"
            f"损坏 {len(self._of('attachment-damaged'))} 个",
        ]
        for problem in self.problems[:MAX_LISTED]:
            out.append(f"  ✗ {problem.message}")
        if len(self.problems) > MAX_LISTED:
            out.append(f"  （另有 {len(self.problems) - MAX_LISTED} 处问题未列出）")
        out.append("检查结果：正常" if self.ok else
                   f"检查结果：发现 {len(self.problems)} 处问题。请先备份现有数据，再从最近的正常备份恢复，或联系上级单位")
        return out

    def as_dict(self) -> dict[str, Any]:
        """The machine form (for ``--json``)."""
        return {
            "ok": self.ok, "database_ok": self.database_ok, "audit_entries": self.audit_entries,
            "attachments_checked": self.attachments_checked,
            "problems": [{"kind": p.kind, "subject": p.subject, "message": p.message} for p in self.problems],
        }

    def _of(self, kind: str) -> list[Problem]:
        return [p for p in self.problems if p.kind == kind]


def check(store: Store) -> HealthReport:
    """Run every check on ``store`` and report what is wrong; changes nothing."""
    report = HealthReport()
    _check_database(store, report)
    if not report.database_ok:
        # A damaged file can make every later query fail or lie; the database finding is the news.
        return report
    with store.read_session() as session:
        trail = audit.verify(session)
        report.audit_entries = trail.entries
        report.problems += [Problem("audit", "audit_log", f"审计日志：{p}") for p in trail.problems]
        for sha in session.scalars(select(Attachment.sha256).order_by(Attachment.sha256)):
            report.attachments_checked += 1
            blob = attachments.blob_path(store.paths, sha)
            if not blob.exists():
                report.problems.append(Problem("attachment-missing", sha, f"附件 {sha[:12]}… 的文件缺失（{blob}）"))
            elif not attachments.verify_blob(store.paths, sha):
                report.problems.append(Problem("attachment-damaged", sha,
                                               f"附件 {sha[:12]}… 的内容已损坏或被改动（{blob}）"))
    return report


def _check_database(store: Store, report: HealthReport) -> None:
    try:
        with store.engine.connect() as conn:
            rows = dialects.integrity_problems(conn)
    except Exception as exc:
        rows = [f"{type(exc).__name__}: {exc}"]
    if rows:
        report.database_ok = False
        for row in rows[:MAX_LISTED]:
            report.problems.append(Problem("database", "sanlian.db", f"数据文件：{row}"))
