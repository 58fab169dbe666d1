"""LiveVoxClient: login and session, re-login on 401, the documented paths, local argument rules, paging."""

from __future__ import annotations

import itertools
import re
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.providers import errors
from bot.providers.livevox import LIVEVOX_HOSTS, LiveVoxClient
from bot.providers.livevox import errors as lv_errors
from tests.providers.provider_support import FakeTime, Recorder, body, json_response, livevox_examples

EXAMPLES = livevox_examples()


def is_login(request: httpx.Request) -> bool:
    return re.search(r"/session(/v[^/]+)?/login$", request.url.path) is not None


class FakeLiveVox:
    def __init__(self, time: FakeTime | None = None) -> None:
        self.sessions = itertools.count(1)
        self.routes: dict[tuple[str, str], Any] = {}
        self.recorder = Recorder(self.handle, time)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if is_login(request):
            return json_response(
                200,
                {
                    "sessionId": f"lv-session-{next(self.sessions)}",
                    "userId": 645836,
                    "clientId": 1,
                    "daysUntilPasswordExpires": 30,
                },
            )
        route = self.routes.get((request.method, request.url.path))
        if route is None:
            return json_response(
                404, {"code": 404, "message": f"no route {request.method} {request.url.path}"}
            )
        result: httpx.Response = route(request) if callable(route) else route
        return result

    def client(self, *, agent: bool = True, **kwargs: Any) -> LiveVoxClient:
        kwargs.setdefault("base_url", "http://sandbox.test/livevox")
        return LiveVoxClient(
            access_token="lv-access-token",
            client_name="acme",
            username="agent1",
            password="lv-password",
            agent=agent,
            http_client=self.recorder.client(),
            rate_limit=None,
            **kwargs,
        )

    @property
    def logins(self) -> list[httpx.Request]:
        return [r for r in self.recorder.requests if is_login(r)]

    @property
    def calls(self) -> list[httpx.Request]:
        return [r for r in self.recorder.requests if not is_login(r)]


# -- session


async def test_logs_in_lazily_then_sends_the_session_id() -> None:
    fake = FakeLiveVox()
    fake.routes[("GET", "/livevox/sms/templates")] = json_response(200, EXAMPLES["templates"])
    livevox = fake.client()
    assert fake.recorder.requests == []  # nothing before the first call
    templates = await livevox.sms.templates()
    assert [t.id for t in templates] == [75870, 75959]
    await livevox.sms.templates()
    (login,) = fake.logins
    assert str(login.url) == "http://sandbox.test/livevox/session/login" and login.method == "POST"
    assert login.headers["LV-Access"] == "lv-access-token" and "LV-Session" not in login.headers
    assert body(login) == {
        "clientName": "acme",
        "userName": "agent1",
        "password": "lv-password",
        "agent": True,
    }
    for call in fake.calls:
        assert call.headers["LV-Session"] == "lv-session-1" and "LV-Access" not in call.headers
    assert livevox.login_info is not None and livevox.login_info.user_id == 645836
    assert "lv-session-1" not in repr(livevox.login_info) and "lv-password" not in repr(livevox)


async def test_relogs_in_once_on_401_and_repeats_the_call() -> None:
    fake = FakeLiveVox()

    def templates(request: httpx.Request) -> httpx.Response:
        if request.headers["LV-Session"] == "lv-session-1":
            return json_response(401, {"code": 401, "message": "Session expired"})
        return json_response(200, EXAMPLES["templates"])

    fake.routes[("GET", "/livevox/sms/templates")] = templates
    livevox = fake.client()
    assert len(await livevox.sms.templates()) == 2
    assert len(fake.logins) == 2
    assert [c.headers["LV-Session"] for c in fake.calls] == ["lv-session-1", "lv-session-2"]


async def test_relogins_are_bounded() -> None:
    fake = FakeLiveVox()
    fake.routes[("GET", "/livevox/sms/codes")] = json_response(
        401, {"code": 401, "message": "Not authorised"}
    )
    livevox = fake.client()
    with pytest.raises(lv_errors.AuthError) as caught:
        await livevox.sms.codes()
    assert isinstance(caught.value, errors.AuthError) and caught.value.message.endswith(": Not authorised")
    assert caught.value.login_accepted
    assert len(fake.logins) == 4 and len(fake.calls) == 4


async def test_a_refused_login_is_an_auth_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(401, {"code": 101, "message": "Invalid credentials"})

    recorder = Recorder(handler)
    livevox = LiveVoxClient(
        access_token="t",
        client_name="c",
        username="u",
        password="p",
        agent=False,
        http_client=recorder.client(),
    )
    with pytest.raises(lv_errors.AuthError, match="Invalid credentials") as caught:
        await livevox.sms.codes()
    assert caught.value.code == 101
    assert len(recorder.requests) == 1  # the login only: no loop


async def test_session_idle_for_two_hours_logs_in_again(fake_time: FakeTime) -> None:
    fake = FakeLiveVox(fake_time)
    fake.routes[("GET", "/livevox/sms/codes")] = json_response(200, EXAMPLES["codes"])
    livevox = fake.client(clock=fake_time.clock, sleep=fake_time.sleep)
    await livevox.sms.codes()
    fake_time.advance(3600)
    await livevox.sms.codes()  # used within the rolling 2 hours: same session
    assert len(fake.logins) == 1
    fake_time.advance(2 * 3600)
    await livevox.sms.codes()
    assert len(fake.logins) == 2


# -- hosts and paths


def test_environment_hosts_and_version_segment() -> None:
    assert LIVEVOX_HOSTS == {
        "NA3": "https://api.livevox.com",
        "NA4": "https://api.na4.livevox.com",
        "NA5": "https://api.na5.livevox.com",
        "NA6": "https://api.na6.livevox.com",
    }
    kwargs: dict[str, Any] = {
        "access_token": "t",
        "client_name": "c",
        "username": "u",
        "password": "p",
        "agent": True,
    }
    assert LiveVoxClient(**kwargs)._url("sms", "templates") == "https://api.livevox.com/sms/templates"
    na5 = LiveVoxClient(**kwargs, environment="na5", version="v5.0")
    assert na5._url("session", "login") == "https://api.na5.livevox.com/session/v5.0/login"
    assert na5._url("sms") == "https://api.na5.livevox.com/sms/v5.0/"
    with pytest.raises(ValueError, match="NA3"):
        LiveVoxClient(**kwargs, environment="EU1")


async def test_version_segment_is_used_for_login_and_calls() -> None:
    fake = FakeLiveVox()
    fake.routes[("GET", "/livevox/sms/v5.0/templates")] = json_response(200, {"templates": []})
    livevox = fake.client(version="v5.0")
    assert await livevox.sms.templates() == []
    assert fake.logins[0].url.path == "/livevox/session/v5.0/login"


async def test_every_operation_uses_the_documented_method_and_path() -> None:
    fake = FakeLiveVox()
    no_content = httpx.Response(204)
    fake.routes.update(
        {
            ("GET", "/livevox/sms/agent/interaction/counts/645836"): json_response(
                200, EXAMPLES["channel_counts"]
            ),
            ("GET", "/livevox/sms/agent/channel"): json_response(200, EXAMPLES["channels"]),
            ("GET", "/livevox/sms/agent/thread/details"): json_response(200, EXAMPLES["threads"]),
            ("PUT", "/livevox/sms/agent/thread/switchGroup/public"): no_content,
            ("PUT", "/livevox/sms/agent/thread/switchGroup/private"): no_content,
            ("GET", "/livevox/sms/agent/thread/transfer"): json_response(200, EXAMPLES["transfer"]),
            ("GET", "/livevox/sms/agent/search"): json_response(200, EXAMPLES["transfer_agents"]),
            ("POST", "/livevox/sms/agent/thread/resolve"): no_content,
            ("POST", "/livevox/sms/agent/message/send"): json_response(200, EXAMPLES["message_send"]),
            ("PUT", "/livevox/sms/agent/message/markAsRead"): no_content,
            ("PUT", "/livevox/sms/agent/message/markAsUnread"): no_content,
            ("GET", "/livevox/sms/agent/messages"): json_response(200, EXAMPLES["history"]),
            ("POST", "/livevox/sms/"): json_response(200, EXAMPLES["sms_send"]),
        }
    )
    lv = fake.client()
    counts = await lv.agent.channel_counts(645836)
    assert counts.count_of_read_sms_threads_in_personal_inbox == 2
    assert len(await lv.agent.channels()) == 6
    threads = await lv.threads.list("94874", "SMS", personal=True, pagination=1)
    assert threads[0].thread_id == "56061444434"
    await lv.threads.assign_to_group("56047165976")
    await lv.threads.take("56047165976", 795963)
    assert (await lv.threads.transfer("56047165976", 645835)).id == "56047165976"
    assert [a.login_id for a in await lv.threads.transfer_agents("56070705625")][:2] == ["KAVYA", "APITEST1"]
    await lv.threads.resolve("56061444734", "1213")
    sent = await lv.messages.send("13345094836", "4154164061", "API SMS Test", account="1213")
    assert sent.id == "56284272387"
    await lv.messages.mark_read("1229998286752", "150321")
    await lv.messages.mark_unread("56070705625", "94874")
    history = await lv.messages.history(account="1213", thread_id="56061444434")
    assert len(history) == 10
    result = await lv.sms.send("53063", "4154164061", template_id=74257, account="13213")
    assert result.transaction_id == 51644325690

    by_path = {c.url.path: c for c in fake.calls}
    params = {path: dict(c.url.params) for path, c in by_path.items()}
    assert params["/livevox/sms/agent/thread/details"] == {
        "channelId": "94874",
        "personal": "true",
        "channel": "SMS",
        "pagination": "1",
    }
    assert params["/livevox/sms/agent/thread/switchGroup/public"] == {"threadId": "56047165976"}
    assert params["/livevox/sms/agent/thread/switchGroup/private"] == {
        "threadId": "56047165976",
        "channelId": "795963",
    }
    assert params["/livevox/sms/agent/thread/transfer"] == {
        "threadId": "56047165976",
        "type": "SMS",
        "agentId": "645835",
    }
    assert params["/livevox/sms/agent/search"] == {"threadId": "56070705625"}
    assert params["/livevox/sms/agent/message/markAsRead"] == {
        "threadId": "1229998286752",
        "channelId": "150321",
    }
    assert params["/livevox/sms/agent/messages"] == {"account": "1213", "threadId": "56061444434"}
    assert body(by_path["/livevox/sms/agent/thread/resolve"]) == {
        "threadId": "56061444734",
        "account": "1213",
        "agentEnteredAccount": "1213",
    }
    assert body(by_path["/livevox/sms/agent/message/send"]) == {
        "fromNumber": "13345094836",
        "toNumber": "4154164061",
        "message": "API SMS Test",
        "account": "1213",
    }
    assert body(by_path["/livevox/sms/"]) == {
        "from": "53063",
        "to": "4154164061",
        "body": {"templateId": 74257},
        "account": "13213",
    }


async def test_livevox_errors_keep_code_and_message() -> None:
    fake = FakeLiveVox()
    fake.routes[("GET", "/livevox/sms/agent/search")] = json_response(
        400, {"code": 1234, "message": "Thread is closed"}
    )
    fake.routes[("GET", "/livevox/sms/agent/thread/transfer")] = json_response(
        404, {"code": 44, "message": "No such thread"}
    )
    lv = fake.client()
    with pytest.raises(lv_errors.InvalidRequest) as invalid:
        await lv.threads.transfer_agents("1")
    assert (invalid.value.code, invalid.value.message, invalid.value.status) == (
        1234,
        "Thread is closed",
        400,
    )
    with pytest.raises(errors.NotFound) as missing:
        await lv.threads.transfer("1", 2)
    assert isinstance(missing.value, lv_errors.LiveVoxError) and missing.value.code == 44


# -- rules checked before any request


@pytest.mark.parametrize(
    ("agent", "kwargs", "message"),
    [
        (True, {"account": "1"}, "exactly one of `message` or `template_id`"),
        (
            True,
            {"message": "hi", "template_id": 5, "account": "1"},
            "exactly one of `message` or `template_id`",
        ),
        (True, {"message": "", "account": "1"}, "exactly one of `message` or `template_id`"),
        (True, {"message": "hi", "account": "1", "service_id": 100915}, "cannot pass `service_id`"),
        (True, {"message": "hi"}, "must pass `account`"),
        (False, {"message": "hi", "account": "1"}, "must pass `service_id`"),
    ],
)
async def test_sms_send_rules_are_enforced_with_zero_requests(
    agent: bool, kwargs: dict[str, Any], message: str
) -> None:
    fake = FakeLiveVox()
    lv = fake.client(agent=agent)
    with pytest.raises(lv_errors.InvalidArgument, match=message) as caught:
        await lv.sms.send("53063", "4154164061", **kwargs)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, errors.InvalidArgument)
    assert fake.recorder.requests == []


async def test_user_send_with_service_id() -> None:
    fake = FakeLiveVox()
    fake.routes[("POST", "/livevox/sms/")] = json_response(200, {"transactionId": 7})
    lv = fake.client(agent=False)
    assert (await lv.sms.send("53063", "4154164061", message="Hello", service_id=100915)).transaction_id == 7
    assert body(fake.calls[0]) == {
        "from": "53063",
        "to": "4154164061",
        "body": {"message": "Hello"},
        "serviceId": 100915,
    }
    assert body(fake.logins[0])["agent"] is False


async def test_history_needs_an_account_or_a_thread_before_any_request() -> None:
    fake = FakeLiveVox()
    lv = fake.client()
    with pytest.raises(ValueError, match="`account` or `thread_id`"):
        await lv.messages.history()
    with pytest.raises(lv_errors.InvalidArgument):
        lv.messages.history_all()
    with pytest.raises(lv_errors.InvalidArgument):
        await lv.messages.send("1", "2", "")
    assert fake.recorder.requests == []


# -- pages


def paged(items: list[dict[str, Any]], size: int) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("pagination", "1"))
        return json_response(200, items[(page - 1) * size : page * size])

    return handler


async def test_threads_list_all_walks_pages_until_an_empty_one() -> None:
    fake = FakeLiveVox()
    threads = [{"threadId": str(n), "channel": "SMS"} for n in range(7)]
    fake.routes[("GET", "/livevox/sms/agent/thread/details")] = paged(threads, 3)
    lv = fake.client()
    ids = [t.thread_id async for t in lv.threads.list_all("94874", "SMS", personal=False)]
    assert ids == [str(n) for n in range(7)]
    assert [c.url.params["pagination"] for c in fake.calls] == ["1", "2", "3", "4"]
    assert all(c.url.params["personal"] == "false" for c in fake.calls)


async def test_history_all_stops_if_the_server_ignores_the_page_number() -> None:
    fake = FakeLiveVox()
    fake.routes[("GET", "/livevox/sms/agent/messages")] = json_response(200, EXAMPLES["history"])
    lv = fake.client()
    messages = await lv.messages.history_all(account="1213").collect()
    assert len(messages) == 10  # the repeated page 2 is recognised, not yielded, and ends the walk
    assert len(fake.calls) == 2


@settings(max_examples=40, deadline=None)
@given(count=st.integers(min_value=0, max_value=60), size=st.integers(min_value=1, max_value=25))
def test_history_all_yields_every_message_once_in_order(count: int, size: int) -> None:
    import asyncio

    async def run() -> list[Any]:
        fake = FakeLiveVox()
        items = [{"id": str(n), "message": f"m{n}", "direction": "1"} for n in range(count)]
        fake.routes[("GET", "/livevox/sms/agent/messages")] = paged(items, size)
        async with fake.client() as lv:
            return [m.id async for m in lv.messages.history_all(thread_id="t1")]

    assert asyncio.run(run()) == [str(n) for n in range(count)]
