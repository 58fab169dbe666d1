"""Zoom's vocabulary (Contact Center engagements, Zoom Phone SMS) in the words people use.

The values are Zoom's enums (specs/zoom-contact-center.openapi.json: an engagement's `result`;
specs/zoom-phone-sms.openapi.json: `delivery_status`, `message_type`). An unknown value comes back tidied
(`_` → space), never dropped; callers keep the raw value next to the words.
"""

from __future__ import annotations

# An engagement's `result`, as it reads for a call the customer made (inbound).
_RESULTS = {
    "completed": "answered",
    "short_abandoned": "caller hung up while waiting (short wait)",
    "long_abandoned": "caller hung up while waiting (long wait)",
    "hold_abandoned": "caller hung up on hold",
    "long_calls": "long call",
    "short_calls": "short call",
    "hang_up_calls": "hung up right after it was answered",
    "overflowed_to_disconnect": "overflowed and disconnected",
    "overflowed_to_inbox": "sent to the voicemail inbox",
    "overflowed": "overflowed to another queue",
    "abandon_quit": "caller left the menu",
    "auto_closed": "closed automatically",
    "contained": "handled without an agent",
    "missed": "missed",
    "declined": "declined",
    "callback_abandoned_by_consumer": "caller cancelled the callback",
}
# The same results for a call the team made (outbound): "missed" is the customer not picking up.
_OUTBOUND_RESULTS = {
    "completed": "answered",
    "missed": "not answered",
    "declined": "declined by the customer",
}


def call_result(raw: str | None, direction: str | None = None) -> str | None:
    """`short_calls` → "short call"; outbound `missed` → "not answered"."""
    if not raw or not raw.strip():
        return None
    key = raw.strip().lower()
    if (direction or "").lower() == "outbound" and key in _OUTBOUND_RESULTS:
        return _OUTBOUND_RESULTS[key]
    return _RESULTS.get(key) or key.replace("_", " ")


_DELIVERY = {
    "received": "received",
    "delivered": "delivered",
    "sent": "sent, delivery not confirmed",
    "failed_to_send": "not sent",
    "failed_to_deliver": "not delivered",
    "unknown": "delivery unknown",
}


def phone_delivery(raw: str | None) -> str | None:
    """A Zoom Phone message's `delivery_status` in words (`failed_to_deliver` → "not delivered")."""
    if not raw or not raw.strip():
        return None
    key = raw.strip().lower()
    word = _DELIVERY.get(key) or key.replace("_", " ")
    return word[:1].upper() + word[1:]


_MESSAGE_TYPES = {
    "SMS": "SMS",
    "MMS": "MMS (with a picture)",
    "GROUP_SMS": "group SMS",
    "GROUP_MMS": "group MMS",
    "SMS_INTER": "international SMS",
    "MSG_ON_NET": "message within Zoom",
}


def message_type(raw: str | None) -> str:
    """A Zoom Phone `message_type` name (`GROUP_SMS`) in words ("group SMS")."""
    if not raw:
        return "SMS"
    return _MESSAGE_TYPES.get(raw.upper(), raw.replace("_", " "))


def engagement_counts(direction: str | None, sent: int | None, received: int | None) -> str:
    """A Contact Center SMS engagement's message counts, told from the customer's side of the thread:
    Zoom's `total_sent_messages` are the team's, `total_received_messages` the customer's. "8 sent,
    1 received" on an inbound engagement reads as if the customer sent eight."""
    from_them, to_them = received or 0, sent or 0

    def messages(count: int) -> str:
        return f"{count} message" + ("" if count == 1 else "s")

    if (direction or "").lower() == "inbound":
        replies = f"{to_them} repl{'y' if to_them == 1 else 'ies'}"
        return f"{messages(from_them)} from the customer · {replies}"
    answers = f"{from_them} repl{'y' if from_them == 1 else 'ies'} from the customer"
    return f"{messages(to_them)} to the customer · {answers}"
