"""ZoomClient: OAuth token life cycle, pagination, month windows, query encoding."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.providers import RateLimit, errors
from bot.providers.zoom import PLAN_RATE_LIMITS, ZoomClient, month_windows
from bot.providers.zoom import errors as zoom_errors
from bot.providers.zoom.windows import add_months
from tests.providers.provider_support import FakeTime, Recorder, basic, form, json_response

NO_LIMITS: dict[str, Any] = {"heavy": None, "medium": None, "light": None}


class FakeZoom:
    """Token endpoint + API routes; tokens are zoom-token-1, zoom-token-2, ..."""

    def __init__(self, time: FakeTime, expires_in: int = 3600) -> None:
        self.time = time
        self.expires_in = expires_in
        self.numbers = itertools.count(1)
        self.routes: dict[str, Any] = {}
        self.token_delay = 0
        self.recorder = Recorder(self.handle, time)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            for _ in range(self.token_delay):
                await asyncio.sleep(0)
            token = f"zoom-token-{next(self.numbers)}"
            return json_response(
                200, {"access_token": token, "token_type": "bearer", "expires_in": self.expires_in}
            )
        route = self.routes[request.url.path.removeprefix("/v2")]
        result: httpx.Response = route(request)
        return result

    def client(self, **kwargs: Any) -> ZoomClient:
        kwargs.setdefault("rate_limits", NO_LIMITS)
        return ZoomClient(
            account_id="acct-1",
            client_id="client-1",
            client_secret="zoom-client-secret",
            http_client=self.recorder.client(),
            sleep=self.time.sleep,
            clock=self.time.clock,
            rng=random.Random(3),
            **kwargs,
        )

    @property
    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.recorder.requests if r.url.path == "/oauth/token"]

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.recorder.requests if r.url.path != "/oauth/token"]


def bearer(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


def sessions_page(ids: list[str], next_token: str = "") -> httpx.Response:
    return json_response(
        200,
        {
            "next_page_token": next_token,
            "page_size": len(ids),
            "sms_sessions": [{"session_id": i} for i in ids],
        },
    )


# -- OAuth


async def test_token_request_and_bearer_header(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    fake.routes["/phone/sms/sessions"] = lambda r: sessions_page(["s1"])
    zoom = fake.client()
    sessions = await zoom.phone.sms_sessions.list().collect()
    assert [s.session_id for s in sessions] == ["s1"]
    (token_request,) = fake.token_requests
    assert token_request.method == "POST" and str(token_request.url) == "https://zoom.us/oauth/token"
    assert basic(token_request) == ("client-1", "zoom-client-secret")
    assert form(token_request) == {"grant_type": "account_credentials", "account_id": "acct-1"}
    (api_request,) = fake.api_requests
    assert str(api_request.url).startswith("https://api.zoom.us/v2/phone/sms/sessions")
    assert bearer(api_request) == "zoom-token-1"


async def test_token_is_cached_and_refreshed_a_few_minutes_before_expiry(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    fake.routes["/phone/sms/sessions"] = lambda r: sessions_page(["s1"])
    zoom = fake.client()
    await zoom.phone.sms_sessions.list().collect()
    fake_time.advance(3000)  # 10 minutes left: still fine
    await zoom.phone.sms_sessions.list().collect()
    assert len(fake.token_requests) == 1
    fake_time.advance(400)  # 200 s left: inside the refresh margin
    await zoom.phone.sms_sessions.list().collect()
    assert len(fake.token_requests) == 2
    assert [bearer(r) for r in fake.api_requests] == ["zoom-token-1", "zoom-token-1", "zoom-token-2"]
    assert zoom.token_fetches == 2


async def test_concurrent_callers_share_one_token_fetch(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    fake.token_delay = 5
    fake.routes["/phone/sms/sessions"] = lambda r: sessions_page(["s1"])
    zoom = fake.client()
    results = await asyncio.gather(*(zoom.phone.sms_sessions.list().collect() for _ in range(8)))
    assert all(len(r) == 1 for r in results)
    assert len(fake.token_requests) == 1
    assert {bearer(r) for r in fake.api_requests} == {"zoom-token-1"}


async def test_401_code_124_mid_pagination_refreshes_once_and_repeats_the_page(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)

    def sessions(request: httpx.Request) -> httpx.Response:
        page_token = request.url.params.get("next_page_token")
        if page_token is None:
            return sessions_page(["s1", "s2"], "page-2")
        if bearer(request) == "zoom-token-1":  # the token was revoked between the pages
            return json_response(401, {"code": 124, "message": "Invalid access token."})
        return sessions_page(["s3"], "")

    fake.routes["/phone/sms/sessions"] = sessions
    zoom = fake.client()
    ids = [s.session_id async for s in zoom.phone.sms_sessions.list(page_size=2)]
    assert ids == ["s1", "s2", "s3"]
    assert len(fake.token_requests) == 2
    calls = [(r.url.params.get("next_page_token"), bearer(r)) for r in fake.api_requests]
    assert calls == [(None, "zoom-token-1"), ("page-2", "zoom-token-1"), ("page-2", "zoom-token-2")]


async def test_token_expiring_mid_pagination_is_refreshed_before_the_next_page(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)

    def sessions(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("next_page_token") is None:
            fake_time.advance(3500)  # a slow consumer: the token is about to expire
            return sessions_page(["s1"], "page-2")
        return sessions_page(["s2"], "")

    fake.routes["/phone/sms/sessions"] = sessions
    zoom = fake.client()
    assert len(await zoom.phone.sms_sessions.list().collect()) == 2
    assert [bearer(r) for r in fake.api_requests] == ["zoom-token-1", "zoom-token-2"]


async def test_401s_after_refreshing_raise_auth_error_saying_the_login_was_accepted(
    fake_time: FakeTime,
) -> None:
    fake = FakeZoom(fake_time)
    fake.routes["/phone/sms/sessions"] = lambda r: json_response(
        401, {"code": 124, "message": "Invalid access token."}
    )
    zoom = fake.client()
    with pytest.raises(zoom_errors.AuthError) as caught:
        await zoom.phone.sms_sessions.list().collect()
    assert isinstance(caught.value, errors.AuthError) and caught.value.code == 124
    assert caught.value.login_accepted and "accepted Switchboard's login 3 times" in caught.value.message
    assert len(fake.token_requests) == 4 and len(fake.api_requests) == 4


async def test_401_with_another_code_does_not_refresh(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    fake.routes["/phone/sms/sessions"] = lambda r: json_response(
        401, {"code": 2001, "message": "Account does not exist."}
    )
    zoom = fake.client()
    with pytest.raises(errors.AuthError):
        await zoom.phone.sms_sessions.list().collect()
    assert len(fake.token_requests) == 1 and len(fake.api_requests) == 1


async def test_refused_credentials_raise_auth_error_without_the_secret(fake_time: FakeTime) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})

    recorder = Recorder(handler)
    zoom = ZoomClient(
        account_id="acct-1",
        client_id="client-1",
        client_secret="zoom-client-secret",
        http_client=recorder.client(),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    with pytest.raises(zoom_errors.AuthError) as caught:
        await zoom.phone.sms_sessions.list().collect()
    assert "Invalid client_id or client_secret" in str(caught.value)
    assert "zoom-client-secret" not in str(caught.value) + repr(caught.value) + repr(zoom)
    assert len(recorder.requests) == 1


# -- pagination


async def test_pages_follow_next_page_token_until_empty(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    pages = {None: (["a", "b"], "t2"), "t2": (["c", "d"], "t3"), "t3": (["e"], "")}

    def sms(request: httpx.Request) -> httpx.Response:
        ids, following = pages[request.url.params.get("next_page_token")]
        return json_response(
            200, {"next_page_token": following, "page_size": 2, "sms": [{"engagement_id": i} for i in ids]}
        )

    fake.routes["/contact_center/sms"] = sms
    zoom = fake.client()
    pager = zoom.contact_center.sms.list(page_size=2)
    assert fake.api_requests == []  # lazy: nothing fetched before iteration
    assert [log.engagement_id async for log in pager] == ["a", "b", "c", "d", "e"]
    assert [len(page.sms) async for page in pager.pages()] == [2, 2, 1]
    first = await pager.collect(limit=3)
    assert [log.engagement_id for log in first] == ["a", "b", "c"]
    assert len(fake.api_requests) == 3 + 3 + 2  # collect(limit=3) stopped after the second page
    assert all(r.url.params.get("page_size") == "2" for r in fake.api_requests)


async def test_missing_next_page_token_ends_the_list(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    fake.routes["/contact_center/voice_calls"] = lambda r: json_response(
        200, {"voice_calls": [{"engagement_id": "v"}]}
    )
    zoom = fake.client()
    assert len(await zoom.contact_center.voice_calls.list().collect()) == 1
    assert len(fake.api_requests) == 1


# -- month windows


def window_params(requests: list[httpx.Request]) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for request in requests:
        pair = (request.url.params["from"], request.url.params["to"])
        if pair not in seen:
            seen.append(pair)
    return seen


async def test_a_three_month_date_range_is_split_into_contiguous_month_windows(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)

    def sms(request: httpx.Request) -> httpx.Response:
        start = request.url.params["from"]
        if request.url.params.get("next_page_token") is None:
            return json_response(200, {"next_page_token": "more", "sms": [{"engagement_id": f"{start}-1"}]})
        return json_response(200, {"next_page_token": "", "sms": [{"engagement_id": f"{start}-2"}]})

    fake.routes["/contact_center/sms"] = sms
    zoom = fake.client()
    logs = await zoom.contact_center.sms.list(from_=date(2024, 1, 1), to=date(2024, 3, 31)).collect()
    windows = [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in window_params(fake.api_requests)]
    assert len(windows) >= 3
    assert windows[0][0] == date(2024, 1, 1) and windows[-1][1] == date(2024, 3, 31)
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert start == end + timedelta(days=1)  # contiguous, no overlap
    for start, end in windows:
        assert end < add_months(start, 1) and (end - start).days < 30
    assert len(logs) == 2 * len(windows)
    # a page token is only ever used inside its own window
    assert all(r.url.params.get("next_page_token") in (None, "more") for r in fake.api_requests)


async def test_datetime_ranges_are_split_at_whole_seconds(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    fake.routes["/contact_center/voice_calls"] = lambda r: json_response(200, {"voice_calls": []})
    zoom = fake.client()
    start = datetime(2024, 1, 15, 12, 0, 0, 250_000, tzinfo=UTC)
    end = datetime(2024, 4, 2, 10, 30, tzinfo=UTC).astimezone()  # any offset: sent as UTC
    await zoom.contact_center.voice_calls.list(from_=start, to=end).collect()
    windows = [
        (datetime.fromisoformat(a.replace("Z", "+00:00")), datetime.fromisoformat(b.replace("Z", "+00:00")))
        for a, b in window_params(fake.api_requests)
    ]
    assert all(a.endswith("Z") and "T" in a for a, _ in window_params(fake.api_requests))
    assert windows[0][0] == datetime(2024, 1, 15, 12, 0, 0, tzinfo=UTC)
    assert windows[-1][1] == datetime(2024, 4, 2, 10, 30, tzinfo=UTC)
    for (_, prev_end), (next_start, _) in itertools.pairwise(windows):
        assert next_start - prev_end == timedelta(seconds=1)
    for a, b in windows:
        assert b - a <= timedelta(days=30) and b < add_months(a, 1)


async def test_sort_descending_walks_the_windows_newest_first(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    fake.routes["/phone/sms/sessions/sess%2F1"] = lambda r: json_response(200, {"sms_histories": []})
    fake.routes["/phone/sms/sessions/sess/1"] = fake.routes["/phone/sms/sessions/sess%2F1"]
    zoom = fake.client()
    await zoom.phone.sms_sessions.get(
        "sess/1", from_=date(2024, 1, 1), to=date(2024, 3, 31), sort=2
    ).collect()
    starts = [r.url.params["from"] for r in fake.api_requests]
    assert starts == sorted(starts, reverse=True)
    assert all(r.url.params["sort"] == "2" for r in fake.api_requests)
    assert fake.api_requests[0].url.raw_path.startswith(b"/v2/phone/sms/sessions/sess%2F1?")


async def test_from_without_to_runs_until_now(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    fake.routes["/contact_center/sms"] = lambda r: json_response(200, {"sms": []})
    zoom = fake.client()
    today = datetime.fromtimestamp(fake_time.now, UTC).date()
    await zoom.contact_center.sms.list(from_=today - timedelta(days=45)).collect()
    assert window_params(fake.api_requests)[-1][1] == today.isoformat()


async def test_bad_arguments_are_refused_before_any_request(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    zoom = fake.client()
    with pytest.raises(zoom_errors.InvalidArgument):
        zoom.contact_center.sms.list(to=date(2024, 1, 1))
    with pytest.raises(errors.InvalidArgument):
        zoom.contact_center.sms.list(from_=date(2024, 2, 1), to=date(2024, 1, 1))
    with pytest.raises(ValueError, match="page_size"):
        zoom.contact_center.voice_calls.list(page_size=101)
    with pytest.raises(ValueError, match="sort"):
        zoom.phone.sms_sessions.get("s", sort=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="digits"):
        zoom.phone.sms_sessions.list(phone_number="+")
    assert fake.recorder.requests == []


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=0, max_value=800),
)
def test_month_windows_cover_the_range_exactly(start: date, days: int) -> None:
    end = start + timedelta(days=days)
    windows = month_windows(start, end)
    assert windows[0].start == start and windows[-1].end == end
    for window in windows:
        assert window.start <= window.end < add_months(window.start, 1)
        assert (window.end - window.start).days < 30
    for before, after in itertools.pairwise(windows):
        assert after.start == before.end + timedelta(days=1)


# -- query encoding


async def test_list_filters_are_sent_as_repeated_query_params(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    fake.routes["/contact_center/voice_calls"] = lambda r: json_response(200, {"voice_calls": []})
    fake.routes["/contact_center/sms"] = lambda r: json_response(200, {"sms": []})
    zoom = fake.client()
    await zoom.contact_center.voice_calls.list(
        types=["external_conference_call", "external_call"],
        distribution="non_acd",
        user_ids=["u1", "u2"],
        queue_ids=["q1", "q2"],
        country_iso_codes=["US", "GB"],
        number_types=["byoc_number", "toll_free_number"],
        direction="outbound",
        consumer_number="+12059300920",
        page_size=50,
    ).collect()
    params = fake.api_requests[0].url.params
    assert params.get_list("types") == ["external_conference_call", "external_call"]
    assert params.get_list("user_ids") == ["u1", "u2"]
    assert params.get_list("queue_ids") == ["q1", "q2"]
    assert params.get_list("country_iso_codes") == ["US", "GB"]
    assert params.get_list("number_types") == ["byoc_number", "toll_free_number"]
    assert params["distribution"] == "non_acd" and params["consumer_number"] == "+12059300920"
    assert "from" not in params and "to" not in params  # Zoom's default range
    await zoom.contact_center.sms.list(country_iso_codes=["US", "CA"], direction="inbound").collect()
    assert fake.api_requests[1].url.params.get_list("country_iso_codes") == ["US", "CA"]


async def test_session_phone_number_is_sent_without_plus(fake_time: FakeTime) -> None:
    fake = FakeZoom(fake_time)
    fake.routes["/phone/sms/sessions"] = lambda r: sessions_page([])
    zoom = fake.client()
    await zoom.phone.sms_sessions.list(phone_number="+1 (415) 555-0100", session_type="all").collect()
    params = fake.api_requests[0].url.params
    assert params["phone_number"] == "14155550100" and params["session_type"] == "all"


# -- rate limits per plan


def test_plan_limits_and_overrides() -> None:
    pro = ZoomClient(account_id="a", client_id="c", client_secret="s")
    assert pro.rate_limits["heavy"] == RateLimit(per_second=5, burst=5, per_day=15_000)
    assert pro.rate_limits["medium"] == RateLimit(per_second=10, burst=10)
    assert pro.rate_limits["light"] == RateLimit(per_second=20, burst=20)
    business = ZoomClient(account_id="a", client_id="c", client_secret="s", plan="business")
    assert business.rate_limits == PLAN_RATE_LIMITS["business"]
    assert business.rate_limits["heavy"] == RateLimit(per_second=10, burst=10, per_day=30_000)
    custom = ZoomClient(
        account_id="a",
        client_id="c",
        client_secret="s",
        rate_limits={"HEAVY": RateLimit(per_second=1), "light": None},
    )
    assert custom.rate_limits["heavy"] == RateLimit(per_second=1) and custom.rate_limits["light"] is None
    with pytest.raises(ValueError, match="plan"):
        ZoomClient(account_id="a", client_id="c", client_secret="s", plan="free")  # type: ignore[arg-type]
