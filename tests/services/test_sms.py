"""SmsService against the in-process sandbox: which provider sends, the outbox row's states, the audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.container import Container
from bot.db.models import Provider, Role, SmsStatus
from bot.db.repositories import AuditRepository, SmsMessageRepository
from bot.db.session import transaction
from bot.errors import InputError
from bot.sandbox.world import DEMO
from bot.services.demo import CHANNEL_ID, TEAM_ID, seed_demo
from bot.services.identity import Identity
from bot.services.providers import Providers
from bot.services.sms import NO_PROVIDER, Route, SendRequest, SmsService, check_text, choose_route
from bot.settings import load_settings
from tests.databases import fresh_database

AGENT = Identity(TEAM_ID, "U0AGENT", Role.AGENT, livevox_agent_id="700101", livevox_login="JRIVERA")
ADMIN = Identity(TEAM_ID, "U0ADMIN", Role.ADMIN)
NUMBER = "+14155550100"


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    with fresh_database("sqlite", tmp_path) as url:
        container = Container(load_settings(database_url=url))
        async with transaction(container.sessions) as session:
            await seed_demo(session, container.box, DEMO)
        try:
            yield container
        finally:
            await container.aclose()


@pytest.fixture
async def providers(container: Container) -> Providers:
    return await container.providers.for_team(TEAM_ID)


# Midday in San Francisco: the demo numbers are inside the default sending hours (quiet hours are
# tested in tests/services/test_quiet_hours.py and tests/e2e/test_safe_send.py).
MIDDAY = FakeClock(datetime(2026, 12, 2, 20, 0, tzinfo=UTC))


def _service(container: Container) -> SmsService:
    return SmsService(container.sessions, container.audit, clock=MIDDAY)


def _world(container: Container) -> Any:
    return container.sandbox.app.state.world


async def _row_status(container: Container, key: str) -> SmsStatus:
    async with container.sessions() as session:
        row = await SmsMessageRepository(session, TEAM_ID).by_key(key)
    assert row is not None
    return row.status


def test_route_is_agent_then_service_then_routee(providers: Providers) -> None:
    assert choose_route(providers, AGENT) is Route.LIVEVOX_AGENT
    assert choose_route(providers, ADMIN) is Route.LIVEVOX
    no_service = Providers(TEAM_ID, livevox=providers.livevox, routee=providers.routee)
    assert choose_route(no_service, ADMIN) is Route.ROUTEE
    assert choose_route(Providers(TEAM_ID, routee=providers.routee), AGENT) is Route.ROUTEE
    with pytest.raises(InputError, match="No SMS provider"):
        choose_route(Providers(TEAM_ID), AGENT)
    assert "connect" in NO_PROVIDER


@pytest.mark.parametrize(
    ("text", "template", "message"),
    [
        ("", None, "empty"),
        ("   ", None, "empty"),
        ("hi", "75961", "not both"),
        ("a" * 1601, None, "1600"),
        ("😀" * 400, None, "segments"),
    ],
)
def test_text_rules(text: str, template: str | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_text(text, template)


async def test_agent_send_goes_through_the_agents_session_once(
    container: Container, providers: Providers
) -> None:
    sms = _service(container)
    request = SendRequest(NUMBER, "k1", text="Hello", channel_id=CHANNEL_ID)
    first = await sms.send(providers, AGENT, request)
    assert first.status is SmsStatus.ACCEPTED and first.route is Route.LIVEVOX_AGENT and not first.repeated
    again = await sms.send(providers, AGENT, request)
    assert again.repeated and again.status is SmsStatus.ACCEPTED
    assert again.provider_message_id == first.provider_message_id
    sent = [m for m in _world(container).lv_messages if m.message == "Hello" and m.phone == NUMBER[1:]]
    assert len(sent) == 1 and sent[0].agent_id == 700101 and sent[0].sms_code == "14155550150"
    assert await _row_status(container, "k1") is SmsStatus.ACCEPTED
    async with container.sessions() as session:
        [event] = [e for e in await AuditRepository(session, TEAM_ID).recent() if e.action == "sms.accepted"]
    assert event.details is not None and event.details["provider"] == "livevox_agent"
    assert "Hello" not in str(event.details) and NUMBER not in str(event.details)  # no body, no full number


async def test_template_send_as_a_user_is_transactional(container: Container, providers: Providers) -> None:
    result = await _service(container).send(providers, ADMIN, SendRequest(NUMBER, "k2", template_id="75961"))
    assert result.status is SmsStatus.ACCEPTED and result.route is Route.LIVEVOX
    assert result.text == "We received your payment. Thank you!"
    [sent] = [m for m in _world(container).lv_messages if m.template_id == 75961 and m.phone == NUMBER[1:]]
    assert sent.agent_id is None


async def test_routee_when_only_routee_is_connected(container: Container, providers: Providers) -> None:
    routee_only = Providers(TEAM_ID, routee=providers.routee)
    result = await _service(container).send(
        routee_only, AGENT, SendRequest(NUMBER, "k3", text="Via Routee", channel_id=CHANNEL_ID)
    )
    assert result.status is SmsStatus.ACCEPTED and result.route is Route.ROUTEE
    assert any(m.message_id == result.provider_message_id for m in _world(container).routee_messages)
    async with container.sessions() as session:
        row = await SmsMessageRepository(session, TEAM_ID).by_key("k3")
    assert row is not None and row.provider is Provider.ROUTEE


async def test_routee_needs_a_sender(container: Container, providers: Providers) -> None:
    routee_only = Providers(TEAM_ID, routee=providers.routee)
    with pytest.raises(InputError, match="no sender"):
        await _service(container).send(routee_only, AGENT, SendRequest(NUMBER, "k4", text="x"))


async def test_refused_send_is_failed(container: Container, providers: Providers) -> None:
    result = await _service(container).send(
        providers, ADMIN, SendRequest(NUMBER, "k5", text="x", sender="19999999999")
    )
    assert result.status is SmsStatus.FAILED and result.reason and result.reason.startswith("LiveVox")
    assert await _row_status(container, "k5") is SmsStatus.FAILED


async def test_compliance_flags(container: Container, providers: Providers) -> None:
    sms = _service(container)
    dnc = await sms.compliance(providers, AGENT, "+14155550102")
    assert dnc.checked and dnc.do_not_contact and not dnc.warnings  # the guard refuses it: no warning
    opted_out = await sms.compliance(providers, AGENT, "+14155550103")
    assert opted_out.checked and opted_out.opted_out
    _, verdict = await sms.check(providers, AGENT, "+14155550102")
    assert [r.reason.value for r in verdict.refusals] == ["do_not_contact"]
    _, verdict = await sms.check(providers, AGENT, "+14155550103")
    assert [r.reason.value for r in verdict.refusals] == ["not_opted_in"]
    _, verdict = await sms.check(providers, AGENT, NUMBER)
    assert verdict.allowed
    clean = await sms.compliance(providers, AGENT, NUMBER)
    assert clean.checked and not clean.do_not_contact and not clean.opted_out
    # An admin without a LiveVox login is answered through the team's linked agents' inboxes.
    assert (await sms.compliance(providers, ADMIN, "+14155550102")).state == dnc.state
    lone_admin = replace(ADMIN, team_id="T0NOBODY")  # a team without linked agents: nothing to ask
    assert not (await sms.compliance(providers, lone_admin, NUMBER)).checked
