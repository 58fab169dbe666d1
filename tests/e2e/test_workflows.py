"""Workflow Builder steps end to end: signed `function_executed` events shaped as Slack sends them, the
steps' durable jobs against the sandbox, and `functions.completeSuccess` / `functions.completeError` on
the Slack emulator (which checks the outputs against what the manifest declares)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.console.app import FUNCTIONS, console_factory
from bot.console.driver import SlackDriver, bolt_idle
from bot.console.emulator import Call, FunctionExecution, SlackEmulator
from bot.db.models import SmsMessage, SmsStatus
from bot.db.repositories import SmsMessageRepository
from bot.jobs.queue import pending_jobs
from bot.sandbox.world import DEMO
from bot.services.demo import TEAM_ID
from bot.settings import load_settings
from bot.slack.workflows import events
from bot.slack.workflows.jobs import LookupNumberStep
from tests.databases import fresh_database, postgres_available
from tests.e2e.conftest import Harness, MakeHarness

CLEAN, CLEAN_2, DNC, OPTED_OUT = DEMO.phone_numbers
STRANGER = "+14155550199"  # no conversation with the demo agent


def run_as(user: str) -> dict[str, str]:
    """A `slack#/types/user_context` input as Slack fills it ("Person who used this workflow")."""
    return {"id": user, "secret": "c2VjcmV0LW9mLXNsYWNr"}


async def run(slack: Harness, step: str, inputs: dict[str, Any]) -> FunctionExecution:
    started = time.monotonic()
    execution, response = await slack.driver.run_function(step, inputs)
    assert response.status == 200 and response.body == ""  # acked at once, the job completes it
    assert time.monotonic() - started < 3
    await slack.driver.settle()
    return execution


def completion(slack: Harness, execution: FunctionExecution) -> Call:
    calls = [
        c
        for c in slack.emulator.completions()
        if c.args.get("function_execution_id") == execution.id and c.ok
    ]
    assert len(calls) == 1, [c.response for c in slack.emulator.completions()]
    return calls[0]


def succeeded(slack: Harness, execution: FunctionExecution) -> dict[str, Any]:
    call = completion(slack, execution)
    assert call.method == "functions.completeSuccess", call.args
    assert execution.state == "completed" and execution.outputs is not None
    return execution.outputs


def failed(slack: Harness, execution: FunctionExecution) -> str:
    call = completion(slack, execution)
    assert call.method == "functions.completeError", call.args
    assert execution.state == "failed" and execution.error
    return execution.error


def lv_sent(slack: Harness, number: str, text: str) -> list[Any]:
    """Outbound LiveVox messages to `number` saying exactly `text` (the demo numbers have history)."""
    app = slack.container.sandbox.app
    if app is None:  # the sandbox starts with the first provider call: none was made
        return []
    return [
        m
        for m in app.state.world.lv_messages
        if m.phone == number.lstrip("+") and m.direction == 2 and m.message == text
    ]


async def row(slack: Harness, execution: FunctionExecution) -> SmsMessage | None:
    async with slack.container.sessions() as session:
        return await SmsMessageRepository(session, TEAM_ID).by_key(f"workflow:{execution.id}")


# ------------------------------------------------------------------------------------------ send_sms


async def test_send_sms_sends_once_and_outputs_what_the_provider_said(slack: Harness) -> None:
    inputs = {"to": "+1 415 555 0101", "text": "Your form was received, thanks!", "run_as": run_as("U0AGENT")}
    execution = await run(slack, "send_sms", inputs)
    outputs = succeeded(slack, execution)
    [sent] = lv_sent(slack, CLEAN_2, "Your form was received, thanks!")
    stored = await row(slack, execution)
    assert stored is not None and stored.slack_user_id == "U0AGENT"
    # The provider accepted it: never "sent" or "delivered" on its word alone.
    assert outputs == {
        "outbox_id": stored.id,
        "status": "accepted",
        "provider": "LiveVox",
        "provider_message_id": str(sent.id),
    }
    actions = await slack.audit_actions()
    assert ("U0AGENT", "sms.accepted", "ok") in actions
    assert ("U0AGENT", "workflow.send_sms", "ok") in actions
    # Its delivery record settles the outbox row later, and nobody gets a message about it.
    for _ in range(50):
        stored = await row(slack, execution)
        if stored is not None and stored.status is SmsStatus.DELIVERED:
            break
        await slack.driver.settle()
    assert stored is not None and stored.status is SmsStatus.DELIVERED
    assert not [m for m in slack.emulator.messages if m.source != "user"]


async def test_a_redelivered_event_sends_once(slack: Harness) -> None:
    execution = slack.emulator.start_function(
        "send_sms", {"to": CLEAN, "text": "Once only", "run_as": run_as("U0AGENT")}
    )
    envelope = slack.driver.function_envelope(execution)
    assert (await slack.driver.send_json(envelope)).status == 200
    # Slack's retry of the same delivery, and the same execution delivered again under a new event id.
    assert (await slack.driver.send_json(envelope, headers={"X-Slack-Retry-Num": "1"})).status == 200
    assert (await slack.driver.send_json(slack.driver.function_envelope(execution))).status == 200
    await slack.driver.settle()
    assert len(lv_sent(slack, CLEAN, "Once only")) == 1
    assert succeeded(slack, execution)["status"] == "accepted"
    assert len(slack.emulator.completions()) == 1


async def test_a_step_is_acked_once_its_job_is_stored(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = slack.container.queue.connector
    store = connector.execute_query_all_async
    stored: list[float] = []

    async def slow(query: str, **arguments: Any) -> Any:
        await asyncio.sleep(0.3)
        rows = await store(query, **arguments)
        stored.append(time.monotonic())
        return rows

    monkeypatch.setattr(connector, "execute_query_all_async", slow)
    inputs = {"to": CLEAN, "text": "Stored first", "run_as": run_as("U0AGENT")}
    execution, response = await slack.driver.run_function("send_sms", inputs)
    acked = time.monotonic()
    assert response.status == 200
    assert stored and stored[0] <= acked  # Slack had its ack only once the step's job was stored
    await slack.driver.settle()
    assert succeeded(slack, execution)["status"] == "accepted"


async def test_a_step_whose_job_was_never_stored_is_done_on_slacks_retry(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web process stops between reading the event and storing its job (acted out by the store's
    future being cancelled): Slack has no ack, delivers the event again, and the step is done, once."""
    defer = slack.container.defer
    stopped: list[object] = []

    def stops_first(job: Any) -> asyncio.Future[int]:
        if not stopped:
            stopped.append(job)
            never: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            never.cancel()
            return never
        return defer(job)

    monkeypatch.setattr(slack.container, "defer", stops_first)
    execution = slack.emulator.start_function(
        "send_sms", {"to": CLEAN, "text": "Not lost", "run_as": run_as("U0AGENT")}
    )
    envelope = slack.driver.function_envelope(execution)
    first_try = int(time.time()) - 60  # each try signed when Slack sends it, the retry a minute later
    first = await slack.driver.send_json(envelope, timestamp=first_try)
    assert stopped and first.status != 200  # no ack: from Slack's side, the delivery failed
    retry_headers = {"X-Slack-Retry-Num": "1"}
    retry = await slack.driver.send_json(envelope, timestamp=first_try + 60, headers=retry_headers)
    assert retry.status == 200
    await slack.driver.settle()
    assert len(lv_sent(slack, CLEAN, "Not lost")) == 1
    assert succeeded(slack, execution)["status"] == "accepted"


async def test_the_job_itself_sends_once_when_run_twice(slack: Harness) -> None:
    """The outbox's idempotency key is the execution id: even a job run a second time (a duplicate
    deferral) sends nothing more and reports the first outcome."""
    from bot.slack.workflows.jobs import SendSmsStep, send_sms

    execution = await run(slack, "send_sms", {"to": CLEAN, "text": "Twice?", "run_as": run_as("U0AGENT")})
    first = succeeded(slack, execution)
    job = SendSmsStep.model_validate(
        {
            "envelope": {"team_id": TEAM_ID, "user_id": "U0AGENT", "origin": "workflow:send_sms"},
            "execution_id": execution.id,
            "number": CLEAN,
            "text": "Twice?",
        }
    )
    await send_sms(job, slack.container)  # Slack answers execution_not_in_running_state: that is fine
    assert len(lv_sent(slack, CLEAN, "Twice?")) == 1
    assert first["outbox_id"] == (await row(slack, execution)).id  # type: ignore[union-attr]


async def test_a_do_not_contact_number_is_refused_in_words(slack: Harness) -> None:
    execution = await run(slack, "send_sms", {"to": DNC, "text": "hello", "run_as": run_as("U0AGENT")})
    error = failed(slack, execution)
    assert "Do-Not-Contact" in error and "+1 415-555-0102" in error and "Not sent" in error
    assert not lv_sent(slack, DNC, "hello")
    assert await row(slack, execution) is None
    assert ("U0AGENT", "workflow.send_sms", "refused") in await slack.audit_actions()
    from bot.db.repositories import AuditRepository

    async with slack.container.sessions() as session:
        [step] = [
            e
            for e in await AuditRepository(session, TEAM_ID).recent(limit=50)
            if e.action == "workflow.send_sms"
        ]
    assert "0102" in step.details["reason"] and "555-0102" not in step.details["reason"]  # masked


async def test_an_opted_out_contact_is_refused(slack: Harness) -> None:
    execution = await run(slack, "send_sms", {"to": OPTED_OUT, "text": "hello", "run_as": run_as("U0AGENT")})
    assert "opted out of SMS" in failed(slack, execution)
    assert not lv_sent(slack, OPTED_OUT, "hello")


async def test_a_person_without_a_link_is_refused(slack: Harness) -> None:
    slack.emulator.add_user("U0NOBODY", "nobody")
    execution = await run(slack, "send_sms", {"to": CLEAN, "text": "hello", "run_as": run_as("U0NOBODY")})
    error = failed(slack, execution)
    assert "not linked to Switchboard" in error and "/switchboard link" in error
    assert "&lt;" not in error  # plain text, as Slack shows a step's error
    assert not lv_sent(slack, CLEAN, "hello")
    actions = await slack.audit_actions()
    assert ("U0NOBODY", "access.denied", "denied") in actions
    assert ("U0NOBODY", "workflow.send_sms", "denied") in actions


async def test_without_run_as_nobody_is_assumed(slack: Harness) -> None:
    execution = await run(slack, "send_sms", {"to": CLEAN, "text": "hello"})
    assert "/switchboard workflow-user @someone" in failed(slack, execution)
    assert not lv_sent(slack, CLEAN, "hello")


async def test_the_service_user_stands_in_when_nobody_runs_it(make_harness: MakeHarness) -> None:
    async with make_harness(workflow_user="U0AGENT") as slack:
        execution = await run(slack, "send_sms", {"to": CLEAN, "text": "From the service"})
        assert succeeded(slack, execution)["status"] == "accepted"
        stored = await row(slack, execution)
        assert stored is not None and stored.slack_user_id == "U0AGENT"
        async with slack.container.sessions() as session:
            from bot.db.repositories import AuditRepository

            events = await AuditRepository(session, TEAM_ID).recent(limit=50)
        [step] = [e for e in events if e.action == "workflow.send_sms"]
        assert step.details["acting_as"] == "service" and step.target_id == execution.id


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"to": "12"}, "does not look like a complete phone number"),
        ({"to": CLEAN}, "The message is empty"),
        ({"to": CLEAN, "text": "a", "template_id": "1"}, "not both"),
        ({"to": CLEAN, "text": "later", "send_at": int(time.time()) + 40 * 86400}, "up to 30 days ahead"),
        # `--at`'s rules: a time that has passed is refused, not sent at once (the scheduler would not send
        # it that late either); one that names no instant is refused in words, not "Something went wrong".
        ({"to": CLEAN, "text": "late", "send_at": int(time.time()) - 3 * 86400}, "already passed"),
        ({"to": CLEAN, "text": "ms", "send_at": int(time.time() * 1000)}, "seconds (not milliseconds)"),
        ({"to": CLEAN, "text": "huge", "send_at": 10**20}, "is not a time"),
        ({"to": CLEAN, "text": "iso huge", "send_at": "9999-12-31T23:59:59-05:00"}, "up to 30 days ahead"),
        ({"to": CLEAN, "text": "nan", "send_at": "nan"}, "is not a time"),
        # The manifest declares Message a string: a list is refused, never sent as "['a', 'b']".
        ({"to": CLEAN, "text": ["a", "b"]}, "“Message” must be text, not a list"),
        ({"to": CLEAN, "text": {"type": "rich_text"}}, "“Message” must be text, not an object"),
    ],
)
async def test_inputs_it_cannot_use_end_the_step_at_once(
    slack: Harness, inputs: dict[str, Any], words: str
) -> None:
    execution = await run(slack, "send_sms", {**inputs, "run_as": run_as("U0AGENT")})
    assert words in failed(slack, execution)
    # Ended by the listener through Bolt's fail(), with the workflow token Slack gave for this run.
    assert completion(slack, execution).token == execution.token
    assert not lv_sent(slack, CLEAN, str(inputs.get("text")))


async def test_a_send_at_a_moment_ago_sends_now(slack: Harness) -> None:
    """Within the minute's grace (a workflow's clock and ours differ by seconds) a past time is now."""
    inputs = {"to": CLEAN, "text": "just now", "send_at": int(time.time()) - 30, "run_as": run_as("U0AGENT")}
    assert succeeded(slack, await run(slack, "send_sms", inputs))["status"] == "accepted"
    assert len(lv_sent(slack, CLEAN, "just now")) == 1


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"to": CLEAN, "text": "  ", "run_as": run_as("U0AGENT")}, "The message is empty"),
        ({"to": CLEAN, "text": "late", "send_at": 1, "run_as": run_as("U0AGENT")}, "already passed"),
        ({"to": CLEAN, "text": "nobody"}, "/switchboard workflow-user @someone"),  # no one to act as
    ],
)
async def test_a_refused_execution_delivered_again_ends_once(
    slack: Harness, inputs: dict[str, Any], words: str
) -> None:
    """Slack delivering a refused execution again (its retry, or the same execution under a new event id)
    does not end it again: its token is spent, so a second `functions.completeError` would only fail."""
    execution = slack.emulator.start_function("send_sms", inputs)
    envelope = slack.driver.function_envelope(execution)
    assert (await slack.driver.send_json(envelope)).status == 200
    await slack.driver.settle()
    assert (await slack.driver.send_json(envelope, headers={"X-Slack-Retry-Num": "1"})).status == 200
    for _ in range(2):
        assert (await slack.driver.send_json(slack.driver.function_envelope(execution))).status == 200
    await slack.driver.settle()
    assert words in failed(slack, execution)
    calls = slack.emulator.completions()
    assert len(calls) == 1 and calls[0].ok, [c.response for c in calls]
    steps = [a for a in await slack.audit_actions() if a[1] == "workflow.send_sms"]
    assert [outcome for _, _, outcome in steps] == ["refused"]


async def test_a_send_at_to_come_is_scheduled_once_per_execution_and_listed(slack: Harness) -> None:
    from sqlalchemy import select

    from bot.db.models import ScheduledSend, ScheduledStatus

    at = int(time.time()) + 3600
    inputs = {"to": CLEAN, "text": "from a workflow", "send_at": at, "run_as": run_as("U0AGENT")}
    execution = await run(slack, "send_sms", inputs)
    outputs = succeeded(slack, execution)
    assert outputs["status"] == "scheduled" and outputs["outbox_id"] == 0
    assert outputs["scheduled_for"] >= at
    async with slack.container.sessions() as session:
        [row] = (await session.execute(select(ScheduledSend))).scalars().all()
    assert row.id == outputs["scheduled_id"] and row.key == f"workflow:{execution.id}"
    assert row.user_id == "U0AGENT" and row.status is ScheduledStatus.PENDING
    assert row.origin == "workflow:send_sms"
    assert not lv_sent(slack, CLEAN, "from a workflow")
    # Slack delivers the same execution again: still one scheduled send.
    await slack.driver.send_json(slack.driver.function_envelope(execution))
    await slack.driver.settle()
    async with slack.container.sessions() as session:
        assert len((await session.execute(select(ScheduledSend))).scalars().all()) == 1
    response = await slack.driver.command("/sms", "scheduled", user="U0AGENT")
    assert response.status == 200
    await slack.driver.settle()
    assert "from a workflow" in str(slack.driver.last_response("U0AGENT"))


async def test_a_send_at_of_now_sends_now(slack: Harness) -> None:
    inputs = {"to": CLEAN, "text": "now", "send_at": int(time.time()), "run_as": run_as("U0AGENT")}
    assert succeeded(slack, await run(slack, "send_sms", inputs))["status"] == "accepted"


async def test_a_provider_refusal_fails_the_step(make_harness: MakeHarness) -> None:
    async with make_harness(sandbox_faults="livevox:error_rate=1") as slack:
        execution = await run(slack, "send_sms", {"to": CLEAN, "text": "hi", "run_as": run_as("U0AGENT")})
        assert "LiveVox" in failed(slack, execution)
        assert not lv_sent(slack, CLEAN, "hi")


async def test_a_send_cut_short_ends_the_step_as_outcome_unknown(slack: Harness) -> None:
    """A dead worker's send (found by the stalled-job recovery) is never repeated: the runner's notifier
    ends the step saying it may have gone through, and how to check."""
    from bot.jobs.contract import Failure
    from bot.slack.workflows.jobs import SendSmsStep, step_failed

    execution = slack.emulator.start_function("send_sms", {"to": CLEAN, "text": "cut short"})
    job = SendSmsStep.model_validate(
        {
            "envelope": {"team_id": TEAM_ID, "user_id": "U0AGENT", "origin": "workflow:send_sms"},
            "execution_id": execution.id,
            "number": CLEAN,
            "text": "cut short",
        }
    )
    await step_failed(job, Failure.OUTCOME_UNKNOWN, None, slack.container)
    error = failed(slack, execution)
    assert "may or may not have gone through" in error and f"/sms logs {CLEAN}" in error
    assert ("U0AGENT", "workflow.send_sms", "unknown") in await slack.audit_actions()


async def test_a_step_that_cannot_be_queued_ends_at_once(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_away(*args: Any, **kwargs: Any) -> asyncio.Future[int]:
        stored: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        stored.set_exception(OperationalError("INSERT", {}, OSError("connection refused")))
        return stored

    monkeypatch.setattr(slack.container, "defer", database_away)
    execution = await run(slack, "send_sms", {"to": CLEAN, "text": "queued?", "run_as": run_as("U0AGENT")})
    assert "can't reach its database" in failed(slack, execution)
    assert not lv_sent(slack, CLEAN, "queued?")


async def test_a_step_whose_job_cannot_be_made_is_acked_and_ends_in_words(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inputs the checks let through but the job's model refuses (or a bug in building it) end the step
    at once, acked, in words; never a 500 that Slack retries until the step times out."""

    def refused(**fields: Any) -> Any:
        return LookupNumberStep.model_validate({**fields, "number": None})  # a pydantic ValidationError

    monkeypatch.setattr(events, "LookupNumberStep", refused)
    execution, response = await slack.driver.run_function(
        "lookup_number", {"number": CLEAN, "run_as": run_as("U0AGENT")}
    )
    assert response.status == 200
    await slack.driver.settle()
    assert "Something went wrong" in failed(slack, execution)


# ------------------------------------------------------------------------------------- lookup_number


async def test_lookup_number_outputs_counts_and_flags(slack: Harness) -> None:
    execution = await run(
        slack, "lookup_number", {"number": DNC, "range": "30d", "run_as": run_as("U0AGENT")}
    )
    outputs = succeeded(slack, execution)
    assert outputs["do_not_contact"] is True and outputs["opted_out"] is False
    assert outputs["flags_known"] is True and outputs["incomplete"] is False
    assert outputs["sms_inbound"] + outputs["sms_outbound"] > 0 and outputs["calls"] >= 0
    assert outputs["open_threads"] >= 1
    assert outputs["last_contact"] <= time.time()
    assert ("U0AGENT", "workflow.lookup_number", "ok") in await slack.audit_actions()

    clean = succeeded(
        slack, await run(slack, "lookup_number", {"number": CLEAN_2, "run_as": run_as("U0AGENT")})
    )
    assert clean["do_not_contact"] is False and clean["opted_out"] is False


async def test_lookup_number_keeps_the_agents_number_rule(slack: Harness) -> None:
    execution = await run(slack, "lookup_number", {"number": STRANGER, "run_as": run_as("U0AGENT")})
    assert "You can see numbers you have or had a conversation with" in failed(slack, execution)
    supervisor = await run(slack, "lookup_number", {"number": STRANGER, "run_as": run_as("U0SUPER")})
    assert succeeded(slack, supervisor)["flags_known"] is False  # nothing is known of that number


async def test_a_bad_range_ends_the_step(slack: Harness) -> None:
    execution = await run(
        slack, "lookup_number", {"number": CLEAN, "range": "forever", "run_as": run_as("U0AGENT")}
    )
    assert "not a range I understand" in failed(slack, execution)


async def test_a_job_that_breaks_still_ends_the_step(slack: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(slack.container.history, "lookup", broken)
    execution = await run(slack, "lookup_number", {"number": CLEAN, "run_as": run_as("U0SUPER")})
    error = failed(slack, execution)
    assert "Something went wrong on Switchboard's side" in error and "boom" not in error
    assert ("U0SUPER", "workflow.lookup_number", "failed") in await slack.audit_actions()


# ------------------------------------------------------------------------------------- assign_thread


def thread_of(slack: Harness, phone: str, owner: int | None) -> Any:
    world = slack.container.sandbox.app.state.world
    return next(
        t for t in world.threads.values() if t.phone == phone and t.owner_agent_id == owner and not t.resolved
    )


async def test_assign_thread_transfers_to_the_assignees_agent(slack: Harness) -> None:
    await run(slack, "lookup_number", {"number": CLEAN, "run_as": run_as("U0AGENT")})  # starts the sandbox
    maria = thread_of(slack, CLEAN, DEMO.agent_id)
    execution = await run(
        slack,
        "assign_thread",
        {"thread_id": maria.thread_id, "assignee": "U0SUPER", "run_as": run_as("U0AGENT")},
    )
    assert succeeded(slack, execution) == {
        "thread_id": maria.thread_id,
        "action": "transferred",
        "agent_id": str(DEMO.transfer_agent_id),
    }
    assert maria.owner_agent_id == DEMO.transfer_agent_id
    actions = await slack.audit_actions()
    assert ("U0AGENT", "thread.transferred", "ok") in actions
    assert ("U0AGENT", "workflow.assign_thread", "ok") in actions


async def test_assign_thread_to_oneself_takes_it(slack: Harness) -> None:
    await run(slack, "lookup_number", {"number": DNC, "run_as": run_as("U0AGENT")})
    priya = thread_of(slack, DNC, None)
    execution = await run(
        slack,
        "assign_thread",
        {"thread_id": priya.thread_id, "assignee": "U0AGENT", "run_as": run_as("U0AGENT")},
    )
    assert succeeded(slack, execution)["action"] == "taken"
    assert priya.owner_agent_id == DEMO.agent_id


async def test_assign_thread_needs_an_assignee_with_an_agent(slack: Harness) -> None:
    await run(slack, "lookup_number", {"number": CLEAN, "run_as": run_as("U0AGENT")})
    maria = thread_of(slack, CLEAN, DEMO.agent_id)
    execution = await run(
        slack,
        "assign_thread",
        {"thread_id": maria.thread_id, "assignee": "U0ADMIN", "run_as": run_as("U0AGENT")},
    )
    assert "no LiveVox agent linked" in failed(slack, execution)
    assert maria.owner_agent_id == DEMO.agent_id


async def test_assign_thread_refuses_a_thread_that_is_not_the_agents(slack: Harness) -> None:
    execution = await run(
        slack, "assign_thread", {"thread_id": "99999999", "assignee": "U0SUPER", "run_as": run_as("U0AGENT")}
    )
    assert "did not touch it" in failed(slack, execution)


# ----------------------------------------------------------------------------------------- durability


@pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL (CI sets it)")
async def test_a_step_survives_a_restart_of_the_web_process(tmp_path: Path) -> None:
    """On Postgres the step's job is a row in the queue: acked by one process, completed by another."""
    with fresh_database("postgres", tmp_path) as url:
        settings = load_settings(database_url=url)
        emulator = SlackEmulator(team_id=TEAM_ID, functions=FUNCTIONS)
        async with emulator.serve() as api_url:
            async with console_factory(settings, migrate=False, worker=False)(api_url) as (app, secret, _):
                async with SlackDriver(app, secret, emulator, idle=None) as driver:
                    execution, response = await driver.run_function(
                        "lookup_number", {"number": CLEAN, "run_as": run_as("U0SUPER")}
                    )
                    assert response.status == 200
                    await bolt_idle()
                assert await pending_jobs(app.state.container.queue) == 1
            assert execution.running  # nobody completed it yet
            async with (
                console_factory(settings, migrate=False, worker=True)(api_url) as (app, secret, idle),
                SlackDriver(app, secret, emulator, idle=idle) as driver,
            ):
                await driver.settle()
            assert execution.state == "completed" and execution.outputs is not None
            assert execution.outputs["flags_known"] is True
