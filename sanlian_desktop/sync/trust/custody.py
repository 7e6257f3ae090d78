"""Key custody: one interface for wherever an office's private keys live.

Everything that signs (certificates, requests, revocations, statements, manifests, receipts) or opens a
package's envelope holds a :class:`KeyCustody`, never raw private keys. Two implementations ship:

* :class:`~sanlian_desktop.sync.trust.keys.OfficeKeys` — the software key store: the private keys sealed
  in the office's database under a key-encryption key that each user unwraps with a password (argon2id);
* :class:`~sanlian_desktop.sync.trust.tokens.TokenKeys` — the private keys inside a PKCS#11 token (a
  hardware key, or SoftHSM2); they are generated or imported there and never leave it.

A GM/T 0016 (SKF) USB key is a third implementation of the same two protocols: callers do not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sanlian_desktop.sync.trust.suite import Suite

SOFTWARE = "software"
PKCS11 = "pkcs11"


@dataclass(frozen=True)
class KeyLocation:
    """Where a set of private keys lives: ``kind`` for programs, ``label`` for a user to read."""

    kind: str  # SOFTWARE, PKCS11 (later: "skf")
    label: str  # e.g. 本机密钥库（口令保护） or 硬件令牌“县民政局”
    token: str | None = None  # the token's label, for a token


SOFTWARE_LOCATION = KeyLocation(SOFTWARE, "本机密钥库（口令保护）")


class KeyCustody(Protocol):
    """An office's signing and encryption key pairs in one suite; the private halves stay inside.

    ``sign`` signs with the private signing key; ``decapsulate`` agrees the package key's secret from a
    package's encapsulated value with the private encryption key (X25519 exchange, or opening the SM2
    envelope). The public keys go into certificates.
    """

    @property
    def suite(self) -> Suite: ...

    @property
    def sign_public(self) -> bytes: ...

    @property
    def enc_public(self) -> bytes: ...

    @property
    def location(self) -> KeyLocation: ...

    def sign(self, message: bytes) -> bytes:
        """Sign ``message`` with the private signing key."""
        ...

    def decapsulate(self, encapsulated: bytes) -> bytes:
        """The shared secret of a package's encapsulated key (a :class:`UserError` when it is invalid)."""
        ...


class KeyVault(Protocol):
    """A place that makes new key pairs which then stay in it (the software store, a token)."""

    @property
    def location(self) -> KeyLocation: ...

    def generate(self, suite: Suite) -> KeyCustody:
        """Fresh signing and encryption key pairs in ``suite``, kept here."""
        ...
