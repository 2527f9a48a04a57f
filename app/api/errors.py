"""One error shape for every 4xx (and the last-resort 500), and the handlers that produce it.

Every error body is

    {"detail": [{"loc": ["body", "input", 3, 1], "field": "input[3][1]",
                 "msg": "input[3][1] must be a finite number, got nan", "type": "not_finite",
                 "code": "not_finite", "params": {"got": "nan"}}],
     "message": "input[3][1] must be a finite number, got nan"}

`detail` keeps FastAPI's list of `loc`/`msg`/`type` items (so FastAPI-aware clients keep working);
`field` is the loc written as a path, `msg` is a sentence that starts with that path, and
`message` joins all of them for clients that show one line. `code` is a stable snake_case key
(ERROR_CODES lists them all) and `params` the values the message quotes, so a page can say the
same in another language. The input itself is never echoed.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.atlas.codes import ATLAS_CODES
from app.teaching.layers import LAYER_CODES
from app.zoo import InputError
from app.zoo.inputs import FLOAT32_MAX, INPUT_CODES, MOST_REPORTED

log = logging.getLogger("gatescope.api")

Loc = Sequence[str | int]
_SOURCES = ("body", "query", "path", "header", "cookie")
MAX_REPORTED_ERRORS = MOST_REPORTED

# Codes of errors that are not about an input's value: (meaning, status).
API_CODES: dict[str, str] = {
    "unknown_model": "404: no model with this id",
    "not_found": "404: no such route, or no uploaded model with this id",
    "no_cells": "404: no interpretable cells were found for this model (gatescope cells)",
    "method_not_allowed": "405: the route does not take this method",
    "bad_request": "400: the body could not be read (e.g. malformed multipart data)",
    "too_deep": "422: a JSON body nested too deeply to read",
    "unauthorized": "401: a missing or wrong bearer token",
    "forbidden": "403: shipped models cannot be deleted",
    "cross_origin": "403: a change (POST, DELETE) a browser sent from another site's page",
    "id_taken": "409: an upload id that is already taken",
    "body_too_large": "413: a body or upload over the size limit",
    "request_timeout": "408: the client paused sending its body for too long",
    "invalid_json": "422: the body is not valid JSON",
    "missing": "422: a required field is missing",
    "unknown_field": "422: a field the request does not take",
    "not_an_object": "422: the body (or a value) must be a JSON object",
    "not_a_list": "422: a value must be a list",
    "not_a_string": "422: a value must be a string",
    "not_an_integer": "422: a value must be a whole number",
    "not_a_boolean": "422: a value must be true or false",
    "not_allowed": "422: a value that is not one of the allowed choices",
    "below_minimum": "422: a number under its minimum",
    "above_maximum": "422: a number over its maximum",
    "too_few_items": "422: a list shorter than its minimum",
    "too_many_items": "422: a list longer than its maximum",
    "wrong_format": "422: a value that does not match its pattern (e.g. precision)",
    "rnn_only_option": "422: an option only the plain rnn cell has",
    "invalid_model": "422: an uploaded model gatescope cannot read",
    "invalid_id": "422: a model id with characters it may not have",
    "invalid_intervention": "422: an intervention, knob or patching site that does not fit the "
    "model or the input (its loc names the field)",
    "too_large_sweep": "422: a patching sweep with more runs than the limit",
    "invalid": "422: any other invalid value",
    "unknown_run": "404: no playground run with this id",
    "unknown_checkpoint": "404: a playground run has no checkpoint with this index",
    "run_busy": "409: the playground run is training in another request",
    "run_paused": "409: the playground run paused on a NaN or divergence; reset it",
    "run_too_large": "422: a playground run that would need more memory than the limit",
    "invalid_probe": "422: a playground input with unknown symbols or wrong values",
    "internal_error": "500: the server failed (the error is logged)",
    "storage_unavailable": "503: the data directory is read-only or not writable",
    "storage_full": "507: the server's disk is full",
    "busy": "503: the server holds as many requests of this size as it may (see Retry-After)",
}
ERROR_CODES: dict[str, str] = {
    **{code: f"422: {meaning}" for code, meaning in INPUT_CODES.items()},
    **{code: f"422: {meaning}" for code, meaning in LAYER_CODES.items()},
    **API_CODES,
    **ATLAS_CODES,
}
# pydantic's error types (and the API's older `type`s) as codes; anything else is `invalid`.
TYPE_CODES: dict[str, str] = {
    "json_invalid": "invalid_json",
    "json_type": "invalid_json",
    "missing": "missing",
    "extra_forbidden": "unknown_field",
    "model_type": "not_an_object",
    "model_attributes_type": "not_an_object",
    "dict_type": "not_an_object",
    "list_type": "not_a_list",
    "string_type": "not_a_string",
    "string_unicode": "not_utf8",
    "int_type": "not_an_integer",
    "int_parsing": "not_an_integer",
    "int_from_float": "not_an_integer",
    "bool_type": "not_a_boolean",
    "bool_parsing": "not_a_boolean",
    "float_type": "not_a_number",
    "float_parsing": "not_a_number",
    "finite_number": "not_finite",
    "literal_error": "not_allowed",
    "enum": "not_allowed",
    "greater_than": "below_minimum",
    "greater_than_equal": "below_minimum",
    "less_than": "above_maximum",
    "less_than_equal": "above_maximum",
    "too_short": "too_few_items",
    "too_long": "too_many_items",
    "string_pattern_mismatch": "wrong_format",
    "too_large": "body_too_large",
    "conflict": "id_taken",
    "value_error": "invalid",
    "http_400": "bad_request",
    "http_404": "not_found",
    "http_405": "method_not_allowed",
}


class ErrorItem(BaseModel):
    """One problem: where it is and what it is."""

    loc: list[str | int] = Field(
        description="Where: the source (body, query, path, header), then keys and indices."
    )
    field: str = Field(description="`loc` without its source, as a path: `input[3][1]`.")
    msg: str = Field(description="A sentence naming the field and the problem.")
    type: str = Field(
        description="FastAPI's kind of error (pydantic's type, e.g. `missing`); see `code`."
    )
    code: str = Field(
        description="A stable snake_case key of the problem, for translations: "
        + ", ".join(f"`{code}` ({meaning})" for code, meaning in ERROR_CODES.items())
        + ". Views that do not apply to a model add their own (e.g. `padding_needs_text`)."
    )
    params: dict[str, Any] = Field(
        description='The values the message quotes, e.g. `{"steps": 30000, "limit": 20000}`.'
    )


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
                            "msg": "input[3][1] must be a finite number, got nan",
                            "type": "not_finite",
                            "code": "not_finite",
                            "params": {"got": "nan"},
                        }
                    ],
                    "message": "input[3][1] must be a finite number, got nan",
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
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(msg)
        self.status_code = status_code
        self.items = [error_item(loc, msg, type_, code or code_of(type_, own=True), params)]
        self.headers = headers

    @classmethod
    def from_input(
        cls, error: InputError, status_code: int = 422, type_: str | None = None
    ) -> ApiError:
        """An InputError (all its problems) as an ApiError; `type_` replaces the items' type."""
        api_error = cls(status_code, ["body"], str(error))
        api_error.items = input_error_items(error)
        if type_ is not None:
            for item in api_error.items:
                item["type"] = type_
        return api_error


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


def error_item(
    loc: Loc,
    msg: str,
    type_: str,
    code: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An ErrorItem as a dict; `msg` becomes a sentence that starts with the field.

    "must be a number" -> "input[2] must be a number"; pydantic's "Input should be ..." ->
    "input[2]: Input should be ...". `code` defaults to the code of `type_`.
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
    return {
        "loc": list(loc),
        "field": path,
        "msg": sentence,
        "type": type_,
        "code": code or code_of(type_),
        "params": _plain(params or {}),
    }


def code_of(type_: str, own: bool = False) -> str:
    """The code of an error type: known codes are their own, pydantic's types are mapped, and
    anything else is `invalid` unless it is `own` (an ApiError's type is already a stable key,
    such as a teaching view's `padding_needs_text`)."""
    if type_ in ERROR_CODES:
        return type_
    return TYPE_CODES.get(type_, type_ if own else "invalid")


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params a JSON body can hold: numbers, booleans and (printable) strings; nothing else."""
    plain: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str):
            plain[key] = _printable(value)
        elif isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
            plain[key] = value
    return plain


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
            ["body"],
            f"body is not valid JSON: {reason} at character {position}",
            "json_invalid",
            params={"position": position},
        )
    msg = str(error.get("msg", "is invalid"))
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    ctx = error.get("ctx") or {}
    params = ctx.get("params") if isinstance(ctx.get("params"), dict) else _bounds_as_limit(ctx)
    return error_item(loc or ["body"], msg, str(error.get("type", "value_error")), params=params)


def _bounds_as_limit(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """pydantic's ge/gt/le/lt as `limit`, the name the validator's params use."""
    return {
        ("limit" if key in ("ge", "gt", "le", "lt") else key): value for key, value in ctx.items()
    }


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.items, exc.headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, validation_items(exc.errors()))


def input_error_items(error: InputError, source: str = "body") -> list[dict[str, Any]]:
    """Each problem of an InputError as an ErrorItem; its code is also its type."""
    return [
        error_item([source, *parse_field(item.field)], item.message, item.code, params=item.params)
        for item in error.errors[:MAX_REPORTED_ERRORS]
    ]


async def _on_input_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InputError)
    return error_response(422, input_error_items(exc))


def unreadable_body_item(cause: BaseException | None) -> dict[str, Any] | None:
    """Why FastAPI could not parse a JSON body (its 400 hides it), as a 422 item on `body`."""
    if isinstance(cause, UnicodeDecodeError):
        return error_item(
            ["body"],
            f"body is not UTF-8 text (byte {cause.start} cannot be decoded)",
            "not_utf8",
            params={"position": cause.start},
        )
    if isinstance(cause, RecursionError):
        return error_item(["body"], "body nests JSON lists or objects too deeply", "too_deep")
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return error_item(
            ["body"],
            "body holds an integer with more than 4300 digits",
            "too_large_number",
            params={"limit": FLOAT32_MAX},
        )
    return None


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and (item := unreadable_body_item(exc.__cause__)) is not None:
        return error_response(422, [item])
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    item = error_item(
        [],
        f"{request.method} {request.url.path}: {detail}",
        f"http_{exc.status_code}",
        params={"method": request.method, "path": request.url.path[:200]},
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
    400: {
        "model": ErrorResponse,
        "description": "The body could not be read at all, e.g. malformed multipart data "
        "(code `bad_request`); a JSON body that cannot be read is a 422 naming `body`.",
    },
    401: {
        "model": ErrorResponse,
        "description": "Missing or wrong bearer token (when GATESCOPE_TOKEN is set); "
        "code `unauthorized`.",
    },
    413: {
        "model": ErrorResponse,
        "description": "The body is larger than GATESCOPE_MAX_BODY_BYTES; code `body_too_large`, "
        "params `limit`.",
    },
    422: {
        "model": ErrorResponse,
        "description": "Invalid input; `detail` names each field and problem, each with a `code` "
        "(see ErrorItem) and the `params` its message quotes.",
    },
    503: {
        "model": ErrorResponse,
        "description": "Busy (code `busy`): as many requests of this cost are held as may be; "
        "come back after `Retry-After` seconds.",
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    },
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No model with this id (code `unknown_model`)."},
}
