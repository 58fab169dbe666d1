"""Items 5 and 12: what Slack may deliver more than once (Events API retries, a signed request replayed
within its five minutes) is done once; a repeat is acknowledged with an empty 200."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import SlackDelivery
from bot.db.repositories import SlackDeliveryRepository
from bot.services.demo import TEAM_ID
from tests.e2e.conftest import Harness
from tests.security.conftest import post_raw

RETRY = [{}, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}]
RETRY.append({"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})


async def test_tokens_revoked_retried_twice_is_audited_once(slack: Harness) -> None:
    envelope = slack.driver.event_envelope(slack.driver.build_event("tokens_revoked"))
    for headers in RETRY:  # each retry is signed anew by Slack, with the same event_id
        response = await slack.driver.send_json(envelope, headers=headers)
        assert response.status == 200 and response.body == ""
    await slack.driver.settle()
    revoked = [a for a in await slack.audit_actions() if a[1] == "workspace.tokens_revoked"]
    assert len(revoked) == 1


async def test_distinct_events_are_all_handled(slack: Harness) -> None:
    for _ in range(2):
        await slack.driver.event("tokens_revoked", tokens={"oauth": ["U0ADMIN"], "bot": []})
    await slack.driver.settle()
    revoked = [a for a in await slack.audit_actions() if a[1] == "workspace.tokens_revoked"]
    assert len(revoked) == 2


async def test_app_home_opened_retried_publishes_once(slack: Harness) -> None:
    envelope = slack.driver.event_envelope(slack.driver.build_event("app_home_opened", user="U0SUPER"))
    assert (await slack.driver.send_json(envelope)).status == 200
    await slack.driver.settle()
    published = len(slack.emulator.calls_to("views.publish"))  # a first view at once, then the full one
    assert published >= 1
    for headers in RETRY[1:]:
        assert (await slack.driver.send_json(envelope, headers=headers)).status == 200
    await slack.driver.settle()
    assert len(slack.emulator.calls_to("views.publish")) == published


async def test_a_replayed_slash_command_is_answered_once(slack: Harness) -> None:
    response_url = slack.emulator.new_response_url("C0DEMO", "U0SUPER")
    body = urlencode(
        slack.driver.command_payload(
            "/lookup",
            "+1 415 555 0100 7d",
            user="U0SUPER",
            channel="C0DEMO",
            response_url=response_url,
            trigger_id="1.2.replayed",
        )
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", **slack.driver.sign(body)}
    first = await post_raw(slack, body, headers)
    assert first[0] == 200 and first[1].strip() == ""
    for _ in range(2):  # byte for byte the same request, signature included
        assert await post_raw(slack, body, headers) == (200, "")
    await slack.driver.settle()
    url_id = response_url.rsplit("/", 1)[-1]
    assert len([p for p in slack.emulator.response_posts if p.url_id == url_id]) == 1


async def test_a_replayed_help_is_answered_again_and_other_commands_once(slack: Harness) -> None:
    """`/switchboard help` changes nothing and answers only in its ack, with what the role may run: a
    replay is answered the same again, and no claim is written before its ack. Every other command,
    `whoami` included, is claimed: its replay is an empty 200."""

    def signed(text: str) -> tuple[str, dict[str, str]]:
        body = urlencode(
            slack.driver.command_payload(
                "/switchboard",
                text,
                user="U0SUPER",
                channel="C0DEMO",
                response_url=slack.emulator.new_response_url("C0DEMO", "U0SUPER"),
                trigger_id=f"1.2.{text or 'bare'}",
            )
        )
        return body, {"Content-Type": "application/x-www-form-urlencoded", **slack.driver.sign(body)}

    async def claimed() -> int:
        async with slack.container.sessions() as session:
            return await _count(session)

    claims = await claimed()
    for text in ("help", ""):
        body, headers = signed(text)
        first = await post_raw(slack, body, headers)
        assert first[0] == 200 and "/switchboard whoami" in first[1]
        assert await post_raw(slack, body, headers) == first  # the same answer, nothing more
    assert await claimed() == claims
    body, headers = signed("whoami")
    first = await post_raw(slack, body, headers)
    assert first[0] == 200 and "supervisor" in first[1]
    assert await post_raw(slack, body, headers) == (200, "")
    assert await claimed() == claims + 1


async def test_the_same_command_signed_anew_is_a_new_delivery(slack: Harness) -> None:
    """A person running the same command twice is two deliveries (Slack signs each one)."""
    for _ in range(2):
        response = await slack.driver.command("/switchboard", "help", user="U0SUPER")
        assert response.status == 200 and response.body


async def _count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(SlackDelivery))).scalar_one()


async def test_claims_expire_and_expired_rows_are_deleted(db_session: AsyncSession) -> None:
    deliveries = SlackDeliveryRepository(db_session, TEAM_ID)
    assert await deliveries.claim("event:Ev1", keep_for=timedelta(minutes=5))
    assert not await deliveries.claim("event:Ev1", keep_for=timedelta(minutes=5))
    assert await deliveries.claim("event:Ev2", keep_for=-timedelta(seconds=1))  # already expired
    assert await _count(db_session) == 2
    assert await deliveries.claim("event:Ev2", keep_for=timedelta(minutes=5))  # free again
    assert await _count(db_session) == 2  # the expired row went; Ev1 and the new Ev2 stay
    other_team = SlackDeliveryRepository(db_session, "T0OTHER")
    assert await other_team.claim("event:Ev1", keep_for=timedelta(minutes=5))  # keys are per team


async def test_an_event_answered_503_while_the_database_blinks_is_done_on_slacks_retry_then_only_once(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Who is asking cannot be read (the database blinked), so the event is answered 503 for Slack to
    deliver it again: that retry is done, not taken for a repeat, and later copies are repeats."""
    identities = slack.container.identities
    resolve = identities.resolve
    blinks: list[str] = []

    async def blink_once(team_id: str, user_id: str) -> Any:
        if not blinks:
            blinks.append(user_id)
            raise OperationalError("SELECT", {}, ConnectionRefusedError("refused"))
        return await resolve(team_id, user_id)

    monkeypatch.setattr(identities, "resolve", blink_once)
    envelope = slack.driver.event_envelope(slack.driver.build_event("app_home_opened", user="U0SUPER"))
    assert (await slack.driver.send_json(envelope)).status == 503  # not answered: Slack will retry
    await slack.driver.settle()
    assert slack.emulator.calls_to("views.publish") == []
    retried = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    assert (await slack.driver.send_json(envelope, headers=retried)).status == 200
    await slack.driver.settle()
    published = len(slack.emulator.calls_to("views.publish"))
    assert published >= 1  # done
    assert (await slack.driver.send_json(envelope, headers=RETRY[2])).status == 200
    await slack.driver.settle()
    assert len(slack.emulator.calls_to("views.publish")) == published  # and only once
