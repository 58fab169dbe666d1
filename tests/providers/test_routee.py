"""RouteeClient: OAuth, the tracking search (7-day window, filters, pages), send, errors."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.providers import errors
from bot.providers.routee import RouteeClient, SmsCallback, TrackingFilter
from bot.providers.routee import errors as routee_errors
from tests.providers.provider_support import (
    ROUTEE_TRACKING_EXAMPLE,
    FakeTime,
    Recorder,
    basic,
    body,
    form,
    json_response,
)


class FakeRoutee:
    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.numbers = itertools.count(1)
        self.routes: dict[str, Any] = {}
        self.recorder = Recorder(self.handle, time)
        self.expires_in: int | None = 3600

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.routee.net":
            payload: dict[str, Any] = {
                "access_token": f"routee-token-{next(self.numbers)}",
                "token_type": "bearer",
            }
            if self.expires_in is not None:
                payload["expires_in"] = self.expires_in
            return json_response(200, payload)
        result: httpx.Response = self.routes[request.url.path](request)
        return result

    def client(self, **kwargs: Any) -> RouteeClient:
        return RouteeClient(
            app_id="app-1",
            app_secret="routee-app-secret",
            http_client=self.recorder.client(),
            sleep=self.time.sleep,
            clock=self.time.clock,
            rate_limit=None,
            **kwargs,
        )

    @property
    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.recorder.requests if r.url.host == "auth.routee.net"]

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.recorder.requests if r.url.host != "auth.routee.net"]


def now_of(time: FakeTime) -> datetime:
    return datetime.fromtimestamp(time.now, UTC)


def tracking_pages(total: int, size: int) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        items = [{"smsId": str(n), "to": "+306948530920"} for n in range(total)][
            number * size : (number + 1) * size
        ]
        pages = max(1, -(-total // size))
        return json_response(
            200,
            {
                "totalPages": pages,
                "last": number >= pages - 1,
                "totalElements": total,
                "first": number == 0,
                "numberOfElements": len(items),
                "number": number,
                "size": size,
                "content": items,
            },
        )

    return handler


async def test_tracking_request_shape_and_pages(fake_time: FakeTime) -> None:
    fake = FakeRoutee(fake_time)
    fake.routes["/sms/tracking"] = tracking_pages(5, 2)
    routee = fake.client()
    now = now_of(fake_time)
    pager = routee.tracking.list(
        date_start=now - timedelta(days=2),
        date_end=now,
        filters=[
            TrackingFilter(field_name="to", search_term="+306948530920"),
            TrackingFilter(field_name="status.status", search_term="Deliv", operator="starts_with"),
        ],
        page_size=2,
        campaign="camp-1",
        only_campaign=True,
    )
    assert [sms.sms_id async for sms in pager] == ["0", "1", "2", "3", "4"]
    requests = fake.api_requests
    assert [r.url.params["page"] for r in requests] == ["0", "1", "2"]
    first = requests[0]
    assert first.method == "POST" and str(first.url).startswith("https://connect.routee.net/sms/tracking?")
    assert first.url.params["dateStart"] == (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first.url.params["dateEnd"] == now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first.url.params["size"] == "2" and first.url.params["campaign"] == "camp-1"
    assert first.url.params["onlyCampaign"] == "true"
    assert body(first) == [
        {"fieldName": "to", "searchTerm": "+306948530920", "operator": "is"},
        {"fieldName": "status.status", "searchTerm": "Deliv", "operator": "starts_with"},
    ]
    assert first.headers["Authorization"] == "Bearer routee-token-1"
    (token,) = fake.token_requests
    assert str(token.url) == "https://auth.routee.net/oauth/token"
    assert basic(token) == ("app-1", "routee-app-secret") and form(token) == {
        "grant_type": "client_credentials"
    }


async def test_tracking_example_page_and_empty_filters(fake_time: FakeTime) -> None:
    fake = FakeRoutee(fake_time)
    fake.routes["/sms/tracking"] = lambda r: json_response(200, ROUTEE_TRACKING_EXAMPLE)
    routee = fake.client()
    today = now_of(fake_time).date()
    page = await routee.tracking.list(date_start=today - timedelta(days=3), date_end=today).first_page()
    assert page is not None and page.total_elements == 1 and page.content[0].label == "reminders"
    request = fake.api_requests[0]
    assert body(request) == [] and request.url.params["size"] == "20"
    assert request.url.params["dateStart"].endswith("T00:00:00Z")
    assert request.url.params["dateEnd"] == now_of(fake_time).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )  # not in the future


@pytest.mark.parametrize(
    ("start_days", "end_days"),
    [(8, 0), (7.1, 1), (30, 20), (2, -1), (1, 2)],
)
async def test_ranges_outside_the_latest_7_days_are_refused_with_zero_requests(
    fake_time: FakeTime, start_days: float, end_days: float
) -> None:
    fake = FakeRoutee(fake_time)
    routee = fake.client()
    now = now_of(fake_time)
    with pytest.raises(routee_errors.InvalidArgument) as caught:
        routee.tracking.list(
            date_start=now - timedelta(days=start_days), date_end=now - timedelta(days=end_days)
        )
    assert isinstance(caught.value, ValueError)
    assert fake.recorder.requests == []


async def test_exactly_seven_days_is_accepted(fake_time: FakeTime) -> None:
    fake = FakeRoutee(fake_time)
    fake.routes["/sms/tracking"] = tracking_pages(0, 20)
    routee = fake.client()
    now = now_of(fake_time)
    assert await routee.tracking.list(date_start=now - timedelta(days=7), date_end=now).collect() == []
    assert "latest 7 days" in str(_refusal(routee, now - timedelta(days=7, minutes=5)))
    with pytest.raises(ValueError, match="page_size"):
        routee.tracking.list(date_start=now - timedelta(days=1), date_end=now, page_size=2001)
    assert len(fake.api_requests) == 1


def _refusal(routee: RouteeClient, start: datetime) -> Exception:
    try:
        routee.tracking.list(date_start=start, date_end=start + timedelta(days=1))
    except routee_errors.InvalidArgument as exc:
        return exc
    raise AssertionError("not refused")


async def test_token_is_refreshed_before_expiry_and_once_on_401_or_403(fake_time: FakeTime) -> None:
    fake = FakeRoutee(fake_time)
    answers = iter([json_response(401, {}), json_response(200, {"trackingId": "t1", "status": "Queued"})])
    fake.routes["/sms"] = lambda r: next(answers)
    routee = fake.client()
    sent = await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    assert sent.tracking_id == "t1"
    assert [r.headers["Authorization"] for r in fake.api_requests] == [
        "Bearer routee-token-1",
        "Bearer routee-token-2",
    ]

    fake.routes["/sms/tracking"] = lambda r: json_response(
        403, {"code": "403000000", "developerMessage": "Forbidden"}
    )
    now = now_of(fake_time)
    with pytest.raises(routee_errors.AuthError) as caught:
        await routee.tracking.list(date_start=now - timedelta(days=1), date_end=now).collect()
    # The new tokens were issued, so this is not a credentials problem: a bounded number of renewals
    # (a token can be revoked again under concurrent pages), then Routee's own refusal, marked as such.
    assert caught.value.code == "403000000" and caught.value.message.endswith(": Forbidden")
    assert caught.value.login_accepted
    assert len(fake.token_requests) == 5  # three renewals for the 403s, not a loop

    fake_time.advance(3600 - 100)
    fake.routes["/sms/tracking"] = tracking_pages(1, 20)
    await routee.tracking.list(date_start=now, date_end=now_of(fake_time)).collect()
    assert len(fake.token_requests) == 6
    assert fake.api_requests[-1].headers["Authorization"] == "Bearer routee-token-6"


async def test_a_token_without_expiry_is_kept(fake_time: FakeTime) -> None:
    fake = FakeRoutee(fake_time)
    fake.expires_in = None
    fake.routes["/sms/tracking"] = tracking_pages(1, 20)
    routee = fake.client()
    for _ in range(2):
        now = now_of(fake_time)
        await routee.tracking.list(date_start=now - timedelta(days=1), date_end=now).collect()
        fake_time.advance(86400)
    assert len(fake.token_requests) == 1


async def test_routee_errors_keep_the_nine_digit_code(fake_time: FakeTime) -> None:
    fake = FakeRoutee(fake_time)
    fake.routes["/sms/tracking"] = lambda r: json_response(
        404, {"code": "404001001", "developerMessage": "Account not found.", "properties": {"accountId": "x"}}
    )
    fake.routes["/sms"] = lambda r: json_response(
        400, {"code": "400005000", "developerMessage": "Invalid sender.", "properties": {"from": "bad"}}
    )
    routee = fake.client()
    now = now_of(fake_time)
    with pytest.raises(errors.NotFound) as missing:
        await routee.tracking.list(date_start=now - timedelta(hours=1), date_end=now).collect()
    assert isinstance(missing.value, routee_errors.RouteeError)
    assert (missing.value.code, missing.value.message) == ("404001001", "Account not found.")
    assert missing.value.details == {"accountId": "x"}
    with pytest.raises(routee_errors.InvalidRequest) as invalid:
        await routee.sms.send(body="hi", to="+306948530920", from_="Switchboard")
    assert invalid.value.code == "400005000" and str(invalid.value) == "Invalid sender."


async def test_send_request_and_local_checks(fake_time: FakeTime) -> None:
    fake = FakeRoutee(fake_time)
    fake.routes["/sms"] = lambda r: json_response(
        200,
        {
            "trackingId": "b7c1",
            "status": "Queued",
            "createdAt": "2024-06-10T06:13:20.000Z",
            "bodyAnalysis": {"parts": 1},
        },
    )
    routee = fake.client()
    sent = await routee.sms.send(
        body="Hello",
        to="+306948530920",
        from_="Switchboard",
        label="reminders",
        callback=SmsCallback(url="https://example.test/cb", strategy="OnCompletion"),
    )
    assert (
        sent.tracking_id == "b7c1"
        and sent.status == "Queued"
        and sent.model_extra == {"bodyAnalysis": {"parts": 1}}
    )
    request = fake.api_requests[0]
    assert request.method == "POST" and str(request.url) == "https://connect.routee.net/sms"
    assert body(request) == {
        "body": "Hello",
        "to": "+306948530920",
        "from": "Switchboard",
        "label": "reminders",
        "callback": {"url": "https://example.test/cb", "strategy": "OnCompletion"},
    }
    before = len(fake.recorder.requests)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"to": "306948530920"}, "E.164"),
        ({"from_": "A-very-long-sender"}, "11 letters"),
        ({"body": ""}, "body"),
        ({"callback": {"url": "https://x.test", "strategy": "Sometimes"}}, "callback"),
    ]
    for kwargs, match in cases:
        arguments: dict[str, Any] = {"body": "Hello", "to": "+306948530920", "from_": "Switchboard", **kwargs}
        with pytest.raises(routee_errors.InvalidArgument, match=match):
            await routee.sms.send(**arguments)
    assert len(fake.recorder.requests) == before


async def test_date_arguments(fake_time: FakeTime) -> None:
    fake = FakeRoutee(fake_time)
    routee = fake.client()
    today = now_of(fake_time).date()
    with pytest.raises(routee_errors.InvalidArgument, match="after"):
        routee.tracking.list(date_start=today, date_end=today - timedelta(days=1))
    with pytest.raises(routee_errors.InvalidArgument, match="7 days"):
        routee.tracking.list(date_start=date(2020, 1, 1), date_end=today)
    assert fake.recorder.requests == []
