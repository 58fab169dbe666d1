"""LiveVox SMS API models.

Attributes are snake_case; LiveVox's camelCase names are the aliases (both accepted on input; dump with
``by_alias=True`` to get LiveVox's shape back). The seed document's types are not always what the service
sends (template ids are numbers in the examples, strings in the table), so ids accept both and keep the type
they arrived with.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from bot.providers._models import ProviderModel, epoch_ms_to_datetime

__all__ = [
    "AgentMessageSent",
    "Channel",
    "ChannelCounts",
    "ContactInfo",
    "HistoryMessage",
    "LoginResponse",
    "PhoneDetails",
    "SmsCode",
    "SmsCodeList",
    "SmsSent",
    "Template",
    "TemplateList",
    "Thread",
    "TransferAgent",
    "TransferResult",
]

Id = int | str


class LiveVoxModel(ProviderModel):
    model_config = ConfigDict(alias_generator=to_camel)


class LoginResponse(LiveVoxModel):
    """`POST /session/login`. The session id never appears in a repr."""

    session_id: str = Field(repr=False)
    user_id: Id | None = None
    client_id: Id | None = None
    days_until_password_expires: int | None = None


class Template(LiveVoxModel):
    id: Id
    description: str | None = None
    message: str | None = None
    sms_code: str | None = None
    opt_in_flag: bool | None = None
    """Reserved by LiveVox; always false today."""


class TemplateList(LiveVoxModel):
    """`GET /sms/templates`."""

    templates: list[Template] = Field(default_factory=list)


class SmsSent(LiveVoxModel):
    """`POST /sms/`: the transaction id of the sent SMS."""

    transaction_id: Id


class SmsCode(LiveVoxModel):
    code: str
    description: str | None = None


class SmsCodeList(LiveVoxModel):
    """`GET /sms/codes`."""

    list_sms_codes: list[SmsCode] = Field(default_factory=list)


class ChannelCounts(LiveVoxModel):
    """`GET /sms/agent/interaction/counts/{agentId}` (LiveVox's own inconsistent capitalisation kept)."""

    count_of_email_interactions_sent: int | None = Field(default=None, alias="countOfEmailInteractionsSent")
    count_of_sms_interactions_sent: int | None = Field(default=None, alias="countOfSMSInteractionsSent")
    count_of_message_interactions_sent: int | None = Field(
        default=None, alias="countOfMessageInteractionsSent"
    )
    count_of_unread_email_threads_in_personal_inbox: int | None = Field(
        default=None, alias="countOfUnreadEmailThreadsInPersonalInbox"
    )
    count_of_read_email_threads_in_personal_inbox: int | None = Field(
        default=None, alias="countOfReadEmailThreadsInPersonalInbox"
    )
    count_of_unread_sms_threads_in_personal_inbox: int | None = Field(
        default=None, alias="countOfUnreadSMSThreadsInPersonalInbox"
    )
    count_of_unread_message_interactions_in_personal_inbox: int | None = Field(
        default=None, alias="countOfUnreadMessageInteractionsinPersonalInbox"
    )
    count_of_read_sms_threads_in_personal_inbox: int | None = Field(
        default=None, alias="countOfReadSMSThreadsInPersonalInbox"
    )
    count_of_read_message_interactions_in_personal_inbox: int | None = Field(
        default=None, alias="countOfReadMessageInteractionsinPersonalInbox"
    )
    count_of_chat_interactions_abandoned: int | None = Field(
        default=None, alias="countOfChatInteractionsAbandoned"
    )
    count_of_ob_web_chat_interactions_sent: int | None = Field(
        default=None, alias="countOfOBWebChatInteractionsSent"
    )
    count_of_ib_web_chat_interaction_received: int | None = Field(
        default=None, alias="countOfIBWebChatInteractionReceived"
    )
    count_of_active_email_threads_in_personal_inbox: int | None = Field(
        default=None, alias="countOfActiveEmailThreadsInPersonalInbox"
    )
    count_of_active_sms_threads_in_personal_inbox: int | None = Field(
        default=None, alias="countOfActiveSMSThreadsInPersonalInbox"
    )
    count_of_active_message_threads_in_personal_inbox: int | None = Field(
        default=None, alias="countOfActiveMessageThreadsinPersonalInbox"
    )
    count_of_active_web_chat_threads_in_personal_inbox: int | None = Field(
        default=None, alias="countOfActiveWebChatThreadsInPersonalInbox"
    )


class Channel(LiveVoxModel):
    """One inbox (`GET /sms/agent/channel`)."""

    channel_id: Id | None = None
    """The service id, or the agent id for a personal inbox."""
    channel: str | None = None
    """SMS, Email, Chat, Voicemail or Messaging."""
    channel_name: str | None = None
    unread_count: int | None = None
    total_count: int | None = None
    personal: bool | None = None


class PhoneDetails(LiveVoxModel):
    number: str | None = None
    wireless: bool | None = None
    dnc: bool | None = None
    """The number is marked Do-Not-Contact."""
    position: int | None = None


class ContactInfo(LiveVoxModel):
    """The customer behind a thread, with compliance flags.

    `ssn` and `dob` are sensitive: kept (nothing is lost) but never shown in a repr; do not display them.
    """

    account: str | None = None
    original_account_number: str | None = None
    first_name: str | int | None = None
    last_name: str | int | None = None
    guarantor_first_name: str | bool | None = None
    guarantor_last_name: str | None = None
    dob: str | int | None = Field(default=None, repr=False)
    is_active: bool | None = None
    email_address: str | None = None
    ssn: str | int | None = Field(default=None, repr=False)
    phone_details: list[PhoneDetails] | PhoneDetails | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | int | None = None
    country: str | None = None
    payment_balance: float | int | str | None = None
    amount_to_speak: str | float | int | None = None
    account_due_date: str | int | None = None
    group: str | bool | int | None = None
    do_not_dial: bool | None = None
    """On the Do-Not-Contact list permanently (no channel)."""
    do_not_dial_daily: bool | None = None
    """On the Do-Not-Contact list for today (no channel)."""
    sms_opt_in_status: bool | None = None
    """Whether the customer opted in to SMS."""

    @property
    def phones(self) -> list[PhoneDetails]:
        if self.phone_details is None:
            return []
        return self.phone_details if isinstance(self.phone_details, list) else [self.phone_details]

    @property
    def do_not_contact(self) -> bool:
        """True when the customer must not be contacted today on any channel."""
        return bool(self.do_not_dial or self.do_not_dial_daily)

    def number_is_dnc(self, number: str) -> bool:
        """Whether `number` (compared by its last 10 digits) is one of the contact's phones marked DNC."""
        wanted = "".join(ch for ch in number if ch.isdigit())[-10:]
        return any(
            bool(phone.dnc) and "".join(ch for ch in (phone.number or "") if ch.isdigit())[-10:] == wanted
            for phone in self.phones
        )


class Thread(LiveVoxModel):
    """One conversation in an inbox (`GET /sms/agent/thread/details`)."""

    thread_id: Id | None = None
    channel_type: str | None = None
    channel: str | None = None
    channel_id: Id | None = None
    channel_name: str | None = None
    service_id: Id | None = None
    account: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    cc: list[str] | None = None
    object_id: str | None = None
    details: str | None = None
    direction: int | str | None = None
    subject: str | None = None
    attachment_ids: list[int | str] | None = None
    date: int | str | None = None
    status: str | None = None
    read: bool | None = None
    replied: bool | None = None
    contact_info: ContactInfo | None = None
    sms_inbound: bool | None = None
    email_inbound: bool | None = None
    campaign_id: Id | None = None
    start_time: int | str | None = None
    interaction_timestamp: int | str | None = None
    file_size: int | None = None
    txn_id: Id | None = None
    file_location: str | None = None
    interaction_uuid: str | None = None
    interaction_account: str | None = None

    @property
    def occurred_at(self) -> datetime | None:
        """`date` (epoch milliseconds) as an aware UTC datetime, when it is one."""
        return epoch_ms_to_datetime(self.date)


class TransferResult(LiveVoxModel):
    """`GET /sms/agent/thread/transfer`: the confirmation id."""

    id: Id


class TransferAgent(LiveVoxModel):
    """An agent who can take a transferred thread (`GET /sms/agent/search`)."""

    agent_id: Id
    login_id: str | None = None
    name: str | None = None
    status: str | None = None


class AgentMessageSent(LiveVoxModel):
    """`POST /sms/agent/message/send`: the transaction id of the message."""

    id: Id


class HistoryMessage(LiveVoxModel):
    """One SMS of the transaction history (`GET /sms/agent/messages`)."""

    id: Id
    message: str | None = None
    sms_code: str | None = None
    phone: str | None = None
    date: int | str | None = None
    """Epoch milliseconds."""
    status: str | None = None
    direction: str | int | None = None
    """``"1"`` inbound, ``"2"`` outbound (a string in LiveVox's answers)."""
    thread_id: Id | None = None
    attachment_ids: list[int | str] | None = None

    @property
    def occurred_at(self) -> datetime | None:
        """`date` as an aware UTC datetime."""
        return epoch_ms_to_datetime(self.date)

    @property
    def inbound(self) -> bool | None:
        """True for "1", False for "2", None otherwise."""
        value = str(self.direction) if self.direction is not None else None
        return {"1": True, "2": False}.get(value) if value is not None else None
