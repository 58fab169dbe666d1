"""Follow-ups of /lookup, /sms logs and /calls.

Each follow-up resolves who asked (fresh from the database), calls the services, renders blocks and
answers through the interaction's response_url. Failures are told to the person in words; details are
logged.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.db.models import Role
from bot.jobs.tasks import followup
from bot.phones import mask
from bot.services.calls import CallsService
from bot.services.failures import describe
from bot.services.time_range import parse_range
from bot.slack.blocks.history import calls_message, pretty_number, report_message
from bot.slack.reply import respond

log = logging.getLogger(__name__)


@followup("lookup")
async def lookup(container: Any, job: dict[str, Any]) -> None:
    identity = await container.identities.resolve(job["team_id"], job["user_id"])
    providers = await container.providers.for_team(job["team_id"])
    number = job["number"]
    span = parse_range(job.get("range"))
    if not identity.may(Role.SUPERVISOR):
        # Agents look up the numbers of their own conversations; supervisors look up any number.
        try:
            threads = await container.history.livevox_threads(providers, identity, number)
        except Exception as error:  # without LiveVox, an agent's lookup cannot be checked: say so
            log.warning("lookup permission check failed", extra={"error": type(error).__name__})
            await respond(job["response_url"], {"text": describe("LiveVox", error)})
            return
        if not threads:
            await container.audit.denied(
                job["team_id"], job["user_id"], "/lookup", required=Role.SUPERVISOR.value
            )
            await respond(
                job["response_url"],
                {
                    "text": f"You have no conversation with {pretty_number(number)}; "
                    "agents look up the numbers of their own threads, supervisors any number."
                },
            )
            return
    if job.get("calls", True):
        report = await container.history.lookup(providers, identity, number, span)
        title = "Lookup"
    else:
        report = await container.history.sms_logs(providers, identity, number, span)
        title = "SMS logs"
    share = bool(job.get("share"))
    kind = "lookup" if job.get("calls", True) else "sms"
    payload = report_message(
        report,
        title=title,
        kind=kind,
        range_text=job.get("range"),
        shared_by=job["user_id"] if share else None,
    )
    await respond(job["response_url"], payload, share=share)
    if share:
        await respond(job["response_url"], {"text": "Shared in the channel."})
    log.info("lookup answered", extra={"number": mask(number), "user": job["user_id"]})


@followup("calls")
async def calls(container: Any, job: dict[str, Any]) -> None:
    providers = await container.providers.for_team(job["team_id"])
    if providers.zoom is None:
        await respond(
            job["response_url"],
            {"text": "Zoom is not connected; an admin can connect it with `/switchboard connect zoom`."},
        )
        return
    try:
        page = await CallsService().page(
            providers, job["number"], parse_range(job.get("range")), offset=int(job.get("offset", 0))
        )
    except Exception as error:
        log.warning("calls failed", extra={"error": type(error).__name__})
        await respond(
            job["response_url"], {"text": describe("Zoom Contact Center", error)}, replace_original=False
        )
        return
    share = bool(job.get("share"))
    payload = calls_message(
        page, job["number"], job.get("range") or "", shared_by=job["user_id"] if share else None
    )
    await respond(job["response_url"], payload, share=share)
