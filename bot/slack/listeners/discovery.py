"""Every module in a listener package that defines `register(app)` is registered, in name order."""

from __future__ import annotations

import importlib
import pkgutil

from slack_bolt.async_app import AsyncApp


def modules(package: str) -> list[object]:
    root = importlib.import_module(package)
    names = sorted(info.name for info in pkgutil.iter_modules(root.__path__) if not info.name.startswith("_"))
    return [importlib.import_module(f"{package}.{name}") for name in names]


def register_package(app: AsyncApp, package: str) -> None:
    for module in modules(package):
        register = getattr(module, "register", None)
        if callable(register):
            register(app)
