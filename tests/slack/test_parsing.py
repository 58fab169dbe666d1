from __future__ import annotations

import itertools
import random
import shlex
from collections.abc import Callable

import pytest

from bot.errors import InputError
from bot.slack.commands import MAX_WORDS, TOKENISE_LIMIT, words_of
from bot.slack.parsing import _INTERNATIONAL_ALONE, _split_by_matcher, number_and_range, split_number


@pytest.mark.parametrize(
    ("text", "number", "rest"),
    [
        ("+1 415 555 0100 hello there", "+14155550100", "hello there"),
        ("(415) 555-0100 Your order shipped", "+14155550100", "Your order shipped"),
        ("415.555.0100", "+14155550100", ""),
        ("14155550100 hi", "+14155550100", "hi"),
        ("+44 20 7946 0958 cheers", "+442079460958", "cheers"),
    ],
)
def test_split_number_takes_the_leading_number(text: str, number: str, rest: str) -> None:
    assert split_number(text, "US") == (number, rest)


@pytest.mark.parametrize("text", ["", "hello +1 415 555 0100", "555", "<!channel>"])
def test_split_number_needs_a_leading_number(text: str) -> None:
    with pytest.raises(InputError):
        split_number(text, "US")


def test_number_and_range() -> None:
    assert number_and_range(["+1", "415", "555", "0100", "7d"], "US") == ("+14155550100", "7d")
    assert number_and_range(["4155550100"], "US") == ("+14155550100", None)
    with pytest.raises(InputError, match="after the number"):
        number_and_range(["4155550100", "yesterday", "please"], "US")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("+1 415 555 0100 7d 30d", "`7d` and `30d` are 2 ranges; give one"),
        ("+1 415 555 0100 7x", "I don't understand `7x` after the number"),
        ("415 555 01 7d", "“415 555 01” does not look like a complete phone number"),
    ],
)
def test_a_wrong_word_after_the_number_is_named(text: str, says: str) -> None:
    with pytest.raises(InputError) as error:
        number_and_range(text.split(), "US")
    assert says in str(error.value)
    assert "“+1”" not in str(error.value)


def test_a_single_date_is_a_range() -> None:
    day = number_and_range(["+1", "415", "555", "0100", "2026-11-30"], "US")
    assert day == ("+14155550100", "2026-11-30")
    assert number_and_range(["(415) 555-0100", "24h"], "US") == ("+14155550100", "24h")


def _answer(read: Callable[[str, str], tuple[str, str]], text: str, region: str) -> object:
    try:
        return read(text, region)
    except InputError as error:
        return str(error)


def _international_texts() -> list[str]:
    typed = [
        "+1 415 555 0100",
        "+1-415-555-0100",
        "+1.415.555.0100",
        "+14155550100",
        "+1 415 555 01",  # too short
        "+1 415 555 0100 7",  # a digit too many
        "+44 20 7946 0958",
        "+44 7700 900876",  # possible, not valid: the writer named the country
        "+49 30 1234567 89",
        "+33 1 23 45 67 89",
        "+81 3-1234-5678",
        "+999 123 456 789",  # no such country
        "+0 123 456 7890",
        "+1 2026-11-30 12",
    ]
    rng = random.Random(7)
    for _ in range(400):
        groups = [str(rng.randrange(1, 999))] + [
            "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 5)))
            for _ in range(rng.randrange(1, 6))
        ]
        typed.append("+" + "".join(rng.choice(" -.") + group for group in groups)[1:])
    return typed


@pytest.mark.parametrize("region", ["US", "GB"])
def test_a_number_typed_with_its_country_code_reads_as_the_matcher_reads_it(region: str) -> None:
    """split_number answers "+<country> <digits>" without phonenumbers' matcher (bot/slack/parsing.py):
    every such text gets the answer the matcher gives it, a refusal included."""
    texts = _international_texts()
    assert sum(bool(_INTERNATIONAL_ALONE.fullmatch(text)) for text in texts) > 350
    for text in texts:
        assert _answer(split_number, text, region) == _answer(_split_by_matcher, text, region), text


@pytest.mark.parametrize(
    "text",
    [
        "help",
        "  add   +1 415 555 0100\tfront desk \n",
        'rename "Front desk" to "Back office"',
        "note it's here",  # an unclosed quote
        r"say a\ b",
        "#general <#C0123|general> 5\u00a0d",  # a no-break space is not shlex's whitespace
        "\u2003em space\x0bvertical tab",
        " ".join(str(n) for n in range(150)),  # more words than are read
    ],
)
def test_words_are_split_as_the_shell_lexer_splits_them(text: str) -> None:
    lexer = shlex.shlex(text[:TOKENISE_LIMIT], posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        expected = list(itertools.islice(lexer, MAX_WORDS))
    except ValueError:
        expected = text[:TOKENISE_LIMIT].split()[:MAX_WORDS]
    assert words_of(text) == expected
