"""Credentials the sandbox simulators accept. Anything else is rejected the way the real provider rejects it.

These are public, fixed values: the sandbox holds no real data and is meant to be run locally.
"""

from __future__ import annotations

from typing import Final

# Zoom Server-to-Server OAuth app.
ZOOM_ACCOUNT_ID: Final = "sandbox-account"
ZOOM_CLIENT_ID: Final = "sandbox-client-id"
ZOOM_CLIENT_SECRET: Final = "sandbox-client-secret"  # noqa: S105

# LiveVox: the API access token (`LV-Access`), the client name, and the password of every world login.
LIVEVOX_ACCESS_TOKEN: Final = "sandbox-lv-access"  # noqa: S105
LIVEVOX_CLIENT_NAME: Final = "SANDBOX"
LIVEVOX_PASSWORD: Final = "sandbox"  # noqa: S105

# Routee application.
ROUTEE_APP_ID: Final = "sandbox-app-id"
ROUTEE_APP_SECRET: Final = "sandbox-app-secret"  # noqa: S105
