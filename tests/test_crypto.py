from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.crypto import CredentialBox, credential_box
from bot.errors import ConfigError
from bot.settings import load_settings


def test_seal_and_open_round_trip() -> None:
    box = CredentialBox([Fernet.generate_key().decode()])
    token = box.seal({"password": "hunter2"})
    assert "hunter2" not in token
    assert box.open(token) == {"password": "hunter2"}


def test_wrong_key_is_a_clear_error() -> None:
    token = CredentialBox([Fernet.generate_key().decode()]).seal({"a": "b"})
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        CredentialBox([Fernet.generate_key().decode()]).open(token)


def test_sandbox_mode_generates_a_private_dev_key_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_file = tmp_path / "k.key"
    monkeypatch.setenv("SWITCHBOARD_DEV_KEY_FILE", str(key_file))
    settings = load_settings()
    token = credential_box(settings).seal({"x": "y"})
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert credential_box(settings).open(token) == {"x": "y"}  # the same key is reused
