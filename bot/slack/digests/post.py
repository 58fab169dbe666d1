"""Posting a digest to Slack within Slack's limits, exactly once (pacing and 429s: `bot.slack.posting`).

Once the message is posted, a failing chart upload is logged, not raised, so the job that called this is
not retried into a second digest.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.posting import ChannelPacer, paced, post_note

__all__ = ["post_digest"]

log = logging.getLogger(__name__)

CHART_TITLE = "Volume chart"


async def post_digest(
    client: AsyncWebClient,
    channel: str,
    message: dict[str, Any],
    *,
    chart: bytes | None,
    filename: str,
    alt_text: str,
    pace: ChannelPacer,
    posted: Callable[[str], Awaitable[None]] | None = None,
) -> str:
    """Post the digest, then its chart (PNG) into the digest's thread with files upload v2; the digest's ts.

    Only the message decides success: once it is posted, a chart that cannot be uploaded is logged and
    left out (raising would have the run retried and the digest posted twice). `posted(ts)` runs the
    moment the message is in (the run records it before anything else can fail).
    """
    ts = await post_note(client, channel, message, pace)
    if posted is not None:
        await posted(ts)
    if chart is None:
        return ts
    try:
        # files_upload_v2: files.getUploadURLExternal (with alt_txt), the upload, then
        # files.completeUploadExternal (shares it in the thread). A 429 on any step shared nothing yet, so
        # the whole upload is redone.
        await paced(
            pace,
            channel,
            lambda: client.files_upload_v2(
                channel=channel,
                thread_ts=ts,
                content=chart,
                filename=filename,
                title=CHART_TITLE,
                alt_txt=alt_text,
            ),
        )
    except Exception as error:  # the digest is posted; the chart is a bonus
        log.warning("digest chart not uploaded", extra={"error": type(error).__name__, "channel": channel})
    return ts
