"""Answering after ack(): through the interaction's response_url (ephemeral, or in the channel on --share)."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger(__name__)

Origin = tuple[str, str, int]  # scheme, host, port

# Slack mints every response_url on this origin; anything else in a payload was not put there by Slack.
SLACK_RESPONSE_ORIGIN: Origin = ("https", "hooks.slack.com", 443)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_trusted: set[Origin] = {SLACK_RESPONSE_ORIGIN}
# Whitespace, control characters and backslashes are read differently by different URL parsers (WHATWG
# reads a backslash as "/"), so a URL holding any of them is refused rather than interpreted.
_AMBIGUOUS = re.compile(r"[\s\\\x00-\x1f\x7f]")


def _origin(url: str) -> Origin | None:
    if _AMBIGUOUS.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in _DEFAULT_PORTS or not host or parts.username is not None or parts.password is not None:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def trust_slack_api_url(api_url: str) -> None:
    """Also accept response_urls on the origin of SLACK_API_URL when it is not Slack itself: the operator
    pointed Switchboard at a Slack emulator (the console, tests), which serves its own response_urls."""
    origin = _origin(api_url)
    if origin is None or origin[1] == "slack.com" or origin[1].endswith(".slack.com"):
        return
    _trusted.add(origin)


def is_slack_response_url(url: str) -> bool:
    return _origin(url) in _trusted


def _refuse(response_url: str) -> None:
    # By host alone: the rest of a response_url is a bearer token.
    host = _origin(response_url)
    log.warning("refused to post to a response_url outside Slack", extra={"host": host[1] if host else "?"})


async def respond(
    response_url: str, payload: dict[str, Any], *, share: bool = False, replace_original: bool = True
) -> bool:
    """Post to a response_url; returns whether Slack accepted it (it expires after 30 minutes).

    Only to Slack's host (or the configured emulator's): a URL from anywhere else is refused and logged by
    host alone, since the rest of a response_url is a bearer token."""
    if not is_slack_response_url(response_url):
        _refuse(response_url)
        return False
    body = {
        **payload,
        "response_type": "in_channel" if share else "ephemeral",
        "replace_original": replace_original and not share,
    }
    if share:
        body["delete_original"] = False
    response = await AsyncWebhookClient(response_url).send_dict(body)
    if response.status_code != 200:
        log.warning("response_url answered %s", response.status_code)
        return False
    return True


class SlackOnlyRespond(AsyncRespond):
    """Bolt's `respond` (what listeners get injected), posting only where `respond()` above does: the
    front door puts it in every request's context, so no listener can answer to another host."""

    async def __call__(self, *args: Any, **kwargs: Any) -> WebhookResponse:
        if self.response_url is not None and not is_slack_response_url(self.response_url):
            _refuse(self.response_url)
            return WebhookResponse(url="", status_code=403, body="not a Slack response_url", headers={})
        return await super().__call__(*args, **kwargs)
