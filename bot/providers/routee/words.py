"""Routee's vocabulary (tracking statuses) in the words people use.

Routee's statuses are words already (`Delivered`, `Sent`, `Queued`, `Failed`, `Undelivered`); "Sent" and
"Queued" say less than they seem to, so they say what is known. Unknown values come back as they are.
"""

from __future__ import annotations

_STATUSES = {
    "delivered": "Delivered",
    "sent": "Sent, delivery not confirmed",
    "queued": "Waiting to be sent",
    "failed": "Not sent",
    "undelivered": "Not delivered",
}


def tracking_status(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    return _STATUSES.get(raw.strip().lower(), raw.strip())
