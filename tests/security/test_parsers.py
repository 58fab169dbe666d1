"""Property tests for every parser of what people type after a slash command: whatever the input, the
answer is a clean usage error (InputError) or a result, never another exception, and the work is bounded."""

from __future__ import annotations

import contextlib
import shlex
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.services.time_range import parse_range
from bot.slack.commands import MAX_WORDS, TOKENISE_LIMIT, CommandRouter
from bot.slack.parsing import number_and_range, split_number


async def _noop(_: object) -> None:
    return None


ROUTER = CommandRouter("/sms", "SMS")
for name in ("send", "logs", "templates"):
    ROUTER.sub(name, f"/sms {name}", "x")(_noop)
LOOKUP = CommandRouter("/lookup", "Lookup")
LOOKUP.sub(None, "/lookup <number>", "x")(_noop)

# What people (and attackers) type: words, quotes, backslashes, Slack markup, digits and odd Unicode.
TYPED = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(" \t\n\"'\\`<>@!#&|=+-().:/0123456789dhw")),
        st.characters(codec="utf-8"),
    ),
    max_size=300,
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(TYPED)
def test_match_never_raises_and_agrees_with_shlex_on_normal_input(text: str) -> None:
    for router in (ROUTER, LOOKUP):
        sub, args, rest = router.match(text)
        assert len(args) <= MAX_WORDS
        assert isinstance(rest, str)
        try:
            expected = shlex.split(text)
        except ValueError:
            expected = text.split()
        if sub is not None and sub.name is not None:
            assert [sub.name, *args] == [expected[0].lower(), *expected[1:]]
        else:
            assert args == expected


def test_match_reads_a_bounded_head_of_huge_text() -> None:
    text = "send " + '"a b ' * 200_000  # 1 MB of words and unbalanced quotes
    started = time.monotonic()
    sub, args, rest = ROUTER.match(text)
    assert time.monotonic() - started < 0.5
    assert sub is not None and sub.name == "send"
    assert len(args) <= MAX_WORDS and sum(map(len, args)) <= TOKENISE_LIMIT
    assert rest == text[len("send ") :].strip()  # free text keeps everything after the subcommand


@FAST
@given(TYPED, st.sampled_from(["US", "GB", "DE", "IN"]))
def test_split_number_answers_only_with_input_errors(text: str, region: str) -> None:
    try:
        number, rest = split_number(text, region)
    except InputError:
        return
    assert number.startswith("+") and isinstance(rest, str)


@FAST
@given(st.lists(TYPED, max_size=6), st.sampled_from(["US", "GB"]))
def test_number_and_range_answers_only_with_input_errors(args: list[str], region: str) -> None:
    with contextlib.suppress(InputError):
        number_and_range(args, region)


@FAST
@given(
    st.one_of(
        TYPED,
        st.from_regex(r"\d{1,5}\s?[dhwm]", fullmatch=True),
        st.from_regex(r"\d{4}-\d{2}-\d{2}\s?\.\.\s?\d{4}-\d{2}-\d{2}", fullmatch=True),
    )
)
def test_parse_range_answers_only_with_input_errors(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_range(text)


def test_split_number_reads_a_bounded_head_of_huge_text() -> None:
    text = "+1 415 555 0100 hello " + "x y z " * 200_000
    started = time.monotonic()
    number, rest = split_number(text, "US")
    assert time.monotonic() - started < 0.5
    assert number == "+14155550100" and rest == text[len("+1 415 555 0100 ") :].strip()


# The parsers of the admin and thread commands' words: whatever is typed, a usage answer (InputError),
# never another exception (which would reach Slack as "Something went wrong").
WORDS = st.lists(
    st.text(max_size=40) | st.sampled_from(["<@U0AGENT>", "@x", "role=agent", "inbox=1"]), max_size=8
)


@FAST
@given(st.text(max_size=60))
def test_mentioned_user_answers_only_with_input_errors(word: str) -> None:
    from bot.slack.admin.commands import mentioned_user

    with contextlib.suppress(InputError):
        user = mentioned_user(word)
        assert user.startswith(("U", "W")) and user.isalnum()


@FAST
@given(WORDS)
def test_admin_and_thread_word_parsers_answer_only_with_input_errors(words: list[str]) -> None:
    from bot.slack.admin.commands import parse_channel_set, parse_link, parse_provider
    from bot.slack.threads.commands import parse_threads

    for parse in (parse_link, parse_provider, parse_channel_set, parse_threads):
        with contextlib.suppress(InputError):
            parse(words)


# One number finder for every entry point (bot.phones.find_numbers): whatever a message says, the
# shortcuts' first_number answers a number or None; a number written with its country code, from any
# region, is found by the shortcuts and read by the slash commands alike.
def _example_numbers() -> list[str]:
    import phonenumbers

    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None:
            found.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return found


EXAMPLES = _example_numbers()
WORDS_AROUND = st.text(alphabet=st.sampled_from(list("abcdefghij ,.!?")), max_size=30)


@FAST
@given(TYPED, st.sampled_from(["US", "GB", "DE", "IN"]))
def test_first_number_never_raises(text: str, region: str) -> None:
    from bot.slack.parsing import first_number

    number = first_number(text, region)
    assert number is None or (number.startswith("+") and number[1:].isdigit())


@FAST
@given(
    st.sampled_from(EXAMPLES),
    st.sampled_from(["E164", "INTERNATIONAL"]),
    WORDS_AROUND,
    WORDS_AROUND,
    st.sampled_from(["US", "GB", "DE", "IN"]),
)
def test_shortcuts_and_commands_find_the_same_international_numbers(
    e164: str, style: str, before: str, after: str, region: str
) -> None:
    import phonenumbers

    from bot.slack.parsing import first_number

    typed = phonenumbers.format_number(
        phonenumbers.parse(e164), getattr(phonenumbers.PhoneNumberFormat, style)
    )
    assert first_number(f"{before} {typed} {after}", region) == e164
    number, _ = split_number(f"{typed} {after.strip()}", region)
    assert number == e164


@FAST
@given(st.integers(0, 999), WORDS_AROUND, st.sampled_from(["US", "DE", "IN"]))
def test_possible_numbers_written_with_their_country_code_are_found(
    last: int, words: str, region: str
) -> None:
    """The UK's 07700 900xxx (reserved for drama) is possible, not "valid": written as +44, it is a number."""
    from bot.slack.parsing import first_number

    typed = f"+44 7700 900{last:03d}"
    assert first_number(f"please text {typed} {words}", region) == f"+447700900{last:03d}"
    assert split_number(f"{typed} {words}", region)[0] == f"+447700900{last:03d}"


TERMCODE_WORDS = st.lists(
    st.text(max_size=30)
    | st.sampled_from(["add", "remove", "list", "1001", "<#C0DEMO|demo>", "<#C0X>", "Paid", "<@U0AGENT>"]),
    max_size=8,
)


@FAST
@given(TERMCODE_WORDS)
def test_termcodes_parser_answers_only_with_input_errors(words: list[str]) -> None:
    from bot.slack.admin.commands import parse_termcodes

    try:
        request = parse_termcodes(words)
    except InputError:
        return
    assert request.action in {"list", "add", "remove"}
    if request.action != "list":
        assert request.code_id.isdigit() and len(request.code_id) <= 10
    if request.action == "add":
        assert request.name and request.name == " ".join(request.name.split()) and len(request.name) <= 60
    assert request.channel_id is None or request.channel_id[0] in "CG"


@FAST
@given(WORDS | st.lists(TYPED, max_size=4), st.sampled_from(["US", "GB"]))
def test_audit_parser_answers_only_with_input_errors(words: list[str], region: str) -> None:
    from bot.slack.admin.commands import parse_audit

    try:
        query = parse_audit(words, region)
    except InputError:
        return
    assert query.actor is None or (query.actor[0] in "UW" and query.actor.isalnum())
    assert query.action is None or (
        len(query.action) <= 64 and query.action.replace(".", "").replace("_", "").isalnum()
    )
    assert query.number is None or query.number.startswith("+")
    assert query.before is None and query.after is None  # paging comes only from the signed buttons


@FAST
@given(st.text(max_size=200))
def test_audit_button_values_answer_only_with_input_errors(value: str) -> None:
    from bot.slack.admin.audit import AuditQuery

    with contextlib.suppress(InputError):
        AuditQuery.from_value(value)
