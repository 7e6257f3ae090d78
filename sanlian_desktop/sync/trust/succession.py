"""A province's change of algorithm suite: the old root names its successor and the end of the transition.

When a province moves its chain to another suite (say from SL1 to 国密) it makes a new root certificate
in the new suite and signs, with the *old* root's keys, a succession statement naming the new root and
the date the transition ends. The statement travels in certificate bundles and in packages, so every
office below trusts the new root from the old one — nobody types a fingerprint.

Until the end date both suites are trusted: packages, statements and certificates of either verify.
From the end date on, the old suite is *retired*: a package of it is refused, and so is a signature
under a certificate of it dated after the end (:func:`check_not_retired`). Signatures made before the
end keep verifying, judged by their signed time as revocations are, so data already held stays valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.sync.trust.certs import BadSignatureError, Cert, TrustError, show_date
from sanlian_desktop.sync.trust.custody import KeyCustody
from sanlian_desktop.sync.trust.suite import get_suite, suite_label

SUCCESSION_FORMAT = "sanlian-root-succession-1"
SUCCESSION_DOMAIN = b"sanlian-root-succession-v1\x00"
_Z, _E = "根证书更替声明", "root succession statement"
_FIELDS = {"format", "old_serial", "old_code", "old_suite", "new_root", "until", "issued", "signature"}

# Suite name -> the moment its transition ended (after which nothing new of it is trusted).
Retired = Mapping[str, datetime]


class SuiteRetiredError(TrustError):
    """Something of a suite the province stopped using, dated (or arriving) after the transition's end."""


def retired_error(what: str, suite: str, until: datetime, en: str) -> SuiteRetiredError:
    """The refusal of ``what`` (a package, a certificate, a signature) made in a retired ``suite``."""
    return SuiteRetiredError(
        f"{what}使用的是“{suite_label(suite)}”，省民政厅已改用新的算法套件，该套件的过渡期已于 {show_date(until)} "
        "结束，不再采信。本单位的数据没有任何改变。请有关单位按省民政厅的安排重新申请新算法套件的证书"
        "（office request --suite），安装后重新制作。",
        f"{en} uses suite {suite[:80]!r}, retired by the province when its transition ended at "
        f"{cj.fmt_time(until)}; refused, nothing changed",
    )


def check_not_retired(cert: Cert, at: datetime, retired: Retired) -> None:
    """Refuse ``cert`` used at ``at`` when its suite's transition had ended by then."""
    until = retired.get(cert.suite)
    if until is not None and at > until:
        raise retired_error(f"{cert.office.label()}的证书", cert.suite, until, f"the certificate of {cert.code}")


@dataclass(frozen=True)
class Succession:
    """The old root's signed statement: ``new_root`` succeeds it; its own suite is trusted until ``until``."""

    old_serial: str
    old_code: str
    old_suite: str
    new_root: Cert
    until: datetime
    issued: datetime
    signature: bytes = b""

    def body(self) -> dict[str, Any]:
        """Everything the signature covers."""
        return {
            "format": SUCCESSION_FORMAT,
            "old_serial": self.old_serial,
            "old_code": self.old_code,
            "old_suite": self.old_suite,
            "new_root": self.new_root.to_dict(),
            "until": cj.fmt_time(self.until),
            "issued": cj.fmt_time(self.issued),
        }

    def encode(self) -> bytes:
        """Canonical JSON bytes."""
        return cj.dumps({**self.body(), "signature": cj.b64(self.signature)})

    @classmethod
    def decode(cls, data: bytes) -> Succession:
        """Parse canonical JSON bytes (shape only; check with :func:`verify_succession`)."""
        obj = cj.loads(data, _Z, _E)
        cj.check_keys(obj, _FIELDS, _Z, _E)
        if obj["format"] != SUCCESSION_FORMAT:
            cj.malformed(_Z, _E, "unknown format")
        return cls(
            old_serial=cj.get_str(obj, "old_serial", _Z, _E, 64),
            old_code=cj.get_str(obj, "old_code", _Z, _E, 12),
            old_suite=get_suite(obj["old_suite"]).name,
            new_root=Cert.from_dict(obj["new_root"]),
            until=cj.parse_time(obj["until"], _Z, _E),
            issued=cj.parse_time(obj["issued"], _Z, _E),
            signature=cj.unb64(obj["signature"], _Z, _E),
        )


def make_succession(old_root: Cert, old_keys: KeyCustody, new_root: Cert, until: datetime,
                    now: datetime | None = None) -> Succession:
    """The statement by which ``old_root`` (held with ``old_keys``) hands over to ``new_root``."""
    at = now or cj.utc_now()
    if not old_root.is_self_signed or not old_root.matches_keys(old_keys):
        raise BadSignatureError("只有持有原根证书密钥的省民政厅才能更替根证书。",
                                "only the holder of the old root's keys can name its successor")
    if not new_root.is_self_signed or new_root.code != old_root.code:
        raise BadSignatureError("新的根证书必须是本省民政厅自签的根证书。", "the successor must be the same province's root")
    if until <= at:
        raise TrustError("过渡期的结束时间必须晚于现在。", "the transition must end in the future")
    record = Succession(old_root.serial, old_root.code, old_root.suite, new_root, until, at)
    return replace(record, signature=old_keys.sign(SUCCESSION_DOMAIN + cj.dumps(record.body())))


def verify_succession(record: Succession, roots: Sequence[Cert]) -> Cert:
    """Check ``record`` against the trusted ``roots``: signed by one of them, naming a self-signed root of
    the same province in another suite. Returns the old root it succeeds."""
    old = next((r for r in roots if r.serial == record.old_serial and r.is_self_signed), None)
    if old is None:
        raise BadSignatureError(
            "根证书更替声明不是由本单位信任的省级根证书签署的，不予采信。",
            "the succession statement is not signed by a trusted root",
        )
    new = record.new_root
    if (
        record.old_code != old.code
        or record.old_suite != old.suite
        or new.code != old.code
        or not new.is_self_signed
        or new.suite == old.suite
        or not get_suite(old.suite).verify(old.sign_key, SUCCESSION_DOMAIN + cj.dumps(record.body()), record.signature)
        or not get_suite(new.suite).verify(new.sign_key, new.signed_message(), new.signature)
    ):
        raise BadSignatureError("根证书更替声明的签名或内容无效，不予采信。", "the succession statement is invalid")
    return old


def retired_suites(records: Sequence[Succession]) -> dict[str, datetime]:
    """Suite name -> the earliest end of a transition away from it."""
    found: dict[str, datetime] = {}
    for record in records:
        suite = record.old_suite
        found[suite] = min(record.until, found.get(suite, record.until))
    return found
