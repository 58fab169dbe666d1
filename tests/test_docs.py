"""The front door stays true: every setting is documented where a newcomer looks for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
VARIABLES = sorted(str(field.validation_alias) for field in Settings.model_fields.values())


@pytest.mark.parametrize("document", ["README.md", ".env.example"])
def test_every_setting_is_documented(document: str) -> None:
    text = (ROOT / document).read_text()
    missing = [name for name in VARIABLES if name not in text]
    assert missing == []


def test_readme_quick_start_is_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    quick_start = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick_start.strip().splitlines()]
    assert commands == ["make run", "make test"]


def test_ci_runs_make_test_against_required_postgres() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "make test" in script
    assert "SWITCHBOARD_TEST_DATABASE_URL" in script
    assert "exit 1" in script
