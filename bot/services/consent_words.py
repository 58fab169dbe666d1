"""Is a customer's SMS an opt-out (STOP) or an opt-in (START)? The one reader of consent words.

In the US a customer may revoke consent to texts "by any reasonable means" (FCC 24-24, in force since
April 2025), and the words STOP, QUIT, END, REVOKE, OPT OUT, CANCEL and UNSUBSCRIBE must be honoured. A reply
counts as an opt-out when, case and punctuation ignored:

- it is one of those words alone, give or take politeness and repetition ("Stop.", "STOP STOP", "stop please",
  "Unsubscribe, thanks", "STOP ALL");
- or it holds a clear phrase of wanting no more messages ("stop texting me", "unsubscribe me", "opt me out",
  "remove me from your list", "don't text me", "no more texts", "I revoke my consent"), not negated
  ("don't stop texting me", "I do not want to unsubscribe").

A word used for something else does not count: "stop by the store", "don't stop the service", "cancel my
appointment", "end of the month". An opt-in (START, UNSTOP, YES, OPT IN) counts only as a whole message: a
"yes" inside a sentence answers something else. Erring is one-sided on purpose: a reply that might be an
opt-out and reads as one is treated as one (a missed STOP is unlawful; a missed text is a phone call away).
"""

from __future__ import annotations

import re
from enum import StrEnum


class Consent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


OPT_OUT_WORDS = frozenset({"stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe", "stopall"})
OPT_IN_WORDS = frozenset({"start", "unstop", "yes", "opt in", "resume"})
# Said around a keyword without changing it: "stop please", "STOP ALL", "unsubscribe thanks".
_FILLERS = frozenset(
    {
        "please", "pls", "plz", "thanks", "thank", "you", "thx", "ty", "now", "ok", "okay", "all", "it",
        "this", "sms", "text", "texts", "messages", "msgs", "me", "asap", "already", "immediately", "again",
    }
)  # fmt: skip
_NEGATIONS = frozenset({"dont", "not", "never", "didnt", "wont", "cant", "doesnt", "shouldnt", "no"})
_NEGATION_WINDOW = 3  # words before a phrase that may negate it ("i dont really want to unsubscribe")

_VERBS = r"(?:texting|txting|texing|messaging|msging|sending|contacting|calling|bothering|harassing|spamming)"
_MESSAGES = r"(?:texts?|txts?|text messages|messages|msgs|sms|alerts|notifications|reminders)"
# Phrases that say "no more messages" and may be negated by a word before them.
_PHRASES = [
    re.compile(rf"\b(?:stop|quit|cease|end)\s+{_VERBS}\b"),
    re.compile(rf"\bstop\s+(?:these|the|your|all|all the|all these|all of these|those)\s+{_MESSAGES}\b"),
    re.compile(r"\bunsubscribe\b"),
    re.compile(r"\bopt\s+(?:me\s+|this number\s+|my number\s+)?out\b"),
    re.compile(r"\b(?:remove|take)\s+(?:me|this number|my number|my phone number)\s+(?:off|from|out)\b"),
    re.compile(r"\b(?:revoke|withdraw|withdrawing|revoking)\s+(?:my\s+|all\s+)?(?:consent|permission)\b"),
    re.compile(
        rf"\bcancel\s+(?:all\s+|my\s+|these\s+|the\s+|your\s+)?(?:{_MESSAGES}|(?:sms\s+)?subscription)\b"
    ),
    re.compile(r"\bleave me alone\b"),
]
# Phrases that are themselves a negation: "don't text me", "no more texts", "never message me again".
_NEGATIVE_PHRASES = [
    re.compile(r"\b(?:dont|never)\s+(?:text|txt|message|msg|contact|sms|call)\s+(?:me|us|this number)\b"),
    re.compile(rf"\bno\s+more\s+(?:{_MESSAGES}|{_VERBS})\b"),
    re.compile(r"\bdo not (?:text|txt|message|contact)\b"),
]


def normalize(text: str) -> str:
    """Lower case, apostrophes dropped ("don't" → "dont"), everything but letters and digits a space;
    "do not" → "dont", "opt-out" / "optout" → "opt out", "stop all" kept as words."""
    lowered = text.lower().replace("’", "'").replace("‘", "'").replace("`", "'")
    lowered = re.sub(r"(\w)'(\w)", r"\1\2", lowered)
    words = re.sub(r"[^0-9a-z]+", " ", lowered).split()
    joined = " ".join(words)
    joined = re.sub(r"\bdo not\b", "dont", joined)
    joined = re.sub(r"\bopt(out|in)\b", r"opt \1", joined)
    return joined


def _keyword(words: list[str]) -> str | None:
    """The message as one keyword, fillers and repetition set aside ("STOP STOP please" → "stop")."""
    kept = [w for w in words if w not in _FILLERS]
    deduped = [w for i, w in enumerate(kept) if i == 0 or kept[i - 1] != w]
    phrase = " ".join(deduped)
    if phrase in ("opt out opt out", "opt in opt in"):
        phrase = phrase[: len(phrase) // 2]
    return phrase or None


def _negated(words_before: str) -> bool:
    return any(word in _NEGATIONS for word in words_before.split()[-_NEGATION_WINDOW:])


def classify(text: str | None) -> Consent | None:
    """OPT_OUT, OPT_IN, or None for a message that says neither."""
    normal = normalize(text or "")
    if not normal:
        return None
    words = normal.split()
    keyword = _keyword(words)
    if keyword in OPT_OUT_WORDS:
        return Consent.OPT_OUT
    if keyword in OPT_IN_WORDS:
        return Consent.OPT_IN
    # A keyword as a sentence of its own: "STOP. Who is this?", "Unsubscribe! I never signed up".
    for sentence in re.split(r"[.!?;,\n]+", text or ""):
        if _keyword(normalize(sentence).split()) in OPT_OUT_WORDS:
            return Consent.OPT_OUT
    for pattern in _NEGATIVE_PHRASES:
        if pattern.search(normal):
            return Consent.OPT_OUT
    for pattern in _PHRASES:
        for match in pattern.finditer(normal):
            if not _negated(normal[: match.start()]):
                return Consent.OPT_OUT
    return None
