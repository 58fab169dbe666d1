"""The `switchboard` command, in-process through click's runner, on SQLite and Postgres."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text

from bot.cli import cli
from bot.sandbox import credentials
from bot.sandbox.world import DEMO
from tests.databases import backends, fresh_database
from tests.sandbox.helpers import sandbox_process

SECRET = "zoom-client-secret-do-not-leak"


def _sync_url(url: str) -> str:
    return url.replace("sqlite+aiosqlite", "sqlite").replace("postgresql+psycopg", "postgresql+psycopg")


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_sync_engine(_sync_url(url))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def run(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    keys = Fernet.generate_key().decode()
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        base = {"SWITCHBOARD_DATABASE_URL": db_url, "SWITCHBOARD_SECRET_KEYS": keys}
        return runner.invoke(
            cli, list(args), env={**base, **(env or {})}, input=input, catch_exceptions=False
        )

    return invoke


def _connect_zoom(run, *extra: str) -> Result:  # type: ignore[no-untyped-def]
    return run(
        "admin",
        "connect",
        "zoom",
        "--team",
        "T0TEST",
        "--no-input",
        "--set",
        "account_id=acct-1",
        "--set",
        "client_id=cid-1",
        *extra,
        env={"SWITCHBOARD_ZOOM_CLIENT_SECRET": SECRET},
    )


def test_connect_stores_credentials_encrypted_and_list_round_trips(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    result = _connect_zoom(run)
    assert result.exit_code == 0, result.output
    assert "Connected zoom/default for T0TEST" in result.output
    assert SECRET not in result.output

    raw = _rows(db_url, "SELECT * FROM provider_connections")
    assert len(raw) == 1
    assert SECRET not in repr(raw) and "acct-1" not in repr(raw)

    listed = run("admin", "list")
    assert listed.exit_code == 0, listed.output
    assert "zoom/default" in listed.output and "plan=pro" in listed.output
    assert "client_secret (encrypted)" in listed.output
    assert SECRET not in listed.output

    audit = _rows(db_url, "SELECT actor, action, target_id, details FROM audit_events")
    assert [(row[1], row[2]) for row in audit] == [("connection.created", "zoom/default")]
    assert SECRET not in repr(audit)


def test_connected_credentials_decrypt_with_the_same_keys(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from bot.crypto import CredentialBox
    from bot.db.models import Provider
    from bot.db.repositories import ConnectionRepository
    from bot.db.session import create_engine, create_sessionmaker, transaction

    keys = Fernet.generate_key().decode()
    assert (
        run(
            "admin",
            "connect",
            "routee",
            "--team",
            "T0TEST",
            "--no-input",
            "--set",
            "app_id=app",
            "--set",
            "app_secret=shh",
            env={"SWITCHBOARD_SECRET_KEYS": keys},
        ).exit_code
        == 0
    )

    async def read() -> dict[str, str]:
        engine = create_engine(db_url)
        async with transaction(create_sessionmaker(engine)) as session:
            repo = ConnectionRepository(session, "T0TEST", CredentialBox([keys]))
            row = await repo.get(Provider.ROUTEE)
            assert row is not None
            values = repo.credentials(row)
        await engine.dispose()
        return values

    assert asyncio.run(read()) == {"app_id": "app", "app_secret": "shh"}


def test_connect_prompts_without_echo_for_missing_secrets(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("bot.cli._interactive", lambda: True)
    result = run(
        "admin",
        "connect",
        "routee",
        "--team",
        "T0TEST",
        input="my-app\nvery-secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "very-secret" not in result.output


def test_connect_without_a_required_field_fails_clearly(run) -> None:  # type: ignore[no-untyped-def]
    result = run("admin", "connect", "zoom", "--team", "T0TEST", "--no-input")
    assert result.exit_code == 1
    assert "account_id is missing" in result.output and "SWITCHBOARD_ZOOM_ACCOUNT_ID" in result.output
    bad = _connect_zoom(run, "--set", "plan=enterprise")
    assert bad.exit_code == 1 and "plan must be one of pro, business" in bad.output
    unknown = run("admin", "connect", "zoom", "--team", "T0TEST", "--set", "colour=blue")
    assert unknown.exit_code == 1 and "--set takes KEY=VALUE" in unknown.output


def test_link_list_unlink(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    linked = run(
        "admin",
        "link-user",
        "U0ALICE",
        "--team",
        "T0TEST",
        "--role",
        "supervisor",
        "--agent-id",
        "645836",
        "--agent-login",
        "KAVYA",
        "--zoom-user-id",
        "z-1",
    )
    assert linked.exit_code == 0 and "Linked U0ALICE as supervisor" in linked.output
    listed = run("admin", "list")
    assert "U0ALICE  supervisor  livevox=645836 login=KAVYA zoom=z-1" in listed.output
    assert run("admin", "unlink-user", "U0ALICE").exit_code == 0
    again = run("admin", "unlink-user", "U0ALICE")
    assert again.exit_code == 1 and "not linked" in again.output
    actions = [row[0] for row in _rows(db_url, "SELECT action FROM audit_events ORDER BY id")]
    assert actions == ["user.linked", "user.unlinked"]


def test_rotate_keys_reencrypts_under_the_new_key(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    assert (
        run(
            "admin",
            "connect",
            "routee",
            "--team",
            "T0TEST",
            "--no-input",
            "--set",
            "app_id=a",
            "--set",
            "app_secret=b",
            env={"SWITCHBOARD_SECRET_KEYS": old},
        ).exit_code
        == 0
    )
    before = _rows(db_url, "SELECT credentials_encrypted FROM provider_connections")[0][0]
    result = run("admin", "rotate-keys", env={"SWITCHBOARD_SECRET_KEYS": f"{new},{old}"})
    assert result.exit_code == 0 and "Re-encrypted 1 connection" in result.output
    after = _rows(db_url, "SELECT credentials_encrypted FROM provider_connections")[0][0]
    assert after != before
    assert run("admin", "list", env={"SWITCHBOARD_SECRET_KEYS": new}).exit_code == 0
    # Only the new key is needed now: decrypting with it alone works.
    from bot.crypto import CredentialBox

    assert CredentialBox([new]).open(str(after)) == {"app_id": "a", "app_secret": "b"}


def test_team_is_required_when_ambiguous_or_unknown(run) -> None:  # type: ignore[no-untyped-def]
    none_yet = run("admin", "list")
    assert none_yet.exit_code == 1 and "no workspace yet" in none_yet.output
    for team in ("T0ONE", "T0TWO"):
        assert run("admin", "add-workspace", team).exit_code == 0
    ambiguous = run("admin", "list")
    assert ambiguous.exit_code == 1 and "pass --team" in ambiguous.output
    bad = run("admin", "list", "--team", "not a team")
    assert bad.exit_code == 1 and "Slack team id" in bad.output


@pytest.mark.parametrize(
    ("command", "needs"),
    [
        ("serve", "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET must be set"),
        ("socket", "SLACK_BOT_TOKEN, SLACK_APP_TOKEN must be set"),
    ],
)
def test_slack_entry_points_name_missing_settings(run, command: str, needs: str) -> None:  # type: ignore[no-untyped-def]
    result = run(command)
    assert result.exit_code == 1
    assert needs in result.output


def test_socket_mode_refuses_oauth_mode_in_one_sentence(run) -> None:  # type: ignore[no-untyped-def]
    """Socket Mode has no HTTP server for /slack/install: it says so before connecting to anything."""
    oauth = {
        "SLACK_CLIENT_ID": "1111.2222",
        "SLACK_CLIENT_SECRET": "client-secret",
        "SLACK_STATE_SECRET": "state-secret",
        "SLACK_APP_TOKEN": "xapp-1-A0-1-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # nothing listens: a connection would fail, not this
    }
    result = run("socket", env=oauth)
    assert result.exit_code == 1
    said = result.output
    assert "Socket Mode cannot serve the OAuth install (/slack/install, /slack/oauth_redirect)" in said
    assert "switchboard serve" in result.output and "SLACK_BOT_TOKEN" in result.output
    assert result.output.strip().count(". ") == 0  # one sentence


def test_worker_on_sqlite_explains_where_jobs_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["worker"], env={"SWITCHBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/w.db"}
    )
    assert result.exit_code == 1 and "needs Postgres" in result.output


def test_help_on_every_level(run) -> None:  # type: ignore[no-untyped-def]
    def walk(group: object, path: list[str]) -> Iterator[list[str]]:
        yield path
        for name, command in getattr(group, "commands", {}).items():
            yield from walk(command, [*path, name])

    paths = list(walk(cli, []))
    assert ["admin", "connect"] in paths and ["db", "upgrade"] in paths
    for path in paths:
        result = run(*path, "--help")
        assert result.exit_code == 0, path
        assert "Usage:" in result.output


def test_bad_settings_fail_with_one_line(run) -> None:  # type: ignore[no-untyped-def]
    result = run("admin", "list", env={"SWITCHBOARD_SECRET_KEYS": "definitely-not-a-key"})
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "SWITCHBOARD_SECRET_KEYS" in result.output and "definitely-not-a-key" not in result.output
    assert "Traceback" not in result.output


def test_unreachable_database_is_one_line_without_password(run) -> None:  # type: ignore[no-untyped-def]
    url = "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/nowhere"
    result = run("admin", "list", "--team", "T0X", env={"SWITCHBOARD_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "database error" in result.output and "hunter2" not in result.output


def test_schema_missing_says_run_db_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(
        cli, ["admin", "list", "--team", "T0X"], env={"SWITCHBOARD_DATABASE_URL": url}
    )
    assert result.exit_code == 1 and "switchboard db upgrade" in result.output


def test_db_upgrade_creates_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    result = CliRunner().invoke(cli, ["db", "upgrade"], env={"SWITCHBOARD_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert ("0022",) in _rows(url, "SELECT version_num FROM alembic_version")


def test_python_dash_m_bot_runs_the_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bot", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and "switchboard" in done.stdout


def test_generate_key_prints_a_fernet_key(run) -> None:  # type: ignore[no-untyped-def]
    result = run("admin", "generate-key")
    Fernet(result.output.strip())


def test_demo_seed_again_writes_no_audit_rows(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    first = run("admin", "demo-seed")
    assert first.exit_code == 0 and "is ready" in first.output
    rows = _rows(db_url, "SELECT count(*) FROM audit_events")[0][0]
    assert rows == 3  # the three demo links
    again = run("admin", "demo-seed")
    assert again.exit_code == 0 and "was already there" in again.output
    assert (
        _rows(db_url, "SELECT count(*) FROM audit_events")[0][0] == rows
    )  # nothing changed, nothing audited


# ------------------------------------------------------------------- switchboard sandbox inject inbound
def _switchboard(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def _inject(cwd: Path, url: str, number: str, inbox: str, text: str) -> subprocess.CompletedProcess[str]:
    return _switchboard(
        cwd, "sandbox", "inject", "inbound", "--sandbox-url", url, "--from", number, "--inbox", inbox,
        "--text", text,
    )  # fmt: skip


@contextlib.contextmanager
def _livevox(url: str) -> Iterator[httpx.Client]:
    """The demo agent's LiveVox session on the sandbox at `url`, over HTTP."""
    with httpx.Client(base_url=f"{url}/livevox", timeout=10) as client:
        yield _logged_in(client)


def _logged_in(client: httpx.Client) -> httpx.Client:
    login = client.post(
        "/session/login",
        headers={"LV-Access": credentials.LIVEVOX_ACCESS_TOKEN},
        json={
            "clientName": credentials.LIVEVOX_CLIENT_NAME,
            "userName": DEMO.agent_login,
            "password": credentials.LIVEVOX_PASSWORD,
            "agent": True,
        },
    )
    assert login.status_code == 200, login.text
    client.headers["LV-Session"] = login.json()["sessionId"]
    return client


def test_sandbox_inject_inbound_prints_the_thread_that_livevox_then_shows(tmp_path: Path) -> None:
    inbox = str(DEMO.service_id)
    with sandbox_process(tmp_path) as url:
        new = _inject(tmp_path, url, "+14155550177", inbox, "Hi, is anyone there?")
        assert new.returncode == 0, new.stderr
        found = re.fullmatch(r"thread (\d+) \(new, unread\)\n", new.stdout)
        assert found, new.stdout
        thread_id = found.group(1)
        again = _inject(tmp_path, url, "+1 415 555 0177", inbox, "Hello??")
        assert (again.returncode, again.stdout) == (0, f"thread {thread_id} (appended, unread)\n")

        with _livevox(url) as livevox:
            listed = livevox.get("/sms/agent/thread/details", params={"channelId": inbox, "channel": "SMS"})
            newest = listed.json()[0]
            assert (newest["threadId"], newest["read"], newest["direction"]) == (thread_id, False, 1)
            assert newest["from"] == "14155550177"
            history = livevox.get("/sms/agent/messages", params={"threadId": thread_id}).json()
            assert [(m["message"], m["direction"]) for m in history] == [
                ("Hello??", "1"),
                ("Hi, is anyone there?", "1"),
            ]
            channels = livevox.get("/sms/agent/channel").json()
            group = next(c for c in channels if c["channel"] == "SMS" and c["channelId"] == inbox)
            assert group["unreadCount"] >= 1

        for number, where, text, reason in [
            ("+14155550177", "999", "hi", "unknown inbox '999'"),
            ("not-a-number", inbox, "hi", "is not a phone number"),
            ("+14155550177", inbox, "", "the text is empty"),
            ("+14155550177", inbox, "x" * 1601, "LiveVox takes at most 1600"),
        ]:
            refused = _inject(tmp_path, url, number, where, text)
            assert refused.returncode == 1, (reason, refused.stdout)
            assert refused.stdout == ""
            assert refused.stderr.count("\n") == 1 and reason in refused.stderr, refused.stderr
            assert refused.stderr.startswith("switchboard: error: ")
        with _livevox(url) as livevox:  # the refusals left the inbox as it was
            listed = livevox.get("/sms/agent/thread/details", params={"channelId": inbox, "channel": "SMS"})
            assert listed.json()[0]["threadId"] == thread_id


def test_sandbox_inject_inbound_without_a_sandbox_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    done = _inject(tmp_path, url, "+14155550177", "100915", "hi")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and f"no sandbox answers at {url}" in done.stderr


def test_sandbox_still_serves_and_prints_config_on_its_own(run) -> None:  # type: ignore[no-untyped-def]
    printed = run("sandbox", "--port", "8901", "--print-config")
    assert printed.exit_code == 0, printed.output
    assert "SWITCHBOARD_LIVEVOX_BASE_URL=http://127.0.0.1:8901/livevox" in printed.output
    helped = run("sandbox", "--help")
    assert "--port" in helped.output and "inject" in helped.output
    bad = run("sandbox", "--faults", "zoom:nonsense=1")
    assert bad.exit_code == 1 and "switchboard: error:" in bad.output
