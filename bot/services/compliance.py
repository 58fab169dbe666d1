"""A number's compliance state (Do-Not-Contact, opt-out): the one place it is worked out.

LiveVox keeps the flags on the contact behind a thread (`contactInfo`: `dnc` per phone, `doNotDial`,
`doNotDialDaily`, `smsOptInStatus`). Every view (/lookup, /sms logs, thread cards, the send preview) gets
its flags from `from_threads`, and the send preview from `number_compliance`, which finds the threads the
same way a timeline does; `bot.slack.blocks.compliance.flags_text` is the one way they are shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.providers.livevox.models import ContactInfo, Thread

if TYPE_CHECKING:
    from bot.services.history import HistoryService
    from bot.services.identity import Identity
    from bot.services.providers import Providers


@dataclass(frozen=True)
class ComplianceState:
    """What LiveVox says about contacting a number; `known` is False when no contact of it was seen."""

    known: bool = False
    do_not_contact: bool = False  # the phone is marked DNC, or the customer is on the DNC list for good
    do_not_contact_today: bool = False
    sms_opted_in: bool | None = None  # None: LiveVox did not say
    # None: read from LiveVox just now. Else when LiveVox last showed them: no inbox Switchboard can read
    # holds the number's threads any more (moved to someone it has no link for), so these are remembered.
    as_of: datetime | None = None

    @property
    def opted_out(self) -> bool:
        return self.sms_opted_in is False

    @property
    def restricted(self) -> bool:
        """A send will likely be blocked."""
        return self.do_not_contact or self.do_not_contact_today or self.opted_out


UNKNOWN = ComplianceState()


def from_contacts(infos: Iterable[ContactInfo | None], number: str) -> ComplianceState:
    """The flags of every contact record seen for `number`: any restriction on any of them counts (a
    stricter record is never hidden by a laxer one); opted in only when none says opted out."""
    seen = [info for info in infos if info is not None]
    if not seen:
        return UNKNOWN
    opt_ins = [info.sms_opt_in_status for info in seen if info.sms_opt_in_status is not None]
    return ComplianceState(
        known=True,
        do_not_contact=any(info.number_is_dnc(number) or bool(info.do_not_dial) for info in seen),
        do_not_contact_today=any(bool(info.do_not_dial_daily) for info in seen),
        sms_opted_in=None if not opt_ins else all(opt_ins),
    )


def from_threads(threads: Iterable[Thread], number: str) -> ComplianceState:
    return from_contacts((thread.contact_info for thread in threads), number)


async def number_compliance(
    history: HistoryService, providers: Providers, identity: Identity, number: str
) -> ComplianceState:
    """The number's compliance state from the threads a timeline of it would read (the person's inboxes;
    a supervisor's whole team's). LiveVox failures propagate; UNKNOWN when LiveVox cannot be asked."""
    threads = await history.number_threads(providers, identity, number)
    return await history.settled_flags(identity.team_id, number, from_threads(threads, number))
