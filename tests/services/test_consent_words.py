"""The opt-out phrase table: real-world replies and whether each revokes (or restores) consent."""

from __future__ import annotations

import pytest

from bot.services.consent_words import Consent, classify

OUT, IN, NO = Consent.OPT_OUT, Consent.OPT_IN, None

TABLE = [
    # The keywords alone, whatever the case, punctuation, politeness or repetition.
    ("STOP", OUT),
    ("stop", OUT),
    ("Stop.", OUT),
    ("STOP!!!", OUT),
    ("  stop  ", OUT),
    ("Stop stop stop", OUT),
    ("STOP ALL", OUT),
    ("StopAll", OUT),
    ("Stop please", OUT),
    ("Please stop", OUT),
    ("pls stop now", OUT),
    ("QUIT", OUT),
    ("End", OUT),
    ("REVOKE", OUT),
    ("OPT OUT", OUT),
    ("opt-out", OUT),
    ("Optout", OUT),
    ("Cancel", OUT),
    ("UNSUBSCRIBE", OUT),
    ("Unsubscribe, thanks", OUT),
    ("Stop texts", OUT),
    ("STOP. Who is this?", OUT),
    ("Unsubscribe! I never signed up for this", OUT),
    # Clear phrases.
    ("stop texting me", OUT),
    ("Please stop texting me.", OUT),
    ("Stop sending me these messages", OUT),
    ("stop contacting me", OUT),
    ("Can you stop messaging me", OUT),
    ("Stop all these texts", OUT),
    ("unsubscribe me", OUT),
    ("Please unsubscribe me from this list", OUT),
    ("I want to unsubscribe", OUT),
    ("opt me out", OUT),
    ("I'd like to opt out please", OUT),
    ("Remove me from your list", OUT),
    ("take my number off your list", OUT),
    ("Don't text me", OUT),
    ("Do not text me anymore", OUT),
    ("dont text this number", OUT),
    ("Never message me again", OUT),
    ("No more texts", OUT),
    ("I revoke my consent", OUT),
    ("I am withdrawing my consent to be contacted", OUT),
    ("cancel my subscription", OUT),
    ("Cancel these text messages", OUT),
    ("Leave me alone", OUT),
    ("Stop calling me", OUT),
    ("\u201cStop\u201d", OUT),
    ("Don\u2019t text me again", OUT),
    # Not an opt-out: the word means something else, or is negated.
    ("don't stop the service", NO),
    ("Please don't stop my service", NO),
    ("I'll stop by the store later", NO),
    ("Can I stop by the office tomorrow?", NO),
    ("When will the payments stop?", NO),
    ("Stop the payment on the old card", NO),
    ("don't stop texting me, I like the reminders", NO),
    ("I do not want to unsubscribe", NO),
    ("I don't want to opt out", NO),
    ("Please cancel my appointment", NO),
    ("I want to cancel my order", NO),
    ("Can I pay by the end of the month?", NO),
    ("That's the end of it, paid in full", NO),
    ("I quit my job so I can't pay right now", NO),
    ("Thanks, that works", NO),
    ("Who is this?", NO),
    ("Got it, thanks", NO),
    ("Okay", NO),
    ("", NO),
    ("Reply STOP to opt-out? no thanks, keep them coming", OUT),  # reads as one: treated as one
    # Opt-ins: only as the whole message.
    ("START", IN),
    ("Start", IN),
    ("UNSTOP", IN),
    ("Yes", IN),
    ("YES!", IN),
    ("yes please", IN),
    ("Opt in", IN),
    ("Yes, that works", NO),
    ("Can I start a payment plan?", NO),
    ("yes I already paid", NO),
]


def test_the_table_is_big_enough() -> None:
    assert len(TABLE) >= 40
    assert sum(1 for _, expected in TABLE if expected is None) >= 15


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_reply(text: str, expected: Consent | None) -> None:
    assert classify(text) == expected
