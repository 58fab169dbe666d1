"""callback_id and action_id constants shared by listeners and block builders."""

from __future__ import annotations

# Shortcuts (must match app_manifest.yaml)
SHORTCUT_SEND_SMS = "send_sms"
SHORTCUT_LOOKUP_NUMBER = "lookup_number"
SHORTCUT_TEXT_NUMBER = "text_number"
SHORTCUT_SEND_AS_SMS = "send_as_sms"

# Modals
VIEW_SEND_SMS = "send_sms_modal"
VIEW_SEND_OVERRIDE = "send_sms_override_modal"
VIEW_CONNECT = "connect_modal"
VIEW_TRANSFER = "transfer_modal"
VIEW_RESOLVE = "resolve_modal"

# Buttons and other actions
ACTION_SHARE = "share"
ACTION_AUDIT_OLDER = "audit_older"
ACTION_AUDIT_NEWER = "audit_newer"
ACTION_SEND_CONFIRM = "sms_send_confirm"
ACTION_SEND_CANCEL = "sms_send_cancel"
ACTION_SEND_OVERRIDE = "sms_send_override"
ACTION_SEND_LATER = "sms_send_later"
ACTION_SCHEDULED_CANCEL = "sms_scheduled_cancel"
ACTION_CALLS_MORE = "calls_more"
ACTION_CALLS_PREVIOUS = "calls_previous"
ACTION_THREAD_TAKE = "thread_take"
ACTION_THREAD_RELEASE = "thread_release"
ACTION_THREAD_TRANSFER = "thread_transfer"
ACTION_THREAD_RESOLVE = "thread_resolve"
ACTION_THREAD_READ = "thread_read"
ACTION_THREAD_UNREAD = "thread_unread"
ACTION_THREAD_REPLY = "thread_reply"
ACTION_THREAD_HISTORY = "thread_history"
ACTION_HOME_REFRESH = "home_refresh"
ACTION_HOME_SEND = "home_send_sms"
ACTION_HOME_THREADS = "home_threads"

# Inputs (block_id, action_id) of modals
INPUT_SENDER = ("sender", "sender_code")
INPUT_OVERRIDE_REASON = ("override_reason", "override_reason_text")
INPUT_OVERRIDE_CONFIRM = ("override_confirm", "override_confirm_box")
INPUT_RECIPIENT = ("recipient", "recipient_number")
INPUT_TEMPLATE = ("template", "template_id")
INPUT_MESSAGE = ("message", "message_text")
INPUT_SEND_AT = ("send_at", "send_at_time")
INPUT_AGENT = ("agent", "agent_id")
INPUT_TERM_CODE = ("term_code", "term_code_id")
INPUT_ACCOUNT = ("account", "account_number")

# The modal inputs that send block_actions as they are used (dispatch_action): what the person typed or
# picked, which their listeners read as input. Every other block action comes from a button Switchboard
# built, whose value it signed (bot.slack.signing), so it must verify whatever the click says it is.
DISPATCHED_INPUTS = frozenset({INPUT_RECIPIENT[1], INPUT_TEMPLATE[1], INPUT_MESSAGE[1]})
