from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.console.driver import MissingInput, SlackDriver, bolt_idle
from bot.console.emulator import DEFAULT_TOKEN, SlackEmulator, View
from tests.console.conftest import Env
from tests.console.tiny_app import SECRET, asgi


def bare_app(emulator: SlackEmulator) -> AsyncApp:
    """A Bolt app whose listeners the tests write (it still authorizes through the emulator)."""
    return AsyncApp(
        signing_secret=SECRET, client=AsyncWebClient(token=DEFAULT_TOKEN, base_url=emulator.api_url)
    )


async def test_signature_is_what_slack_sends() -> None:
    driver = SlackDriver("http://unused", SECRET, SlackEmulator())
    headers = driver.sign("a=b", timestamp=1_700_000_000)
    assert (
        SignatureVerifier(SECRET).is_valid("a=b", "1700000000", headers["X-Slack-Signature"]) is False
    )  # old
    fresh = driver.sign("a=b")
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid("a=b", fresh["X-Slack-Request-Timestamp"], fresh["X-Slack-Signature"])


async def test_bad_signature_and_stale_timestamp_get_401(env: Env) -> None:
    driver = env.driver
    assert (await driver.command("/quick", bad_signature=True)).status == 401
    assert (await driver.command("/quick", stale=True)).status == 401
    assert (await driver.event("app_uninstalled", bad_signature=True)).status == 401
    ok = await driver.command("/quick")
    assert (ok.status, ok.body) == (200, "done quickly")
    await driver.settle()
    # the ack text is shown to the user like Slack does, only once
    assert [m.text for m in env.emulator.ephemerals("C0DEMO", "U0AGENT")] == ["done quickly"]


async def test_command_payload_shape(env: Env) -> None:
    seen: dict[str, Any] = {}
    app = bare_app(env.emulator)

    @app.command("/lookup")
    async def lookup(ack: Any, command: dict[str, Any]) -> None:
        seen.update(command)
        await ack()

    async with SlackDriver(asgi(app), SECRET, env.emulator) as driver:
        response = await driver.command("/lookup", "+1 415 555 0100", user="U0SUPER", channel="C0GENERAL")
    assert response.status == 200
    assert seen["text"] == "+1 415 555 0100"
    assert (seen["user_id"], seen["user_name"], seen["channel_id"], seen["channel_name"]) == (
        "U0SUPER",
        "super",
        "C0GENERAL",
        "general",
    )
    assert seen["team_id"] == "T0SWITCH" and seen["api_app_id"] == "A0SWITCH"
    assert seen["response_url"].startswith(env.emulator.base_url + "/response/")
    assert seen["trigger_id"]


async def test_payloads_match_bolt_listeners(env: Env) -> None:
    emulator = env.emulator
    app = bare_app(env.emulator)
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(kind: str) -> Any:
        async def listener(ack: Any, body: dict[str, Any]) -> None:
            seen.append((kind, body))
            if kind == "suggest":
                await ack(options=[{"text": {"type": "plain_text", "text": "Lima"}, "value": "lima"}])
            else:
                await ack()

        return listener

    app.action("take")(record("action"))
    app.action({"type": "block_actions", "action_id": "pick"})(record("select"))
    app.view("form")(record("submission"))
    app.view_closed("form")(record("closed"))
    app.shortcut("global")(record("shortcut"))
    app.message_shortcut("quote")(record("message_shortcut"))
    app.options("city")(record("suggest"))
    app.event("app_home_opened")(record("home"))
    app.event("app_uninstalled")(record("uninstalled"))
    app.event("tokens_revoked")(record("revoked"))

    message = emulator.post_user_message("C0DEMO", "U0AGENT", "hi")
    message.blocks = emulator._with_ids(
        [
            {
                "type": "actions",
                "block_id": "row",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "take",
                        "text": {"type": "plain_text", "text": "Take"},
                        "value": "7",
                    },
                    {
                        "type": "static_select",
                        "action_id": "pick",
                        "options": [{"text": {"type": "plain_text", "text": "One"}, "value": "1"}],
                    },
                ],
            }
        ]
    )
    view = View(
        "V0TEST",
        "U0AGENT",
        {
            "id": "V0TEST",
            "type": "modal",
            "callback_id": "form",
            "private_metadata": "meta",
            "hash": "1.abc",
            "notify_on_close": True,
            "blocks": [
                {
                    "type": "input",
                    "block_id": "who",
                    "label": {"type": "plain_text", "text": "Who"},
                    "element": {"type": "users_select", "action_id": "user"},
                },
                {
                    "type": "input",
                    "block_id": "when",
                    "label": {"type": "plain_text", "text": "When"},
                    "element": {"type": "datepicker", "action_id": "date", "initial_date": "2024-01-02"},
                },
                {
                    "type": "input",
                    "block_id": "city",
                    "label": {"type": "plain_text", "text": "City"},
                    "element": {"type": "external_select", "action_id": "city"},
                },
                {
                    "type": "input",
                    "block_id": "tags",
                    "optional": True,
                    "label": {"type": "plain_text", "text": "Tags"},
                    "element": {
                        "type": "checkboxes",
                        "action_id": "tags",
                        "options": [
                            {"text": {"type": "mrkdwn", "text": "*A*"}, "value": "a"},
                            {"text": {"type": "mrkdwn", "text": "*B*"}, "value": "b"},
                        ],
                    },
                },
                {
                    "type": "input",
                    "block_id": "where",
                    "label": {"type": "plain_text", "text": "Where"},
                    "element": {"type": "conversations_select", "action_id": "conv"},
                },
            ],
        },
    )
    emulator.views[view.id] = view
    emulator.view_stacks["U0AGENT"] = [view]

    async with SlackDriver(asgi(app), SECRET, emulator, idle=bolt_idle) as driver:
        assert (await driver.click(message, "take")).status == 200
        assert (await driver.click(message, index=2, value="One")).status == 200
        suggestion = await driver.suggest(view, "city", "li")
        assert suggestion.json() == {
            "options": [{"text": {"type": "plain_text", "text": "Lima"}, "value": "lima"}]
        }
        submitted = await driver.submit(
            view, {"who": "@super", "city": "lima", "Tags": ["a", "B"], "conv": "#demo"}
        )
        assert submitted.status == 200 and submitted.errors == {}
        assert emulator.current_view("U0AGENT") is None  # an empty ack closes the view
        emulator.view_stacks["U0AGENT"] = [view]
        assert (await driver.close(view)) is not None
        assert (await driver.shortcut("global", user="U0SUPER")).status == 200
        assert (await driver.message_shortcut("quote", "quote me", channel="C0GENERAL")).status == 200
        assert (await driver.open_home()).status == 200
        assert (await driver.event("app_uninstalled")).status == 200
        assert (await driver.event("tokens_revoked")).status == 200
        verification = await driver.url_verification("xyz")
        assert verification.json() == {"challenge": "xyz"}
        await driver.settle()  # event listeners run after Bolt's automatic ack

    kinds = [kind for kind, _ in seen]
    assert kinds == [
        "action",
        "select",
        "suggest",
        "submission",
        "closed",
        "shortcut",
        "message_shortcut",
        "home",
        "uninstalled",
        "revoked",
    ]
    bodies = dict(seen)
    action = bodies["action"]
    assert action["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": "C0DEMO",
        "is_ephemeral": False,
    }
    assert action["actions"][0]["value"] == "7" and action["actions"][0]["block_id"] == "row"
    assert action["message"]["text"] == "hi" and action["response_url"] and action["trigger_id"]
    assert action["user"]["id"] == "U0AGENT" and action["user"]["username"] == "agent"
    assert bodies["select"]["actions"][0]["selected_option"]["value"] == "1"
    assert bodies["select"]["state"]["values"]["row"]["pick"]["selected_option"]["value"] == "1"
    values = bodies["submission"]["view"]["state"]["values"]
    assert values["who"]["user"] == {"type": "users_select", "selected_user": "U0SUPER"}
    assert values["when"]["date"] == {"type": "datepicker", "selected_date": "2024-01-02"}
    assert values["city"]["city"]["selected_option"]["value"] == "lima"
    assert [o["value"] for o in values["tags"]["tags"]["selected_options"]] == ["a", "b"]
    assert values["where"]["conv"]["selected_conversation"] == "C0DEMO"
    assert bodies["submission"]["view"]["private_metadata"] == "meta"
    assert bodies["closed"]["is_cleared"] is False
    assert bodies["shortcut"]["user"]["id"] == "U0SUPER" and bodies["shortcut"]["trigger_id"]
    quoted = bodies["message_shortcut"]
    assert quoted["message"]["text"] == "quote me" and quoted["channel"] == {
        "id": "C0GENERAL",
        "name": "general",
    }
    assert bodies["home"]["event"]["user"] == "U0AGENT" and bodies["home"]["event"]["tab"] == "home"
    assert bodies["revoked"]["event"]["tokens"]["bot"] == ["U0BOT"]


async def test_submit_checks_like_the_slack_client(env: Env) -> None:
    await env.driver.command("/form")
    await env.driver.settle()
    view = env.driver.current_view()
    assert view is not None
    with pytest.raises(MissingInput, match="required: Name"):
        await env.driver.submit(view, {})
    with pytest.raises(MissingInput, match="no input nope"):
        await env.driver.submit(view, {"Name": "x", "nope": "y"})
    with pytest.raises(MissingInput, match="not an option"):
        await env.driver.submit(view, {"Name": "x", "Colour": "purple"})


async def test_interactions_end_to_end(env: Env) -> None:
    driver, emulator = env.driver, env.emulator
    await driver.command("/echo", "hi")
    await driver.settle()
    echoed = driver.last_response()
    assert echoed is not None and echoed.text == "echo: hi" and echoed.ephemeral_to == "U0AGENT"
    await driver.click(echoed, "shout")
    await driver.settle()
    assert echoed.text == "ECHO: HI" and driver.last_response() is echoed
    await driver.command("/echo", "bye")
    await driver.settle()
    second = driver.last_response()
    assert second is not None
    await driver.click(second, "dismiss")
    await driver.settle()
    assert second.deleted and [m.text for m in emulator.ephemerals(user="U0AGENT")] == ["ECHO: HI"]

    await driver.command("/form", channel="C0GENERAL")
    await driver.settle()
    view = driver.current_view()
    assert view is not None and view.title == "Favourite colour"
    rejected = await driver.submit(view, {"Name": "bad"})
    assert rejected.errors == {"name_block": "Name cannot be bad"}
    assert driver.current_view() is view
    accepted = await driver.submit(view, {"Name": "Ann", "Colour": "Blue"})
    assert accepted.ok and accepted.errors == {}
    await driver.settle()
    assert driver.current_view() is None
    assert driver.last_message("C0GENERAL").text == "<@U0AGENT>: Ann likes blue"  # type: ignore[union-attr]

    await driver.shortcut("open_form", user="U0SUPER")
    await driver.settle()
    view = driver.current_view("U0SUPER")
    assert view is not None
    await driver.close(view)
    await driver.settle()
    assert [m.text for m in emulator.ephemerals(user="U0SUPER")] == ["form cancelled"]

    await driver.message_shortcut("quote", "call me", channel="C0DEMO")
    await driver.settle()
    assert driver.last_response().text == "quoted: call me from #demo"  # type: ignore[union-attr]

    await driver.command("/announce", "Hello")
    await driver.settle()
    announcement = driver.last_message()
    assert announcement is not None and announcement.text == "Hello"
    await driver.click(announcement, "more", value="pin")
    await driver.click(announcement, "seen", user="U0SUPER")
    await driver.settle()
    assert announcement.text == "Seen by <@U0SUPER>" and announcement.edits == 1
    assert driver.last_response().text == "picked pin"  # type: ignore[union-attr]

    await driver.open_home("U0ADMIN")
    await driver.settle()
    home = driver.home("U0ADMIN")
    assert home is not None and home.blocks[0]["text"]["text"] == "Welcome home"


async def test_settle_waits_for_slow_background_work() -> None:
    import asyncio

    emulator = SlackEmulator()
    async with emulator.serve() as api_url:
        app = bare_app(emulator)
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url)

        @app.command("/slow")
        async def slow(ack: Any) -> None:
            await ack()
            await asyncio.sleep(0.2)
            await client.chat_postMessage(channel="C0DEMO", text="late")

        pending: set[asyncio.Task[Any]] = set()

        async def idle() -> None:
            while pending:
                await asyncio.wait(list(pending))
                pending.difference_update({t for t in pending if t.done()})

        app_asgi = asgi(app)

        async def tracking(scope: Any, receive: Any, send: Any) -> None:
            task = asyncio.current_task()
            assert task is not None
            await app_asgi(scope, receive, send)
            for other in asyncio.all_tasks():
                if getattr(other.get_coro(), "__name__", "") == "run_ack_function_asynchronously":
                    pending.add(other)

        async with SlackDriver(tracking, SECRET, emulator, idle=idle) as driver:
            await driver.command("/slow")
            assert emulator.channel_messages("C0DEMO") == []
            await driver.settle()
            assert [m.text for m in emulator.channel_messages("C0DEMO")] == ["late"]


def test_command_form_is_form_encoded() -> None:
    emulator = SlackEmulator()
    driver = SlackDriver("http://unused", SECRET, emulator)
    payload = driver.command_payload(
        "/x", "a b", user="U0AGENT", channel="C0DEMO", response_url="r", trigger_id="t"
    )
    assert parse_qs(urlencode(payload))["text"] == ["a b"]
    assert json.loads(json.dumps(payload)) == payload
