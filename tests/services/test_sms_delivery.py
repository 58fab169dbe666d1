"""Following an accepted SMS to its delivery record, against the in-process sandbox: LiveVox's agent
transaction history and Routee tracking, the outbox row and the audit moved once, the follow-up job's
looks with backoff (a failing look is not the end)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import FakeClock
from bot.console.emulator import DEFAULT_TOKEN, SlackEmulator
from bot.container import Container
from bot.db.models import Role, SmsStatus
from bot.db.repositories import AuditRepository
from bot.db.session import transaction
from bot.jobs.contract import Envelope
from bot.sandbox.faults import coerce_spec
from bot.sandbox.world import DEMO
from bot.services.demo import TEAM_ID, seed_demo
from bot.services.identity import Identity
from bot.services.providers import Providers
from bot.services.send_guard import Override, Reason
from bot.services.sms import Route, SendRequest, SmsService
from bot.services.sms_delivery import (
    DeliveryService,
    Verdict,
    _worst,
    followed,
    livevox_verdict,
    routee_verdict,
)
from bot.settings import load_settings
from bot.slack.sms.jobs import SmsDeliveryJob, follow_delivery
from tests.databases import fresh_database

AGENT = Identity(TEAM_ID, "U0AGENT", Role.AGENT, livevox_agent_id="700101", livevox_login="JRIVERA")
ADMIN = Identity(TEAM_ID, "U0ADMIN", Role.ADMIN)
CLEAN = "+14155550100"
DELAY = 1.5  # seconds the sandbox takes to report a delivery (a busy test machine is slow)


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[SlackEmulator, str]]:
    slack = SlackEmulator(team_id=TEAM_ID)
    async with slack.serve() as api_url:
        yield slack, api_url


@pytest.fixture
async def container(tmp_path: Path, emulator: tuple[SlackEmulator, str]) -> AsyncIterator[Container]:
    with fresh_database("sqlite", tmp_path) as url:
        settings = load_settings(
            database_url=url, sandbox_delivery_seconds=DELAY, sms_delivery_first_check_seconds=0.05
        )
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=emulator[1])
        container = Container(settings, slack_client=client)
        async with transaction(container.sessions) as session:
            await seed_demo(session, container.box, DEMO)
        try:
            async with container.queue.open_async():
                yield container
        finally:
            await container.aclose()


@pytest.fixture
async def providers(container: Container) -> Providers:
    return await container.providers.for_team(TEAM_ID)


async def _send(
    container: Container,
    providers: Providers,
    who: Identity,
    number: str,
    key: str,
    sender: str | None = None,
    override: Override | None = None,
) -> Any:
    request = SendRequest(
        number=number, idempotency_key=key, text="Hello there", sender=sender, override=override
    )
    # Midday in San Francisco: inside the demo numbers' sending hours, whenever the suite runs.
    clock = FakeClock(datetime(2026, 12, 2, 20, 0, tzinfo=UTC))
    result = await SmsService(container.sessions, container.audit, clock=clock).send(providers, who, request)
    assert result.status is SmsStatus.ACCEPTED
    return result


async def _audit(container: Container, action: str) -> list[Any]:
    async with container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(limit=100)
    return [e for e in events if e.action == action]


@pytest.mark.parametrize(
    ("raw", "status", "reason"),
    [
        ("SMS MT Delivered", SmsStatus.DELIVERED, None),
        ("SMS MT Blocked (Opt-Out)", SmsStatus.BLOCKED, "the recipient has opted out of SMS"),
        ("SMS MT Blocked (DNC)", SmsStatus.BLOCKED, "the number is on the Do-Not-Contact list"),
        ("SMS MT Blocked (Carrier Filter)", SmsStatus.BLOCKED, "LiveVox blocked it (Carrier Filter)"),
        ("SMS MT Undelivered", SmsStatus.UNDELIVERED, "the carrier could not deliver it"),
        ("SMS MT Sent", SmsStatus.ACCEPTED, None),
        ("Something new", SmsStatus.ACCEPTED, None),  # unknown wording is never taken as final
        (None, SmsStatus.ACCEPTED, None),
    ],
)
def test_livevox_statuses_in_words(raw: str | None, status: SmsStatus, reason: str | None) -> None:
    verdict = livevox_verdict(raw)
    assert (verdict.status, verdict.reason) == (status, reason)
    assert verdict.raw == (raw or None)


def test_routee_statuses_in_words() -> None:
    assert routee_verdict("Delivered", "Delivered", None).status is SmsStatus.DELIVERED
    assert routee_verdict("Sent", "Sent", None).status is SmsStatus.ACCEPTED
    assert routee_verdict("Queued", None, None).status is SmsStatus.ACCEPTED
    gone = routee_verdict(
        "Undelivered", "Unknown Number", "The number does not exist or is no longer in service."
    )
    assert (
        gone.status is SmsStatus.UNDELIVERED
        and gone.reason == "the number does not exist or is no longer in service"
    )
    assert gone.raw == "Undelivered · Unknown Number"
    assert routee_verdict("Undelivered", "Carrier Violation", None).status is SmsStatus.BLOCKED
    assert routee_verdict("Failed", "Failed", None).reason == "Routee could not hand it to the carrier"
    # A message in parts: delivered only when every part is, blocked or undelivered if any part is.
    delivered, pending = Verdict(SmsStatus.DELIVERED), Verdict(SmsStatus.ACCEPTED)
    assert _worst([delivered, delivered]).status is SmsStatus.DELIVERED
    assert _worst([delivered, pending]).status is SmsStatus.ACCEPTED
    assert _worst([delivered, gone]).status is SmsStatus.UNDELIVERED
    assert _worst([]).status is SmsStatus.ACCEPTED


async def test_an_agent_send_to_a_do_not_contact_number_is_followed_to_blocked(
    container: Container, providers: Providers
) -> None:
    # Switchboard refuses it itself; an admin with an agent login overrides that, and LiveVox blocks it.
    admin = replace(AGENT, role=Role.ADMIN)
    override = Override("the customer asked", frozenset({Reason.DO_NOT_CONTACT}))
    await _send(container, providers, admin, DEMO.dnc_number, "k1", override=override)
    tracker = DeliveryService(container.sessions)
    row = await tracker.row(TEAM_ID, "k1")
    assert row is not None
    # At first LiveVox's history has it in flight; the thread it is in is found for the next look.
    first = await tracker.check(providers, AGENT, row, Route.LIVEVOX_AGENT)
    assert first.status is SmsStatus.ACCEPTED and first.raw == "SMS MT Sent" and first.thread_id
    await asyncio.sleep(DELAY + 0.1)
    later = await tracker.check(providers, AGENT, row, Route.LIVEVOX_AGENT, thread_id=first.thread_id)
    assert later.status is SmsStatus.BLOCKED and later.reason == "the number is on the Do-Not-Contact list"
    assert later.raw == "SMS MT Blocked (DNC)"

    # Two follow-ups with the same record: the row moves and the audit is written once.
    assert await tracker.settle(TEAM_ID, row, later, provider="livevox_agent") is True
    assert await tracker.settle(TEAM_ID, row, later, provider="livevox_agent") is False
    settled = await tracker.row(TEAM_ID, "k1")
    assert settled is not None and settled.status is SmsStatus.BLOCKED
    assert settled.status_reason == "the number is on the Do-Not-Contact list"
    [event] = await _audit(container, "sms.blocked")
    assert event.actor == "U0AGENT" and event.details["provider_status"] == "SMS MT Blocked (DNC)"
    with pytest.raises(ValueError, match="final"):
        await tracker.settle(TEAM_ID, row, first, provider="livevox_agent")


async def test_a_routee_send_is_followed_through_tracking(container: Container, providers: Providers) -> None:
    routee_only = Providers(TEAM_ID, routee=providers.routee)
    await _send(container, routee_only, ADMIN, CLEAN, "k2", sender=DEMO.routee_sender)
    tracker = DeliveryService(container.sessions)
    row = await tracker.row(TEAM_ID, "k2")
    assert row is not None and row.provider_message_id
    assert (await tracker.check(routee_only, ADMIN, row, Route.ROUTEE)).status is SmsStatus.ACCEPTED
    await asyncio.sleep(DELAY + 0.1)
    verdict = await tracker.check(routee_only, ADMIN, row, Route.ROUTEE)
    assert verdict.status is SmsStatus.DELIVERED and verdict.raw == "Delivered"


async def test_a_transactional_livevox_send_cannot_be_followed(
    container: Container, providers: Providers
) -> None:
    assert not followed(Route.LIVEVOX) and followed(Route.LIVEVOX_AGENT) and followed(Route.ROUTEE)
    await _send(container, providers, ADMIN, CLEAN, "k3")
    tracker = DeliveryService(container.sessions)
    row = await tracker.row(TEAM_ID, "k3")
    assert row is not None
    assert (await tracker.check(providers, ADMIN, row, Route.LIVEVOX)).status is SmsStatus.ACCEPTED
    assert await tracker.unconfirmed(TEAM_ID, row, "no record", provider="livevox") is True
    assert await tracker.unconfirmed(TEAM_ID, row, "no record", provider="livevox") is False
    assert len(await _audit(container, "sms.unconfirmed")) == 1


def _queued(container: Container) -> list[dict[str, Any]]:
    jobs = container.queue.connector.jobs.values()  # type: ignore[attr-defined]
    return [j for j in jobs if j["task_name"] == "sms_delivery" and j["status"] == "todo"]


async def test_the_follow_up_looks_again_with_backoff_and_a_failing_look_is_not_the_end(
    container: Container, providers: Providers, emulator: tuple[SlackEmulator, str]
) -> None:
    await _send(container, providers, AGENT, CLEAN, "k4")
    envelope = Envelope(team_id=TEAM_ID, user_id="U0AGENT", origin="test")
    job = SmsDeliveryJob(envelope=envelope, key="k4", route=Route.LIVEVOX_AGENT)

    # LiveVox fails this look: the follow-up is queued again, later, not ended.
    injector = container.sandbox.app.state.injectors["livevox"]  # type: ignore[union-attr]
    injector.config = coerce_spec("livevox:error_rate=1").for_provider("livevox")
    await follow_delivery(job, container)
    [again] = _queued(container)
    assert again["args"]["job"]["look"] == 1 and again["scheduled_at"] is not None
    injector.config = coerce_spec(None).for_provider("livevox")

    # The record is in: the row settles, and a repeated run of the same look changes nothing more.
    await asyncio.sleep(DELAY + 0.1)
    second = SmsDeliveryJob.model_validate(again["args"]["job"])
    await follow_delivery(second, container)
    await follow_delivery(second, container)
    row = await DeliveryService(container.sessions).row(TEAM_ID, "k4")
    assert row is not None and row.status is SmsStatus.DELIVERED
    assert len(await _audit(container, "sms.delivered")) == 1
    assert len(_queued(container)) == 1  # only the one queued by the failed look
    # No response_url and no channel: the person hears it by DM.
    [told] = [c for c in emulator[0].calls_to("chat.postMessage") if c.ok]
    assert told.args["channel"] == "U0AGENT" and "Delivered to +1 415-555-0100" in str(told.args)

    # No record at the last look: the row stays accepted, with why, and the audit says so.
    container.sandbox.app.state.livevox.delivery_delay = timedelta(hours=1)  # type: ignore[union-attr]
    await _send(container, providers, AGENT, CLEAN, "k5")
    last = container.settings.sms_delivery_checks - 1
    await follow_delivery(
        SmsDeliveryJob(envelope=envelope, key="k5", route=Route.LIVEVOX_AGENT, look=last), container
    )
    row = await DeliveryService(container.sessions).row(TEAM_ID, "k5")
    assert row is not None and row.status is SmsStatus.ACCEPTED
    assert row.status_reason and "had not reported its delivery" in row.status_reason
    assert len(await _audit(container, "sms.unconfirmed")) == 1
