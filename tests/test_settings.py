from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.errors import ConfigError
from bot.settings import ProvidersMode, Settings, load_settings


def test_defaults_are_the_embedded_sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./switchboard.db"
    assert settings.providers is ProvidersMode.SANDBOX
    assert settings.default_region == "US"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.fernet_keys == []


def test_reads_slack_names_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SLACK_SIGNING_SECRET=from-dotenv\nSWITCHBOARD_DEFAULT_REGION=gb\n")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-123")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    settings = load_settings()
    assert settings.slack_bot_token is not None and settings.slack_bot_token.get_secret_value() == "xoxb-123"
    assert settings.slack_signing_secret is not None
    assert settings.slack_signing_secret.get_secret_value() == "from-dotenv"
    assert settings.default_region == "GB"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    # Secrets never show in a repr.
    assert "xoxb-123" not in repr(settings) and "from-dotenv" not in repr(settings)


def test_every_secret_is_a_secretstr() -> None:
    secret_words = ("token", "secret", "password", "keys")
    for name, field in Settings.model_fields.items():
        if any(word in name for word in secret_words) and not name.endswith("_url"):
            assert "SecretStr" in str(field.annotation), name


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("SWITCHBOARD_DATABASE_URL", "mysql://root@localhost/x", "SWITCHBOARD_DATABASE_URL"),
        ("SWITCHBOARD_PROVIDERS", "production", "SWITCHBOARD_PROVIDERS"),
        ("SWITCHBOARD_DEFAULT_REGION", "XX", "SWITCHBOARD_DEFAULT_REGION"),
        ("SWITCHBOARD_LOG_LEVEL", "LOUD", "SWITCHBOARD_LOG_LEVEL"),
        ("SWITCHBOARD_SECRET_KEYS", "not-a-fernet-key-but-secret", "SWITCHBOARD_SECRET_KEYS"),
        ("SWITCHBOARD_LIVEVOX_SERVICE_ID", "abc", "SWITCHBOARD_LIVEVOX_SERVICE_ID"),
        ("SWITCHBOARD_WORKFLOW_USER", "@alex", "SWITCHBOARD_WORKFLOW_USER"),
    ],
)
def test_bad_setting_names_the_variable_not_the_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, named: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert named in message
    assert "\n" not in message
    if "SECRET" in variable:
        assert value not in message


def test_the_workflow_user_is_a_slack_user_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings().workflow_user is None
    monkeypatch.setenv("SWITCHBOARD_WORKFLOW_USER", " U0123ABCD ")
    assert load_settings().workflow_user == "U0123ABCD"
    monkeypatch.setenv("SWITCHBOARD_WORKFLOW_USER", "")
    assert load_settings().workflow_user is None


def test_live_mode_requires_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SWITCHBOARD_PROVIDERS", "live")
    with pytest.raises(ConfigError, match="SWITCHBOARD_SECRET_KEYS is required"):
        load_settings()
    keys = f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    monkeypatch.setenv("SWITCHBOARD_SECRET_KEYS", keys)
    settings = load_settings()
    assert len(settings.fernet_keys) == 2
    assert settings.fernet_keys[0] == keys.split(",")[0].strip()


def test_second_key_error_says_which(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SWITCHBOARD_SECRET_KEYS", f"{Fernet.generate_key().decode()},oops")
    with pytest.raises(ConfigError, match="key #2"):
        load_settings()


def test_sandbox_faults_are_validated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(sandbox_faults="zoom:error_rate=0.5").sandbox_faults == "zoom:error_rate=0.5"
    monkeypatch.setenv("SWITCHBOARD_SANDBOX_FAULTS", "zoom:explode=1")
    with pytest.raises(ConfigError, match="SWITCHBOARD_SANDBOX_FAULTS"):
        load_settings()


def test_a_misspelt_override_is_an_error() -> None:
    with pytest.raises(TypeError, match="sandbox_fault"):
        load_settings(sandbox_fault="zoom:error_rate=1")


def test_oauth_mode_takes_all_three_slack_app_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(slack_bot_token="xoxb-1").oauth_mode is False
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "shh")
    with pytest.raises(ConfigError) as missing:
        load_settings()
    assert "SLACK_STATE_SECRET" in str(missing.value) and "shh" not in str(missing.value)
    monkeypatch.setenv("SLACK_STATE_SECRET", "state")
    settings = load_settings()
    assert settings.oauth_mode is True
    assert "shh" not in repr(settings) and "state" not in repr(settings.slack_state_secret)


def test_the_authorize_page_sits_next_to_the_web_api() -> None:
    from bot.slack.oauth import authorize_url

    assert authorize_url("https://slack.com/api/") == "https://slack.com/oauth/v2/authorize"
    assert authorize_url("http://127.0.0.1:4000/api/") == "http://127.0.0.1:4000/oauth/v2/authorize"
    assert authorize_url("http://127.0.0.1:4000/api") == "http://127.0.0.1:4000/oauth/v2/authorize"
