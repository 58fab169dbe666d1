"""Following an SMS the provider accepted to its delivery record, and writing down what it says.

A provider's "accepted" only means it took the request: LiveVox still blocks a message to an opted-out or
Do-Not-Contact number, a carrier still rejects one. So after a send Switchboard reads the delivery record
a few times (the Slack layer's follow-up job decides when) and moves the outbox row on from ACCEPTED:

- LiveVox, sent as the agent: the agent's transaction history (`GET /sms/agent/messages`, seed 001) has
  the message under its transaction id with a status such as "SMS MT Delivered" or
  "SMS MT Blocked (Opt-Out)"; it is found in the thread replied to, else in the agent's threads with the
  number (the thread, once found, is handed back so the next look reads only that one);
- Routee: tracking (`POST /sms/tracking`, seed 003) filtered by the recipient, the message's parts by
  the trackingId the send returned (Routee's `messageId`);
- LiveVox's transactional send (a user session with a service id): the history is for agents only
  (seed 001: "User Roles: Agent"), so there is no record to read and the row stays "not confirmed yet".

Each change of a row is one conditional UPDATE plus its audit event in the same transaction, so two
follow-ups reading the same record (a retried job) move the row and write the audit once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import SmsMessage, SmsStatus
from bot.db.repositories import AuditRepository
from bot.db.repositories.sms import SmsMessageRepository
from bot.db.session import transaction
from bot.phones import mask
from bot.providers.livevox import LiveVoxClient
from bot.providers.routee import TrackingFilter
from bot.services.history import HistoryService
from bot.services.identity import Identity
from bot.services.providers import Providers
from bot.services.sms import Route

log = logging.getLogger(__name__)

HISTORY_PAGES = 2
"""Pages of a thread's history read for a message just sent (newest first: it is on the first)."""
TRACKING_PAGES = 5
TRACKING_SLACK = timedelta(minutes=1)
"""Tracking is asked from a minute before the row was written (clocks differ a little)."""


@dataclass(frozen=True)
class Verdict:
    """What a delivery record says. `status` ACCEPTED: nothing final yet (or no record found)."""

    status: SmsStatus
    reason: str | None = None  # in words, for people ("the recipient has opted out of SMS")
    raw: str | None = None  # the provider's own status ("SMS MT Blocked (Opt-Out)"), kept for reference
    thread_id: str | None = None  # LiveVox: the thread the message was found in

    @property
    def final(self) -> bool:
        return self.status.final


def followed(route: Route) -> bool:
    """Whether this route's provider tells Switchboard what became of a message."""
    return route in (Route.LIVEVOX_AGENT, Route.ROUTEE)


NOT_FOLLOWED = (
    "LiveVox shows delivery only in its agents' transaction history, and this was sent from the service."
)


def livevox_verdict(raw: str | None) -> Verdict:
    """A LiveVox transaction status in words. Unknown wording is not taken as final."""
    text = (raw or "").strip()
    low = text.lower()
    if not text:
        return Verdict(SmsStatus.ACCEPTED)
    if "blocked" in low:
        if "opt" in low:
            reason = "the recipient has opted out of SMS"
        elif "dnc" in low or "do not" in low or "do-not" in low:
            reason = "the number is on the Do-Not-Contact list"
        else:
            inner = text[text.find("(") + 1 : text.rfind(")")] if "(" in text and ")" in text else ""
            reason = f"LiveVox blocked it ({inner})" if inner else "LiveVox blocked it"
        return Verdict(SmsStatus.BLOCKED, reason, text)
    if any(word in low for word in ("undeliver", "fail", "expired", "reject")):
        return Verdict(SmsStatus.UNDELIVERED, "the carrier could not deliver it", text)
    if "delivered" in low:
        return Verdict(SmsStatus.DELIVERED, None, text)
    return Verdict(SmsStatus.ACCEPTED, None, text)


# Routee's detailed statuses (seed 003) that mean the carrier refused it rather than failed to deliver it.
_ROUTEE_BLOCKED = {"carrier violation": "the carrier rejected it for its content or sender"}


def routee_verdict(status: str | None, detailed: str | None, description: str | None) -> Verdict:
    """One Routee SMS part's status in words."""
    name = (status or "").strip()
    raw = " · ".join(dict.fromkeys(x for x in (name, detailed) if x)) or None
    if name == "Delivered":
        return Verdict(SmsStatus.DELIVERED, None, raw)
    if name in ("Undelivered", "Failed"):
        blocked = _ROUTEE_BLOCKED.get((detailed or "").lower())
        if blocked:
            return Verdict(SmsStatus.BLOCKED, blocked, raw)
        words = (description or "").rstrip(".")
        if words:  # Routee's sentence, as part of ours ("Not delivered: the number does not exist…")
            words = words[:1].lower() + words[1:]
        elif name == "Failed":
            words = "Routee could not hand it to the carrier"
        else:
            words = "the carrier could not deliver it"
        return Verdict(SmsStatus.UNDELIVERED, words, raw)
    return Verdict(SmsStatus.ACCEPTED, None, raw)


def _worst(verdicts: list[Verdict]) -> Verdict:
    """A multipart message: blocked or undelivered if any part is, delivered only when every part is."""
    for status in (SmsStatus.BLOCKED, SmsStatus.UNDELIVERED):
        for verdict in verdicts:
            if verdict.status is status:
                return verdict
    if verdicts and all(v.status is SmsStatus.DELIVERED for v in verdicts):
        return verdicts[0]
    return Verdict(SmsStatus.ACCEPTED, None, next((v.raw for v in verdicts if v.raw), None))


_AUDIT_OUTCOME = {
    SmsStatus.DELIVERED: "ok",
    SmsStatus.BLOCKED: "blocked",
    SmsStatus.UNDELIVERED: "undelivered",
}


class DeliveryService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], history: HistoryService | None = None
    ) -> None:
        self._sessions = sessions
        self._history = history or HistoryService()

    async def row(self, team_id: str, idempotency_key: str) -> SmsMessage | None:
        async with self._sessions() as session:
            return await SmsMessageRepository(session, team_id).by_key(idempotency_key)

    # ------------------------------------------------------------------------------- reading the record
    async def check(
        self,
        providers: Providers,
        identity: Identity,
        row: SmsMessage,
        route: Route,
        *,
        thread_id: str | None = None,
    ) -> Verdict:
        """Read the message's delivery record once (provider errors are raised as they are)."""
        if not row.provider_message_id:
            return Verdict(SmsStatus.ACCEPTED)
        if route is Route.LIVEVOX_AGENT:
            client = providers.livevox_agent(identity.livevox_login)
            if client is None:  # the person's LiveVox login was unlinked since: nobody can read it
                return Verdict(SmsStatus.ACCEPTED)
            return await self._livevox(providers, identity, client, row, thread_id)
        if route is Route.ROUTEE and providers.routee is not None:
            return await self._routee(providers, row)
        return Verdict(SmsStatus.ACCEPTED)

    async def _livevox(
        self,
        providers: Providers,
        identity: Identity,
        client: LiveVoxClient,
        row: SmsMessage,
        thread_id: str | None,
    ) -> Verdict:
        target = str(row.provider_message_id)
        tried: list[str] = []
        for known in dict.fromkeys(t for t in (thread_id, row.thread_id) if t):
            tried.append(known)
            if (found := await self._in_thread(client, known, target)) is not None:
                return found
        # Sent without a thread: LiveVox put it in the number's open thread (or opened one).
        threads = await self._history.livevox_threads(providers, identity, row.to_number)
        for thread in threads:
            if thread.thread_id is None or str(thread.thread_id) in tried:
                continue
            if (found := await self._in_thread(client, str(thread.thread_id), target)) is not None:
                return found
        return Verdict(SmsStatus.ACCEPTED)

    @staticmethod
    async def _in_thread(client: LiveVoxClient, thread_id: str, target: str) -> Verdict | None:
        async for message in client.messages.history_all(thread_id=thread_id, max_pages=HISTORY_PAGES):
            if str(message.id) == target:
                verdict = livevox_verdict(message.status)
                return Verdict(verdict.status, verdict.reason, verdict.raw, thread_id)
        return None

    async def _routee(self, providers: Providers, row: SmsMessage) -> Verdict:
        assert providers.routee is not None
        now = datetime.now(UTC)
        start = max(row.created_at - TRACKING_SLACK, now - timedelta(days=7) + TRACKING_SLACK)
        pager = providers.routee.tracking.list(
            date_start=start,
            date_end=now,
            filters=[TrackingFilter(field_name="to", search_term=row.to_number)],
            page_size=100,
        )
        parts: list[Verdict] = []
        seen = 0
        async for sms in pager:
            seen += 1
            if sms.message_id == row.provider_message_id:
                status = sms.status
                reason = status.reason if status else None
                parts.append(
                    routee_verdict(
                        status.status if status else None,
                        reason.detailed_status if reason else None,
                        reason.description if reason else None,
                    )
                )
            if seen >= TRACKING_PAGES * 100:
                break
        return _worst(parts)

    # ----------------------------------------------------------------------------- writing it down
    async def settle(self, team_id: str, row: SmsMessage, verdict: Verdict, *, provider: str) -> bool:
        """Write a final verdict on the row and the audit (`sms.delivered`, `sms.blocked`,
        `sms.undelivered`); False when another follow-up already did (nothing written)."""
        if not verdict.final:
            raise ValueError("only a final delivery record settles a row")
        async with transaction(self._sessions) as session:
            moved = await SmsMessageRepository(session, team_id).settle(
                row.id, verdict.status, reason=verdict.reason
            )
            if moved:
                await AuditRepository(session, team_id).record(
                    row.slack_user_id,
                    f"sms.{verdict.status.value}",
                    target_type="phone",
                    target_id=mask(row.to_number),
                    outcome=_AUDIT_OUTCOME.get(verdict.status, verdict.status.value),
                    details={
                        "provider": provider,
                        "provider_message_id": row.provider_message_id,
                        "provider_status": verdict.raw,
                        "reason": verdict.reason,
                    },
                )
        if moved:
            log.info(
                "sms delivery settled",
                extra={"number": mask(row.to_number), "status": verdict.status.value},
            )
        return moved

    async def unconfirmed(self, team_id: str, row: SmsMessage, note: str, *, provider: str) -> bool:
        """No final record within the window: the row stays ACCEPTED with `note` as its reason, and the
        audit says `sms.unconfirmed`, once."""
        async with transaction(self._sessions) as session:
            noted = await SmsMessageRepository(session, team_id).settle(
                row.id, SmsStatus.ACCEPTED, reason=note, only_unexplained=True
            )
            if noted:
                await AuditRepository(session, team_id).record(
                    row.slack_user_id,
                    "sms.unconfirmed",
                    target_type="phone",
                    target_id=mask(row.to_number),
                    outcome="unconfirmed",
                    details={
                        "provider": provider,
                        "provider_message_id": row.provider_message_id,
                        "reason": note,
                    },
                )
        return noted

    async def looked(self, team_id: str, row: SmsMessage) -> None:
        """The record was read and said nothing final yet."""
        async with transaction(self._sessions) as session:
            await SmsMessageRepository(session, team_id).checked(row.id)
