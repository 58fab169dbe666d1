from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.console.emulator import DEFAULT_TOKEN, SlackEmulator
from tests.console.conftest import Served


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def modal(title: str = "Title", **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": plain(title), "blocks": [], **extra}


async def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        await call
    data: dict[str, Any] = caught.value.response.data
    assert data["ok"] is False
    return data


async def test_auth_without_and_with_unknown_token() -> None:
    emulator = SlackEmulator(tokens=["xoxb-good"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url="http://e") as http:
        assert (await http.post("/api/auth.test")).json() == {"ok": False, "error": "not_authed"}
        bad = await http.post("/api/auth.test", headers={"Authorization": "Bearer xoxb-nope"})
        assert bad.json() == {"ok": False, "error": "invalid_auth"}
        good = await http.post("/api/auth.test", headers={"Authorization": "Bearer xoxb-good"})
        assert good.json()["user_id"] == "U0BOT"
        form_token = await http.post("/api/auth.test", data={"token": "xoxb-good"})
        assert form_token.json()["ok"] is True
        unknown = await http.post("/api/chat.frobnicate", data={"token": "xoxb-good", "x": "1"})
        assert unknown.json()["error"] == "unknown_method"
    assert [c.method for c in emulator.unknown_calls] == ["chat.frobnicate"]
    assert emulator.unknown_calls[0].args == {"x": "1"}


async def test_auth_test_and_directory(served: Served) -> None:
    auth = await served.client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0SWITCH", "U0BOT", "B0BOT")
    assert auth["url"].startswith("https://")
    user = (await served.client.users_info(user="U0AGENT"))["user"]
    assert (user["name"], user["real_name"], user["tz"], user["profile"]["display_name"]) == (
        "agent",
        "Avery Agent",
        "America/New_York",
        "agent",
    )
    assert (await error_of(served.client.users_info(user="U0NOBODY")))["error"] == "user_not_found"
    channel = (await served.client.conversations_info(channel="C0DEMO"))["channel"]
    assert channel["name"] == "demo"
    assert (await error_of(served.client.conversations_info(channel="C0NONE")))[
        "error"
    ] == "channel_not_found"
    call = served.emulator.calls_to("users.info")[0]
    assert call.args == {"user": "U0AGENT"} and call.token == DEFAULT_TOKEN


async def test_chat_lifecycle(served: Served) -> None:
    client = served.client
    posted = await client.chat_postMessage(channel="C0DEMO", text="hello", blocks=[{"type": "divider"}])
    ts = posted["ts"]
    assert posted["message"]["blocks"][0]["block_id"]  # Slack fills in block ids
    reply = await client.chat_postMessage(channel="C0DEMO", text="in thread", thread_ts=ts)
    assert [m.text for m in served.emulator.thread("C0DEMO", ts)] == ["hello", "in thread"]
    assert served.emulator.message("C0DEMO", reply["ts"]).thread_ts == ts  # type: ignore[union-attr]
    updated = await client.chat_update(channel="C0DEMO", ts=ts, text="hello again")
    assert updated["text"] == "hello again"
    link = await client.chat_getPermalink(channel="C0DEMO", message_ts=ts)
    assert link["permalink"].endswith("/archives/C0DEMO/p" + ts.replace(".", ""))
    await client.chat_delete(channel="C0DEMO", ts=ts)
    assert [m.text for m in served.emulator.channel_messages("C0DEMO")] == ["in thread"]
    assert (await error_of(client.chat_update(channel="C0DEMO", ts=ts, text="x")))[
        "error"
    ] == "message_not_found"
    assert (await error_of(client.chat_postMessage(channel="C0NOPE", text="x")))[
        "error"
    ] == "channel_not_found"
    with pytest.warns(UserWarning, match="text"):
        assert (await error_of(client.chat_postMessage(channel="C0DEMO")))["error"] == "no_text"
    assert (await error_of(client.chat_postMessage(channel="C0DEMO", text="x" * 40_001)))[
        "error"
    ] == "msg_too_long"
    dm = await client.chat_postMessage(channel="U0AGENT", text="psst")
    assert dm["channel"] == "D0AGENT"


async def test_ephemeral_messages(served: Served) -> None:
    answer = await served.client.chat_postEphemeral(channel="C0DEMO", user="U0AGENT", text="only you")
    assert answer["message_ts"]
    assert [m.text for m in served.emulator.ephemerals("C0DEMO", "U0AGENT")] == ["only you"]
    assert served.emulator.ephemerals(user="U0SUPER") == []
    assert served.emulator.channel_messages("C0DEMO") == []
    # an ephemeral message cannot be edited through chat.update (only through its response_url)
    failed = await error_of(served.client.chat_update(channel="C0DEMO", ts=answer["message_ts"], text="x"))
    assert failed["error"] == "message_not_found"


async def test_invalid_blocks_are_rejected_like_slack(served: Served) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    data = await error_of(served.client.chat_postMessage(channel="C0DEMO", text="t", blocks=blocks))
    assert data["error"] == "invalid_blocks"
    assert data["errors"] == ["must be at most 3000 characters [json-pointer:/blocks/0/text/text]"]
    too_many = [{"type": "divider"}] * 51
    assert (await error_of(served.client.chat_postMessage(channel="C0DEMO", text="t", blocks=too_many)))[
        "error"
    ] == "invalid_blocks"
    assert served.emulator.channel_messages("C0DEMO") == []


async def test_form_encoded_blocks_are_accepted() -> None:
    emulator = SlackEmulator()
    blocks = json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url="http://e") as http:
        answer = await http.post(
            "/api/chat.postMessage",
            data={"channel": "C0DEMO", "text": "t", "blocks": blocks},
            headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
        )
    assert answer.json()["ok"] is True
    assert emulator.channel_messages("C0DEMO")[0].blocks[0]["text"]["text"] == "hi"


async def test_trigger_ids_are_single_use_and_expire(served: Served) -> None:
    client, emulator = served.client, served.emulator
    trigger = emulator.new_trigger_id("U0AGENT")
    opened = await client.views_open(trigger_id=trigger, view=modal(callback_id="cb"))
    assert opened["view"]["id"].startswith("V")
    assert emulator.current_view("U0AGENT").callback_id == "cb"  # type: ignore[union-attr]
    assert (await error_of(client.views_open(trigger_id=trigger, view=modal())))[
        "error"
    ] == "exchanged_trigger_id"
    assert (await error_of(client.views_open(trigger_id="1.2.3", view=modal())))[
        "error"
    ] == "invalid_trigger_id"
    late = emulator.new_trigger_id("U0AGENT")
    served.clock.advance(3.01)
    assert (await error_of(client.views_open(trigger_id=late, view=modal())))["error"] == "expired_trigger_id"
    in_time = emulator.new_trigger_id("U0AGENT")
    served.clock.advance(2.9)
    await client.views_open(trigger_id=in_time, view=modal())


async def test_invalid_view_arguments(served: Served) -> None:
    trigger = served.emulator.new_trigger_id()
    data = await error_of(served.client.views_open(trigger_id=trigger, view=modal("x" * 25)))
    assert data["error"] == "invalid_arguments"
    assert data["response_metadata"]["messages"] == [
        "[ERROR] must be at most 24 characters [json-pointer:/view/title/text]"
    ]
    # the trigger was not used up by the invalid call
    await served.client.views_open(trigger_id=trigger, view=modal())


async def test_views_push_update_and_hash(served: Served) -> None:
    client, emulator = served.client, served.emulator
    root = (await client.views_open(trigger_id=emulator.new_trigger_id(), view=modal("Root")))["view"]
    pushed = (await client.views_push(trigger_id=emulator.new_trigger_id(), view=modal("Second")))["view"]
    assert pushed["root_view_id"] == root["id"] and pushed["previous_view_id"] == root["id"]
    await client.views_push(trigger_id=emulator.new_trigger_id(), view=modal("Third"))
    assert [v.title for v in emulator.view_stack("U0AGENT")] == ["Root", "Second", "Third"]
    limit = await error_of(client.views_push(trigger_id=emulator.new_trigger_id(), view=modal("Fourth")))
    assert limit["error"] == "push_limit_reached"

    updated = (await client.views_update(view_id=root["id"], hash=root["hash"], view=modal("Root 2")))["view"]
    assert updated["id"] == root["id"] and updated["hash"] != root["hash"]
    stale = await error_of(client.views_update(view_id=root["id"], hash=root["hash"], view=modal("Root 3")))
    assert stale["error"] == "hash_conflict"
    assert emulator.views[root["id"]].title == "Root 2"
    assert (await error_of(client.views_update(view_id="VNOPE", view=modal())))["error"] == "not_found"
    await client.views_update(external_id="", view_id=root["id"], view=modal("No hash is fine"))


async def test_views_publish_home(served: Served) -> None:
    client, emulator = served.client, served.emulator
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}
    first = (await client.views_publish(user_id="U0AGENT", view=home))["view"]
    second = (await client.views_publish(user_id="U0AGENT", view=home, hash=first["hash"]))["view"]
    assert second["id"] == first["id"]
    conflict = await error_of(client.views_publish(user_id="U0AGENT", view=home, hash=first["hash"]))
    assert conflict["error"] == "hash_conflict"
    assert emulator.home("U0AGENT") is not None and emulator.home("U0SUPER") is None
    bad = await error_of(client.views_publish(user_id="U0AGENT", view=modal()))
    assert bad["error"] == "invalid_arguments"


async def test_files_upload_v2(served: Served) -> None:
    result = await served.client.files_upload_v2(
        channel="C0DEMO", content=b"col\n1\n", filename="data.csv", title="Data", initial_comment="here"
    )
    assert result["file"]["title"] == "Data"
    (uploaded,) = served.emulator.files.values()
    assert (uploaded.data, uploaded.filename, uploaded.completed) == (b"col\n1\n", "data.csv", True)
    message = served.emulator.channel_messages("C0DEMO")[-1]
    assert message.text == "here" and message.files[0]["name"] == "data.csv"
    assert [c.method for c in served.emulator.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


async def test_response_url_semantics(served: Served) -> None:
    emulator = served.emulator
    url = emulator.new_response_url("C0DEMO", "U0AGENT")
    hook = AsyncWebhookClient(url)
    assert (await hook.send(text="just you")).status_code == 200
    assert [m.text for m in emulator.ephemerals("C0DEMO", "U0AGENT")] == ["just you"]
    await hook.send(text="everyone", response_type="in_channel")
    assert [m.text for m in emulator.channel_messages("C0DEMO")] == ["everyone"]
    bad = await hook.send(text="x", blocks=[{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}])
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    assert (await hook.send(text="four")).status_code == 200
    assert (await hook.send(text="five")).status_code == 200
    used = await hook.send(text="six")
    assert (used.status_code, used.body) == (404, "used_url")
    assert [p.result for p in emulator.response_posts] == [
        "ok",
        "ok",
        "invalid_blocks",
        "ok",
        "ok",
        "used_url",
    ]


async def test_response_url_replace_delete_and_expiry(served: Served) -> None:
    emulator = served.emulator
    original = (await served.client.chat_postMessage(channel="C0DEMO", text="v1"))["ts"]
    message = emulator.message("C0DEMO", original)
    url = emulator.new_response_url("C0DEMO", "U0AGENT", original=message)
    hook = AsyncWebhookClient(url)
    await hook.send(text="v2", replace_original=True)
    assert [m.text for m in emulator.channel_messages("C0DEMO")] == ["v2"]
    await hook.send(delete_original=True)
    assert emulator.channel_messages("C0DEMO") == []

    late = AsyncWebhookClient(emulator.new_response_url("C0DEMO", "U0AGENT"))
    served.clock.advance(30 * 60 + 1)
    expired = await late.send(text="too late")
    assert (expired.status_code, expired.body) == (404, "expired_url")
    unknown = await AsyncWebhookClient(f"{emulator.base_url}/response/nope").send(text="x")
    assert unknown.status_code == 404


async def test_changes_log_what_users_notice(served: Served) -> None:
    emulator = served.emulator
    start = emulator.seq
    ts = (await served.client.chat_postMessage(channel="C0DEMO", text="a"))["ts"]
    await served.client.chat_update(channel="C0DEMO", ts=ts, text="b")
    await served.client.views_open(trigger_id=emulator.new_trigger_id("U0SUPER"), view=modal())
    kinds = [(c.kind, c.user) for c in emulator.changes_since(start)]
    assert kinds == [("message", None), ("message_changed", None), ("view_opened", "U0SUPER")]


# ------------------------------------------------------------------------------------ custom functions

ECHO = {
    "title": "Echo",
    "description": "Says it back",
    "input_parameters": {"word": {"type": "string", "name": "word", "title": "Word", "is_required": True}},
    "output_parameters": {
        "word": {"type": "string", "name": "word", "title": "Word", "is_required": True},
        "times": {"type": "integer", "name": "times", "title": "Times", "is_required": False},
        "at": {"type": "slack#/types/timestamp", "name": "at", "title": "At", "is_required": False},
    },
}


async def test_a_function_execution_is_completed_once_with_declared_outputs() -> None:
    emulator = SlackEmulator(functions={"echo": ECHO})
    async with emulator.serve() as api_url:
        bot = AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url)
        execution = emulator.start_function("echo", {"word": "hi"})
        event = emulator.function_event(execution)
        assert event["type"] == "function_executed" and event["inputs"] == {"word": "hi"}
        assert event["function_execution_id"] == execution.id and execution.id.startswith("Fx")
        assert event["function"]["callback_id"] == "echo" and event["function"]["title"] == "Echo"
        assert [p["name"] for p in event["function"]["input_parameters"]] == ["word"]
        assert event["bot_access_token"] == execution.token and execution.token.startswith("xwfp-")

        for outputs, problem in (
            ({}, "word: required"),
            ({"word": 3}, "word: 3 is not of type string"),
            ({"word": "hi", "times": "2"}, "times: '2' is not of type integer"),
            ({"word": "hi", "at": True}, "is not of type slack#/types/timestamp"),
            ({"word": "hi", "colour": "red"}, "colour: not an output of echo"),
        ):
            data = await error_of(
                bot.functions_completeSuccess(function_execution_id=execution.id, outputs=outputs)
            )
            assert data["error"] == "parameter_validation_failed"
            assert any(problem in p for p in data["errors"]), data
        assert execution.running

        # The workflow token works while the execution runs.
        workflow = AsyncWebClient(token=execution.token, base_url=api_url)
        await workflow.functions_completeSuccess(
            function_execution_id=execution.id, outputs={"word": "hi", "times": 2, "at": 1_700_000_000}
        )
        assert execution.state == "completed" and execution.outputs == {
            "word": "hi",
            "times": 2,
            "at": 1_700_000_000,
        }
        again = await error_of(bot.functions_completeError(function_execution_id=execution.id, error="late"))
        assert again["error"] == "execution_not_in_running_state"
        # ... and no longer once it ended.
        expired = await error_of(workflow.auth_test())
        assert expired["error"] == "invalid_auth"
        missing = await error_of(bot.functions_completeSuccess(function_execution_id="Fx404", outputs={}))
        assert missing["error"] == "function_execution_not_found"
        assert [c.method for c in emulator.completions("echo") if c.ok] == ["functions.completeSuccess"]


async def test_a_function_execution_can_fail_with_a_reason() -> None:
    emulator = SlackEmulator(functions={"echo": ECHO})
    async with emulator.serve() as api_url:
        bot = AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url)
        execution = emulator.start_function("echo", {"word": "hi"})
        empty = await error_of(bot.functions_completeError(function_execution_id=execution.id, error=" "))
        assert empty["error"] == "invalid_arguments"
        await bot.functions_completeError(function_execution_id=execution.id, error="No, thanks.")
        assert execution.state == "failed" and execution.error == "No, thanks."
        with pytest.raises(LookupError):
            emulator.start_function("nope")


async def test_a_method_needing_a_scope_the_token_lacks_answers_missing_scope() -> None:
    """As Slack: conversations.info needs channels:read for a public channel and groups:read for a private
    one, chat.postMessage chat:write, users.info users:read; without `scopes` nothing is checked."""
    emulator = SlackEmulator(scopes={"chat:write"})
    emulator.add_channel("G0SECRET", "secret", is_private=True)
    async with emulator.serve() as api_url:
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url)
        refused = await error_of(client.conversations_info(channel="C0DEMO"))
        assert refused == {
            "ok": False,
            "error": "missing_scope",
            "needed": "channels:read",
            "provided": "chat:write",
        }
        private = await error_of(client.conversations_info(channel="G0SECRET"))
        assert (private["error"], private["needed"]) == ("missing_scope", "groups:read")
        assert (await error_of(client.users_info(user="U0AGENT")))["needed"] == "users:read"
        assert (await client.chat_postMessage(channel="C0DEMO", text="hi"))["ok"]
        emulator.scopes = frozenset({"chat:write", "channels:read", "groups:read"})
        assert (await client.conversations_info(channel="C0DEMO"))["channel"]["is_member"] is True
        assert (await client.conversations_info(channel="G0SECRET"))["channel"]["is_private"] is True
        emulator.scopes = None  # every scope
        assert (await client.users_info(user="U0AGENT"))["ok"]


async def test_a_token_from_an_install_holds_the_scopes_the_install_asked_for() -> None:
    emulator = SlackEmulator(tokens=())
    emulator.register_oauth_app("1.2", "shh", ["https://app.example/slack/oauth_redirect"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url="http://e") as http:
        authorize = await http.get(
            "/oauth/v2/authorize",
            params={"client_id": "1.2", "scope": "commands,chat:write", "state": "s"},
        )
        code = dict(httpx.URL(authorize.headers["location"]).params)["code"]
        access = await http.post(
            "/api/oauth.v2.access", data={"client_id": "1.2", "client_secret": "shh", "code": code}
        )
        token = access.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        info = await http.post("/api/conversations.info", data={"channel": "C0DEMO"}, headers=auth)
        assert (info.json()["error"], info.json()["needed"]) == ("missing_scope", "channels:read")
        posted = await http.post(
            "/api/chat.postMessage", data={"channel": "C0DEMO", "text": "hi"}, headers=auth
        )
        assert posted.json()["ok"] is True


async def test_posting_where_the_bot_is_not_is_refused_as_slack_refuses_it(served: Served) -> None:
    """A bot with chat:write (not chat:write.public): `not_in_channel` in a public channel it was removed
    from, `channel_not_found` in a private one (it cannot see it), `is_archived` in an archived one."""
    client, emulator = served.client, served.emulator
    emulator.remove_bot("C0DEMO")
    assert (await error_of(client.chat_postMessage(channel="C0DEMO", text="x")))["error"] == "not_in_channel"
    assert (await client.conversations_info(channel="C0DEMO"))["channel"]["is_member"] is False
    emulator.add_channel("G0SECRET", "secret", is_private=True, is_member=False)
    assert (await error_of(client.chat_postMessage(channel="G0SECRET", text="x")))[
        "error"
    ] == "channel_not_found"
    assert (await error_of(client.conversations_info(channel="G0SECRET")))["error"] == "channel_not_found"
    emulator.add_channel("C0OLD", "old", is_archived=True)
    assert (await error_of(client.chat_postMessage(channel="C0OLD", text="x")))["error"] == "is_archived"
    assert not [m for m in emulator.messages if m.channel in ("C0DEMO", "G0SECRET", "C0OLD")]
