"""The digest message: layout, ▲▼ changes, escaping, Block Kit limits at any volume, the notes."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.console.blockkit import validate_blocks
from bot.services.digest_content import (
    Bucket,
    CallTally,
    DeliveryFailure,
    DeliveryTally,
    DigestData,
    InboxCount,
    OldestThread,
    Period,
    Section,
    SmsTally,
    ThreadTally,
)
from bot.slack import ids
from bot.slack.digests.blocks import (
    change,
    change_points,
    digest_message,
    failure_note,
    oldest_thread_button,
    skipped_note,
)
from bot.slack.signing import ValueSigner, configure_signing, verify_value
from bot.slack.threads.blocks import ThreadRef

START = datetime(2026, 12, 1, 5, tzinfo=UTC)  # midnight in New York
PERIOD = Period(START, START + timedelta(days=1))
BEFORE = Period(START - timedelta(days=1), START)
EVIL = "<!channel> & <@U123|boss>"
ALL = ["sms", "calls", "delivery", "threads"]


def data(**overrides: Any) -> DigestData:
    sms = Section(
        "Zoom Contact Center SMS",
        SmsTally(
            inbound=120,
            outbound=80,
            queues=Counter({"Billing": 40, "Sales": 12}),
            agents=Counter({"Ann": 30, "Bo": 20}),
            sources=Counter({"Zoom Contact Center": 150, "Routee": 50}),
            first_response_seconds=1800.0,
            first_responses=10,
        ),
        SmsTally(inbound=100, outbound=100),
    )
    calls = Section(
        "Zoom Contact Center calls",
        CallTally(
            total=200,
            outcomes=Counter(answered=150, abandoned=20, missed=10, voicemail=10, short=10),
            queues=Counter({"Support": 120}),
            handled_seconds=150 * 240,
            wait_seconds=200 * 30,
            waited_calls=200,
        ),
        CallTally(total=250, outcomes=Counter(answered=225, abandoned=25)),
    )
    delivery = Section(
        "Delivery",
        DeliveryTally(
            Counter(delivered=90, failed=6, blocked=4),
            [DeliveryFailure("+•••••••0100", "failed", "Number unreachable", "Routee")],
            10,
        ),
        DeliveryTally(Counter(delivered=50)),
    )
    threads = Section(
        "LiveVox threads",
        ThreadTally([InboxCount("Main", 3, 10)], OldestThread("T42", "+•••••••0199", "Main", START)),
    )
    volume = [Bucket(START + timedelta(hours=h), f"{h:02d}:00", sms=h, calls=2 * h) for h in range(24)]
    values: dict[str, Any] = dict(sms=sms, calls=calls, delivery=delivery, threads=threads, volume=volume)
    values.update(overrides)
    return DigestData(PERIOD, BEFORE, **values)


def message(value: DigestData | None = None, **options: Any) -> dict[str, Any]:
    settings: dict[str, Any] = dict(
        title="Daily digest · #cc-leads",
        schedule="daily 09:00",
        zone="America/New_York",
        sections=ALL,
        late=False,
        manual=False,
    )
    settings.update(options)
    return digest_message(value or data(), **settings)


def texts(payload: dict[str, Any]) -> str:
    return json.dumps(payload["blocks"], ensure_ascii=False)


def test_changes_say_up_down_and_nothing_to_compare() -> None:
    assert change(120, 100) == "▲ 20%"
    assert change(80, 100) == "▼ 20%"
    assert change(100, 100) == "= 0%"
    assert change(5, 0) == "—"  # no division by zero: a rise from nothing has no percentage
    assert change(5, None) == "—"
    assert change_points(0.10, 0.08) == "▲ 2.0 pts"
    assert change_points(0.05, None) == "—"


def test_layout_header_period_headline_chart_then_sections() -> None:
    payload = message()
    blocks = payload["blocks"]
    assert validate_blocks(blocks) == []
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Daily digest · #cc-leads", "emoji": True},
    }
    period = blocks[1]["elements"][0]["text"]
    assert f"<!date^{int(START.timestamp())}^" in period and "daily at 09:00 (America/New_York)" in period
    headline = [f["text"] for f in blocks[2]["fields"]]
    assert 3 <= len(headline) <= 6
    # SMS 200 vs 200 before; calls 200 vs 250 (▼ 20%); abandoned 10% vs 10%
    assert headline[0] == "*SMS in / out*\n120 / 80  = 0%"
    assert headline[1] == "*Calls*\n200  ▼ 20%"
    assert headline[2].startswith("*Abandoned*\n10%")
    assert headline[3] == "*Delivered*\n90%  ▼ 10.0 pts"
    assert headline[4] == "*Unread threads*\n3"
    assert blocks[3]["type"] == "data_visualization"
    assert "Posted late" not in texts(payload) and "Run now" not in texts(payload)
    assert payload["text"].startswith("Daily digest · #cc-leads: 120 SMS in, 80 out; 200 calls")
    body = texts(payload)
    for expected in ("*Top queues*", "1. Billing: 40", "*Avg first response*\\n3m 00s", "*Abandoned rate*"):
        assert expected in body
    assert "+•••••••0100 · failed · Number unreachable" in body and "…and 9 more." in body


def test_late_and_manual_are_said() -> None:
    late = texts(message(late=True))
    assert "Posted late: the 09:00 digest was missed while Switchboard was down." in late
    manual = texts(message(manual=True))
    assert "Run now, outside the schedule." in manual
    hourly = texts(message(schedule="hourly :15", late=True))
    # the hourly slot is the period's end, in the subscription's zone (05:00 UTC next day → 00:00 NY)
    assert "Posted late: the 00:00 digest" in hourly


def test_the_native_chart_keeps_to_its_limits() -> None:
    chart = message()["blocks"][3]
    assert chart["title"] == "Volume per hour"
    series = chart["chart"]["series"]
    assert [s["name"] for s in series] == ["SMS", "Calls"]
    categories = chart["chart"]["axis_config"]["categories"]
    assert len(categories) == 12  # 24 hours in 20 points at most: two by two
    assert [p["value"] for p in series[0]["data"]][:2] == [0 + 1, 2 + 3]
    assert sum(p["value"] for p in series[1]["data"]) == sum(2 * h for h in range(24))
    weekly = message(schedule="weekly mon 09:00")["blocks"][3]
    assert weekly["title"] == "Volume per day"
    assert "data_visualization" not in texts(message(data(volume=[])))


def test_oldest_thread_has_the_threads_history_button() -> None:
    blocks = message()["blocks"]
    (found,) = [b for b in blocks if b.get("accessory")]
    button = found["accessory"]
    assert button["action_id"] == ids.ACTION_THREAD_HISTORY  # the threads feature's own, not a second one
    ref = ThreadRef.from_value(button["value"])  # unsigned in pure tests (no signer configured)
    assert (ref.thread_id, ref.number) == ("T42", "+•••••••0199")
    assert "waiting since <!date^" in found["text"]["text"]
    given = {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "action_id": "x", "value": "v"}
    blocks = message(oldest_thread_button=given)["blocks"]
    assert [b["accessory"]["action_id"] for b in blocks if b.get("accessory")] == ["x"]


def test_sections_failed_not_connected_and_not_requested() -> None:
    broken = data(
        calls=Section("Zoom Contact Center calls", error="Zoom Contact Center calls did not answer in time."),
        threads=Section("LiveVox threads", connected=False),
    )
    payload = message(broken)
    assert validate_blocks(payload["blocks"]) == []
    body = texts(payload)
    assert "*Calls*: ⚠️ Zoom Contact Center calls did not answer in time." in body
    assert "Threads: not connected." in body
    assert "*Abandoned rate*" not in body
    alone = message(sections=["delivery"])
    only = texts(alone)
    assert "*Delivery*" in only and "*SMS*" not in only and "*Calls*" not in only
    # one section asked for: its next numbers fill the headline to three
    assert [f["text"].split("\n")[0] for f in alone["blocks"][2]["fields"]] == [
        "*Delivered*",
        "*Not delivered*",
    ]


def test_outside_text_is_escaped() -> None:
    evil = data(
        sms=Section(
            "Zoom Contact Center SMS",
            SmsTally(1, 1, Counter({EVIL: 1}), Counter({EVIL: 1}), Counter({EVIL: 2})),
        ),
        delivery=Section(
            "Delivery",
            DeliveryTally(Counter(failed=1), [DeliveryFailure("+•••0100", "failed", EVIL, EVIL)], 1),
        ),
        threads=Section(
            "LiveVox threads", ThreadTally([InboxCount(EVIL, 1, 1)], OldestThread("T", "x", EVIL, START))
        ),
        calls=Section("Zoom Contact Center calls", error=f"Zoom said {EVIL}"),
    )
    payload = message(evil, title=f"Digest {EVIL}")
    mrkdwn = json.dumps(list(_mrkdwn(payload["blocks"])), ensure_ascii=False)
    assert "<!channel>" not in mrkdwn and "<@U123" not in mrkdwn
    assert "<!channel>" not in payload["text"]  # the fallback is mrkdwn too (notifications)
    assert "&lt;!channel&gt; &amp; &lt;@U123|boss&gt;" in mrkdwn
    # plain_text (the header) is never read for mentions; it is shown as typed
    assert payload["blocks"][0]["text"] == {"type": "plain_text", "text": f"Digest {EVIL}", "emoji": True}


def _mrkdwn(node: Any) -> Any:
    """Every mrkdwn text of a block tree (where Slack reads <!channel>, <@U…> and links)."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node["text"]
        for value in node.values():
            yield from _mrkdwn(value)
    elif isinstance(node, list):
        for value in node:
            yield from _mrkdwn(value)


def test_any_volume_stays_within_block_kit_limits() -> None:
    many = Counter({f"queue {i} " + "q" * 300: 10_000 - i for i in range(5_000)})
    huge = data(
        sms=Section(
            "Zoom Contact Center SMS",
            SmsTally(10**9, 10**9, many, many, many, 1e12, 10**9),
            SmsTally(1, 1),
        ),
        calls=Section("Zoom Contact Center calls", CallTally(10**9, Counter(answered=10**9, other=5), many)),
        delivery=Section(
            "Delivery",
            DeliveryTally(
                Counter(failed=10**8),
                [DeliveryFailure("+•••0100", "failed", "r" * 5000, "Routee") for _ in range(10)],
                10**8,
            ),
        ),
        threads=Section(
            "LiveVox threads",
            ThreadTally(
                [InboxCount("i" * 500 + str(n), n, n) for n in range(1000)],
                OldestThread("T" * 3000, "x", "y" * 3000, START),
            ),
        ),
        volume=[
            Bucket(START + timedelta(hours=h), f"label {h} " + "x" * 50, 10**9, 10**9) for h in range(24 * 31)
        ],
    )
    payload = message(huge, title="T" * 500)
    assert validate_blocks(payload["blocks"]) == []
    assert len(payload["blocks"]) <= 50
    assert len(payload["text"]) <= 3000
    assert "…and 990 more inboxes" in texts(payload)


def test_notes() -> None:
    failed = failure_note(schedule="daily 09:00", zone="America/New_York", reason="Zoom was unavailable")
    assert failed["text"] == "Yesterday's digest could not be built: Zoom was unavailable."
    weekly = failure_note(schedule="weekly mon 09:00", zone="UTC", reason="Zoom was <unavailable>.")
    assert weekly["text"] == "Last week's digest could not be built: Zoom was &lt;unavailable&gt;."
    hourly = failure_note(schedule="hourly :15", zone="UTC", reason="LiveVox did not answer")
    assert hourly["text"].startswith("The last hour's digest")
    slot = datetime(2026, 12, 1, 14, tzinfo=UTC)  # 09:00 in New York
    skipped = skipped_note(schedule="daily 09:00", zone="America/New_York", slot=slot)
    assert skipped["text"] == (
        "The 09:00 digest of Tuesday 1 December was skipped: Switchboard was down for more than 6 hours."
    )
    for note in (failed, weekly, hourly, skipped):
        assert validate_blocks(note["blocks"]) == []


@pytest.mark.parametrize("sections", [[], ["sms"], ["threads", "sms"]])
def test_sections_in_the_order_asked(sections: list[str]) -> None:
    body = texts(message(sections=sections))
    wanted = sections or ALL
    titles = {s: f'"text": "*{s.capitalize() if s != "sms" else "SMS"}*"' for s in ALL}
    positions = [body.index(titles[s]) for s in wanted]
    assert positions == sorted(positions)


def test_the_oldest_thread_button_is_signed_for_the_history_action() -> None:
    signer = ValueSigner([b"k" * 32])
    configure_signing(signer)
    try:
        value = oldest_thread_button(OldestThread("T42", "+•••••••0199", "Main", START))["value"]
        verified = verify_value(ids.ACTION_THREAD_HISTORY, value)
        assert verified is not None and ThreadRef.from_value(verified).thread_id == "T42"
        assert verify_value(ids.ACTION_THREAD_TAKE, value) is None  # only for History
    finally:
        configure_signing(None, only_if=signer)


def test_chart_titles_name_the_bucket() -> None:
    titles = {
        schedule: message(schedule=schedule)["blocks"][3]["title"]
        for schedule in ("hourly :15", "daily 09:00", "weekly mon 09:00")
    }
    assert titles == {
        "hourly :15": "Volume in the hour",
        "daily 09:00": "Volume per hour",
        "weekly mon 09:00": "Volume per day",
    }
