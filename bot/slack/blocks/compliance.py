"""How a number's compliance state reads, the same in every view (/lookup, /sms logs, thread cards, the
send preview): one renderer of `bot.services.compliance.ComplianceState`."""

from __future__ import annotations

from bot.services.compliance import ComplianceState
from bot.slack.text import when

DNC = "⛔ *Do not contact* (DNC)"
DNC_TODAY = "⛔ *Do not contact today*"
OPTED_OUT = "🚫 *Opted out of SMS*"
OPTED_IN = "✅ Opted in to SMS"
CLEAR = "✅ No contact restrictions"


def flags_text(state: ComplianceState) -> str | None:
    """ "⛔ *Do not contact* (DNC)   🚫 *Opted out of SMS*", or None when LiveVox said nothing of it."""
    if not state.known:
        return None
    flags = []
    if state.do_not_contact:
        flags.append(DNC)
    elif state.do_not_contact_today:
        flags.append(DNC_TODAY)
    if state.sms_opted_in is False:
        flags.append(OPTED_OUT)
    elif state.sms_opted_in:
        flags.append(OPTED_IN)
    if not flags:
        flags.append(CLEAR)
    said = "   ".join(flags)
    if state.as_of is not None:
        said += f"   _(as LiveVox last showed them, {when(state.as_of)})_"
    return said
