"""Validate Zoom simulator responses against the OpenAPI subsets in tests/contracts/specs."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPECS = Path(__file__).resolve().parents[1] / "contracts" / "specs"
SPEC_FILES = {
    "/contact_center/sms": "zoom-contact-center.openapi.json",
    "/contact_center/voice_calls": "zoom-contact-center.openapi.json",
    "/phone/sms/sessions": "zoom-phone-sms.openapi.json",
    "/phone/sms/sessions/{sessionId}": "zoom-phone-sms.openapi.json",
    "/phone/users/{userId}/sms/sessions": "zoom-phone-sms.openapi.json",
}

# Zoom's documented error body (providers.md): the specs describe error statuses but give them no schema.
ZOOM_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string", "minLength": 1},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": False,
}


@cache
def load_spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((SPECS / name).read_text())
    return spec


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def operation(path: str, method: str = "get") -> dict[str, Any]:
    op: dict[str, Any] = load_spec(SPEC_FILES[path])["paths"][path][method]
    return op


def response_validator(path: str, status: str = "200", method: str = "get") -> OAS30Validator:
    """A validator for one response schema, with every `$ref` resolved against the whole document."""
    name = SPEC_FILES[path]
    uri = f"urn:zoom-spec:{name}"
    registry: Registry[Any] = Registry().with_resource(
        uri, Resource.from_contents(load_spec(name), default_specification=DRAFT4)
    )
    pointer = _pointer("paths", path, method, "responses", status, "content", "application/json", "schema")
    return OAS30Validator(
        {"$ref": f"{uri}#/{pointer}"}, registry=registry, format_checker=OAS30Validator.FORMAT_CHECKER
    )


def validate_response(path: str, status: int, body: Any) -> None:
    """200 bodies against the spec's schema; errors: a status the spec (or providers.md) documents, and
    Zoom's error body."""
    op = operation(path)
    documented = set(op["responses"]) | {"401"}  # 401 code 124 is documented in providers.md for every call
    assert str(status) in documented, f"{status} is not a documented response of GET {path}"
    if status == 200:
        response_validator(path).validate(body)
        unknown = unknown_fields(body, op["responses"]["200"]["content"]["application/json"]["schema"])
        assert not unknown, f"fields not in the spec: {unknown}"
    else:
        OAS30Validator(ZOOM_ERROR_SCHEMA).validate(body)


def unknown_fields(instance: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Keys the response carries that the schema does not describe (catches misspelt fields)."""
    found: list[str] = []
    if isinstance(instance, dict) and "properties" in schema:
        for key, value in instance.items():
            if key not in schema["properties"]:
                found.append(f"{where}.{key}")
            else:
                found += unknown_fields(value, schema["properties"][key], f"{where}.{key}")
    elif isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            found += unknown_fields(item, schema["items"], f"{where}[{index}]")
    return found
