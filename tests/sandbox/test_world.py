"""The world generator: deterministic, scaled by volume, demo identities with history everywhere."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest

from bot.sandbox.world import DEMO, World
from tests.sandbox.helpers import ANCHOR


def _fingerprint(world: World) -> object:
    return (
        world.summary(),
        [dataclasses.astuple(c) for c in world.contacts.values()],
        [(t.thread_id, t.phone, t.owner_agent_id, t.read, len(t.messages)) for t in world.threads.values()],
        [(m.id, m.message, m.date) for m in world.lv_messages],
        [(s.engagement_id, s.start_time) for s in world.cc_sms_logs],
        [(v.engagement_id, v.start_time, v.result) for v in world.voice_calls],
        [(s.session_id, len(s.messages)) for s in world.phone_sessions.values()],
        [(r.message_id, r.to, r.final_status) for r in world.routee_messages],
    )


def test_same_seed_and_anchor_give_the_same_world() -> None:
    assert _fingerprint(World.generate(seed=7, now=ANCHOR)) == _fingerprint(
        World.generate(seed=7, now=ANCHOR)
    )


def test_a_different_seed_gives_a_different_world() -> None:
    assert _fingerprint(World.generate(seed=7, now=ANCHOR)) != _fingerprint(
        World.generate(seed=8, now=ANCHOR)
    )


def test_generation_leaves_the_global_rng_alone() -> None:
    random.seed(1234)
    expected = random.random()
    random.seed(1234)
    World.generate(seed=3, now=ANCHOR)
    assert random.random() == expected


def test_default_anchor_is_today_at_midnight_utc() -> None:
    world = World.generate()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert world.now in (today, today - timedelta(days=1))  # tolerate a run across midnight
    assert world.now.tzinfo is not None


def test_volume_scales_counts() -> None:
    small = World.generate(seed=7, volume=1, now=ANCHOR).summary()
    large = World.generate(seed=7, volume=3, now=ANCHOR).summary()
    for key in (
        "contacts",
        "threads",
        "zoom_cc_sms",
        "zoom_voice_calls",
        "zoom_phone_sessions",
        "routee_messages",
    ):
        assert large[key] > 2 * small[key] * 0.9, key


def test_a_busy_month_adds_its_records_and_leaves_the_rest_alone() -> None:
    plain = World.generate(seed=7, now=ANCHOR)
    busy = World.generate(seed=7, now=ANCHOR, month_sms=900, month_calls=700)
    assert len(busy.cc_sms_logs) == len(plain.cc_sms_logs) + 900
    assert len(busy.voice_calls) == len(plain.voice_calls) + 700
    month = ANCHOR - timedelta(days=30)
    extra_sms = {s.engagement_id for s in busy.cc_sms_logs} - {s.engagement_id for s in plain.cc_sms_logs}
    assert len(extra_sms) == 900
    assert all(month <= s.start_time < ANCHOR for s in busy.cc_sms_logs if s.engagement_id in extra_sms)
    extra_calls = {c.engagement_id for c in busy.voice_calls} - {c.engagement_id for c in plain.voice_calls}
    assert all(month <= c.start_time < ANCHOR for c in busy.voice_calls if c.engagement_id in extra_calls)
    # Everything else is the world without the busy month, and the same busy month comes back.
    assert _fingerprint(dataclasses.replace(busy, cc_sms_logs=[], voice_calls=[])) == _fingerprint(
        dataclasses.replace(plain, cc_sms_logs=[], voice_calls=[])
    )
    again = World.generate(seed=7, now=ANCHOR, month_sms=900, month_calls=700)
    assert _fingerprint(again) == _fingerprint(busy)
    with pytest.raises(ValueError):
        World.generate(month_sms=-1)


def test_volume_must_be_positive() -> None:
    with pytest.raises(ValueError):
        World.generate(volume=0)


def test_demo_identities_are_stable_across_seeds() -> None:
    a, b = World.generate(seed=1, now=ANCHOR), World.generate(seed=2, now=ANCHOR)
    assert a.demo == b.demo == DEMO
    assert DEMO.phone_numbers == ("+14155550100", "+14155550101", "+14155550102", "+14155550103")
    for world in (a, b):
        agent = world.agents[DEMO.agent_id]
        assert agent.login_id == DEMO.agent_login
        assert agent.zoom_user_id == DEMO.zoom_user_id
        assert DEMO.service_id in agent.service_ids
        assert DEMO.zoom_queue_id in world.queues
        assert world.user_by_login(DEMO.supervisor_login) is not None
        assert any(c.code == DEMO.sender_code and c.service_id == DEMO.service_id for c in world.sms_codes)


@pytest.mark.parametrize("phone", DEMO.phone_numbers)
def test_demo_numbers_have_history_in_every_provider(world: World, phone: str) -> None:
    counts = world.history_counts(phone)
    assert all(value > 0 for value in counts.values()), counts
    assert counts["livevox_messages"] >= 10
    assert counts["zoom_cc_sms"] >= 5
    assert counts["zoom_voice_calls"] >= 5
    assert counts["routee_messages"] >= 5


def test_demo_compliance_flags(world: World) -> None:
    dnc = world.contacts[DEMO.dnc_number]
    assert dnc.dnc and dnc.do_not_dial
    assert not world.contacts[DEMO.opted_out_number].sms_opt_in_status
    clean = world.contacts[DEMO.phone_numbers[0]]
    assert clean.sms_opt_in_status and not clean.blocked


def test_some_generated_numbers_are_flagged(world: World) -> None:
    others = [c for c in world.contacts.values() if DEMO.customer(c.phone) is None]
    assert any(c.dnc or c.do_not_dial for c in others)
    assert any(not c.sms_opt_in_status for c in others)


def test_numbers_are_fictional_and_valid_e164(world: World) -> None:
    for contact in world.contacts.values():
        number = phonenumbers.parse(contact.phone)
        assert phonenumbers.is_possible_number(number)
        national = str(number.national_number)
        if contact.country_iso in ("US", "CA"):
            assert national[3:7] == "5550" and 100 <= int(national[6:]) <= 199, contact.phone
        else:
            assert contact.phone.startswith("+447700900")


def test_business_numbers_never_collide_with_customers(world: World) -> None:
    business = {"+" + c.code for c in world.sms_codes}
    business |= {a.zoom_phone_number for a in world.agents.values()}
    business |= {q.number for q in world.queues.values()}
    assert not business & set(world.contacts)


def test_time_spans(world: World) -> None:
    now = world.now
    cc_times = [s.start_time for s in world.cc_sms_logs]
    assert min(cc_times) >= now - timedelta(days=91) and max(cc_times) <= now
    assert min(cc_times) < now - timedelta(days=60)  # spread over ~90 days
    assert any(t > now - timedelta(hours=24) for t in cc_times)
    routee_times = [m.created_at for m in world.routee_messages]
    assert min(routee_times) >= now - timedelta(days=7) and max(routee_times) <= now


def test_routee_statuses_cover_the_seed(world: World) -> None:
    later = world.now + timedelta(days=1)
    statuses = {m.status_at(later)[0] for m in world.routee_messages}
    assert {"Delivered", "Undelivered", "Failed"} <= statuses
    reasons = {m.status_at(later)[2] for m in world.routee_messages}
    assert len(reasons) >= 5


def test_inboxes_have_personal_group_read_and_unread_threads(world: World) -> None:
    open_threads = [t for t in world.threads.values() if not t.resolved]
    assert any(t.owner_agent_id == DEMO.agent_id and not t.read for t in open_threads)
    assert any(t.owner_agent_id == DEMO.agent_id and t.read for t in open_threads)
    assert any(t.owner_agent_id is None and t.service_id == DEMO.service_id for t in open_threads)
    assert any(t.resolved for t in world.threads.values())
