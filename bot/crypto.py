"""Credentials at rest: encrypted with `MultiFernet`, so keys can rotate without downtime.

`SWITCHBOARD_SECRET_KEYS` lists Fernet keys newest first: the first encrypts, all of them decrypt.
In sandbox mode without keys, a key is generated once into a local file (mode 0600) so a newcomer's
`make run` works; live mode refuses to start without keys (see `Settings`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import ConfigError
from bot.settings import Settings

log = logging.getLogger(__name__)


class CredentialBox:
    """Encrypts and decrypts a provider's credentials (a dict of strings) as one token."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigError("SWITCHBOARD_SECRET_KEYS is empty: at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._keys = list(keys)

    def signing_keys(self, purpose: str) -> list[bytes]:
        """HMAC keys for `purpose`, newest first, derived from the Fernet keys: they rotate with them
        (`SWITCHBOARD_SECRET_KEYS`), and no key is used both to encrypt and to sign."""
        return [
            hmac.new(
                base64.urlsafe_b64decode(key), f"switchboard:{purpose}".encode(), hashlib.sha256
            ).digest()
            for key in self._keys
        ]

    def seal(self, credentials: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()

    def open(self, token: str) -> dict[str, Any]:
        try:
            data = self._fernet.decrypt(token.encode())
        except InvalidToken:
            raise ConfigError(
                "Stored credentials cannot be decrypted with SWITCHBOARD_SECRET_KEYS "
                "(was a key removed before `switchboard admin rotate-keys` ran?)"
            ) from None
        value: dict[str, Any] = json.loads(data)
        return value

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key (it must decrypt under one of the keys)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise ConfigError("Stored credentials cannot be decrypted with SWITCHBOARD_SECRET_KEYS") from None


def generate_key() -> str:
    return Fernet.generate_key().decode()


def credential_box(settings: Settings) -> CredentialBox:
    """The box for these settings; in sandbox mode without keys, a local development key."""
    keys = settings.fernet_keys
    if not keys:
        keys = [_dev_key(Path(settings.dev_key_file))]
    return CredentialBox(keys)


def _dev_key(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning(
        "No SWITCHBOARD_SECRET_KEYS set: generated a sandbox key in %s (set real keys for live use)", path
    )
    return key
