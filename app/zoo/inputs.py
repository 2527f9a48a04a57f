"""The one validator of model inputs: every rule, its code and its wording, written once.

The API's schemas and limits, the command line and `LoadedModel.prepare` all call these
functions, so a bad input gets the same `InputError` (field, code, message, params) wherever it
arrives. Messages never start with the field (callers put it in front) and never echo more than
40 characters of the input. Codes are stable snake_case keys a page can translate:

| code | when |
|---|---|
| `wrong_input_type` | neither a sentence nor a list of steps |
| `not_text` | a text model got something other than a string |
| `not_utf8` | a string with a lone surrogate (a JSON escape or bytes that are not UTF-8) |
| `empty_text` | an empty or whitespace-only sentence |
| `too_long_text` | more characters than the limit |
| `no_words` | nothing left once punctuation is removed |
| `no_known_words` | no word the model knows, and no OOV token to stand in |
| `not_steps` | a numbers model got something other than a list of steps |
| `no_steps` | an empty list of steps |
| `too_many_steps` | more steps than the limit |
| `not_a_step` | a bare number where a step needs several features |
| `wrong_width` | a step with the wrong number of values |
| `not_a_number` | a string, boolean, null, list or object where a number belongs |
| `not_finite` | NaN or an infinity |
| `too_large_number` | beyond float32's range (+-3.4e38) |
| `too_large_after_scaling` | fine as typed, but not finite once min-max scaled |
| `too_many_inputs` | more inputs in one predict call than the limit |
| `too_much_text` | more characters in all the texts of one predict call than the limit |
| `limit_exceeded` | an ad-hoc network size over the operator's limit |
| `too_large_trace` | a trace that would hold more numbers than the limit |
| `not_a_language_model` | asked to write text with a model that does not predict the next token |
| `too_long_writing` | prompt and written text together longer than a trace may be |
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.limits import ABSOLUTE_MAX_STEPS
from app.zoo.errors import InputError, InputErrors

if TYPE_CHECKING:
    from app.config import Settings

FLOAT32_MAX = 3.4028234663852886e38
MOST_REPORTED = 20  # problems of one input reported together
DESCRIBED_CHARS = 40  # the most of a value an error message quotes

INPUT_CODES: dict[str, str] = {
    "wrong_input_type": "neither a sentence nor a list of steps",
    "not_text": "a text model got something other than a string",
    "not_utf8": "a string with a lone surrogate, which UTF-8 cannot hold",
    "empty_text": "an empty or whitespace-only sentence",
    "too_long_text": "more characters than the limit",
    "no_words": "nothing left once punctuation is removed",
    "no_known_words": "no word the model knows and no OOV token",
    "not_steps": "a numbers model got something other than a list of steps",
    "no_steps": "an empty list of steps",
    "too_many_steps": "more steps than the limit",
    "not_a_step": "a bare number where a step needs several features",
    "wrong_width": "a step with the wrong number of values",
    "not_a_number": "not a JSON number",
    "not_finite": "NaN or an infinity",
    "too_large_number": "beyond float32's range",
    "too_large_after_scaling": "not finite once min-max scaled",
    "too_many_inputs": "more inputs in one predict call than the limit",
    "too_much_text": "more characters in all the texts of one predict call than the limit",
    "limit_exceeded": "an ad-hoc network size over the limit",
    "too_large_trace": "a trace would hold more numbers than the limit",
    "not_a_language_model": "the model does not predict the next token, so it cannot write",
    "too_long_writing": "prompt and written text together longer than a trace may be",
}


@dataclass(frozen=True)
class InputLimits:
    """The limits an input is checked against; None means no limit beyond the hard ceilings."""

    max_steps: int = ABSOLUTE_MAX_STEPS
    max_text_chars: int | None = None
    max_batch: int | None = None
    max_batch_chars: int | None = None


def limits_of(settings: Settings) -> InputLimits:
    """The operator's limits (GATESCOPE_MAX_*)."""
    return InputLimits(
        settings.max_steps, settings.max_text_chars, settings.max_batch, settings.max_batch_chars
    )


def describe(value: Any) -> str:
    """A short description of a value for a message: never the whole input."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value[:DESCRIBED_CHARS])
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return repr(value)[:DESCRIBED_CHARS]


# -- numbers ------------------------------------------------------------------------------------


def number_error(value: Any, field: str = "") -> InputError | None:
    """Why `value` is not a finite JSON number within float32's range; None when it is one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        got = describe(value)
        return InputError(field, "not_a_number", f"must be a number, got {got}", {"got": got})
    if isinstance(value, float) and not math.isfinite(value):
        got = repr(value)
        return InputError(field, "not_finite", f"must be a finite number, got {got}", {"got": got})
    if abs(value) > FLOAT32_MAX:
        return InputError(
            field,
            "too_large_number",
            "is too large: numbers must lie within +-3.4e38 (float32)",
            {"limit": FLOAT32_MAX},
        )
    return None


def check_number(value: Any, field: str) -> float:
    """`value` as a float, or the InputError that says why it is not a usable number."""
    error = number_error(value, field)
    if error is not None:
        raise error
    return float(value)


# -- steps --------------------------------------------------------------------------------------


def too_many_steps(count: int, field: str, limit: int) -> InputError | None:
    if count <= limit:
        return None
    return InputError(
        field,
        "too_many_steps",
        f"has {count} steps; the limit is {limit}",
        {"steps": count, "limit": limit},
    )


def steps_errors(
    raw: list[Any], field: str = "", width: int | None = None, max_steps: int | None = None
) -> list[InputError]:
    """Problems of a list of steps, at most MOST_REPORTED. A step is a list of numbers, or a bare
    number when it holds one feature; `width` (when known) fixes how many numbers a step holds."""
    if not raw:
        return [InputError(field, "no_steps", "has no steps")]
    limit = ABSOLUTE_MAX_STEPS if max_steps is None else min(max_steps, ABSOLUTE_MAX_STEPS)
    too_many = too_many_steps(len(raw), field, limit)
    if too_many is not None:
        return [too_many]
    errors: list[InputError] = []
    for index, step in enumerate(raw):
        errors.extend(_step_errors(step, f"{field}[{index}]", width))
        if len(errors) >= MOST_REPORTED:
            return errors[:MOST_REPORTED]
    return errors


def _step_errors(step: Any, field: str, width: int | None) -> list[InputError]:
    if not isinstance(step, list):
        error = number_error(step, field)
        if error is None and width not in (None, 1):
            got = describe(step)
            error = InputError(
                field,
                "not_a_step",
                f"must be a list of {width} numbers, got {got}",
                {"width": width, "got": got},
            )
        return [] if error is None else [error]
    if width is not None and len(step) != width:
        return [wrong_width(len(step), width, field)]
    errors = (number_error(value, f"{field}[{column}]") for column, value in enumerate(step))
    return [error for error in errors if error is not None]


def wrong_width(count: int, width: int, field: str) -> InputError:
    noun = "value" if count == 1 else "values"
    return InputError(
        field,
        "wrong_width",
        f"has {count} {noun}; each step needs {width}",
        {"values": count, "width": width},
    )


def check_steps(
    raw: Any, field: str, width: int, max_steps: int | None = None
) -> list[list[float]]:
    """A numbers model's input as float rows of `width` (a flat list when width is 1)."""
    if not isinstance(raw, list):
        got = describe(raw)
        raise InputError(
            field,
            "not_steps",
            f"must be a list of steps, each a list of {width} numbers, got {got}",
            {"width": width, "got": got},
        )
    _raise(steps_errors(raw, field, width, max_steps))
    return [_row(step) for step in raw]


def _row(step: Any) -> list[float]:
    return [float(value) for value in step] if isinstance(step, list) else [float(step)]


def too_large_after_scaling(value: float, field: str) -> InputError:
    got = describe(value)
    return InputError(
        field,
        "too_large_after_scaling",
        f"is too large for the model once scaled: {got}",
        {"got": got},
    )


# -- text ---------------------------------------------------------------------------------------


def is_utf8(text: str) -> bool:
    """False for strings with lone surrogates, which JSON escapes (and Python's reading of
    non-UTF-8 bytes) allow and UTF-8 cannot hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_error(raw: str, field: str, max_chars: int | None = None) -> InputError | None:
    """Why a string is no sentence a model can read: too long, not UTF-8, or blank."""
    too_long = too_long_text(len(raw), field, max_chars)
    if too_long is not None:
        return too_long
    if not is_utf8(raw):
        return InputError(
            field,
            "not_utf8",
            "is not valid text: it holds a lone surrogate (\\ud800-\\udfff) that UTF-8 cannot "
            "encode",
        )
    if not raw.strip():
        return InputError(field, "empty_text", "is empty or only whitespace: type a sentence")
    return None


def too_long_text(chars: int, field: str, limit: int | None) -> InputError | None:
    if limit is None or chars <= limit:
        return None
    return InputError(
        field,
        "too_long_text",
        f"has {chars} characters; the limit is {limit}",
        {"characters": chars, "limit": limit},
    )


def check_text(raw: Any, field: str, max_chars: int | None = None) -> str:
    """A text model's input: a string that is UTF-8, not blank, and within `max_chars`."""
    if not isinstance(raw, str):
        got = describe(raw)
        raise InputError(
            field, "not_text", f"must be a sentence (a string), got {got}", {"got": got}
        )
    _raise([error for error in [text_error(raw, field, max_chars)] if error is not None])
    return raw


def no_words(field: str) -> InputError:
    return InputError(field, "no_words", "has no words once punctuation is removed")


def no_known_words(field: str) -> InputError:
    return InputError(
        field, "no_known_words", "has no word the model knows and no OOV token to stand in"
    )


# -- any input, before a model reads it ---------------------------------------------------------


def input_errors(
    raw: Any, field: str = "", limits: InputLimits = InputLimits()
) -> list[InputError]:
    """Problems of an input whatever model reads it: a sentence, or a list of numeric steps."""
    if isinstance(raw, str):
        error = text_error(raw, field, limits.max_text_chars)
        return [] if error is None else [error]
    if isinstance(raw, list):
        return steps_errors(raw, field, None, limits.max_steps)
    got = describe(raw)
    return [
        InputError(
            field,
            "wrong_input_type",
            f"must be a sentence (a string) or a list of steps (lists of numbers), got {got}",
            {"got": got},
        )
    ]


def check_input(raw: Any, field: str, limits: InputLimits = InputLimits()) -> None:
    """Raise the problems of an input whatever model reads it (see input_errors)."""
    _raise(input_errors(raw, field, limits))


def check_lengths(raw: Any, field: str, limits: InputLimits) -> None:
    """Only the size limits: characters of a text, steps of a list (cheap; no other checks)."""
    error: InputError | None = None
    if isinstance(raw, str):
        error = too_long_text(len(raw), field, limits.max_text_chars)
    elif isinstance(raw, list):
        error = too_many_steps(len(raw), field, limits.max_steps)
    if error is not None:
        raise error


def check_batch(raws: Sequence[Any], field: str, limits: InputLimits) -> None:
    """At most max_batch inputs, each within the size limits (`field[i]`), and at most
    max_batch_chars characters of text together (morpheme analysis costs by the character)."""
    if limits.max_batch is not None and len(raws) > limits.max_batch:
        raise InputError(
            field,
            "too_many_inputs",
            f"has {len(raws)} inputs; the limit is {limits.max_batch}",
            {"inputs": len(raws), "limit": limits.max_batch},
        )
    for index, raw in enumerate(raws):
        check_lengths(raw, f"{field}[{index}]", limits)
    chars = sum(len(raw) for raw in raws if isinstance(raw, str))
    if limits.max_batch_chars is not None and chars > limits.max_batch_chars:
        raise InputError(
            field,
            "too_much_text",
            f"hold {chars} characters of text together; the limit for one call is "
            f"{limits.max_batch_chars}: send the texts in several calls",
            {"characters": chars, "limit": limits.max_batch_chars},
        )


# -- sizes --------------------------------------------------------------------------------------


def check_at_most(value: int, field: str, limit: int) -> None:
    """A size (hidden_size, num_layers...) no larger than the operator allows."""
    if value > limit:
        raise InputError(
            field,
            "limit_exceeded",
            f"is {value}; the limit is {limit}",
            {"value": value, "limit": limit},
        )


def check_trace_values(size: int, limit: int) -> None:
    """A trace of at most `limit` numbers (the request as a whole: no field)."""
    if size > limit:
        raise InputError(
            "",
            "too_large_trace",
            f"this trace would hold {size} numbers; the limit is {limit}: "
            "use fewer steps, units or layers",
            {"values": size, "limit": limit},
        )


def _raise(errors: list[InputError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)


# -- writing (language models) ------------------------------------------------------------------


def not_a_language_model(task: str) -> InputError:
    return InputError(
        "",
        "not_a_language_model",
        f"this model predicts {task}, not the next token, so it cannot write text",
        {"task": task},
    )


def check_writing_length(prompt_steps: int, length: int, field: str, limit: int) -> None:
    """The prompt's steps plus the steps written must fit in one trace of `limit` steps."""
    if prompt_steps + length > limit:
        raise InputError(
            field,
            "too_long_writing",
            f"is {length}, and with the prompt's {prompt_steps} steps the text would have "
            f"{prompt_steps + length} steps; the limit is {limit}",
            {"length": length, "prompt_steps": prompt_steps, "limit": limit},
        )
