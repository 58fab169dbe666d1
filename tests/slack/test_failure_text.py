"""Failure notes in words: a follow-up of work that already happened never says "try again"."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from bot.jobs.contract import Envelope, Failure
from bot.providers.livevox.errors import Unavailable
from bot.services.sms import Route
from bot.slack.jobs import failure_text
from bot.slack.lookup.jobs import LookupJob
from bot.slack.sms.jobs import SmsDeliveryJob

ENVELOPE = Envelope(team_id="T1", user_id="U1", origin="/sms")


def delivery() -> SmsDeliveryJob:
    return SmsDeliveryJob(envelope=ENVELOPE, key="k1", route=next(iter(Route)))


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (Failure.ERROR, Unavailable("livevox", "LiveVox answered 503")),
        (Failure.ERROR, OperationalError("SELECT 1", {}, ConnectionRefusedError())),
        (Failure.ERROR, RuntimeError("boom")),
        (Failure.EXPIRED, None),
        (Failure.OUTCOME_UNKNOWN, None),
    ],
)
def test_a_failed_delivery_check_says_the_sms_was_accepted_and_not_to_resend(
    failure: Failure, error: BaseException | None
) -> None:
    text = failure_text(delivery(), failure, error)
    assert "do not send it again" in text and "try again" not in text.lower(), text
    assert text.startswith("Switchboard could not finish the delivery check of your SMS")


def test_other_jobs_still_offer_to_try_again() -> None:
    lookup = LookupJob(envelope=ENVELOPE, number="+14155550100")
    assert "try again" in failure_text(lookup, Failure.EXPIRED, None)
