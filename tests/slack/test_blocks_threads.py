"""Pure block tests: valid Block Kit within Slack's limits, escaped outside text, no sensitive fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.console.blockkit import validate_blocks, validate_view
from bot.db.models import Role
from bot.providers.livevox.models import Channel, Thread
from bot.services.compliance import ComplianceState
from bot.services.identity import Identity
from bot.services.inbox import (
    Counts,
    HistoryEntry,
    InboxOverview,
    InboxSummary,
    MemberCounts,
    ThreadCard,
    ThreadList,
    TransferCandidate,
    card_from_thread,
)
from bot.slack.home.blocks import home_view, my_threads_modal
from bot.slack.threads.blocks import (
    ListState,
    ModalContext,
    ThreadRef,
    history_message,
    inbox_message,
    resolve_modal,
    threads_message,
    transfer_loading,
    transfer_modal,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
EVIL = "<!channel> & <@U123|boss>"
SSN, DOB = "900-77-1234", "1961-07-04"


def card(n: int, **overrides: object) -> ThreadCard:
    values: dict[str, object] = {
        "thread_id": str(5000 + n),
        "channel_id": "100915",
        "channel_type": "SMS",
        "personal": n % 2 == 0,
        "inbox": "Group - Customer Care",
        "account": f"88{n:04d}",
        "number": "+14155550100",
        "contact_name": f"Customer {n}",
        "last_at": NOW - timedelta(minutes=n),
        "read": n % 3 == 0,
        "compliance": ComplianceState(known=True, do_not_contact=n % 5 == 0, sms_opted_in=n % 7 != 0),
    }
    values.update(overrides)
    return ThreadCard(**values)  # type: ignore[arg-type]


def sandbox_like_thread() -> Thread:
    return Thread.model_validate(
        {
            "threadId": 777,
            "channelId": "700101",
            "channelName": "Personal SMS",
            "account": "880100",
            "from": "14155550100",
            "to": "14155550150",
            "smsInbound": True,
            "date": 1_763_640_000_000,
            "read": False,
            "contactInfo": {
                "account": "880100",
                "firstName": EVIL,
                "lastName": "Gonzalez",
                "ssn": SSN,
                "dob": DOB,
                "phoneDetails": [{"number": "14155550100", "dnc": True}],
                "smsOptInStatus": False,
            },
        }
    )


def text(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False)


def shown(payload: object) -> str:
    """What Slack displays: everything but button values (data handed back to the app, never rendered)."""

    def strip(obj: object) -> object:
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if not (k == "value" and obj.get("type") == "button")}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj

    return text(strip(payload))


def test_two_hundred_threads_fit_one_message_with_a_note() -> None:
    result = ThreadList(
        cards=[card(n) for n in range(200)], inboxes=[InboxSummary("1", "SMS", "P", True, 3, 200)]
    )
    payload = threads_message(result, ListState())
    assert len(payload["blocks"]) <= 50
    assert validate_blocks(payload["blocks"], "message") == []
    rendered = text(payload)
    assert "Showing 1–10 of 200" in rendered and "190 more threads on the next pages" in rendered
    last = threads_message(result, ListState(offset=195))
    assert "Showing 191–200 of 200" in text(last) and validate_blocks(last["blocks"], "message") == []


def test_truncated_lists_say_so() -> None:
    payload = threads_message(ThreadList(cards=[card(1)], truncated=True), ListState())
    assert "Only the first 1 threads LiveVox returned are listed" in text(payload)


def test_outside_text_is_escaped_everywhere() -> None:
    evil = card(1, contact_name=EVIL, inbox=EVIL, account=EVIL)
    payload = threads_message(
        ThreadList(cards=[evil], inboxes=[InboxSummary("1", "SMS", EVIL, True, 1, 1)]), ListState()
    )
    rendered = shown(payload["blocks"])
    assert "<!channel>" not in rendered and "<@U123" not in rendered
    assert "&lt;!channel&gt; &amp; &lt;@U123|boss&gt;" in rendered
    ref = ThreadRef.of(evil, ListState(), "n")
    history = history_message(ref, [HistoryEntry(NOW, True, EVIL, "Operator Transfer")], more=False)
    assert (
        "<!channel>" not in shown(history["blocks"]) and validate_blocks(history["blocks"], "message") == []
    )


def test_ssn_and_dob_never_reach_the_output() -> None:
    thread = sandbox_like_thread()
    assert thread.contact_info is not None and thread.contact_info.ssn == SSN  # the provider did send them
    built = card_from_thread(thread, Channel(channel="SMS", channel_id="700101", personal=True))
    assert (
        built.compliance.do_not_contact
        and built.compliance.opted_out
        and built.personal
        and built.number == "+14155550100"
    )
    payloads = [
        threads_message(ThreadList(cards=[built]), ListState()),
        my_threads_modal(ThreadList(cards=[built])),
        history_message(ThreadRef.of(built, ListState(), "n"), [], more=False),
    ]
    for payload in payloads:
        rendered = text(payload)
        assert SSN not in rendered and DOB not in rendered and "1961" not in rendered


def test_button_values_round_trip() -> None:
    ref = ThreadRef.of(card(2), ListState("SMS", "group", 20), "abc")
    assert ThreadRef.from_value(ref.to_value()) == ref
    meta = ModalContext(ref, "https://hooks.slack.com/x", "123.456", "C1")
    assert ModalContext.from_metadata(meta.to_metadata()) == meta
    assert ListState.from_value(ListState("Email", "personal", 10).to_value()) == ListState(
        "Email", "personal", 10
    )


def test_modals_are_valid() -> None:
    meta = ModalContext(ThreadRef.of(card(1), ListState(), "n"), "https://hooks.slack.com/x")
    agents = [TransferCandidate(str(i), f"Agent {i}", f"A{i}", "READY") for i in range(150)]
    for view in (
        transfer_loading(meta),
        transfer_modal(meta, agents),
        transfer_modal(meta, []),
        resolve_modal(meta),
    ):
        assert validate_view(view) == [], view
    options = transfer_modal(meta, agents)["blocks"][1]["element"]["options"]
    assert len(options) == 100
    resolve = resolve_modal(meta)
    assert resolve["blocks"][2]["element"]["initial_value"] == "880001"


def test_inbox_and_home_are_valid() -> None:
    overview = InboxOverview(
        counts=Counts(1, 2, 3, 4),
        channels=[InboxSummary("700101", "SMS", EVIL, True, 1, 3)],
        team=[MemberCounts(f"U{n:04d}", str(n), Counts(n, 0, n, 0)) for n in range(300)]
        + [MemberCounts("U9", "9", None, "LiveVox did not answer in time; try again in a minute.")],
    )
    payload = inbox_message(overview)
    assert validate_blocks(payload["blocks"], "message") == [] and "<!channel>" not in shown(payload)
    identity = Identity("T1", "U1", Role.SUPERVISOR, "700102", "SKIM", "zoom1")
    for view in (
        home_view(identity, loading=True),
        home_view(identity, overview=overview),
        home_view(identity, problem="LiveVox is not answering properly right now; try again in a minute."),
        home_view(Identity("T1", "U2")),
        my_threads_modal(ThreadList(cards=[card(n) for n in range(200)])),
        my_threads_modal(loading=True),
    ):
        assert validate_view(view) == [], view
    modal = my_threads_modal(ThreadList(cards=[card(n) for n in range(200)]))
    assert len(modal["blocks"]) <= 100 and "The newest 30 of 200" in text(modal)
