"""LiveVox's vocabulary in the words people use: message statuses, sender-code kinds, agent states.

Each function leads with plain words and never loses what LiveVox said: an unknown value comes back as it
is (tidied), so a new status reads as LiveVox wrote it rather than disappearing. Callers keep the raw value
next to the words (a context line, History) for whoever needs to match it against LiveVox's own screens.
"""

from __future__ import annotations

import re

# Message statuses of the transaction history (seed 001: `SMS MT Delivered`, `Operator Transfer`; the
# sandbox also records `SMS MT Undelivered` and `SMS MT Blocked (DNC|Opt-Out)`). MT = to the customer,
# MO = from the customer.
_STATUSES = {
    "sms mt delivered": "Delivered",
    "sms mt undelivered": "Not delivered",
    "sms mt failed": "Not sent",
    "sms mt sent": "Sent, delivery not confirmed",
    "sms mt blocked (dnc)": "Blocked: the number is on the do-not-contact list",
    "sms mt blocked (opt-out)": "Blocked: the customer opted out of SMS",
    "sms mo received": "Received",
    # An inbound message that LiveVox routed to an agent's inbox.
    "operator transfer": "Received, routed to an agent",
}
_SMS_PREFIX = re.compile(r"^sms\s+m[to]\s+", re.IGNORECASE)


def message_status(raw: str | None) -> str | None:
    """`SMS MT Delivered` → "Delivered", `Operator Transfer` → "Received, routed to an agent"."""
    if not raw or not raw.strip():
        return None
    known = _STATUSES.get(" ".join(raw.lower().split()))
    if known is not None:
        return known
    rest = _SMS_PREFIX.sub("", raw.strip())
    return rest[:1].upper() + rest[1:] if rest else raw.strip()


# What an SMS code's description says it is (`Long_Code` in seed 001's /sms/codes).
_CODE_KINDS = {
    "long_code": "long code (a 10-digit number)",
    "short_code": "short code",
    "toll_free": "toll-free number",
    "tollfree": "toll-free number",
}


def code_kind(raw: str | None) -> str | None:
    """`Long_Code` → "long code (a 10-digit number)"; other descriptions are tidied (`_` → space)."""
    if not raw or not raw.strip():
        return None
    key = raw.strip().lower().replace(" ", "_").replace("-", "_")
    return _CODE_KINDS.get(key) or raw.strip().replace("_", " ")


_AGENT_STATES = {
    "ready": "ready",
    "notready": "not ready",
    "not_ready": "not ready",
    "logged_off": "logged off",
    "loggedoff": "logged off",
    "in_call": "on a call",
    "wrapup": "wrapping up",
    "wrap_up": "wrapping up",
}


def agent_state(raw: str | None) -> str | None:
    """`NOTREADY` → "not ready", `LOGGED_OFF` → "logged off"."""
    if not raw or not raw.strip():
        return None
    key = raw.strip().lower()
    return _AGENT_STATES.get(key) or key.replace("_", " ")
