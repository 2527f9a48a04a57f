"""One error shape for every 4xx (and the last-resort 500), and the handlers that produce it.

Every error body is

    {"detail": [{"loc": ["body", "input", 3, 1], "field": "input[3][1]",
                 "msg": "input[3][1]: Input should be a finite number", "type": "finite_number"}],
     "message": "input[3][1]: Input should be a finite number"}

`detail` keeps FastAPI's list of `loc`/`msg`/`type` items (so FastAPI-aware clients keep working);
`field` is the loc written as a path, `msg` is a sentence that starts with that path, and
`message` joins all of them for clients that show one line. The input itself is never echoed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.zoo import InputError

log = logging.getLogger("gatescope.api")

Loc = Sequence[str | int]
_SOURCES = ("body", "query", "path", "header", "cookie")
MAX_REPORTED_ERRORS = 20


class ErrorItem(BaseModel):
    """One problem: where it is and what it is."""

    loc: list[str | int] = Field(
        description="Where: the source (body, query, path, header), then keys and indices."
    )
    field: str = Field(description="`loc` without its source, as a path: `input[3][1]`.")
    msg: str = Field(description="A sentence naming the field and the problem.")
    type: str = Field(description="A machine-readable kind, e.g. `finite_number`, `not_found`.")


class ErrorResponse(BaseModel):
    """The body of every error response (4xx and 500)."""

    detail: list[ErrorItem]
    message: str = Field(description="All `msg`s joined: one line to show a person.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "detail": [
                        {
                            "loc": ["body", "input", 3, 1],
                            "field": "input[3][1]",
                            "msg": "input[3][1]: Input should be a finite number",
                            "type": "finite_number",
                        }
                    ],
                    "message": "input[3][1]: Input should be a finite number",
                }
            ]
        }
    }


class ApiError(Exception):
    """An error with a status, raised anywhere in a request and rendered in the one error shape."""

    def __init__(
        self,
        status_code: int,
        loc: Loc,
        msg: str,
        type_: str = "value_error",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(msg)
        self.status_code = status_code
        self.items = [error_item(loc, msg, type_)]
        self.headers = headers


def field_path(loc: Loc) -> str:
    """`["body", "input", 3, 1]` -> `input[3][1]`, `["query", "precision"]` -> `precision`,
    `["body"]` -> `body`, `[]` (the request as a whole) -> ``."""
    parts = list(loc)
    if not parts:
        return ""
    if parts[0] in _SOURCES and len(parts) > 1:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def error_item(loc: Loc, msg: str, type_: str) -> dict[str, Any]:
    """An ErrorItem as a dict; `msg` becomes a sentence that starts with the field.

    "must be a number" -> "input[2] must be a number"; pydantic's "Input should be ..." ->
    "input[2]: Input should be ...".
    """
    loc = [_printable(part) if isinstance(part, str) else part for part in loc]
    msg = _printable(msg)
    path = field_path(loc)
    if not path or msg.startswith(path):
        sentence = msg
    elif msg[:1].islower():
        sentence = f"{path} {msg}"
    else:
        sentence = f"{path}: {msg}"
    return {"loc": list(loc), "field": path, "msg": sentence, "type": type_}


def error_response(
    status_code: int, items: list[dict[str, Any]], headers: Mapping[str, str] | None = None
) -> Response:
    """The one error shape as a JSON response."""
    body = {"detail": items, "message": "; ".join(item["msg"] for item in items)}
    return Response(
        orjson.dumps(body), status_code=status_code, media_type="application/json", headers=headers
    )


def _printable(text: str) -> str:
    """Text safe to put in a UTF-8 response: lone surrogates (from JSON escapes) replaced."""
    return text.encode("utf-8", "replace").decode("utf-8")


def parse_field(field: str) -> list[str | int]:
    """The zoo's field names (`inputs[2][0]`) as a loc (`["inputs", 2, 0]`)."""
    loc: list[str | int] = []
    for chunk in field.replace("]", "").split("["):
        for name in chunk.split("."):
            if name:
                loc.append(int(name) if name.isdigit() else name)
    return loc


def _clean_loc(loc: Loc) -> list[str | int]:
    """Drop pydantic's union-member labels (`str`, `list[float]`, `function-after[...]`)."""
    return [part for part in loc if isinstance(part, int) or not _is_type_label(part)]


def _is_type_label(part: str) -> bool:
    return (
        part in {"str", "float", "int", "bool", "list"}
        or "[" in part
        or part.startswith("function-")
    )


def validation_items(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI/pydantic errors as ErrorItems, without echoing the input, at most 20."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for error in errors:
        item = _validation_item(error)
        if item["msg"] not in seen:
            seen.add(item["msg"])
            items.append(item)
        if len(items) >= MAX_REPORTED_ERRORS:
            break
    return items


def _validation_item(error: dict[str, Any]) -> dict[str, Any]:
    loc = _clean_loc(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        ctx = error.get("ctx") or {}
        position = loc[1] if len(loc) > 1 else "?"
        reason = ctx.get("error", "invalid JSON")
        return error_item(
            ["body"], f"body is not valid JSON: {reason} at character {position}", "json_invalid"
        )
    msg = str(error.get("msg", "is invalid"))
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    return error_item(loc or ["body"], msg, str(error.get("type", "value_error")))


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.items, exc.headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, validation_items(exc.errors()))


async def _on_input_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InputError)
    loc = ["body", *parse_field(exc.field)]
    return error_response(422, [error_item(loc, exc.message, "value_error")])


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    item = error_item(
        [], f"{request.method} {request.url.path}: {detail}", f"http_{exc.status_code}"
    )
    return error_response(exc.status_code, [item], exc.headers)


async def _on_unexpected_error(request: Request, exc: Exception) -> Response:
    """The last resort: log the traceback, answer in the one error shape, leak nothing."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    item = error_item(
        [], "the server failed on this request (the error is logged)", "internal_error"
    )
    return error_response(500, [item])


def install_error_handlers(app: FastAPI) -> None:
    """Route every error a request can raise into the one error shape."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(InputError, _on_input_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected_error)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorResponse,
        "description": "Missing or wrong bearer token (when GATESCOPE_TOKEN is set).",
    },
    413: {
        "model": ErrorResponse,
        "description": "The body is larger than GATESCOPE_MAX_BODY_BYTES.",
    },
    422: {
        "model": ErrorResponse,
        "description": "Invalid input; `detail` names each field and problem.",
    },
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No model with this id."},
}
