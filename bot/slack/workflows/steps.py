"""The Workflow Builder steps Switchboard offers, as Slack's manifest declares custom functions.

`FUNCTIONS` is the one definition: app_manifest.yaml's `functions:` must equal it (tests/test_manifest.py),
the Slack emulator checks outputs against it and the console's `step` builds its events from it.
"""

from __future__ import annotations

import copy
from typing import Any

SEND_SMS = "send_sms"
LOOKUP_NUMBER = "lookup_number"
ASSIGN_THREAD = "assign_thread"

USER_CONTEXT = "slack#/types/user_context"
USER_ID = "slack#/types/user_id"
TIMESTAMP = "slack#/types/timestamp"
SEND_AT_HELP = (
    "Empty: now. A time: scheduled (up to 30 days ahead; moved out of the recipient's quiet hours) and "
    "checked again when it goes; the step ends when it is scheduled."
)


def _param(
    name: str, type_: str, title: str, description: str, *, required: bool, hint: str = ""
) -> dict[str, Any]:
    param: dict[str, Any] = {
        "type": type_,
        "name": name,
        "title": title,
        "description": description,
        "is_required": required,
    }
    if hint:
        param["hint"] = hint
    return param


# A user_context can only be "Person who used this workflow" (or an interactivity's user): Slack fills it,
# the workflow's author cannot type someone else in, so it is the one input a step may act as.
RUN_AS = _param(
    "run_as",
    USER_CONTEXT,
    "Run as",
    "Whose Switchboard role and links the step uses. Empty: the workspace's workflow service user.",
    required=False,
    hint="Pick “Person who used this workflow”",
)

FUNCTIONS: dict[str, dict[str, Any]] = {
    SEND_SMS: {
        "title": "Send an SMS",
        "description": "Text a customer through LiveVox or Routee, as /sms send does, exactly once.",
        "input_parameters": {
            "to": _param(
                "to",
                "string",
                "Recipient number",
                "The customer's phone number, with its country code (+1 415 555 0100).",
                required=True,
            ),
            "text": _param(
                "text", "string", "Message", "What to send (or give a template id instead).", required=False
            ),
            "template_id": _param(
                "template_id",
                "string",
                "Template id",
                "A LiveVox SMS template to send instead of a message (`/sms templates` lists them).",
                required=False,
            ),
            "sender_code": _param(
                "sender_code",
                "string",
                "Sender code",
                "The SMS code to send from. Empty: the first code the person may use.",
                required=False,
            ),
            "send_at": _param(
                "send_at",
                TIMESTAMP,
                "Send at",
                SEND_AT_HELP,
                required=False,
            ),
            "run_as": RUN_AS,
        },
        "output_parameters": {
            "outbox_id": _param(
                "outbox_id",
                "integer",
                "Outbox id",
                "Switchboard's record of this SMS (0 while it is only scheduled).",
                required=True,
            ),
            "status": _param(
                "status",
                "string",
                "Status",
                "What the provider said: accepted (delivery not confirmed yet), or delivered, blocked…; "
                "scheduled when it goes later.",
                required=True,
            ),
            "provider": _param("provider", "string", "Provider", "LiveVox or Routee.", required=True),
            "provider_message_id": _param(
                "provider_message_id",
                "string",
                "Provider message id",
                "The provider's id of the message (LiveVox transaction id, Routee tracking id).",
                required=False,
            ),
            "scheduled_id": _param(
                "scheduled_id",
                "integer",
                "Scheduled id",
                "Scheduled: Switchboard's record of the send to come (`/sms scheduled` lists it).",
                required=False,
            ),
            "scheduled_for": _param(
                "scheduled_for",
                TIMESTAMP,
                "Scheduled for",
                "Scheduled: when it goes (later than asked when the recipient's quiet hours moved it).",
                required=False,
            ),
        },
    },
    LOOKUP_NUMBER: {
        "title": "Look up a number",
        "description": "A number's SMS, calls, open threads and compliance flags, for branching on.",
        "input_parameters": {
            "number": _param(
                "number", "string", "Phone number", "The number to look up (+1 415 555 0100).", required=True
            ),
            "range": _param(
                "range",
                "string",
                "Range",
                "7d, 30d, 24h, a day (2026-11-30) or 2026-10-01..2026-10-31. Empty: the last 30 days.",
                required=False,
            ),
            "run_as": RUN_AS,
        },
        "output_parameters": {
            "sms_inbound": _param(
                "sms_inbound", "integer", "SMS in", "Inbound SMS entries of the timeline.", required=True
            ),
            "sms_outbound": _param(
                "sms_outbound", "integer", "SMS out", "Outbound SMS entries of the timeline.", required=True
            ),
            "calls": _param("calls", "integer", "Calls", "Voice calls (Zoom Contact Center).", required=True),
            "open_threads": _param(
                "open_threads",
                "integer",
                "Open threads",
                "Open LiveVox threads with the number.",
                required=True,
            ),
            "last_contact": _param(
                "last_contact",
                TIMESTAMP,
                "Last contact",
                "When the newest SMS or call was; absent when there was none in the range.",
                required=False,
            ),
            "do_not_contact": _param(
                "do_not_contact",
                "boolean",
                "Do not contact",
                "LiveVox lists the number as Do-Not-Contact (for good or for today).",
                required=True,
            ),
            "opted_out": _param(
                "opted_out", "boolean", "Opted out", "The contact opted out of SMS.", required=True
            ),
            "flags_known": _param(
                "flags_known",
                "boolean",
                "Flags known",
                "False when LiveVox showed no contact for the number: the two flags above say nothing.",
                required=True,
            ),
            "incomplete": _param(
                "incomplete",
                "boolean",
                "Incomplete",
                "True when a connected provider did not answer: the counts miss its part.",
                required=True,
            ),
        },
    },
    ASSIGN_THREAD: {
        "title": "Assign a thread",
        "description": "Take a LiveVox thread, or transfer it to a person's LiveVox agent.",
        "input_parameters": {
            "thread_id": _param(
                "thread_id",
                "string",
                "Thread id",
                "The LiveVox thread (its id on a /threads card).",
                required=True,
            ),
            "assignee": _param(
                "assignee",
                USER_ID,
                "Assign to",
                "The person to give the thread to, through their linked LiveVox agent; the one running "
                "the step takes it.",
                required=True,
            ),
            "channel_type": _param(
                "channel_type", "string", "Channel type", "SMS (default), Email, Chat…", required=False
            ),
            "run_as": RUN_AS,
        },
        "output_parameters": {
            "thread_id": _param("thread_id", "string", "Thread id", "The thread that moved.", required=True),
            "action": _param("action", "string", "Action", "taken or transferred.", required=True),
            "agent_id": _param(
                "agent_id", "string", "LiveVox agent id", "The agent who has the thread now.", required=True
            ),
        },
    },
}


def manifest_functions() -> dict[str, dict[str, Any]]:
    """`FUNCTIONS` as app_manifest.yaml writes them (a copy: callers may change it)."""
    return copy.deepcopy(FUNCTIONS)
