"""The layers import only downwards: read from the source with `ast`, so an import hidden inside a function
(where a lazy import would slip past a runtime check) counts too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"


def _imports(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every module and imported name in `source`, relative imports resolved."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _attribute_uses(source: str) -> Iterator[tuple[int, str]]:
    """`httpx.ASGITransport(...)` needs no import of its own: dotted attribute uses count as imports."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            yield node.lineno, f"{node.value.id}.{node.attr}"


def _names(path: Path) -> Iterator[tuple[int, str]]:
    package = ".".join(path.relative_to(BOT.parent).with_suffix("").parts[:-1])
    source = path.read_text()
    yield from _imports(source, package)
    yield from _attribute_uses(source)


def _offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((BOT / folder).rglob("*.py")):
        for line, name in _names(path):
            if any(name == f or name.startswith(f"{f}.") for f in forbidden):
                found.append(f"{path.relative_to(BOT.parent)}:{line} imports {name}")
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        # The sandbox is one provider source among others, injected by the composition root; services
        # neither know it nor build transports (a source hands them the HTTP client), nor Slack: how facts
        # read in Slack (durations, numbers) is formatted in bot/slack.
        ("services", ("bot.sandbox", "bot.slack", "httpx.ASGITransport", "httpx.MockTransport")),
        # Jobs know nothing of Slack: the Slack layer installs its jobs and its notifier into the runner.
        ("jobs", ("bot.slack",)),
        # Provider clients are SDKs: they know no app layer above them.
        ("providers", ("bot.services", "bot.slack", "bot.jobs", "bot.sandbox", "bot.db", "bot.settings")),
    ],
)
def test_a_layer_does_not_import_the_layers_above_it(folder: str, forbidden: tuple[str, ...]) -> None:
    assert _offenders(folder, forbidden) == []


def test_the_check_sees_lazy_relative_and_attribute_imports() -> None:
    source = (
        "import httpx\n"
        "def build():\n"
        "    from bot.sandbox.app import create_app\n"
        "    return httpx.ASGITransport(app=create_app())\n"
        "from ..sandbox import world\n"
    )
    names = {name for _, name in _imports(source, "bot.services")} | {
        name for _, name in _attribute_uses(source)
    }
    assert {"bot.sandbox.app.create_app", "bot.sandbox.world", "httpx.ASGITransport"} <= names


def test_default_provider_urls_are_written_once() -> None:
    """The providers' public hosts are written in their client packages only; settings, connection
    defaults and the registry refer to those constants."""
    hosts = ("api.zoom.us", "zoom.us/oauth", "connect.routee.net", "auth.routee.net", "livevox.com")
    found = sorted(
        f"{path.relative_to(BOT.parent)}: {host}"
        for path in BOT.rglob("*.py")
        if not path.is_relative_to(BOT / "providers")
        for host in hosts
        if host in path.read_text()
    )
    assert found == []
