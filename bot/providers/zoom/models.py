"""Zoom response models (Contact Center SMS / voice call logs, Phone SMS sessions and history).

Enumerated values (directions, types, results) are kept as plain strings so a value Zoom adds tomorrow does
not break parsing; timestamps stay as Zoom wrote them, with properties returning aware datetimes.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from bot.providers._models import ProviderModel, parse_datetime

__all__ = [
    "MESSAGE_TYPES",
    "CallFlow",
    "ContactCenterAgent",
    "ContactCenterQueue",
    "SessionBorderController",
    "SmsAttachment",
    "SmsHistoryPage",
    "SmsLog",
    "SmsLogPage",
    "SmsMember",
    "SmsMessage",
    "SmsOwner",
    "SmsParticipant",
    "SmsSession",
    "SmsSessionPage",
    "VoiceCall",
    "VoiceCallPage",
    "ZoomPage",
    "ZoomToken",
]

MESSAGE_TYPES: dict[int, str] = {
    1: "SMS",
    2: "MMS",
    3: "GROUP_SMS",
    4: "GROUP_MMS",
    5: "SMS_INTER",
    6: "MSG_ON_NET",
}
"""Zoom Phone `message_type` codes."""


class ZoomToken(ProviderModel):
    """Server-to-Server OAuth token answer. The token itself never appears in a repr."""

    access_token: str = Field(repr=False)
    token_type: str | None = None
    expires_in: int | None = None
    scope: str | None = None


# -- Contact Center


class ContactCenterQueue(ProviderModel):
    queue_id: str | None = None
    """Deprecated by Zoom in favour of `cc_queue_id`."""
    cc_queue_id: str | None = None
    queue_name: str | None = None


class ContactCenterAgent(ProviderModel):
    user_id: str | None = None
    display_name: str | None = None
    user_email: str | None = None
    user_ip_address: str | None = None
    user_device_mac_address: str | None = None
    user_registered_sip_zone: str | None = None
    sip_zone_ip_address: str | None = None
    user_region: str | None = None
    team_ids: list[str] | None = None
    team_names: list[str] | None = None


class CallFlow(ProviderModel):
    flow_id: str | None = None
    flow_name: str | None = None


class SessionBorderController(ProviderModel):
    session_border_controller_name: str | None = None
    session_border_controller_ip_address: str | None = None
    consumer_zoom_trunk_name: str | None = None


class SmsLog(ProviderModel):
    """One Contact Center SMS engagement (a summary: counts, queues, agents; no message text)."""

    direction: str | None = None
    """``inbound`` or ``outbound``."""
    engagement_id: str | None = None
    contact_center_number: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    consumer_number: str | None = None
    consumer_display_name: str | None = None
    queues: list[ContactCenterQueue] | None = None
    agents: list[ContactCenterAgent] | None = None
    country_name: str | None = None
    sms_types: list[str] | None = None
    """``sms`` and/or ``mms``."""
    total_sent_messages: int | None = None
    total_received_messages: int | None = None
    total_sent_files: int | None = None
    total_received_files: int | None = None

    @property
    def started_at(self) -> datetime | None:
        return parse_datetime(self.start_time)

    @property
    def ended_at(self) -> datetime | None:
        return parse_datetime(self.end_time)


class ZoomPage(ProviderModel):
    """Fields every Zoom list page has."""

    next_page_token: str | None = None
    """Empty (or missing) on the last page."""
    page_size: int | None = None


class _ContactCenterPage(ZoomPage):
    total_records: int | None = None
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None


class SmsLogPage(_ContactCenterPage):
    """One page of `GET /contact_center/sms`."""

    sms: list[SmsLog] = Field(default_factory=list)


class VoiceCall(ProviderModel):
    """One Contact Center voice call log."""

    engagement_id: str | None = None
    direction: str | None = None
    call_legs: list[str] | None = None
    distributions: list[str] | None = None
    types: list[str] | None = None
    caller_number: str | None = None
    caller_number_type: str | None = None
    callee_number: str | None = None
    callee_number_type: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    total_duration: int | None = None
    """Seconds."""
    consumer_number: str | None = None
    consumer_display_name: str | None = None
    queues: list[ContactCenterQueue] | None = None
    agents: list[ContactCenterAgent] | None = None
    flows: list[CallFlow] | None = None
    country_name: str | None = None
    recorded: bool | None = None
    monitored: bool | None = None
    inbox: bool | None = None
    result: str | None = None
    caller_id: str | None = None
    calling_party: str | None = None
    charge: str | None = None
    rates: list[str] | None = None
    charge_type: str | None = None
    session_border_controller_list: list[SessionBorderController] | None = None

    @property
    def started_at(self) -> datetime | None:
        return parse_datetime(self.start_time)

    @property
    def ended_at(self) -> datetime | None:
        return parse_datetime(self.end_time)


class VoiceCallPage(_ContactCenterPage):
    """One page of `GET /contact_center/voice_calls`."""

    voice_calls: list[VoiceCall] = Field(default_factory=list)


# -- Phone SMS


class SmsOwner(ProviderModel):
    id: str | None = None
    type: str | None = None
    """``user``, ``callQueue``, ``autoReceptionist``, ``sharedLineGroup`` or ``serviceEndpoint``."""


class SmsParticipant(ProviderModel):
    display_name: str | None = None
    owner: SmsOwner | None = None
    phone_number: str | None = None
    """Without "+" (``18108001001``)."""
    is_session_owner: bool | None = None
    extension_status: str | None = None
    extension_deleted_time: str | None = None


class SmsSession(ProviderModel):
    """One Zoom Phone SMS session (a conversation)."""

    session_id: str | None = None
    session_type: str | None = None
    last_access_time: str | None = None
    participants: list[SmsParticipant] | None = None

    @property
    def last_access_at(self) -> datetime | None:
        return parse_datetime(self.last_access_time)


class SmsSessionPage(ZoomPage):
    """One page of `GET /phone/sms/sessions`."""

    sms_sessions: list[SmsSession] = Field(default_factory=list)


class SmsAttachment(ProviderModel):
    download_url: str | None = Field(default=None, repr=False)
    """Carries a signed token in its query string: never log it."""
    id: str | None = None
    name: str | None = None
    size: int | None = None
    type: str | None = None


class SmsMember(ProviderModel):
    phone_number: str | None = None
    display_name: str | None = None
    owner: SmsOwner | None = None


class SmsMessage(ProviderModel):
    """One message of a Zoom Phone SMS session."""

    message_id: str | None = None
    message: str | None = None
    date_time: str | None = None
    direction: str | None = None
    """``In`` or ``Out``."""
    delivery_status: str | None = None
    message_type: int | None = None
    """See `MESSAGE_TYPES` (1 SMS, 2 MMS, ...)."""
    sender: SmsMember | None = None
    to_members: list[SmsMember] | None = None
    attachments: list[SmsAttachment] | None = None

    @property
    def sent_at(self) -> datetime | None:
        return parse_datetime(self.date_time)

    @property
    def message_type_name(self) -> str | None:
        return MESSAGE_TYPES.get(self.message_type) if self.message_type is not None else None

    @property
    def inbound(self) -> bool | None:
        if self.direction is None:
            return None
        return self.direction.lower() == "in"


class SmsHistoryPage(ZoomPage):
    """One page of `GET /phone/sms/sessions/{sessionId}`."""

    sms_histories: list[SmsMessage] = Field(default_factory=list)
