"""Button values are signed by the server and verified before any listener sees them.

`bot.slack.blocks.common.button` signs each value for its action_id with the newest key (`sign_value`);
one Bolt middleware (`bot.slack.app`) verifies every clicked button's value with any of the keys
(`verify_value`) and refuses the click when it does not verify, so a value edited by the client never
reaches a listener. The keys derive from SWITCHBOARD_SECRET_KEYS (`CredentialBox.signing_keys`) and
rotate with them. What a verified value names is still only a claim: access is checked again on the
server's own data when acting (`bot.services.access`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_CHARS = 22  # 132 bits of HMAC-SHA256, base64url
SIGNED_PREFIX = "s1."


class ValueSigner:
    """Signs a button value for its action_id with the newest key; verifies with any (keys rotate)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one signing key is needed")
        self._keys = keys

    def _mac(self, key: bytes, action_id: str, value: str) -> str:
        digest = hmac.new(key, f"{action_id}\0{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_CHARS]

    def sign(self, action_id: str, value: str) -> str:
        return f"{SIGNED_PREFIX}{self._mac(self._keys[0], action_id, value)}.{value}"

    def verify(self, action_id: str, signed: str) -> str | None:
        """The value inside `signed`, or None when it was not signed by us for this action_id."""
        if not signed.startswith(SIGNED_PREFIX):
            return None
        mac, dot, value = signed[len(SIGNED_PREFIX) :].partition(".")
        if not dot or len(mac) != SIGNATURE_CHARS:
            return None
        for key in self._keys:
            if hmac.compare_digest(mac, self._mac(key, action_id, value)):
                return value
        return None


_signer: ValueSigner | None = None


def configure_signing(signer: ValueSigner | None, *, only_if: ValueSigner | None = None) -> None:
    """Set by the composition root (the container) for the process; None in pure block-building tests.
    `only_if`: change it only while that signer is the one in place (a container closing)."""
    global _signer
    if only_if is None or _signer is only_if:
        _signer = signer


def sign_value(action_id: str, value: str) -> str:
    """`value` signed for `action_id`, an empty one too: a button without a value would be one a client
    could give any value. Unsigned where no signer is configured (pure block-building tests)."""
    return _signer.sign(action_id, value) if _signer is not None else value


def verify_value(action_id: str, signed: str) -> str | None:
    """The verified value, or None. Without a signer configured nothing verifies (fail closed)."""
    return _signer.verify(action_id, signed) if _signer is not None else None


def signed_length(value_limit: int) -> int:
    """How many characters of a value fit in a button value of `value_limit` once signed."""
    return value_limit - len(SIGNED_PREFIX) - SIGNATURE_CHARS - 1
