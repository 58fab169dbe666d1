"""app_manifest.yaml follows Slack's manifest rules and Switchboard's own contract; the Procfile is sane.

Slack's rules live in tests/fixtures/slack_manifest_rules.py, each with its source.
"""

from __future__ import annotations

import copy
import importlib.util
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = ROOT / "app_manifest.yaml"
PROCFILE_PATH = ROOT / "Procfile"


def _load_rules() -> Any:
    # Loaded by path so the test does not depend on how tests/ is (or is not) packaged.
    path = Path(__file__).with_name("fixtures") / "slack_manifest_rules.py"
    spec = importlib.util.spec_from_file_location("slack_manifest_rules", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rules = _load_rules()
manifest_errors: Callable[[Any], list[str]] = rules.manifest_errors

PLACEHOLDER_URL = "https://example.com/slack/events"
COMMANDS = {"/sms", "/calls", "/lookup", "/threads", "/inbox", "/switchboard"}
SHORTCUTS = {
    "send_sms": ("global", "Send SMS"),
    "lookup_number": ("message", "Look up number"),
    "text_number": ("message", "Text this number"),
    "send_as_sms": ("message", "Send as SMS"),
}
BOT_EVENTS = {"app_home_opened", "app_uninstalled", "tokens_revoked", "function_executed"}
STEPS = {"send_sms", "lookup_number", "assign_thread"}
# The minimal bot scopes (the manifest's comments say which feature needs each one).
BOT_SCOPES = {"commands", "chat:write", "files:write", "users:read", "channels:read", "groups:read"}


@pytest.fixture(scope="module")
def manifest_text() -> str:
    return MANIFEST_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def manifest(manifest_text: str) -> dict[str, Any]:
    loaded = yaml.safe_load(manifest_text)
    assert isinstance(loaded, dict)
    return loaded


# --- Slack's rules ----------------------------------------------------------------------------------------


def test_manifest_follows_slacks_rules(manifest: dict[str, Any]) -> None:
    assert manifest_errors(manifest) == []


def test_manifest_targets_schema_v1_1(manifest: dict[str, Any]) -> None:
    assert manifest["_metadata"] == {"major_version": 1, "minor_version": 1}


def _with(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting the dotted `path` (list indexes as numbers) to `value`; `...` deletes it."""

    def mutate(manifest: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = manifest
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        key: Any = int(last) if isinstance(node, list) else last
        if value is ...:
            del node[key]
        else:
            node[key] = value

    return mutate


def _append(path: str, item: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(manifest: dict[str, Any]) -> None:
        node: Any = manifest
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        node.append(copy.deepcopy(item))

    return mutate


# Each entry breaks one rule and names the message the checker must report for it.
BREAKAGES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown top-level key", _with("display_info", {}), "manifest: unknown key 'display_info'"),
    ("major version 3", _with("_metadata.major_version", 3), "_metadata.major_version"),
    ("no display_information", _with("display_information", ...), "display_information: required"),
    ("no app name", _with("display_information.name", ...), "display_information.name: required"),
    (
        "app name > 35",
        _with("display_information.name", "S" * 36),
        "display_information.name: must be 1 to 35",
    ),
    (
        "description > 140",
        _with("display_information.description", "d" * 141),
        "display_information.description: must be 1 to 140",
    ),
    (
        "long_description < 175",
        _with("display_information.long_description", "Too short."),
        "display_information.long_description: must be 175 to 4000",
    ),
    (
        "long_description > 4000",
        _with("display_information.long_description", "x" * 4001),
        "display_information.long_description: must be 175 to 4000",
    ),
    (
        "background colour not hex",
        _with("display_information.background_color", "#12345g"),
        "display_information.background_color: must be a #rgb or #rrggbb",
    ),
    ("no bot user", _with("features.bot_user", ...), "features.bot_user: required when"),
    (
        "bot display name > 80",
        _with("features.bot_user.display_name", "s" * 81),
        "features.bot_user.display_name: must be 1 to 80",
    ),
    (
        "bot display name with spaces and capitals",
        _with("features.bot_user.display_name", "Switch Board"),
        "features.bot_user.display_name: lowercase",
    ),
    ("app_home not boolean", _with("features.app_home.home_tab_enabled", "yes"), "must be true or false"),
    ("command without slash", _with("features.slash_commands.0.command", "sms"), "'sms' must be '/'"),
    (
        "command > 32",
        _with("features.slash_commands.0.command", "/" + "s" * 32),
        "features.slash_commands[0].command: must be 2 to 32",
    ),
    ("command in capitals", _with("features.slash_commands.0.command", "/SMS"), "'/SMS' must be '/'"),
    ("command with space", _with("features.slash_commands.0.command", "/sms send"), "'/sms send' must be"),
    (
        "duplicate command",
        _append(
            "features.slash_commands", {"command": "/sms", "description": "again", "url": PLACEHOLDER_URL}
        ),
        "duplicate command '/sms'",
    ),
    (
        "command without description",
        _with("features.slash_commands.0.description", ...),
        "features.slash_commands[0].description: required",
    ),
    (
        "command description > 2000",
        _with("features.slash_commands.0.description", "d" * 2001),
        "features.slash_commands[0].description: must be 1 to 2000",
    ),
    (
        "usage hint > 1000",
        _with("features.slash_commands.0.usage_hint", "u" * 1001),
        "features.slash_commands[0].usage_hint: must be 1 to 1000",
    ),
    (
        "command url over http",
        _with("features.slash_commands.0.url", "http://example.com/slack/events"),
        "features.slash_commands[0].url: must be an https:// URL",
    ),
    (
        "command url missing without Socket Mode",
        _with("features.slash_commands.0.url", ...),
        "features.slash_commands[0].url: required unless Socket Mode",
    ),
    (
        "command typo key",
        _with("features.slash_commands.0.should_escpae", True),
        "unknown key 'should_escpae'",
    ),
    (
        "shortcut name > 24",
        _with("features.shortcuts.0.name", "n" * 25),
        "features.shortcuts[0].name: must be 1 to 24",
    ),
    (
        "shortcut description > 150",
        _with("features.shortcuts.0.description", "d" * 151),
        "features.shortcuts[0].description: must be 1 to 150",
    ),
    (
        "shortcut callback_id > 255",
        _with("features.shortcuts.0.callback_id", "c" * 256),
        "features.shortcuts[0].callback_id: must be 1 to 255",
    ),
    (
        "shortcut type",
        _with("features.shortcuts.0.type", "channel"),
        "features.shortcuts[0].type: must be one",
    ),
    (
        "shortcut without description",
        _with("features.shortcuts.0.description", ...),
        "features.shortcuts[0].description: required",
    ),
    (
        "duplicate callback_id",
        _with("features.shortcuts.1.callback_id", "send_sms"),
        "duplicate callback_id 'send_sms'",
    ),
    (
        "more than 10 shortcuts",
        lambda m: m["features"]["shortcuts"].extend(
            {"name": f"S{i}", "type": "global", "callback_id": f"s{i}", "description": "d"} for i in range(7)
        ),
        "features.shortcuts: must have 1 to 10 items, has 11",
    ),
    (
        "scope misspelt",
        _append("oauth_config.scopes.bot", "chat:writes"),
        "'chat:writes' is not a documented",
    ),
    (
        "user-only scope",
        _append("oauth_config.scopes.bot", "search:read"),
        "'search:read' is not a documented",
    ),
    ("duplicate scope", _append("oauth_config.scopes.bot", "users:read"), "duplicate scope 'users:read'"),
    (
        "redirect url over http",
        _with("oauth_config.redirect_urls.0", "http://example.com/slack/oauth_redirect"),
        "oauth_config.redirect_urls[0]: must be an https:// URL",
    ),
    (
        "no redirect urls",
        _with("oauth_config.redirect_urls", []),
        "oauth_config.redirect_urls: must have 1 to",
    ),
    (
        "no commands scope",
        lambda m: m["oauth_config"]["scopes"]["bot"].remove("commands"),
        "need the 'commands' scope",
    ),
    ("unknown event", _append("settings.event_subscriptions.bot_events", "app_opened"), "unknown event"),
    (
        "event without its scope",
        _append("settings.event_subscriptions.bot_events", "app_mention"),
        "'app_mention' needs one of ['app_mentions:read']",
    ),
    (
        "duplicate event",
        _append("settings.event_subscriptions.bot_events", "tokens_revoked"),
        "duplicate event 'tokens_revoked'",
    ),
    (
        "events url over http",
        _with("settings.event_subscriptions.request_url", "http://example.com/slack/events"),
        "settings.event_subscriptions.request_url: must be an https:// URL",
    ),
    (
        "events url missing",
        _with("settings.event_subscriptions.request_url", ...),
        "settings.event_subscriptions.request_url: required unless Socket Mode",
    ),
    (
        "shortcuts without interactivity",
        _with("settings.interactivity.is_enabled", False),
        "settings.interactivity.is_enabled: must be true when the app has shortcuts",
    ),
    (
        "interactivity url missing",
        _with("settings.interactivity.request_url", ...),
        "settings.interactivity.request_url: required unless Socket Mode",
    ),
    (
        "function without title",
        _with("functions.send_sms.title", ...),
        "functions.send_sms.title: required",
    ),
    (
        "function with an unknown key",
        _with("functions.send_sms.steps", []),
        "functions.send_sms: unknown key 'steps'",
    ),
    (
        "function callback_id not snake_case",
        lambda m: m["functions"].update({"Send-SMS": m["functions"]["send_sms"]}),
        "callback_id 'Send-SMS' must be snake_case",
    ),
    (
        "parameter without type",
        _with("functions.send_sms.input_parameters.to.type", ...),
        "functions.send_sms.input_parameters.to.type: required",
    ),
    (
        "parameter of an unknown type",
        _with("functions.send_sms.input_parameters.to.type", "slack#/types/phone_number"),
        "'slack#/types/phone_number' is not a Slack function parameter type",
    ),
    (
        "parameter named unlike its key",
        _with("functions.send_sms.input_parameters.to.name", "recipient"),
        "functions.send_sms.input_parameters.to.name: must be 'to'",
    ),
    (
        "parameter is_required not boolean",
        _with("functions.lookup_number.output_parameters.calls.is_required", "yes"),
        "functions.lookup_number.output_parameters.calls.is_required: must be true or false",
    ),
    (
        "parameters as a list",
        _with("functions.assign_thread.output_parameters", [{"type": "string", "name": "x"}]),
        "functions.assign_thread.output_parameters: must be a mapping",
    ),
    (
        "functions without org-ready",
        _with("settings.org_deploy_enabled", False),
        "settings.org_deploy_enabled: must be true for an app with functions",
    ),
    (
        "functions without a runtime",
        _with("settings.function_runtime", ...),
        "settings.function_runtime: required for an app with functions",
    ),
    (
        "functions on an unknown runtime",
        _with("settings.function_runtime", "lambda"),
        "settings.function_runtime: must be one of",
    ),
    (
        "functions without function_executed",
        lambda m: m["settings"]["event_subscriptions"]["bot_events"].remove("function_executed"),
        "must subscribe to function_executed",
    ),
    (
        "settings flag not boolean",
        _with("settings.socket_mode_enabled", "no"),
        "settings.socket_mode_enabled",
    ),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [(b[1], b[2]) for b in BREAKAGES], ids=[b[0] for b in BREAKAGES]
)
def test_checker_reports_each_broken_rule(
    manifest: dict[str, Any], breakage: Callable[[dict[str, Any]], None], expected: str
) -> None:
    broken = copy.deepcopy(manifest)
    breakage(broken)
    errors = manifest_errors(broken)
    assert any(expected in error for error in errors), errors


def test_checker_reports_every_error_of_a_badly_broken_manifest(manifest: dict[str, Any]) -> None:
    # Breakages that touch different parts of the manifest, applied all at once: none may hide another.
    chosen = ["app name > 35", "bot display name > 80", "command url over http", "shortcut type",
              "scope misspelt", "event without its scope", "long_description < 175"]  # fmt: skip
    by_name = {name: (breakage, expected) for name, breakage, expected in BREAKAGES}
    broken = copy.deepcopy(manifest)
    for name in chosen:
        by_name[name][0](broken)
    errors = manifest_errors(broken)
    missing = [by_name[name][1] for name in chosen if not any(by_name[name][1] in e for e in errors)]
    assert missing == [], errors
    assert len(errors) == len(chosen), errors


def test_socket_mode_makes_request_urls_optional(manifest: dict[str, Any]) -> None:
    dev = copy.deepcopy(manifest)
    dev["settings"]["socket_mode_enabled"] = True
    del dev["settings"]["event_subscriptions"]["request_url"]
    del dev["settings"]["interactivity"]["request_url"]
    for command in dev["features"]["slash_commands"]:
        del command["url"]
    assert manifest_errors(dev) == []


def test_rule_tables_are_consistent() -> None:
    for event, scopes in rules.BOT_EVENT_SCOPES.items():
        assert scopes <= rules.BOT_SCOPES, event
    for event in BOT_EVENTS:
        assert rules.BOT_EVENT_SCOPES[event] == frozenset(), f"{event} should need no scope"
    assert rules.COMMANDS_SCOPE in rules.BOT_SCOPES


# --- Switchboard's contract ------------------------------------------------------------------------------


def test_display_information(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert info["name"] == "Switchboard"
    assert info["description"].strip()
    assert info["background_color"].startswith("#")


def test_bot_user_and_app_home(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    assert features["bot_user"] == {"display_name": "switchboard", "always_online": True}
    assert features["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }


def test_exactly_the_six_commands(manifest: dict[str, Any]) -> None:
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == COMMANDS
    assert len(manifest["features"]["slash_commands"]) == len(COMMANDS)
    for name, command in commands.items():
        assert command["url"] == PLACEHOLDER_URL, name
        assert command["description"].strip(), name
        assert command["usage_hint"].strip(), name
        # Slack prints the hint right after the command, so repeating the command would show it twice.
        assert not command["usage_hint"].startswith(name), name


def test_only_switchboard_escapes_mentions(manifest: dict[str, Any]) -> None:
    escaping = {c["command"] for c in manifest["features"]["slash_commands"] if c.get("should_escape")}
    assert escaping == {"/switchboard"}


def test_usage_hints_document_the_subcommands(manifest: dict[str, Any]) -> None:
    hints = {c["command"]: c["usage_hint"] for c in manifest["features"]["slash_commands"]}
    for word in ("send", "templates", "codes", "logs"):
        assert word in hints["/sms"]
    for word in ("help", "whoami", "link", "unlink", "connect", "channel", "audit"):
        assert re.search(rf"\b{word}\b", hints["/switchboard"]), word
    assert "7d" in hints["/calls"] and "30d" in hints["/calls"] and ".." in hints["/calls"]
    assert "personal" in hints["/threads"] and "group" in hints["/threads"]


def test_exactly_the_four_shortcuts(manifest: dict[str, Any]) -> None:
    shortcuts = {s["callback_id"]: (s["type"], s["name"]) for s in manifest["features"]["shortcuts"]}
    assert shortcuts == SHORTCUTS
    assert all(s["description"].strip() for s in manifest["features"]["shortcuts"])


def test_exactly_the_three_events(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]
    assert set(events["bot_events"]) == BOT_EVENTS
    assert "user_events" not in events


def test_minimal_bot_scopes_and_no_user_scopes(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes) == {"bot"}, "Switchboard asks for no user-token scopes"
    assert sorted(scopes["bot"]) == sorted(BOT_SCOPES)


def test_the_oauth_flow_asks_for_the_manifests_scopes(manifest: dict[str, Any]) -> None:
    from bot.slack.oauth import BOT_SCOPES as ASKED
    from bot.slack.oauth import REDIRECT_PATH

    assert list(manifest["oauth_config"]["scopes"]["bot"]) == list(ASKED)
    assert manifest["oauth_config"]["redirect_urls"] == [f"https://example.com{REDIRECT_PATH}"]


# What each Slack Web API method Switchboard calls needs, for what Switchboard does with it ("Required
# scopes" on https://docs.slack.dev/reference/methods/<method>). conversations.info reads the public and
# private channels a digest may be added to (never DMs, which would need im:read). A method the code
# starts calling must be added here, so its scope is checked against the manifest before Slack refuses it.
SCOPES_NEEDED: dict[str, frozenset[str]] = {
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "conversations.info": frozenset({"channels:read", "groups:read"}),
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "files.completeUploadExternal": frozenset({"files:write"}),
    "functions.completeSuccess": frozenset(),
    "functions.completeError": frozenset(),
    "users.info": frozenset({"users:read"}),
    "views.open": frozenset(),
    "views.publish": frozenset(),
    "views.update": frozenset(),
}
# slack_sdk helpers that call several methods.
HELPERS = {"files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}


def _methods_the_code_calls() -> dict[str, set[str]]:
    """Web API method → the files calling it: every `AsyncWebClient` method called in bot/ (but the
    console's emulator and the sandbox, which play the other side)."""
    from slack_sdk.web.async_client import AsyncWebClient

    client_methods = {name for name in dir(AsyncWebClient) if "_" in name and not name.startswith("_")}
    called: dict[str, set[str]] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if {"console", "sandbox"} & set(path.relative_to(ROOT / "bot").parts):
            continue
        for name in re.findall(r"\.([a-z]+_[A-Za-z0-9_]+)\(", path.read_text(encoding="utf-8")):
            if name in client_methods and name != "api_call":
                for method in HELPERS.get(name, (name.replace("_", "."),)):
                    called.setdefault(method, set()).add(str(path.relative_to(ROOT)))
    return called


def test_every_web_api_method_the_code_calls_has_its_scopes_in_the_manifest(manifest: dict[str, Any]) -> None:
    called = _methods_the_code_calls()
    assert {"chat.postMessage", "conversations.info", "files.completeUploadExternal"} <= set(called)
    unknown = {method: sorted(files) for method, files in called.items() if method not in SCOPES_NEEDED}
    assert unknown == {}, "add these methods and the scopes they need to SCOPES_NEEDED"
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    missing = {method: sorted(SCOPES_NEEDED[method] - granted) for method in called}
    assert {method: scopes for method, scopes in missing.items() if scopes} == {}


def test_the_scope_table_agrees_with_the_slack_emulator() -> None:
    """The emulator refuses a call without its scope (missing_scope) by its own table: the two agree."""
    from bot.console.emulator import CONVERSATION_METHODS, CONVERSATION_SCOPES, METHOD_SCOPES

    for method, needed in SCOPES_NEEDED.items():
        if method in CONVERSATION_METHODS:
            assert needed <= set(CONVERSATION_SCOPES.values()), method
        else:
            assert needed == ({METHOD_SCOPES[method]} if method in METHOD_SCOPES else set()), method


def test_every_scope_says_why_it_is_needed(manifest_text: str, manifest: dict[str, Any]) -> None:
    for scope in manifest["oauth_config"]["scopes"]["bot"]:
        line = re.search(rf"^\s*- {re.escape(scope)}\s*#\s*(\S.*)$", manifest_text, re.MULTILINE)
        assert line, f"{scope} has no comment saying which feature needs it"


def _urls(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("url") and isinstance(value, str):
                yield value
            yield from _urls(value)
    elif isinstance(node, list):
        for item in node:
            yield from _urls(item)


def test_every_url_is_the_one_placeholder(manifest: dict[str, Any]) -> None:
    urls = list(_urls(manifest))
    assert len(urls) == len(COMMANDS) + 2  # the commands, interactivity and events
    assert set(urls) == {PLACEHOLDER_URL}


def test_settings(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": PLACEHOLDER_URL}
    assert settings["event_subscriptions"]["request_url"] == PLACEHOLDER_URL
    assert settings["socket_mode_enabled"] is False
    # Workflow Builder offers custom steps of org-ready apps whose functions run remotely.
    assert settings["org_deploy_enabled"] is True
    assert settings["function_runtime"] == "remote"
    assert settings["token_rotation_enabled"] is False


def test_exactly_the_three_steps_as_the_code_declares_them(manifest: dict[str, Any]) -> None:
    from bot.slack.workflows.steps import FUNCTIONS

    assert set(manifest["functions"]) == STEPS
    # The emulator checks outputs, and the console builds events, from the code's copy: they must agree.
    assert manifest["functions"] == FUNCTIONS


def test_every_step_can_run_as_the_person_who_used_the_workflow(manifest: dict[str, Any]) -> None:
    for step, definition in manifest["functions"].items():
        run_as = definition["input_parameters"]["run_as"]
        # A user_context is filled by Slack (never typed by the workflow's author): safe to act as.
        assert run_as["type"] == "slack#/types/user_context", step
        assert run_as["is_required"] is False, step  # SWITCHBOARD_WORKFLOW_USER stands in
        assert all(p.get("title") and p.get("description") for p in definition["input_parameters"].values())
        assert all(p.get("title") and p.get("description") for p in definition["output_parameters"].values())


def test_header_explains_how_to_use_it(manifest_text: str) -> None:
    header = manifest_text.split("\n_metadata:", 1)[0]
    assert "example.com" in header and "Socket Mode" in header


# --- Procfile --------------------------------------------------------------------------------------------


def _procfile() -> dict[str, str]:
    processes: dict[str, str] = {}
    for line in PROCFILE_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, command = line.partition(":")
        assert sep and re.fullmatch(r"[a-z0-9_-]+", name), f"not a 'name: command' line: {line!r}"
        assert name not in processes, f"duplicate process type {name}"
        processes[name] = command.strip()
    return processes


def test_procfile_has_release_web_and_worker() -> None:
    assert _procfile() == {
        "release": "switchboard db upgrade",
        "web": "switchboard serve --host 0.0.0.0 --port $PORT",
        "worker": "switchboard worker",
    }


def test_procfile_web_binds_the_platform_port() -> None:
    web = _procfile()["web"].split()
    assert web[web.index("--port") + 1] == "$PORT"
    assert web[web.index("--host") + 1] == "0.0.0.0"  # noqa: S104 (the platform router needs it)
