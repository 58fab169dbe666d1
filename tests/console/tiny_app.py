"""A tiny Bolt app to exercise the emulator, the driver and the console (not the product)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.driver import bolt_idle
from bot.console.emulator import DEFAULT_TOKEN

SECRET = "tiny-signing-secret"

COLORS = [("red", "Red"), ("green", "Green"), ("blue", "Blue")]


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def form_view(channel: str, name: str | None = None) -> dict[str, Any]:
    name_input: dict[str, Any] = {"type": "plain_text_input", "action_id": "name"}
    if name:
        name_input["initial_value"] = name
    return {
        "type": "modal",
        "callback_id": "form",
        "private_metadata": channel,
        "title": {"type": "plain_text", "text": "Favourite colour"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "notify_on_close": True,
        "blocks": [
            {
                "type": "input",
                "block_id": "name_block",
                "label": {"type": "plain_text", "text": "Name"},
                "hint": {"type": "plain_text", "text": "Not 'bad'"},
                "element": name_input,
            },
            {
                "type": "input",
                "block_id": "color_block",
                "optional": True,
                "label": {"type": "plain_text", "text": "Colour"},
                "element": {
                    "type": "static_select",
                    "action_id": "color",
                    "options": [_option(v, t) for v, t in COLORS],
                },
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "use_example",
                        "text": {"type": "plain_text", "text": "Use example"},
                    }
                ],
            },
        ],
    }


# Options whose text and value hold commas and quotes: picked whole, never split.
TRICKY = [("a, b", 'Hi Robert, "following up"'), ("plain", "Plain")]
REFUSED_BLOCK = "tiny_refused"


def fields_view() -> dict[str, Any]:
    """Every kind of text input and select, to show the console sends what was typed, whole."""

    def block(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "label": {"type": "plain_text", "text": label},
            "element": {"action_id": block_id, **element},
        }

    return {
        "type": "modal",
        "callback_id": "fields",
        "title": {"type": "plain_text", "text": "Fields"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            block("line", "Line", {"type": "plain_text_input"}),
            block("note", "Note", {"type": "plain_text_input", "multiline": True}),
            block("secret", "Client secret", {"type": "plain_text_input"}),
            block("pick", "Pick", {"type": "static_select", "options": [_option(v, t) for v, t in TRICKY]}),
            block(
                "many", "Many", {"type": "multi_static_select", "options": [_option(v, t) for v, t in TRICKY]}
            ),
        ],
    }


def _card(text: str, *buttons: tuple[str, str]) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label}}
                for action_id, label in buttons
            ],
        },
    ]


def build_app(api_url: str, *, token: str = DEFAULT_TOKEN) -> AsyncApp:
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=token, base_url=api_url),
    )

    @app.command("/echo")
    async def echo(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack()
        text = command["text"]
        await respond(
            text=f"echo: {text}",
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*echo:* {text}"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "shout",
                            "text": {"type": "plain_text", "text": "Shout"},
                            "value": text,
                        },
                        {
                            "type": "button",
                            "action_id": "dismiss",
                            "text": {"type": "plain_text", "text": "Dismiss"},
                        },
                    ],
                },
            ],
        )

    @app.action("shout")
    async def shout(ack: Any, respond: Any, action: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"ECHO: {action['value'].upper()}", replace_original=True)

    @app.action("dismiss")
    async def dismiss(ack: Any, respond: Any) -> None:
        await ack()
        await respond(delete_original=True)

    @app.command("/quick")
    async def quick(ack: Any) -> None:
        await ack("done quickly")

    @app.command("/announce")
    async def announce(ack: Any, client: AsyncWebClient, command: dict[str, Any]) -> None:
        await ack()
        await client.chat_postMessage(
            channel=command["channel_id"],
            text=command["text"],
            blocks=[
                {"type": "header", "text": {"type": "plain_text", "text": "Announcement"}},
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": command["text"]},
                    "accessory": {
                        "type": "overflow",
                        "action_id": "more",
                        "options": [_option("pin", "Pin"), _option("hide", "Hide")],
                    },
                },
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "seen",
                            "text": {"type": "plain_text", "text": "Seen"},
                            "style": "primary",
                        }
                    ],
                },
            ],
        )

    @app.action("seen")
    async def seen(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text=f"Seen by <@{body['user']['id']}>",
            blocks=[],
        )

    @app.action("more")
    async def more(ack: Any, respond: Any, action: dict[str, Any]) -> None:
        await ack()
        await respond(f"picked {action['selected_option']['value']}")

    @app.command("/form")
    async def form(ack: Any, client: AsyncWebClient, command: dict[str, Any]) -> None:
        await ack()
        await client.views_open(trigger_id=command["trigger_id"], view=form_view(command["channel_id"]))

    @app.action("use_example")
    async def use_example(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = body["view"]
        await client.views_update(
            view_id=view["id"], hash=view["hash"], view=form_view(view["private_metadata"], name="Example")
        )

    @app.shortcut("open_form")
    async def open_form(ack: Any, client: AsyncWebClient, shortcut: dict[str, Any]) -> None:
        await ack()
        await client.views_open(trigger_id=shortcut["trigger_id"], view=form_view("C0DEMO"))

    @app.view("form")
    async def submitted(ack: Any, view: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        values = view["state"]["values"]
        name = values["name_block"]["name"]["value"]
        if name == "bad":
            await ack(response_action="errors", errors={"name_block": "Name cannot be bad"})
            return
        await ack()
        selected = values["color_block"]["color"]["selected_option"]
        color = selected["value"] if selected else "nothing"
        await client.chat_postMessage(
            channel=view["private_metadata"], text=f"<@{body['user']['id']}>: {name} likes {color}"
        )

    @app.view_closed("form")
    async def closed(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postEphemeral(channel="C0DEMO", user=body["user"]["id"], text="form cancelled")

    @app.message_shortcut("quote")
    async def quote(ack: Any, respond: Any, shortcut: dict[str, Any]) -> None:
        await ack()
        await respond(f"quoted: {shortcut['message']['text']} from #{shortcut['channel']['name']}")

    @app.command("/fields")
    async def fields(ack: Any, client: AsyncWebClient, command: dict[str, Any]) -> None:
        await ack()
        await client.views_open(trigger_id=command["trigger_id"], view=fields_view())

    @app.view("fields")
    async def fields_saved(
        ack: Any, view: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        values = view["state"]["values"]
        got = {
            "line": values["line"]["line"]["value"],
            "note": values["note"]["note"]["value"],
            "secret": values["secret"]["secret"]["value"],
            "pick": values["pick"]["pick"]["selected_option"]["value"],
            "many": [o["value"] for o in values["many"]["many"]["selected_options"]],
        }
        await client.chat_postEphemeral(channel="C0DEMO", user=body["user"]["id"], text=json.dumps(got))

    @app.command("/card")
    async def card(ack: Any, respond: Any) -> None:
        await ack()
        await respond(text="card", blocks=_card("*A card*", ("take", "Take"), ("history", "History")))

    @app.action("take")
    async def take(ack: Any, respond: Any) -> None:
        await ack()
        await respond(
            text="taken",
            blocks=_card("*A card* · taken", ("take", "Take"), ("history", "History")),
            replace_original=True,
        )

    @app.action("history")
    async def history(ack: Any, respond: Any) -> None:
        await ack()  # a new message with buttons of its own, under the card
        await respond(text="history", blocks=_card("*History*", ("older", "Older")), replace_original=False)

    @app.action("older")
    async def older(ack: Any, respond: Any) -> None:
        await ack()
        await respond(text="older history", replace_original=False)

    @app.command("/refuse")
    async def refuse(ack: Any) -> None:
        text = "You may not do that."
        block = {"type": "section", "block_id": REFUSED_BLOCK, "text": {"type": "mrkdwn", "text": text}}
        await ack(text=text, blocks=[block])

    @app.options("city")
    async def cities(ack: Any, payload: dict[str, Any]) -> None:
        query = payload["value"].lower()
        names = [c for c in ("Paris", "Porto", "Lima") if c.lower().startswith(query)]
        await ack(options=[_option(c.lower(), c) for c in names])

    @app.command("/upload")
    async def upload(ack: Any, client: AsyncWebClient, command: dict[str, Any]) -> None:
        await ack()
        await client.files_upload_v2(
            channel=command["channel_id"],
            content="a,b\n1,2\n",
            filename="report.csv",
            initial_comment="the report",
        )

    @app.event("app_home_opened")
    async def home(client: AsyncWebClient, event: dict[str, Any]) -> None:
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": "Welcome home"}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": f"Hello <@{event['user']}>"}},
                ],
            },
        )

    @app.event("app_uninstalled")
    async def uninstalled(client: AsyncWebClient) -> None:
        await client.chat_postMessage(channel="C0GENERAL", text="uninstalled")

    @app.event("tokens_revoked")
    async def revoked(client: AsyncWebClient) -> None:
        await client.chat_postMessage(channel="C0GENERAL", text="revoked")

    return app


def asgi(app: AsyncApp) -> Starlette:
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])


@contextlib.asynccontextmanager
async def tiny_factory(api_url: str) -> AsyncIterator[tuple[Starlette, str, Any]]:
    """The app_factory contract of `run_console`, for the tiny app."""
    yield asgi(build_app(api_url)), SECRET, bolt_idle
