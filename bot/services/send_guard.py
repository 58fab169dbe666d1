"""The send guard: may this number be texted now? Checked before every send, from every entry point.

`SmsService.send` asks it right before the outbox row is written (so a send queued or clicked earlier is
checked again when it goes out), and the preview card and the send form ask it to show the same answer
first. A send is refused, with one sentence saying why, when:

- LiveVox flags the number Do-Not-Contact (`dnc`, `doNotDial`), do-not-dial-today (`doNotDialDaily`) or
  not opted in to SMS (`smsOptInStatus` false) on a contact Switchboard can read;
- the customer's latest consent word in any history with message bodies Switchboard can read (Zoom Phone,
  LiveVox threads, Routee inbound; `bot.services.consent_words`) is an opt-out. The number then goes on the
  team's opt-out list with that message as evidence, so it stays refused when the provider later forgets
  the message (Routee keeps 7 days) or fails to answer. A later START / UNSTOP / YES from the customer
  restores consent: the list entry Switchboard made is lifted (an admin's own entry stays until an admin
  removes it) and the card says so;
- the number is on the team's opt-out list (`/switchboard optout`);
- it is outside the team's sending hours where the recipient is (`bot.services.quiet_hours`).

An admin may override Do-Not-Contact (either kind) and quiet hours, with a reason, never an opt-out:
`Override` names what they saw and confirmed, and anything else found at send time still refuses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.db.models import OptOut, Role
from bot.db.repositories import AuditRepository, OptOutRepository
from bot.db.session import transaction
from bot.errors import InputError
from bot.phones import mask, pretty
from bot.services.audit import AuditService
from bot.services.compliance import UNKNOWN, ComplianceState
from bot.services.consent_words import Consent, classify
from bot.services.quiet_hours import QuietVerdict, SendWindow
from bot.services.quiet_hours import check as quiet_check
from bot.services.send_rules import SendRules
from bot.services.time_range import TimeRange

if TYPE_CHECKING:
    from bot.providers.livevox.models import Thread
    from bot.services.history import Event, HistoryService
    from bot.services.identity import Identity
    from bot.services.providers import Providers

log = logging.getLogger(__name__)

HISTORY_DAYS = 365
"""How far back the customer's replies are read (Zoom Phone keeps 90 days of them, Routee 7)."""
SWITCHBOARD_ACTOR = "switchboard"
QUOTE_CHARS = 80


class Reason(StrEnum):
    DO_NOT_CONTACT = "do_not_contact"
    DO_NOT_CONTACT_TODAY = "do_not_contact_today"
    NOT_OPTED_IN = "not_opted_in"
    CUSTOMER_OPT_OUT = "customer_opt_out"
    TEAM_LIST = "team_list"
    QUIET_HOURS = "quiet_hours"

    @property
    def overridable(self) -> bool:
        return self in OVERRIDABLE


OVERRIDABLE = frozenset({Reason.DO_NOT_CONTACT, Reason.DO_NOT_CONTACT_TODAY, Reason.QUIET_HOURS})


@dataclass(frozen=True)
class Refusal:
    reason: Reason
    sentence: str  # plain words; may quote the customer's message (escape before mrkdwn)


@dataclass(frozen=True)
class Override:
    """An admin's confirmed override of the overridable refusals they were shown (`reasons`)."""

    reason: str
    reasons: frozenset[Reason]


@dataclass
class GuardVerdict:
    number: str
    refusals: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # consent restored; what could not be read
    quiet: QuietVerdict | None = None

    @property
    def allowed(self) -> bool:
        return not self.refusals

    @property
    def hard(self) -> list[Refusal]:
        """What no override lifts (an opt-out, the team's list)."""
        return [r for r in self.refusals if not r.reason.overridable]

    @property
    def shown(self) -> list[Refusal]:
        """What to tell: the hard refusals alone when there are any (nothing else changes the answer)."""
        return self.hard or self.refusals

    @property
    def overridable(self) -> frozenset[Reason]:
        """The reasons an admin may override, when nothing else refuses."""
        return frozenset() if self.hard else frozenset(r.reason for r in self.refusals)

    def blocking(self, override: Override | None) -> list[Refusal]:
        if override is None:
            return self.shown
        return [r for r in self.refusals if not r.reason.overridable or r.reason not in override.reasons]

    def sentence(self, override: Override | None = None) -> str:
        blocking = self.blocking(override)
        return blocking[0].sentence if blocking else ""


class SendRefused(InputError):
    """A send the guard refused; `str()` is the one sentence."""

    def __init__(self, verdict: GuardVerdict, override: Override | None = None) -> None:
        super().__init__(f"Not sent to {pretty(verdict.number)}: {verdict.sentence(override)}")
        self.verdict = verdict


def _date(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d}" if at is not None else "an unknown date"


def _quote(text: str | None) -> str:
    words = " ".join((text or "").split())
    return words if len(words) <= QUOTE_CHARS else words[: QUOTE_CHARS - 1] + "…"


@dataclass(frozen=True)
class ConsentWord:
    kind: Consent
    event: Event


def consent_history(events: Sequence[Event]) -> tuple[ConsentWord | None, ConsentWord | None]:
    """(the latest consent word the customer texted, the latest opt-out before it if that was an opt-in)."""
    dated = sorted(
        (e for e in events if e.direction == "inbound" and e.text),
        key=lambda e: e.at or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    latest: ConsentWord | None = None
    for event in dated:
        kind = classify(event.text)
        if kind is None:
            continue
        if latest is None:
            latest = ConsentWord(kind, event)
            if kind is Consent.OPT_OUT:
                return latest, None
        elif kind is Consent.OPT_OUT:
            return latest, ConsentWord(kind, event)
    return latest, None


class SendGuard:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        audit: AuditService,
        history: HistoryService,
        clock: Clock | None = None,
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self._history = history
        self.clock = clock or SystemClock()

    async def window(self, team_id: str) -> SendWindow:
        return await SendRules(self._sessions).window(team_id)

    async def check(
        self,
        providers: Providers,
        identity: Identity,
        number: str,
        *,
        flags: ComplianceState = UNKNOWN,
        threads: list[Thread] | None = None,
        at: datetime | None = None,
    ) -> GuardVerdict:
        """Every reason not to text `number` now (quiet hours: at `at`, a scheduled send's time);
        `flags`, `threads`: LiveVox's, as the caller read them."""
        verdict = GuardVerdict(number)
        if flags.do_not_contact:
            verdict.refusals.append(
                Refusal(Reason.DO_NOT_CONTACT, "LiveVox has this number on the Do-Not-Contact list.")
            )
        elif flags.do_not_contact_today:
            verdict.refusals.append(
                Refusal(Reason.DO_NOT_CONTACT_TODAY, "LiveVox marks this number do-not-dial for today.")
            )
        if flags.opted_out:
            verdict.refusals.append(
                Refusal(Reason.NOT_OPTED_IN, "LiveVox records that this contact is not opted in to SMS.")
            )
        await self._consent(providers, identity, number, verdict, threads)
        window = await self.window(identity.team_id)
        quiet = quiet_check(number, at or self.clock.now(), window)
        verdict.quiet = quiet
        if not quiet.allowed:
            verdict.refusals.append(Refusal(Reason.QUIET_HOURS, quiet.sentence()))
        return verdict

    async def _consent(
        self,
        providers: Providers,
        identity: Identity,
        number: str,
        verdict: GuardVerdict,
        threads: list[Thread] | None,
    ) -> None:
        """The customer's own word (history) and the team's list."""
        team = identity.team_id
        now = datetime.now(UTC)
        span = TimeRange(now - timedelta(days=HISTORY_DAYS), now)
        events, sources = await self._history.replies(providers, identity, number, span, threads=threads)
        failed = [s.provider for s in sources if s.state == "failed"]
        if failed:
            verdict.notes.append(
                f"{' and '.join(failed)} could not be read for opt-out replies just now (the team's "
                "opt-out list, which keeps every opt-out seen before, was checked)."
            )
        latest, before = consent_history(events)
        async with self._sessions() as session:
            listed = await OptOutRepository(session, team).get(number)
        if latest is not None and latest.kind is Consent.OPT_OUT:
            event = latest.event
            if listed is None:
                listed = await self._auto_add(team, number, event)
            verdict.refusals.append(
                Refusal(
                    Reason.CUSTOMER_OPT_OUT,
                    f"the customer opted out: they texted “{_quote(event.text)}” ({event.provider}, "
                    f"{_date(event.at)}).",
                )
            )
            return
        if latest is not None and latest.kind is Consent.OPT_IN:
            start = latest.event
            # A START after the opt-out Switchboard recorded lifts its entry; an admin's entry stays.
            after_entry = listed is not None and (
                listed.evidence_at is None or start.at is None or start.at > listed.evidence_at
            )
            lifted = False
            if listed is not None and listed.source == "history" and (before is not None or after_entry):
                await self._lift(team, listed, start)
                listed, lifted = None, True
            said = f"“{_quote(start.text)}” ({start.provider}, {_date(start.at)})"
            if lifted or (listed is None and before is not None):
                verdict.notes.append(f"Consent restored: the customer texted {said} after opting out.")
            elif listed is not None and after_entry:
                verdict.notes.append(
                    f"The customer texted {said} since, but the number was put on the team's opt-out list "
                    "by hand: an admin may remove it (`/switchboard optout remove`)."
                )
        if listed is None:
            return
        if listed.source == "history":
            verdict.refusals.append(
                Refusal(
                    Reason.CUSTOMER_OPT_OUT,
                    f"the customer opted out: they texted “{_quote(listed.evidence_text)}” "
                    f"({listed.evidence_provider or 'a provider'}, {_date(listed.evidence_at)}), and the "
                    "number is on the team's opt-out list.",
                )
            )
            return
        why = f": {_quote(listed.reason)}" if listed.reason else ""
        verdict.refusals.append(
            Refusal(
                Reason.TEAM_LIST,
                f"the number is on the team's opt-out list (added {_date(listed.created_at)}{why}).",
            )
        )

    async def _auto_add(self, team_id: str, number: str, event: Event) -> OptOut:
        async with transaction(self._sessions) as session:
            row, created = await OptOutRepository(session, team_id).add(
                number,
                source="history",
                added_by=SWITCHBOARD_ACTOR,
                evidence_text=(event.text or "")[:1000],
                evidence_provider=event.provider,
                evidence_at=event.at,
            )
            if created:
                await AuditRepository(session, team_id).record(
                    SWITCHBOARD_ACTOR,
                    "optout.added",
                    target_type="phone",
                    target_id=mask(number),
                    details={"source": "history", "provider": event.provider, "message": _quote(event.text)},
                )
        return row

    async def _lift(self, team_id: str, row: OptOut, start: Event) -> None:
        async with transaction(self._sessions) as session:
            removed = await OptOutRepository(session, team_id).remove(row.number)
            if removed is not None:
                await AuditRepository(session, team_id).record(
                    SWITCHBOARD_ACTOR,
                    "optout.restored",
                    target_type="phone",
                    target_id=mask(row.number),
                    details={"provider": start.provider, "message": _quote(start.text)},
                )

    async def refused(
        self,
        identity: Identity,
        verdict: GuardVerdict,
        *,
        stage: str,
        override: Override | None = None,
    ) -> None:
        """The audit row of a refusal (`stage`: "preview", "form" or "send")."""
        await self._audit.record(
            identity.team_id,
            identity.user_id,
            "sms.refused",
            target_type="phone",
            target_id=mask(verdict.number),
            outcome="refused",
            details={
                "stage": stage,
                "reasons": [r.reason.value for r in verdict.blocking(override)],
                "sentence": verdict.sentence(override),
            },
        )

    async def overridden(self, identity: Identity, verdict: GuardVerdict, override: Override) -> None:
        await self._audit.record(
            identity.team_id,
            identity.user_id,
            "sms.override",
            target_type="phone",
            target_id=mask(verdict.number),
            details={
                "reasons": sorted(r.reason.value for r in verdict.refusals),
                "reason": override.reason,
            },
        )

    @staticmethod
    def may_override(identity: Identity) -> bool:
        return identity.may(Role.ADMIN)
