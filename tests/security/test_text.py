"""Item 14: outside text loses bidirectional overrides, zero-width characters, NUL and CR, in every escaped
value (`escape()` cleans first)."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.slack.text import ECHO_LIMIT, clean, error_text, escape
from tests.e2e.conftest import Harness


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override
        ("a\u2066b\u2069c\u200fd\u061ce", "abcde"),  # isolates and marks
        ("pay\u200bpal \u200cpal\u200d \ufeffx\u2060y", "paypal pal xy"),  # zero-width, BOM, word joiner
        ("nul\x00here\x07\x1b[31m", "nulhere[31m"),
        ("one\r\ntwo\rthree", "one\ntwo\nthree"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
    ],
)
def test_clean_neutralises_invisible_and_direction_characters(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_joiners_inside_emoji_and_scripts_that_need_them_stay() -> None:
    assert clean("👩\u200d💻") == "👩\u200d💻"
    assert clean("می\u200cخواهم") == "می\u200cخواهم"  # Persian needs its zero-width non-joiner


def test_escape_cleans_what_it_escapes() -> None:
    assert escape("<!channel>\u202e\x00\r") == "&lt;!channel&gt;\n"


def test_error_answers_quote_long_input_shortened() -> None:
    answer = error_text(InputError(f"I don't understand `{'x' * 40_000}` after the number."))
    assert len(answer) < 200 and answer.endswith("after the number.")
    assert "x" * (ECHO_LIMIT + 1) not in answer
    assert error_text(InputError("Usage: `/sms send <number> <text>`")) == (
        "Usage: `/sms send &lt;number&gt; &lt;text&gt;`"
    )


async def test_an_unknown_subcommand_is_echoed_escaped_and_short(slack: Harness) -> None:
    for command in ("/sms", "/switchboard"):
        response = await slack.driver.command(command, "<!channel>" + "x" * 500, user="U0AGENT")
        assert response.status == 200
        assert "<!channel>" not in response.body and "&lt;!channel&gt;" in response.body
        assert "x" * 100 not in response.body  # what was typed is quoted back clipped
